package api

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/store"
)

// auditTrail writes one audit log entry for every request to the API, reads included:
// who, for which organisation, what, on which case, the request ID and the outcome. A
// request without a valid organisation is recorded too, under none.
func auditTrail(st *store.Store, log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Next()
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
			Actor:     actor,
			Action:    c.Request.Method + " " + action,
			CaseID:    auditedCase(c),
			RequestID: requestID(c),
			Outcome:   strconv.Itoa(c.Writer.Status()),
		}
		// The caller may have gone; the entry is still written.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request.Context()), 5*time.Second)
		defer cancel()
		if err := st.RecordAudit(store.WithOrg(ctx, org), entry); err != nil {
			log.ErrorContext(ctx, "audit log entry not written", "action", entry.Action, "request_id", entry.RequestID, "error", err)
		}
	}
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
		}
	}
	return ok(AuditLog{Items: items}), nil
}

func (r reply) VisitGetAuditLogResponse(w http.ResponseWriter) error { return r.write(w) }
