package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
)

// refuseNUL answers 400 to a JSON body with a NUL character (\u0000) in a string. JSON
// allows it and Go decodes it, but PostgreSQL can store it neither in text nor in jsonb:
// a note with one was accepted, then its workflow's save failed at every retry (found by
// fuzzing, internal/apifuzz). The field is named; the body is read once and put back.
func refuseNUL() gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.Body == nil || c.Request.Body == http.NoBody || c.Request.URL.Path == uploadPath {
			c.Next()
			return
		}
		data, err := io.ReadAll(c.Request.Body)
		if err != nil {
			// Too large, or the connection failed: the decoder meets the same error.
			c.Request.Body = io.NopCloser(io.MultiReader(bytes.NewReader(data), errReader{err}))
			c.Next()
			return
		}
		c.Request.Body = io.NopCloser(bytes.NewReader(data))
		if bytes.Contains(data, []byte(`\u0000`)) {
			if field, found := nulField(data); found {
				writeProblem(c, fieldProblem(field, "contiene il carattere NUL (\\u0000), che non è ammesso"))
				return
			}
		}
		c.Next()
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// nulField walks a JSON document and returns the path of the first string (member name
// or value) holding a NUL. An invalid document reports nothing: the decoder explains it.
func nulField(data []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	type level struct {
		object bool
		key    string
		index  int
		// expectKey: in an object, the next string is a member name.
		expectKey bool
	}
	var stack []level
	path := func() string {
		var parts []string
		for _, l := range stack {
			if l.object {
				parts = append(parts, l.key)
			} else {
				parts = append(parts, strconv.Itoa(l.index))
			}
		}
		if len(parts) == 0 {
			return "body"
		}
		return strings.Join(parts, ".")
	}
	// valueDone moves the enclosing level past a value.
	valueDone := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].object {
				stack[n-1].expectKey = true
			} else {
				stack[n-1].index++
			}
		}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, level{object: true, expectKey: true})
			case '[':
				stack = append(stack, level{})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
		case string:
			if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].expectKey {
				stack[n-1].key, stack[n-1].expectKey = t, false
				if strings.ContainsRune(t, 0) {
					return path(), true
				}
				continue
			}
			if strings.ContainsRune(t, 0) {
				return path(), true
			}
			valueDone()
		default:
			valueDone()
		}
	}
}
