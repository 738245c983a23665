package e2e_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/api"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/store"
)

func TestOrganisationAdminsManageTheirPeopleAndTokens(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	owner := store.New(b.pool)
	cti21 := casework.Org{Kind: casework.OrgCTI, Code: "21"}
	require.NoError(t, owner.CreateOrganisation(b.ctx, cti21, "CTI Milano"))
	_, admin, err := owner.CreateToken(b.ctx, cti21, "amministrazione", store.RoleAdmin, time.Hour)
	require.NoError(t, err)
	operator := b.token(t, "cti:21")
	foreign := b.token(t, "cti:22")
	call := func(secret, method, path string, body any) response {
		return b.as(t, "", method, path, body, "Authorization", "Bearer "+secret)
	}

	require.Equal(t, http.StatusForbidden, call(operator, "GET", "/api/v1/organisation", nil).status, "operators do not manage")
	r := call(admin, "GET", "/api/v1/organisation", nil)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	var accounts api.OrganisationAccounts
	require.NoError(t, json.Unmarshal(r.body, &accounts))
	require.Equal(t, "cti:21", accounts.Organisation)
	require.Len(t, accounts.Tokens, 2)
	require.NotContains(t, string(r.body), admin[4:], "no secret is ever listed")

	invited := call(admin, "POST", "/api/v1/organisation/users", map[string]any{"email": "referente@cti21.example.org", "name": "Referente CTI"})
	require.Equal(t, http.StatusCreated, invited.status, string(invited.body))
	require.Equal(t, http.StatusConflict, call(admin, "POST", "/api/v1/organisation/users", map[string]any{"email": "referente@cti21.example.org", "name": "Altro"}).status)
	bad := call(admin, "POST", "/api/v1/organisation/users", map[string]any{"email": "non-un-indirizzo", "name": ""})
	require.Equal(t, http.StatusBadRequest, bad.status)
	require.Len(t, *decodeProblem(t, bad).Errors, 2)
	var queued int
	require.NoError(t, b.pool.QueryRow(b.ctx, "SELECT count(*) FROM account_message WHERE kind = 'invitation'").Scan(&queued))
	require.Equal(t, 1, queued, "the invitation waits for the email sender")

	created := call(admin, "POST", "/api/v1/organisation/tokens", map[string]any{"name": "gestionale", "ttlDays": 30})
	require.Equal(t, http.StatusCreated, created.status, string(created.body))
	var tok api.NewToken
	require.NoError(t, json.Unmarshal(created.body, &tok))
	require.Equal(t, http.StatusOK, call(tok.Secret, "GET", "/api/v1/tasks", nil).status)

	foreignID := ""
	require.NoError(t, b.pool.QueryRow(b.ctx, "SELECT id::text FROM api_token WHERE organisation = 'cti:22'").Scan(&foreignID))
	require.Equal(t, http.StatusNotFound, call(admin, "POST", "/api/v1/organisation/tokens/"+foreignID+"/revocation", map[string]any{}).status,
		"another organisation's token is not found")
	require.Equal(t, http.StatusOK, call(foreign, "GET", "/api/v1/tasks", nil).status)

	require.Equal(t, http.StatusNoContent, call(admin, "POST", "/api/v1/organisation/tokens/"+tok.Id+"/revocation", map[string]any{}).status)
	require.Equal(t, http.StatusUnauthorized, call(tok.Secret, "GET", "/api/v1/tasks", nil).status, "revoked at once")
}
