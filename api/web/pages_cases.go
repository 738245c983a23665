package web

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
)

// registerCasePages registers the case list, the case page and a comune's pages.
func (w *Web) registerCasePages(r gin.IRoutes) {}

// formState is a form re-shown after a refusal: why, which fields, what was typed.
type formState struct {
	Form   string // which form of the page failed, e.g. "proposta"
	Alert  string
	Errors map[string]string
	Values map[string]string
}

// renderCase shows the case page of id, with a failed form's state when there is one
// (status 200 when there is none). The action handlers of every area call it.
func (w *Web) renderCase(c *gin.Context, id string, status int, failed *formState) {
	_ = failed
	w.renderError(c, http.StatusNotImplemented, "web.error.internal")
}

// newKey is the idempotency key a rendered form carries, so that submitting the same
// form twice acts once (the Update ID of the action).
func newKey() string { return "web-" + uuid.NewString() }
