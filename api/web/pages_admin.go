package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/internal/store"
)

// The organisation page: its admins see the people and tokens, invite a person, disable
// one, make a token (its secret shown once) and revoke one.

func (w *Web) registerAdminPages(r gin.IRoutes) {
	r.GET("/organizzazione", w.orgPage)
	r.POST("/organizzazione/persone", w.inviteSubmit)
	r.POST("/organizzazione/persone/:uid/disattiva", w.disableSubmit)
	r.POST("/organizzazione/token", w.tokenSubmit)
	r.POST("/organizzazione/token/:tid/revoca", w.revokeSubmit)
}

// orgPageData is the Data of templates/pages/organisation.html.
type orgPageData struct {
	Users  []orgUser
	Tokens []orgToken
	Roles  []option
	// Secret is a token just made: shown once, never stored in clear.
	Secret string
}

type orgUser struct {
	store.User
	Locked bool
	// Self is the admin looking at the page, who cannot disable itself.
	Self bool
}

type orgToken struct {
	store.Token
	Expired bool
}

func adminOfSession(c *gin.Context) app.Admin {
	sess, _ := sessionOf(c)
	return app.Admin{Org: sess.User.Organisation, Role: sess.User.Role, By: store.Creator{UserID: sess.User.ID}}
}

func (w *Web) orgPage(c *gin.Context) { w.renderOrg(c, http.StatusOK, nil, "") }

func (w *Web) renderOrg(c *gin.Context, status int, failed *famiFailed, secret string) {
	acc, err := w.app.OrgAccounts(c.Request.Context(), adminOfSession(c))
	if err != nil {
		var refused *app.RefusedError
		if errors.As(err, &refused) {
			w.renderError(c, http.StatusForbidden, "web.admin.not_admin")
			return
		}
		w.fail(c, err)
		return
	}
	now := w.app.Now()
	p := orgPageData{Secret: secret, Roles: []option{{store.RoleOperator, w.t("web.admin.role.operator")}, {store.RoleAdmin, w.t("web.admin.role.admin")}}}
	for _, u := range acc.Users {
		p.Users = append(p.Users, orgUser{User: u, Locked: u.LockedUntil != nil && now.Before(*u.LockedUntil), Self: u.ID == adminOfSession(c).By.UserID})
	}
	for _, t := range acc.Tokens {
		p.Tokens = append(p.Tokens, orgToken{Token: t, Expired: t.ExpiresAt.Before(now)})
	}
	v := w.famiView(c, p, failed)
	if e := c.Query("esito"); e != "" && w.catalog.Has("web.admin.outcome."+e) {
		v.Success = w.t("web.admin.outcome." + e)
	}
	w.render(c, status, "organisation", v)
}

func (w *Web) refuseOrgForm(c *gin.Context, form string, err error) {
	if errors.Is(err, app.ErrUserExists) {
		err = app.Invalid("email", "è già di un utente")
	}
	r, ok := w.explain(err)
	if !ok {
		w.fail(c, err)
		return
	}
	w.renderOrg(c, statusOf(err), w.famiRefusal(c, form, r), "")
}

func (w *Web) inviteSubmit(c *gin.Context) {
	get := func(n string) string { return strings.TrimSpace(c.PostForm("invito." + n)) }
	_, err := w.app.InviteUser(c.Request.Context(), adminOfSession(c), app.Invitation{Email: get("email"), Name: get("name"), Role: get("role")})
	if err != nil {
		w.refuseOrgForm(c, "invito", err)
		return
	}
	redirect(c, "/organizzazione?esito=invito")
}

// tokenSubmit makes a token and shows its secret once, on the answer itself: a redirect
// would have to carry it in the address.
func (w *Web) tokenSubmit(c *gin.Context) {
	get := func(n string) string { return strings.TrimSpace(c.PostForm("token." + n)) }
	days := 0
	if d := get("ttlDays"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil {
			w.refuseOrgForm(c, "token", app.Invalid("ttlDays", "deve essere un numero di giorni tra 1 e 365"))
			return
		}
		days = n
	}
	_, secret, err := w.app.CreateToken(c.Request.Context(), adminOfSession(c), app.NewToken{Name: get("name"), Role: get("role"), TTLDays: days})
	if err != nil {
		w.refuseOrgForm(c, "token", err)
		return
	}
	w.renderOrg(c, http.StatusCreated, nil, secret)
}

func (w *Web) revokeSubmit(c *gin.Context) {
	err := w.app.RevokeToken(c.Request.Context(), adminOfSession(c), c.Param("tid"))
	if errors.Is(err, app.ErrTokenNotFound) {
		w.renderError(c, http.StatusNotFound, "web.error.not_found")
		return
	}
	if err != nil {
		w.refuseOrgForm(c, "", err)
		return
	}
	redirect(c, "/organizzazione?esito=revoca")
}

// disableSubmit disables a person: the person's sessions end at once.
func (w *Web) disableSubmit(c *gin.Context) {
	_, err := w.app.DisableUser(c.Request.Context(), adminOfSession(c), c.Param("uid"))
	if errors.Is(err, app.ErrUserNotFound) {
		w.renderError(c, http.StatusNotFound, "web.error.not_found")
		return
	}
	if err != nil {
		w.refuseOrgForm(c, "", err)
		return
	}
	redirect(c, "/organizzazione?esito=disattivata")
}
