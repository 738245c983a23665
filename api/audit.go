package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/store"
)

// auditTrail writes one audit log entry for every request to the API and the pages,
// reads included: who, for which organisation, from which address, what, on which case
// or other subject, the request ID and the outcome. A request without a valid
// organisation is recorded too, under none, with whom it tried to be as its subject: the
// account a login, a reset or a password link named ("user:<id>@<organisation>", or
// "unknown-user:<fingerprint of the address>"), a refused token ("token:<id>@<organisation>",
// or "unknown-token:<fingerprint>"); see app.Attempt.
//
// The answer is held until its entry is written: a request whose entry cannot be written
// is answered 503 and its data never leaves, so that nothing is read unrecorded. (A
// change it made stays made; the client, told the service is unavailable, retries with
// the same idempotency key and gets the same outcome.)
func auditTrail(st *store.Store, log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, attempt := app.WithAttempt(c.Request.Context())
		c.Request = c.Request.WithContext(ctx)
		tried := func() string {
			if attempt.Subject() != "" {
				return attempt.Subject()
			}
			return triedCredential(c)
		}
		held := &heldResponse{ResponseWriter: c.Writer, status: http.StatusOK}
		c.Writer = held
		defer func() {
			// A panic goes on to recoverPanics, outside, which must answer 500 on the
			// real writer; the entry says so.
			if v := recover(); v != nil {
				c.Writer = held.ResponseWriter
				_ = recordAudit(c, st, log, tried(), http.StatusInternalServerError)
				panic(v)
			}
		}()
		c.Next()
		c.Writer = held.ResponseWriter
		if err := recordAudit(c, st, log, tried(), held.status); err != nil {
			refuseUnaudited(c)
			return
		}
		held.release()
	}
}

// The gin context keys under which a handler that is about no path parameter names what
// its entry is about (the codec server: the namespace and workflow of the payloads).
const (
	auditSubjectKey = "approdo.audit.subject"
	auditCaseKey    = "approdo.audit.case"
)

// recordAudit writes the entry of the request c, answered status.
func recordAudit(c *gin.Context, st *store.Store, log *slog.Logger, tried string, status int) error {
	org, actor := "", "anonymous"
	if o, ok := c.Get(actorKey); ok {
		org = o.(casework.Org).String()
	}
	if id := c.GetString(tokenKey); id != "" {
		actor = "token:" + id
	}
	if u, ok := c.Get(userKey); ok {
		actor = "user:" + u.(store.User).ID
	}
	action := c.FullPath()
	if action == "" {
		action = c.Request.URL.Path
	}
	entry := store.AuditEntry{
		Actor:         actor,
		Action:        c.Request.Method + " " + action,
		CaseID:        auditedCase(c),
		RequestID:     requestID(c),
		Outcome:       strconv.Itoa(status),
		ClientAddress: c.ClientIP(),
		Subject:       auditedSubject(c),
	}
	if subject := c.GetString(auditSubjectKey); subject != "" {
		entry.Subject = subject
	}
	if entry.CaseID == "" {
		entry.CaseID = c.GetString(auditCaseKey)
	}
	if entry.Subject == "" && org == "" {
		entry.Subject = tried
	}
	// The caller may have gone; the entry is still written.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request.Context()), 5*time.Second)
	defer cancel()
	if err := st.RecordAudit(store.WithOrg(ctx, org), entry); err != nil {
		log.ErrorContext(ctx, "audit log entry not written: request refused", "action", entry.Action, "request_id", entry.RequestID, "error", err)
		return err
	}
	return nil
}

// refuseUnaudited answers 503 in place of an answer whose audit entry was not written.
func refuseUnaudited(c *gin.Context) {
	h := c.Writer.Header()
	for k := range h {
		if k != requestIDHeader {
			delete(h, k)
		}
	}
	p := newProblem(http.StatusServiceUnavailable, problemUnavailable, "Servizio momentaneamente non disponibile",
		"Il registro degli accessi non è disponibile: la richiesta non è stata servita. Riprovare tra qualche istante.")
	path := c.Request.URL.Path
	p.Instance = &path
	h.Set("Content-Type", problemContentType)
	h.Set("Cache-Control", "no-store")
	c.Writer.WriteHeader(p.Status)
	_ = json.NewEncoder(c.Writer).Encode(p)
}

// heldResponse keeps a handler's answer (status and body) in memory until the audit
// entry is written; headers go to the real writer's map, which is sent only on release.
type heldResponse struct {
	gin.ResponseWriter
	status  int
	written bool
	body    bytes.Buffer
}

