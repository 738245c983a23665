package web

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/internal/casework"
)

// TestMonitoringShowsJourneysByStage: the dashboard has the reunification journeys by
// stage, with their small counts suppressed like every figure.
func TestMonitoringShowsJourneysByStage(t *testing.T) {
	t.Parallel()
	w := testWeb(t)
	page := sampleMonitoringPage(w)
	page.Journeys = []app.JourneyRow{
		{Stage: "awaiting_arrival", Journeys: app.Cell{N: 12}, Escalated: app.Cell{Below: 4}},
		{Stage: "contacting", Journeys: app.Cell{Below: 4}, Escalated: app.Cell{N: 0}},
	}
	body := renderMonitoringAs(t, w, casework.UST, "/monitoraggio", "monitoring", view{Data: page}).Body.String()
	require.Contains(t, body, `id="tabella-percorsi"`)
	require.Contains(t, body, `</th><td class="text-end">12</td><td class="text-end">&lt;4</td>`, "12 journeys awaiting arrival, fewer than 4 of them escalated")
	require.Contains(t, body, `<th scope="row">`+w.label("web.fami.stage", "contacting")+`</th><td class="text-end">&lt;4</td><td class="text-end">0</td>`)
	require.NotContains(t, body, `>awaiting_arrival<`, "the stage has its Italian label")

	page.Journeys = nil
	body = renderMonitoringAs(t, w, casework.UST, "/monitoraggio", "monitoring", view{Data: page}).Body.String()
	require.Contains(t, body, "Nessun percorso di ricongiungimento nel periodo.")
}
