package web

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/approdo/approdo/api/app"
)

// refusal is how a page explains an answer of the app that refused what the person did:
// a message for the whole form, and the wrong fields with their reasons.
type refusal struct {
	Alert  string
	Fields map[string]string
	// Link leads to what the alert names (the open case of a minor filed again).
	Link *navItem
}

// explain is the pages' one mapping of the app's typed errors, as problemOf is the API's.
// It reports false for errors that are the server's own (see fail).
func (w *Web) explain(err error) (refusal, bool) {
	var invalid *app.InvalidError
	var refused *app.RefusedError
	var notFound *app.NotFoundError
	var tooMany *app.TooManyAttemptsError
	var duplicate *app.DuplicateError
	switch {
	case errors.As(err, &duplicate):
		switch {
		case duplicate.CaseID == "" && !duplicate.Reported:
			return refusal{Alert: w.t("web.refusal.duplicate_elsewhere")}, true
		case duplicate.CaseID == "":
			return refusal{Alert: w.t("web.refusal.duplicate_reported")}, true
		}
		return refusal{Alert: w.t("web.refusal.duplicate_minor"),
			Link: &navItem{Href: "/casi/" + duplicate.CaseID, Label: w.t("web.refusal.duplicate_link")}}, true
	case errors.As(err, &invalid):
		fields := map[string]string{}
		for _, f := range invalid.Fields {
			fields[f.Field] = f.Reason
		}
		return refusal{Alert: w.t("web.refusal.invalid"), Fields: fields}, true
	case errors.As(err, &refused):
		r := refusal{Alert: w.t("web.refusal."+string(refused.Reason)) + " " + refused.Message}
		if refused.Reason == app.RefusedInvalid {
			r.Alert = w.t("web.refusal.invalid")
			r.Fields = map[string]string{refused.Field: refused.Message}
		}
		return r, true
	case errors.As(err, &notFound):
		return refusal{Alert: w.t("web.refusal.not_found")}, true
	case errors.As(err, &tooMany):
		return refusal{Alert: w.t("web.refusal.too_many")}, true
	case errors.Is(err, app.ErrBadCredentials):
		return refusal{Alert: w.t("web.refusal.bad_credentials")}, true
	case errors.Is(err, app.ErrRequestConflict):
		return refusal{Alert: w.t("web.refusal.request_conflict")}, true
	case errors.Is(err, app.ErrFamilyConflict):
		return refusal{Alert: w.t("web.refusal.family_conflict")}, true
	case errors.Is(err, app.ErrClosedUnrecorded):
		return refusal{Alert: w.t("web.refusal.closed_unrecorded")}, true
	}
	return refusal{}, false
}

// fail answers a page whose read or action failed for a reason that is not the
// person's: a subject not found (404), the service unavailable (503, "retry"), or the
// server's error (500, logged, never shown).
func (w *Web) fail(c *gin.Context, err error) {
	var notFound *app.NotFoundError
	switch {
	case errors.As(err, &notFound):
		w.renderError(c, http.StatusNotFound, "web.error.not_found")
	case errors.Is(err, app.ErrNoReferenceData) || app.IsUnavailable(err):
		w.log.WarnContext(c.Request.Context(), "page: dependency unavailable", "path", c.FullPath(), "error", err)
		w.renderError(c, http.StatusServiceUnavailable, "web.error.unavailable")
	default:
		if r, ok := w.explain(err); ok {
			w.render(c, http.StatusUnprocessableEntity, "error", view{Alert: r.Alert})
			return
		}
		w.log.ErrorContext(c.Request.Context(), "page failed", "path", c.FullPath(), "error", err)
		w.renderError(c, http.StatusInternalServerError, "web.error.internal")
	}
}

// renderError shows a page that only explains what went wrong.
func (w *Web) renderError(c *gin.Context, status int, key string) {
	w.render(c, status, "error", view{Alert: w.t(key)})
}

// statusOf is the status of a form page re-shown with its refusal: 422 for what the
// person can correct, 409 for a stage that moved on, 403 for what they may not do.
func statusOf(err error) int {
	var refused *app.RefusedError
	var tooMany *app.TooManyAttemptsError
	switch {
	case errors.As(err, &refused) && refused.Reason == app.RefusedNotAllowed:
		return http.StatusForbidden
	case errors.As(err, &refused) && refused.Reason != app.RefusedInvalid:
		return http.StatusConflict
	case errors.As(err, new(*app.DuplicateError)):
		return http.StatusConflict
	case errors.As(err, &tooMany):
		return http.StatusTooManyRequests
	case errors.Is(err, app.ErrBadCredentials):
		return http.StatusUnauthorized
	}
	return http.StatusUnprocessableEntity
}
