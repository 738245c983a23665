package api

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"unicode"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/api/web"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/enrolment"
)

// CodecPath is where the API serves the codec server of the Temporal Web UI: POST
// /codec/decode and /codec/encode, Temporal's Codec Server protocol. The UI's codec
// endpoint is the API's address followed by this path.
const CodecPath = "/codec"

// The headers of the protocol: the UI names the namespace of the payloads; a caller may
// name the workflow they come from, for the audit log (the UI does not: a browser sends
// another origin only the Referer's origin).
const (
	namespaceHeader = "X-Namespace"
	workflowHeader  = "X-Workflow-Id"
)

// codecServer lets UST supervisors read, in the Temporal Web UI, the payloads Approdo's
// processes sealed (payloadcrypt). The UI calls it from the supervisor's browser with the
// portal's session cookie ("include cross-origin credentials"); everyone else gets 401
// or 403 and the UI shows the bytes as they are. Every call is in the audit log.
type codecServer struct {
	auth *app.Auth
	// protocol is the SDK's handler of the Codec Server protocol, around the payload codec.
	protocol http.Handler
	// uiOrigin is the Web UI's origin (scheme://host:port), the only one granted CORS;
	// empty when TEMPORAL_UI_URL is not set, and then no page of another origin may call.
	uiOrigin  string
	namespace string
	log       *slog.Logger
}

// mountCodec registers the codec server's routes. Preflights are answered before the
// audit trail: they carry no credentials and no data.
func mountCodec(router *gin.Engine, srv *Server, deps Dependencies, audit gin.HandlerFunc) {
	cs := &codecServer{
		auth:      srv.auth,
		protocol:  converter.NewPayloadCodecHTTPHandler(deps.PayloadCodec),
		uiOrigin:  originOf(deps.TemporalUIURL),
		namespace: deps.TemporalNamespace,
		log:       srv.log,
	}
	if cs.namespace == "" {
		cs.namespace = "default"
	}
	group := router.Group(CodecPath, noStore(), cs.grantCORS())
	for _, op := range []string{"/decode", "/encode"} {
		group.OPTIONS(op, cs.preflight)
		group.POST(op, audit, cs.admit(), cs.serve)
	}
}

// originOf is the origin of a URL, as a browser writes it in the Origin header; "" for
// anything that is not an absolute http(s) URL.
func originOf(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}

// grantCORS lets the Web UI's pages read the answers, with credentials: exactly the UI's
// origin, never "*" (which browsers refuse with credentials anyway).
func (cs *codecServer) grantCORS() gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Writer.Header().Add("Vary", "Origin")
		if cs.fromUI(c) {
			c.Header("Access-Control-Allow-Origin", cs.uiOrigin)
			c.Header("Access-Control-Allow-Credentials", "true")
		}
		c.Next()
	}
}

func (cs *codecServer) fromUI(c *gin.Context) bool {
	return cs.uiOrigin != "" && strings.EqualFold(c.GetHeader("Origin"), cs.uiOrigin)
}

// preflight answers the browser's question before the UI's POST (its JSON body and
// X-Namespace header make one necessary). Another origin gets no grant.
func (cs *codecServer) preflight(c *gin.Context) {
	if !cs.fromUI(c) || c.GetHeader("Access-Control-Request-Method") != http.MethodPost {
		writeProblem(c, newProblem(http.StatusForbidden, problemNotAllowed, "Origine non consentita",
			"Il decodificatore dei payload risponde solo alla Temporal Web UI configurata (TEMPORAL_UI_URL)."))
		return
	}
	h := c.Writer.Header()
	h.Set("Access-Control-Allow-Methods", http.MethodPost)
	h.Set("Access-Control-Allow-Headers", "Content-Type, "+namespaceHeader+", "+workflowHeader)
	h.Set("Access-Control-Max-Age", "600")
	c.Status(http.StatusNoContent)
}

