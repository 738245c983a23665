package e2e_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/api"
)

const importHeader = "riferimento,sponsor_nome,sponsor_cognome,sponsor_telefono,sponsor_email,comune_istat,indirizzo,municipio," +
	"nulla_osta_numero,nulla_osta_data,arrivo_previsto,lingua,note,familiare_nome,familiare_cognome,familiare_data_nascita," +
	"familiare_sesso,familiare_relazione,familiare_cittadinanza\n"

// familyFile is a CSV of n valid families of two rows each, plus one whose child's birth
// date is wrong (on the file's last line).
func familyFile(n int) []byte {
	var b strings.Builder
	b.WriteString(importHeader)
	for i := range n {
		ref := fmt.Sprintf("MI-2026-%06d", i)
		for _, member := range []string{"Fatima,Hassan,1988-05-12,F,coniuge", "Youssef,Mansour,2014-09-03,M,figlio"} {
			fmt.Fprintf(&b, "%s,Ahmed,Mansour,+39 333 1234567,,015146,Via Padova 120,2,NO/%s,2026-10-01,,ar,,%s,EG\n", ref, ref, member)
		}
	}
	b.WriteString("MI-2026-BAD,Ahmed,Mansour,+39 333 1234567,,015146,Via Padova 120,2,NO/BAD,2026-10-01,,ar,,Youssef,Mansour,31/02/2014,M,figlio,EG\n")
	return []byte(b.String())
}

func (b *bundle) upload(t *testing.T, org, filename string, data []byte) response {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	part, err := w.CreateFormFile("file", filename)
	require.NoError(t, err)
	_, err = part.Write(data)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	req, err := http.NewRequestWithContext(b.ctx, http.MethodPost, b.api.URL+"/api/v1/reunifications/imports", &body)
	require.NoError(t, err)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+b.token(t, org))
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return response{status: res.StatusCode, contentType: res.Header.Get("Content-Type"), location: res.Header.Get("Location"), body: out}
}

func TestBulkFileOfFamiliesOpensTheirJourneysOnce(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	const families = 120 // three batches of the import workflow
	file := familyFile(families)

	r := b.upload(t, orgPrefettura, "famiglie.csv", file)
	require.Equal(t, http.StatusAccepted, r.status, string(r.body))
	var imp api.FamilyImport
	require.NoError(t, json.Unmarshal(r.body, &imp))
	require.Equal(t, families, imp.Families)
	require.Equal(t, 2*families+1, imp.Lines)
	require.Len(t, imp.Rejected, 1, "the invalid family is rejected, the others accepted")
	require.Equal(t, "MI-2026-BAD", imp.Rejected[0].Reference)
	require.Equal(t, 2*families+2, imp.Rejected[0].Errors[0].Line, "the error names its line")
	require.Equal(t, "familiare_data_nascita", *imp.Rejected[0].Errors[0].Column)

	// Progress is visible while the journeys open.
	var seen []int
	require.Eventually(t, func() bool {
		got := b.as(t, orgPrefettura, http.MethodGet, r.location, nil)
		require.Equal(t, http.StatusOK, got.status, string(got.body))
		require.NoError(t, json.Unmarshal(got.body, &imp))
		if len(seen) == 0 || seen[len(seen)-1] != imp.Started {
			seen = append(seen, imp.Started)
		}
		return imp.Done
	}, 120*time.Second, 100*time.Millisecond)
	require.Equal(t, families, imp.Started)
	for i := 1; i < len(seen); i++ {
		require.Greater(t, seen[i], seen[i-1], "progress only goes forward")
	}

	journeys := func() int {
		n, cursor := 0, ""
		for {
			path := "/api/v1/reunifications?limit=200"
			if cursor != "" {
				path += "&cursor=" + cursor
			}
			got := b.as(t, orgOneStopShop, http.MethodGet, path, nil)
			require.Equal(t, http.StatusOK, got.status, string(got.body))
			var list api.JourneyList
			require.NoError(t, json.Unmarshal(got.body, &list))
			n += len(list.Items)
			if list.NextCursor == nil {
				return n
			}
			cursor = *list.NextCursor
		}
	}
	require.Eventually(t, func() bool { return journeys() == families }, 60*time.Second, 500*time.Millisecond)

	// The same file again is the same import: nothing new is opened.
	again := b.upload(t, orgPrefettura, "famiglie-copia.csv", file)
	require.Equal(t, http.StatusOK, again.status, string(again.body))
	var same api.FamilyImport
	require.NoError(t, json.Unmarshal(again.body, &same))
	require.Equal(t, imp.Id, same.Id)
	require.Equal(t, families, journeys())

	// A file that cannot be read is refused whole, naming the problem.
	broken := b.upload(t, orgPrefettura, "famiglie.csv", []byte("riferimento,colonna_sconosciuta\nA,B\n"))
	require.Equal(t, http.StatusBadRequest, broken.status)
	require.Equal(t, "file", (*decodeProblem(t, broken).Errors)[0].Field)
	require.Equal(t, http.StatusForbidden, b.upload(t, "comune:015146", "famiglie.csv", file).status)
}
