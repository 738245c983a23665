package web

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// accountPage shows who is logged in, for which organisation, until when.
func (w *Web) accountPage(c *gin.Context) {
	w.render(c, http.StatusOK, "account", view{})
}

// passwordPage is the form that changes the password; at the first login, the only
// page a person can reach.
func (w *Web) passwordPage(c *gin.Context) {
	w.render(c, http.StatusOK, "password", view{})
}

func (w *Web) passwordSubmit(c *gin.Context) {
	sess, _ := sessionOf(c)
	current, next := c.PostForm("currentPassword"), c.PostForm("newPassword")
	if next != c.PostForm("confirmPassword") {
		w.render(c, http.StatusUnprocessableEntity, "password", view{Alert: w.t("web.refusal.invalid"),
			Errors: map[string]string{"confirmPassword": w.t("web.password.mismatch")}})
		return
	}
	if err := w.auth.ChangePassword(c.Request.Context(), sess, current, next); err != nil {
		r, ok := w.explain(err)
		if !ok {
			w.fail(c, err)
			return
		}
		w.render(c, statusOf(err), "password", view{Alert: r.Alert, Errors: r.Fields})
		return
	}
	redirect(c, "/?esito=password")
}

// resetRequestPage asks for the address to send a reset link to.
func (w *Web) resetRequestPage(c *gin.Context) {
	w.render(c, http.StatusOK, "reset_request", view{})
}

// resetRequestSubmit queues the link and says the same whether or not the address is a
// user's, so that the page reveals no accounts.
func (w *Web) resetRequestSubmit(c *gin.Context) {
	if !sameOrigin(c) {
		w.renderError(c, http.StatusForbidden, "web.error.csrf")
		return
	}
	email := strings.TrimSpace(c.PostForm("email"))
	if err := w.auth.RequestReset(c.Request.Context(), email, c.ClientIP()); err != nil {
		r, ok := w.explain(err)
		if !ok {
			w.fail(c, err)
			return
		}
		w.render(c, statusOf(err), "reset_request", view{Alert: r.Alert, Errors: r.Fields, Values: map[string]string{"email": email}})
		return
	}
	redirect(c, "/accesso?esito=reset_inviato")
}

// setPasswordPage is the page an invitation or a reset link opens: the token travels in
// the link and in a hidden field, never in a cookie.
func (w *Web) setPasswordPage(purpose string) gin.HandlerFunc {
	return func(c *gin.Context) {
		w.render(c, http.StatusOK, "set_password", view{Data: purpose, Values: map[string]string{"token": c.Query("token")}})
	}
}

func (w *Web) setPasswordSubmit(purpose string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !sameOrigin(c) {
			w.renderError(c, http.StatusForbidden, "web.error.csrf")
			return
		}
		token, next := c.PostForm("token"), c.PostForm("newPassword")
		values := map[string]string{"token": token}
		if next != c.PostForm("confirmPassword") {
			w.render(c, http.StatusUnprocessableEntity, "set_password", view{Data: purpose, Values: values,
				Alert: w.t("web.refusal.invalid"), Errors: map[string]string{"confirmPassword": w.t("web.password.mismatch")}})
			return
		}
		if err := w.auth.SetPassword(c.Request.Context(), token, next, c.ClientIP()); err != nil {
			r, ok := w.explain(err)
			if !ok {
				w.fail(c, err)
				return
			}
			w.render(c, statusOf(err), "set_password", view{Data: purpose, Values: values, Alert: r.Alert, Errors: r.Fields})
			return
		}
		redirect(c, "/accesso?esito=password_impostata")
	}
}
