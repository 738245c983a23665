package devmail_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/smtp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/devmail"
)

func TestPageListsTheMessages(t *testing.T) {
	t.Parallel()
	srv, err := devmail.Start("127.0.0.1:0", devmail.Options{})
	require.NoError(t, err)
	defer srv.Close()
	msg := "From: approdo@approdo.test\r\nTo: scuola@example.org\r\nSubject: =?UTF-8?q?Proposta_<script>?=\r\nMessage-ID: <m1@approdo.test>\r\n\r\nCorpo\r\n"
	require.NoError(t, smtp.SendMail(srv.Addr(), nil, "approdo@approdo.test", []string{"scuola@example.org"}, []byte(msg)))

	page := httptest.NewServer(srv.Handler())
	defer page.Close()
	res, err := http.Get(page.URL + "/")
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Contains(t, string(body), "scuola@example.org")
	require.Contains(t, string(body), "Proposta &lt;script&gt;", "subjects are decoded and escaped")
	require.Contains(t, string(body), "1 messaggi")

	res, err = http.Get(page.URL + "/messages/0")
	require.NoError(t, err)
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	require.True(t, strings.Contains(string(raw), "Message-ID: <m1@approdo.test>"))
	res, err = http.Get(page.URL + "/messages/9")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusNotFound, res.StatusCode)
}
