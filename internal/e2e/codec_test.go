package e2e_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/approdo/approdo/api"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/internal/payloadcrypt"
)

// codecAnswer is an answer of the codec server, with the headers CORS is about.
type codecAnswer struct {
	response
	header http.Header
}

// codecCall sends a request to the API's codec server as a browser on the Web UI's page
// would: headers are name, value pairs (Origin, Cookie, X-Namespace, …).
func (b *bundle) codecCall(t *testing.T, method, path, body string, headers ...string) codecAnswer {
	t.Helper()
	req, err := http.NewRequestWithContext(b.ctx, method, b.api.URL+api.CodecPath+path, strings.NewReader(body))
	require.NoError(t, err)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return codecAnswer{response{status: res.StatusCode, contentType: res.Header.Get("Content-Type"), body: data}, res.Header}
}

// startInput is the sealed input of the case's workflow, as its history holds it and as
// the Web UI sends it to the codec server: {"payloads":[…]} in proto3 JSON.
func (b *bundle) startInput(t *testing.T, caseID string) string {
	t.Helper()
	res, err := b.temporal.WorkflowService().GetWorkflowExecutionHistory(b.ctx, &workflowservice.GetWorkflowExecutionHistoryRequest{
		Namespace: namespace,
		Execution: &commonpb.WorkflowExecution{WorkflowId: enrolment.WorkflowID(caseID)},
	})
	require.NoError(t, err)
	first := res.GetHistory().GetEvents()[0]
	require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, first.GetEventType())
	input := first.GetWorkflowExecutionStartedEventAttributes().GetInput()
	require.NotEmpty(t, input.GetPayloads())
	for _, p := range input.GetPayloads() {
		require.True(t, sealedPayload(p), "the history holds the input sealed")
	}
	data, err := protojson.Marshal(input)
	require.NoError(t, err)
	return string(data)
}

// auditRow is one entry of the audit log, as the owner reads it.
type auditRow struct {
	actor, organisation, outcome, subject string
	caseID                                *string
}

func (b *bundle) codecAudit(t *testing.T) []auditRow {
	t.Helper()
	rows, err := b.pool.Query(b.ctx, `SELECT actor, organisation, outcome, subject, case_id::text FROM audit_log
		WHERE action = 'POST /codec/decode' ORDER BY id`)
	require.NoError(t, err)
	defer rows.Close()
	var out []auditRow
	for rows.Next() {
		var r auditRow
		require.NoError(t, rows.Scan(&r.actor, &r.organisation, &r.outcome, &r.subject, &r.caseID))
		out = append(out, r)
	}
	require.NoError(t, rows.Err())
	return out
}

