package api

import (
	"log/slog"
	"mime"
	"net/http"
	"regexp"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/approdo/approdo/internal/reunification/intake"
)

const requestIDHeader = "X-Request-ID"

// maxBodyBytes bounds a request body. An enrolment form is a few kilobytes; anything near
// this limit is a mistake or an attack.
const maxBodyBytes = 1 << 20

// acceptedRequestID limits a caller's request ID to a safe shape, so that it can go into
// logs as it is.
var acceptedRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// withRequestID gives every request an ID, the caller's if it sent a usable one, and
// returns it in the response so that a comune's operator can quote it to support.
func withRequestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader(requestIDHeader)
		if !acceptedRequestID.MatchString(id) {
			id = uuid.NewString()
		}
		c.Set(requestIDHeader, id)
		c.Header(requestIDHeader, id)
		c.Next()
	}
}

func requestID(c *gin.Context) string {
	return c.GetString(requestIDHeader)
}

// accessLog logs one line per request. It logs the route pattern, not the raw query, and
// never a body: bodies carry personal data.
func accessLog(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "(no route)"
		}
		log.InfoContext(c.Request.Context(), "http request",
			"method", c.Request.Method,
			"route", route,
			"status", c.Writer.Status(),
			"duration_ms", time.Since(start).Milliseconds(),
			"request_id", requestID(c),
		)
	}
}

// recoverPanics turns a panic into a 500 problem and a log line with the stack, so that a
// bug in one handler never takes the process down or leaks a stack trace to the caller.
func recoverPanics(log *slog.Logger) gin.HandlerFunc {
	return gin.CustomRecoveryWithWriter(nil, func(c *gin.Context, recovered any) {
		log.ErrorContext(c.Request.Context(), "panic in handler", "route", c.FullPath(), "request_id", requestID(c), "panic", recovered)
		writeProblem(c, internalProblem())
	})
}

// uploadPath is the one endpoint that takes a file (multipart/form-data) rather than JSON:
// the bulk file of families, up to the size the reader accepts plus the form's framing.
const (
	uploadPath     = "/api/v1/reunifications/imports"
	maxUploadBytes = intake.MaxBytes + 64<<10
)

// limitBody caps the size of request bodies. A body that declares a larger size is
// answered 413 at once, before a byte of it is read: whatever it holds, and whether or
// not its start would decode, it is too large. A body without a declared size (chunked)
// is cut at the limit, which the decoder reports as too large (decodeProblem).
func limitBody() gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.Body != nil && c.Request.Body != http.NoBody {
			limit := int64(maxBodyBytes)
			if c.Request.URL.Path == uploadPath {
				limit = maxUploadBytes
			}
			if c.Request.ContentLength > limit {
				// The rest of the body is not worth reading to keep the connection.
				c.Header("Connection", "close")
				writeProblem(c, tooLargeProblem())
				return
			}
			c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
		}
		c.Next()
	}
}

// noStore forbids caches to keep any answer of the API: cases, journeys and accounts
// carry personal data of minors.
func noStore() gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Header("Cache-Control", "no-store")
		c.Next()
	}
}

// requireJSON answers 415 to a request with a body that does not say it is JSON, instead
// of guessing.
func requireJSON() gin.HandlerFunc {
	return func(c *gin.Context) {
		switch c.Request.Method {
		case http.MethodPost, http.MethodPut, http.MethodPatch:
			mediaType, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
			if err == nil && mediaType == "multipart/form-data" && c.Request.URL.Path == uploadPath {
				c.Next()
				return
			}
			if err != nil || mediaType != "application/json" {
				writeProblem(c, newProblem(http.StatusUnsupportedMediaType, problemBlank, "Formato non supportato",
					"Il corpo della richiesta deve essere JSON (Content-Type: application/json)."))
				return
			}
		}
		c.Next()
	}
}

func notFound(c *gin.Context) {
	writeProblem(c, newProblem(http.StatusNotFound, problemBlank, "Risorsa non trovata", ""))
}

func methodNotAllowed(c *gin.Context) {
	writeProblem(c, newProblem(http.StatusMethodNotAllowed, problemBlank, "Metodo non consentito", ""))
}

// tooLargeProblem answers a body over the limit, declared (limitBody) or met while
// decoding (decodeProblem).
func tooLargeProblem() Problem {
	return newProblem(http.StatusRequestEntityTooLarge, problemBlank, "Richiesta troppo grande",
		"Il corpo della richiesta supera la dimensione massima consentita.")
}
