package api

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"
)

func TestCodecOriginIsTheUIsOrigin(t *testing.T) {
	t.Parallel()
	require.Equal(t, "http://127.0.0.1:8233", originOf("http://127.0.0.1:8233"))
	require.Equal(t, "https://temporal.approdo.example.org", originOf(" https://Temporal.Approdo.example.org/namespaces/default "))
	require.Empty(t, originOf(""), "no UI configured: no origin is granted")
	require.Empty(t, originOf("127.0.0.1:8233"), "not a URL a browser would name")
	require.Empty(t, originOf("ftp://temporal.example.org"))
}

// The workflow a decode is about, for its audit entry: the caller's header, or the UI's
// page when the browser sends the whole Referer (a UI on the same origin).
func TestCodecWorkflowOfARequest(t *testing.T) {
	t.Parallel()
	cs := &codecServer{uiOrigin: "https://temporal.example.org"}
	workflowOf := func(headers ...string) (string, bool) {
		c, _ := gin.CreateTestContext(httptest.NewRecorder())
		c.Request = httptest.NewRequest(http.MethodPost, "/codec/decode", nil)
		for i := 0; i+1 < len(headers); i += 2 {
			c.Request.Header.Set(headers[i], headers[i+1])
		}
		return cs.workflowOf(c)
	}

	id, ok := workflowOf("X-Workflow-Id", "enrolment-8f0d9e4e-7b8c-4f59-9a52-2f1d0c3b6a11")
	require.True(t, ok)
	require.Equal(t, "enrolment-8f0d9e4e-7b8c-4f59-9a52-2f1d0c3b6a11", id)
	_, ok = workflowOf("X-Workflow-Id", "enrolment-1\x00")
	require.False(t, ok, "a header that is no workflow ID is refused, not written to the audit log")

	id, ok = workflowOf("Referer", "https://temporal.example.org/namespaces/default/workflows/journey-PREF%2F1/0199/history")
	require.True(t, ok)
	require.Equal(t, "journey-PREF/1", id)
	id, ok = workflowOf("Referer", "https://elsewhere.example.org/namespaces/default/workflows/journey-1/0199/history")
	require.True(t, ok)
	require.Empty(t, id, "another site's page names no workflow")
	id, _ = workflowOf("Referer", "https://temporal.example.org/")
	require.Empty(t, id, "a browser on another origin sends only the origin")
	id, _ = workflowOf()
	require.Empty(t, id)
}
