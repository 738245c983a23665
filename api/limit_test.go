package api

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tenMegabytes is a JSON body ten times the limit, as an enrolment with a huge note.
func tenMegabytes() string {
	return `{"requestId":"4b0e4f6e-8f7b-4c1e-9a43-1d2a0c5e7f10","notes":"` + strings.Repeat("x", 10<<20) + `"}`
}

func requireTooLarge(t *testing.T, res *http.Response) {
	t.Helper()
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusRequestEntityTooLarge, res.StatusCode, string(body))
	require.Equal(t, problemContentType, res.Header.Get("Content-Type"))
	var p Problem
	require.NoError(t, json.Unmarshal(body, &p))
	require.Equal(t, http.StatusRequestEntityTooLarge, p.Status)
	require.Equal(t, "Richiesta troppo grande", p.Title)
}

// A body that declares a size over the limit is a 413, whatever it holds, before
// authentication or decoding: the API's own handler answers it without a store.
func TestDeclaredBodyOverTheLimitIs413(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(NewHandler(Dependencies{Log: slog.New(slog.DiscardHandler)}))
	defer srv.Close()
	for name, body := range map[string]string{
		"valid JSON":       tenMegabytes(),
		"invalid at once":  `{"a":` + strings.Repeat("[", 10<<20),
		"not JSON at all":  strings.Repeat("x", 10<<20),
		"just over (1 MB)": `{"notes":"` + strings.Repeat("x", maxBodyBytes) + `"}`,
	} {
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/enrolments", strings.NewReader(body))
		require.NoError(t, err, name)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer whatever")
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err, name)
		requireTooLarge(t, res)
	}
}

// A body sent without a size (chunked) is cut at the limit while it is decoded, and the
// decoder's error is a 413 too.
func TestChunkedBodyOverTheLimitIs413(t *testing.T) {
	t.Parallel()
	gin.SetMode(gin.ReleaseMode)
	router := gin.New()
	router.Use(limitBody())
	router.POST("/api/v1/enrolments", func(c *gin.Context) {
		// assert, not require: this runs on the server's goroutine.
		assert.Equal(t, int64(-1), c.Request.ContentLength, "the body came chunked")
		var body EnrolmentRequest
		if err := c.ShouldBindJSON(&body); err != nil {
			writeProblem(c, decodeProblem(err))
			return
		}
		c.Status(http.StatusCreated)
	})
	srv := httptest.NewServer(router)
	defer srv.Close()
	// A reader of unknown length makes the client send the body chunked.
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/enrolments", io.MultiReader(strings.NewReader(tenMegabytes())))
	require.NoError(t, err)
	require.Zero(t, req.ContentLength, "no size declared")
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	requireTooLarge(t, res)
}
