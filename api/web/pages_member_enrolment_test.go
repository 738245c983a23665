package web

import (
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/reunification"
	"github.com/approdo/approdo/internal/store"
)

// TestJourneyPageOffersEnrolmentForMembersWithoutACase: once the family has arrived, the
// journey page lists the minors without a case (not the child who has one, not the
// adult) with the school levels; before the arrival it offers nothing.
func TestJourneyPageOffersEnrolmentForMembersWithoutACase(t *testing.T) {
	t.Parallel()
	gin.SetMode(gin.ReleaseMode)
	w := testWeb(t)
	w.app = app.New(app.Options{})
	shop := casework.Org{Kind: casework.OrgOneStopShop, Code: "milano"}
	now := time.Now()
	fam := &reunification.Family{Reference: "R-1", Sponsor: reunification.Sponsor{GivenName: "Amina", FamilyName: "Haddad", Comune: "015146"},
		Members: []reunification.Member{
			{GivenName: "Omar", FamilyName: "Haddad", BirthDate: now.AddDate(-9, 0, 0).Format(time.DateOnly), Relation: "child"},
			{GivenName: "Layla", FamilyName: "Haddad", BirthDate: now.AddDate(-4, 0, 0).Format(time.DateOnly), Relation: "child"},
			{GivenName: "Samir", FamilyName: "Haddad", BirthDate: "1985-01-01", Relation: "spouse"},
		}}
	j := store.Journey{ID: "5f0e7a52-8f5e-4f6e-9d0c-2a1f6a9f4c11", Stage: "enrolling", Family: fam, ArrivedOn: now.Format(time.DateOnly),
		Children: []casework.JourneyChild{{Member: 0, CaseID: "6f0e7a52-8f5e-4f6e-9d0c-2a1f6a9f4c11", Stage: casework.StageAwaitingProposal}}}

	body := renderFami(t, w, shop, "operator", "journey", view{Data: w.journeyData(j, nil)})
	require.Contains(t, body, `id="form-iscrizione"`)
	require.Contains(t, body, `action="/percorsi/5f0e7a52-8f5e-4f6e-9d0c-2a1f6a9f4c11/iscrizione-familiare"`)
	require.Contains(t, body, `<option value="1"`, "Layla, 4, has no case")
	require.NotContains(t, body, `<option value="0"`, "Omar has his case")
	require.NotContains(t, body, `<option value="2"`, "Samir is an adult")
	require.Contains(t, body, `value="infanzia"`)
	require.Contains(t, body, `name="iscrizione.note"`)

	failed := &famiFailed{Form: "iscrizione", Errors: map[string]string{"iscrizione.member": "ha già una richiesta di iscrizione aperta dal percorso"}, Values: map[string]string{"iscrizione.level": "infanzia"}}
	body = renderFami(t, w, shop, "operator", "journey", view{Data: w.journeyData(j, failed), Errors: failed.Errors, Values: failed.Values})
	require.Contains(t, body, "ha già una richiesta di iscrizione aperta dal percorso", "the refusal is on its field")

	j.ArrivedOn = ""
	j.Stage, j.Children = "awaiting_arrival", nil
	require.NotContains(t, renderFami(t, w, shop, "operator", "journey", view{Data: w.journeyData(j, nil)}), `id="form-iscrizione"`, "not before the arrival")
	require.True(t, w.catalog.Has("web.fami.outcome.iscrizione_familiare"))
}
