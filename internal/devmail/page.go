package devmail

import (
	"html/template"
	"net/http"
	"slices"
	"strconv"
)

// Handler is the mailbox's page: the messages received, newest first, and each message
// as it arrived. PEC receipts carry their type as a badge, red for those saying the
// message will not be delivered. It is for the developer's browser on loopback only.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		messages := s.Messages()
		slices.Reverse(messages)
		type row struct {
			Index int
			Message
			Received string
		}
		rows := make([]row, len(messages))
		for i, m := range messages {
			rows[i] = row{Index: len(messages) - 1 - i, Message: m, Received: m.ReceivedAt.Format("02/01/2006 15:04:05")}
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = listPage.Execute(w, rows)
	})
	mux.HandleFunc("GET /messages/{index}", func(w http.ResponseWriter, r *http.Request) {
		i, err := strconv.Atoi(r.PathValue("index"))
		messages := s.Messages()
		if err != nil || i < 0 || i >= len(messages) {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write(messages[i].Raw)
	})
	return mux
}

var listPage = template.Must(template.New("list").Parse(`<!DOCTYPE html>
<html lang="it"><head><meta charset="utf-8"><title>Casella di sviluppo di Approdo</title>
<style>body{font-family:sans-serif;margin:2rem}table{border-collapse:collapse}td,th{padding:.3rem .8rem;border-bottom:1px solid #ccc;text-align:left}.ricevuta{padding:.1rem .4rem;border-radius:.3rem;background:#d8f0d8;font-size:.85em}.ricevuta.ko{background:#f6d0d0}</style>
</head><body>
<h1>Casella di sviluppo</h1>
<p>Tutta la posta inviata da Approdo in sviluppo arriva qui e non esce dalla macchina. {{len .}} messaggi.</p>
<table><tr><th>Ricevuto</th><th>Da</th><th>A</th><th>Ricevuta PEC</th><th>Oggetto</th></tr>
{{range .}}<tr><td>{{.Received}}</td><td>{{.From}}</td><td>{{range .To}}{{.}} {{end}}</td><td>{{with .Receipt}}<span class="ricevuta{{if .IsFailure}} ko{{end}}">{{.}}</span>{{end}}</td><td><a href="messages/{{.Index}}">{{.Subject}}</a></td></tr>
{{end}}</table></body></html>
`))