// admit lets through a POST of a UST person logged in to the portal, from the UI or from
// no page at all, for the configured namespace. It leaves the person for the audit log,
// which records refusals as well.
func (cs *codecServer) admit() gin.HandlerFunc {
	return func(c *gin.Context) {
		namespace := printable(c.GetHeader(namespaceHeader))
		c.Set(auditSubjectKey, "namespace:"+namespace)
		workflow, workflowOK := cs.workflowOf(c)
		if workflow != "" {
			c.Set(auditSubjectKey, "workflow:"+namespace+"/"+workflow)
			if id, found := strings.CutPrefix(workflow, enrolment.WorkflowID("")); found && uuid.Validate(id) == nil && len(id) == 36 {
				c.Set(auditCaseKey, id)
			}
		}
		// A page of another origin could post here with the person's cookie (a form, or
		// a fetch that cannot read the answer); only the UI's pages and the portal's own
		// may.
		if origin := c.GetHeader("Origin"); origin != "" && !cs.fromUI(c) && !sameHost(origin, c.Request.Host) {
			writeProblem(c, newProblem(http.StatusForbidden, problemNotAllowed, "Origine non consentita",
				"Il decodificatore dei payload risponde solo alla Temporal Web UI configurata (TEMPORAL_UI_URL)."))
			return
		}
		secret, err := c.Cookie(web.SessionCookie)
		if err != nil || secret == "" {
			writeProblem(c, codecUnauthenticated())
			return
		}
		sess, err := cs.auth.Session(c.Request.Context(), secret)
		switch {
		case errors.Is(err, app.ErrSessionRejected):
			writeProblem(c, codecUnauthenticated())
			return
		case err != nil:
			cs.log.ErrorContext(c.Request.Context(), "session lookup failed", "request_id", requestID(c), "error", err)
			writeProblem(c, unavailableProblem())
			return
		}
		c.Set(actorKey, sess.User.Organisation)
		c.Set(userKey, sess.User)
		if sess.User.Organisation != casework.UST || sess.User.MustChangePassword {
			writeProblem(c, newProblem(http.StatusForbidden, problemNotAllowed, "Azione non consentita",
				"I dati dei casi nella Temporal Web UI sono leggibili solo dall'UST."))
			return
		}
		if !workflowOK {
			writeProblem(c, fieldProblem(workflowHeader, "deve essere l'ID di un workflow (al più 255 caratteri stampabili)"))
			return
		}
		switch ns := c.GetHeader(namespaceHeader); {
		case ns == "":
			writeProblem(c, fieldProblem(namespaceHeader, "manca: è il namespace dei payload"))
			return
		case ns != cs.namespace:
			writeProblem(c, fieldProblem(namespaceHeader, "deve essere il namespace di Approdo, "+cs.namespace))
			return
		}
		mediaType := strings.TrimSpace(strings.Split(c.GetHeader("Content-Type"), ";")[0])
		if !strings.EqualFold(mediaType, "application/json") {
			writeProblem(c, newProblem(http.StatusUnsupportedMediaType, problemBlank, "Formato non supportato",
				"Il corpo della richiesta deve essere JSON (Content-Type: application/json)."))
			return
		}
		c.Next()
	}
}

func codecUnauthenticated() Problem {
	return newProblem(http.StatusUnauthorized, problemUnauthenticated, "Autenticazione richiesta",
		"Accedere al portale di Approdo come UST: la Temporal Web UI legge i payload con la sessione del portale.")
}

// sameHost tells an Origin of the API's own host (the portal's pages, or a tool on it).
func sameHost(origin, host string) bool {
	u, err := url.Parse(origin)
	return err == nil && strings.EqualFold(u.Host, host)
}

// workflowOf is the workflow the request says its payloads come from: the X-Workflow-Id
// header, or the UI's page in the Referer when the browser sends all of it (a UI served
// on the API's origin). ok is false for a header that is no workflow ID.
func (cs *codecServer) workflowOf(c *gin.Context) (workflow string, ok bool) {
	if id := c.GetHeader(workflowHeader); id != "" {
		if printable(id) != id {
			return "", false
		}
		return id, true
	}
	ref, err := url.Parse(c.GetHeader("Referer"))
	if err != nil || cs.uiOrigin == "" || originOf(ref.String()) != cs.uiOrigin {
		return "", true
	}
	// /namespaces/{namespace}/workflows/{workflow id}/{run id}/history
	parts := strings.Split(strings.TrimPrefix(ref.EscapedPath(), "/"), "/")
	if len(parts) < 4 || parts[0] != "namespaces" || parts[2] != "workflows" {
		return "", true
	}
	id, err := url.PathUnescape(parts[3])
	if err != nil || printable(id) != id {
		return "", true
	}
	return id, true
}

// printable is s if it may go into the audit log as it is (up to 255 printable
// characters, as Temporal's IDs are here), "?" otherwise: the headers are the caller's.
func printable(s string) string {
	if len(s) > 255 || strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return "?"
	}
	return s
}

// serve hands the payloads to the SDK's protocol handler. A body that is no list of
// payloads, or a sealed payload that does not open, is a 400 problem naming payloads;
// the SDK's own answer would be plain text with the parser's message.
func (cs *codecServer) serve(c *gin.Context) {
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeProblem(c, tooLargeProblem())
			return
		}
		writeProblem(c, fieldProblem("payloads", "il corpo della richiesta non si legge"))
		return
	}
	var payloads commonpb.Payloads
	if err := protojson.Unmarshal(body, &payloads); err != nil {
		writeProblem(c, fieldProblem("payloads", `il corpo deve essere {"payloads": [...]}, payload di Temporal in JSON (proto3)`))
		return
	}
	c.Request.Body = io.NopCloser(bytes.NewReader(body))
	answer := &capturedAnswer{header: http.Header{}, status: http.StatusOK}
	cs.protocol.ServeHTTP(answer, c.Request)
	if answer.status != http.StatusOK {
		// The reason stays in the log: it names keys, never data.
		cs.log.WarnContext(c.Request.Context(), "codec refused the payloads", "request_id", requestID(c),
			"status", answer.status, "reason", strings.TrimSpace(answer.body.String()))
		writeProblem(c, fieldProblem("payloads", "un payload sigillato non si apre: alterato, o sigillato con una chiave che questo servizio non ha"))
		return
	}
	c.Data(http.StatusOK, "application/json", answer.body.Bytes())
}

// capturedAnswer keeps the SDK handler's answer, to be sent or replaced by a problem.
type capturedAnswer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (a *capturedAnswer) Header() http.Header         { return a.header }
func (a *capturedAnswer) WriteHeader(status int)      { a.status = status }
func (a *capturedAnswer) Write(b []byte) (int, error) { return a.body.Write(b) }
