package web

import (
	"github.com/gin-gonic/gin"

	"github.com/approdo/approdo/api/app"
)

// registerComunePages registers the comune's action routes.
func (w *Web) registerComunePages(r gin.IRoutes) {}

// comuneActions is what the comune's action forms on the case page need (nil: none to show).
func (w *Web) comuneActions(c *gin.Context, v app.CaseView) (any, error) { return nil, nil }