func (w *heldResponse) WriteHeader(code int) {
	if code > 0 && !w.written {
		w.status = code
	}
}
func (w *heldResponse) WriteHeaderNow() { w.written = true }
func (w *heldResponse) Status() int     { return w.status }
func (w *heldResponse) Written() bool   { return w.written || w.body.Len() > 0 }
func (w *heldResponse) Size() int       { return w.body.Len() }
func (w *heldResponse) Flush()          {}
func (w *heldResponse) Write(b []byte) (int, error) {
	w.written = true
	return w.body.Write(b)
}
func (w *heldResponse) WriteString(s string) (int, error) {
	w.written = true
	return w.body.WriteString(s)
}

// release sends the held answer.
func (w *heldResponse) release() {
	w.ResponseWriter.WriteHeader(w.status)
	w.ResponseWriter.WriteHeaderNow()
	_, _ = w.ResponseWriter.Write(w.body.Bytes())
}

// auditedSubject is what a request was about when it was no case: the kind named by the
// path segment before its parameter and the parameter ("intervention:…",
// "reunification:…"), or "" (a case is in CaseID, a list has no subject).
func auditedSubject(c *gin.Context) string {
	if auditedCase(c) != "" {
		return ""
	}
	segments := strings.Split(c.FullPath(), "/")
	for i := len(segments) - 1; i > 0; i-- {
		name, ok := strings.CutPrefix(segments[i], ":")
		if !ok {
			continue
		}
		return strings.TrimSuffix(segments[i-1], "s") + ":" + c.Param(name)
	}
	return ""
}

// triedCredential is the fingerprint of a bearer token nobody has (the first hex
// digits of its SHA-256, which is how tokens are stored), so that the attempts with one
// token can be grouped; a known one is named by authenticate instead.
func triedCredential(c *gin.Context) string {
	if bearer, ok := strings.CutPrefix(c.Request.Header.Get("Authorization"), "Bearer "); ok && strings.TrimSpace(bearer) != "" {
		sum := sha256.Sum256([]byte(strings.TrimSpace(bearer)))
		return "unknown-token:" + hex.EncodeToString(sum[:8])
	}
	return ""
}

// auditedCase is the case a request was about: the {id} of its path, or the case a POST
// created (its Location).
func auditedCase(c *gin.Context) string {
	id := c.Param("id")
	if id == "" {
		id = strings.TrimPrefix(c.Writer.Header().Get("Location"), "/api/v1/enrolments/")
	}
	if uuid.Validate(id) != nil || len(id) != 36 {
		return ""
	}
	return id
}

// GetAuditLog is the audit log for UST: every read and write of case data, filtered by
// case, organisation and period.
func (s *Server) GetAuditLog(ctx context.Context, req GetAuditLogRequestObject) (GetAuditLogResponseObject, error) {
	actor, problem := actorFrom(ctx)
	if problem != nil {
		return problemReply(*problem), nil
	}
	if actor != casework.UST {
		return problemReply(newProblem(http.StatusForbidden, problemNotAllowed, "Azione non consentita",
			"Il registro degli accessi è consultabile dall'UST.")), nil
	}
	p := req.Params
	if p.Case != nil && (uuid.Validate(*p.Case) != nil || len(*p.Case) != 36) {
		return problemReply(fieldProblem("case", "deve essere l'UUID di un caso")), nil
	}
	if p.Limit != nil && (*p.Limit < 1 || *p.Limit > 1000) {
		return problemReply(fieldProblem("limit", "deve essere tra 1 e 1000")), nil
	}
	filter := store.AuditFilter{CaseID: value(p.Case), Organisation: value(p.Organisation), Limit: value(p.Limit)}
	if p.From != nil {
		filter.From = *p.From
	}
	if p.To != nil {
		filter.To = *p.To
	}
	entries, err := s.store.AuditLog(store.WithOrg(ctx, actor.String()), filter)
	if err != nil {
		return nil, err
	}
	items := make([]AuditEntry, len(entries))
	for i, e := range entries {
		items[i] = AuditEntry{
			At: e.At, Actor: e.Actor, Organisation: e.Organisation, Action: e.Action,
			CaseId: pointer(e.CaseID), RequestId: e.RequestID, Outcome: e.Outcome,
			ClientAddress: pointer(e.ClientAddress), Subject: pointer(e.Subject),
		}
	}
	return ok(AuditLog{Items: items}), nil
}

func (r reply) VisitGetAuditLogResponse(w http.ResponseWriter) error { return r.write(w) }