// TestCodecServerOpensPayloadsForUSTOnly calls the Temporal Web UI's codec server on the
// real API as the UI's page does: UST people logged in to the portal read a case's
// workflow input; nobody else does, and every call is in the audit log.
func TestCodecServerOpensPayloadsForUSTOnly(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{temporalUI: true})
	uiOrigin := strings.TrimRight(temporalServer.UIURL(), "/")

	body := validBody()
	requestID := body["requestId"].(string)
	created := b.post(t, body)
	require.Equal(t, http.StatusCreated, created.status, string(created.body))
	caseID := decodeCase(t, created).Id
	sealed := b.startInput(t, caseID)
	require.NotContains(t, sealed, requestID, "the sealed input does not show the request's ID")

	const ustEmail, schoolEmail = "supervisione@ust.example.org", "segreteria@miic90001a.example.org"
	b.portalAccount(t, casework.UST, "Ufficio Scolastico Territoriale", ustEmail)
	b.portalAccount(t, casework.Org{Kind: casework.OrgSchool, Code: schoolA}, "IC Esempio Milano Centro", schoolEmail)
	ust := b.loginOK(t, ustEmail, userPassword)
	school := b.loginOK(t, schoolEmail, userPassword)
	fromUI := func(s *session, more ...string) []string {
		h := []string{"Origin", uiOrigin, "Content-Type", "application/json", "X-Namespace", namespace}
		if s != nil {
			h = append(h, "Cookie", "approdo_session="+s.cookie)
		}
		return append(h, more...)
	}

	t.Run("the preflight grants the UI's origin, with credentials, and no other", func(t *testing.T) {
		pre := b.codecCall(t, http.MethodOptions, "/decode", "", "Origin", uiOrigin,
			"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type,x-namespace")
		require.Equal(t, http.StatusNoContent, pre.status)
		require.Equal(t, uiOrigin, pre.header.Get("Access-Control-Allow-Origin"))
		require.Equal(t, "true", pre.header.Get("Access-Control-Allow-Credentials"))
		require.Contains(t, pre.header.Get("Access-Control-Allow-Methods"), "POST")
		allowed := strings.ToLower(pre.header.Get("Access-Control-Allow-Headers"))
		require.Contains(t, allowed, "content-type")
		require.Contains(t, allowed, "x-namespace")

		other := b.codecCall(t, http.MethodOptions, "/decode", "", "Origin", "http://127.0.0.1:1",
			"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type,x-namespace")
		require.Equal(t, http.StatusForbidden, other.status)
		require.Empty(t, other.header.Get("Access-Control-Allow-Origin"))
		require.Empty(t, other.header.Get("Access-Control-Allow-Credentials"))
	})

	t.Run("without a session: 401, the bytes stay opaque", func(t *testing.T) {
		r := b.codecCall(t, http.MethodPost, "/decode", sealed, fromUI(nil)...)
		require.Equal(t, http.StatusUnauthorized, r.status)
		decodeProblem(t, r.response)
		require.NotContains(t, string(r.body), requestID)
		stale := b.codecCall(t, http.MethodPost, "/decode", sealed, fromUI(&session{cookie: "not-a-session"})...)
		require.Equal(t, http.StatusUnauthorized, stale.status)
	})

	t.Run("a school's session: 403, the bytes stay opaque", func(t *testing.T) {
		r := b.codecCall(t, http.MethodPost, "/decode", sealed, fromUI(&school)...)
		require.Equal(t, http.StatusForbidden, r.status)
		decodeProblem(t, r.response)
		require.NotContains(t, string(r.body), requestID)
		require.NotContains(t, string(r.body), "payloads")
	})

	t.Run("UST's session from the UI's page: the input, decoded, readable by that page", func(t *testing.T) {
		r := b.codecCall(t, http.MethodPost, "/decode?preserveStorageRefs=true", sealed, fromUI(&ust, "X-Workflow-Id", enrolment.WorkflowID(caseID))...)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		require.Equal(t, uiOrigin, r.header.Get("Access-Control-Allow-Origin"))
		require.Equal(t, "true", r.header.Get("Access-Control-Allow-Credentials"))
		require.Equal(t, "no-store", r.header.Get("Cache-Control"))
		var decoded commonpb.Payloads
		require.NoError(t, protojson.Unmarshal(r.body, &decoded))
		require.Len(t, decoded.GetPayloads(), 1)
		require.Equal(t, "json/plain", string(decoded.GetPayloads()[0].GetMetadata()["encoding"]))
		var input struct {
			CaseID  string
			Request struct {
				RequestID string `json:"requestId"`
			}
		}
		require.NoError(t, json.Unmarshal(decoded.GetPayloads()[0].GetData(), &input))
		require.Equal(t, caseID, input.CaseID)
		require.True(t, input.Request.RequestID == requestID, "the decoded input carries the request's ID")

		// What the UI encodes (a signal's input it sends) comes back sealed, and opens.
		plain := `{"payloads":[{"metadata":{"encoding":"` + b64("json/plain") + `"},"data":"` + b64(`"prova"`) + `"}]}`
		enc := b.codecCall(t, http.MethodPost, "/encode", plain, fromUI(&ust)...)
		require.Equal(t, http.StatusOK, enc.status, string(enc.body))
		var encoded commonpb.Payloads
		require.NoError(t, protojson.Unmarshal(enc.body, &encoded))
		require.True(t, sealedPayload(encoded.GetPayloads()[0]))
		back := b.codecCall(t, http.MethodPost, "/decode", string(enc.body), fromUI(&ust)...)
		require.Equal(t, http.StatusOK, back.status)
		require.Contains(t, string(back.body), b64(`"prova"`))
	})

	t.Run("another origin gets no grant and no answer, even with UST's cookie", func(t *testing.T) {
		r := b.codecCall(t, http.MethodPost, "/decode", sealed,
			"Origin", "http://127.0.0.1:1", "Content-Type", "application/json", "X-Namespace", namespace, "Cookie", "approdo_session="+ust.cookie)
		require.Equal(t, http.StatusForbidden, r.status)
		require.Empty(t, r.header.Get("Access-Control-Allow-Origin"))
		require.NotContains(t, string(r.body), requestID)
	})

	t.Run("bad requests name what is wrong", func(t *testing.T) {
		for name, c := range map[string]struct {
			body    string
			headers []string
			status  int
			field   string
		}{
			"another namespace": {sealed, []string{"Origin", uiOrigin, "Content-Type", "application/json", "X-Namespace", "altro", "Cookie", "approdo_session=" + ust.cookie}, 400, "X-Namespace"},
			"no namespace":      {sealed, []string{"Origin", uiOrigin, "Content-Type", "application/json", "Cookie", "approdo_session=" + ust.cookie}, 400, "X-Namespace"},
			"not payloads":      {`{"payloads": 3}`, fromUI(&ust), 400, "payloads"},
			"a forged seal":     {strings.Replace(sealed, `"data":"`, `"data":"AAAA`, 1), fromUI(&ust), 400, "payloads"},
			"no workflow ID":    {sealed, fromUI(&ust, "X-Workflow-Id", "enrolment-\t1"), 400, "X-Workflow-Id"},
			"not JSON":          {sealed, []string{"Origin", uiOrigin, "Content-Type", "text/plain", "X-Namespace", namespace, "Cookie", "approdo_session=" + ust.cookie}, 415, ""},
		} {
			r := b.codecCall(t, http.MethodPost, "/decode", c.body, c.headers...)
			require.Equal(t, c.status, r.status, "%s: %s", name, r.body)
			p := decodeProblem(t, r.response)
			if c.field != "" {
				require.NotNil(t, p.Errors, name)
				require.Equal(t, c.field, (*p.Errors)[0].Field, name)
			}
			require.NotContains(t, string(r.body), requestID, name)
		}
	})

	t.Run("every decode is in the audit log: who, namespace and workflow, outcome", func(t *testing.T) {
		var ustUser, schoolUser string
		require.NoError(t, b.pool.QueryRow(b.ctx, `SELECT id FROM app_user WHERE email = $1`, ustEmail).Scan(&ustUser))
		require.NoError(t, b.pool.QueryRow(b.ctx, `SELECT id FROM app_user WHERE email = $1`, schoolEmail).Scan(&schoolUser))
		rows := b.codecAudit(t)
		find := func(actor, outcome, subject string) *auditRow {
			for i := range rows {
				if rows[i].actor == actor && rows[i].outcome == outcome && rows[i].subject == subject {
					return &rows[i]
				}
			}
			return nil
		}
		require.NotNil(t, find("anonymous", "401", "namespace:"+namespace), "the refusal without a session: %+v", rows)
		refused := find("user:"+schoolUser, "403", "namespace:"+namespace)
		require.NotNil(t, refused, "the school's refusal: %+v", rows)
		require.Equal(t, "school:"+schoolA, refused.organisation)
		read := find("user:"+ustUser, "200", "workflow:"+namespace+"/"+enrolment.WorkflowID(caseID))
		require.NotNil(t, read, "UST's read of the case's workflow: %+v", rows)
		require.Equal(t, "ust", read.organisation)
		require.NotNil(t, read.caseID)
		require.Equal(t, caseID, *read.caseID, "the case is the entry's case, for GET /audit?case=")
		require.NotNil(t, find("user:"+ustUser, "400", "namespace:altro"))
	})
}

// b64 is s in standard base64, as proto3 JSON writes bytes.
func b64(s string) string {
	return base64.StdEncoding.EncodeToString([]byte(s))
}

// sealed tells a payload payloadcrypt sealed.
func sealedPayload(p *commonpb.Payload) bool {
	return string(p.GetMetadata()["encoding"]) == payloadcrypt.Encoding
}
