package apifuzz_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite the seeds in testdata/fuzz/FuzzXxx from the operations' valid bodies")

// seed is one committed input of a fuzz target.
type seed struct {
	name string // the file name: operation and variant
	op   uint8
	body []byte
}

// The variants of a valid body. Each is the valid body with one kind of trouble, applied
// to every value it fits, so that the decoder, the generated binding and the app's
// validation each meet it.
var (
	isoDate = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	isoTime = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T`)
)

// rawMarker stands for raw bytes that JSON encoding would escape (invalid UTF-8, NUL),
// put back after encoding.
const rawMarker = "\u2063RAW\u2063"

func seedsOf(tg *target) []seed {
	var out []seed
	for i, o := range tg.ops {
		op := uint8(i)
		add := func(variant string, body []byte) {
			out = append(out, seed{name: o.id + "-" + variant, op: op, body: body})
		}
		valid := mustJSON(o.valid)
		add("valid", valid)
		add("empty", nil)
		add("null", []byte("null"))
		add("array", []byte(`[{"a":1}]`))
		add("string", []byte(`"testo"`))
		add("number", []byte(`1e999`))
		add("object-empty", []byte(`{}`))
		add("truncated", valid[:len(valid)/2])
		add("trailing-garbage", append(slices.Clone(valid), []byte(`{"x":1}`)...))
		add("nul-byte-raw", bytes.Replace(valid, []byte(`":`), []byte("\":\x00"), 1))
		if i == 0 { // the same body for every operation
			add("deep-nesting", []byte(strings.Repeat("[", 10001)+strings.Repeat("]", 10001)))
		}
		add("deep-nesting-in-field", deepInField(o.valid))
		add("wrong-types", mustJSON(mapLeaves(o.valid, wrongType)))
		add("wrong-types-top", mustJSON(wrongTop(o.valid)))
		add("huge-numbers", rawLeaves(o.valid, func(v any) (any, bool) {
			if _, ok := v.(float64); ok {
				return json.RawMessage(`1e400`), true
			}
			return v, false
		}))
		add("int-overflow", rawLeaves(o.valid, func(v any) (any, bool) {
			if _, ok := v.(float64); ok {
				return json.RawMessage(`-9223372036854775809`), true
			}
			return v, false
		}))
		add("fractions-and-negatives", rawLeaves(o.valid, func(v any) (any, bool) {
			if _, ok := v.(float64); ok {
				return json.RawMessage(`-0.5`), true
			}
			return v, false
		}))
		add("nul-in-strings", mustJSON(mapLeaves(o.valid, func(v any) any {
			if s, ok := v.(string); ok {
				return s + "\x00" + s
			}
			return v
		})))
		add("invalid-utf8", rawStrings(o.valid, "\xff\xfe\xc3"))
		add("empty-strings", mustJSON(mapLeaves(o.valid, func(v any) any {
			if _, ok := v.(string); ok {
				return ""
			}
			return v
		})))
		add("blank-strings", mustJSON(mapLeaves(o.valid, func(v any) any {
			if _, ok := v.(string); ok {
				return " \t\u00a0\u200b"
			}
			return v
		})))
		add("long-strings", mustJSON(mapLeaves(o.valid, func(v any) any {
			if _, ok := v.(string); ok {
				return strings.Repeat("à", 2001)
			}
			return v
		})))
		add("unknown-fields", appendKeys(valid, `"sconosciuto":{"a":[1,2,3]},"__proto__":{"admin":true}`))
		add("duplicate-keys", duplicateKeys(o.valid, valid))
		add("null-values", mustJSON(mapLeaves(o.valid, func(any) any { return nil })))
		for _, key := range keysOf(o.valid) {
			add("missing-"+key, mustJSON(without(o.valid, key)))
		}
		if hasLeaf(o.valid, isDate) {
			for j, d := range []string{"0000-01-01", "9999-12-31", "2026-02-30", "2026-13-01", "1900-01-01", "+10000-01-01", "2026-1-1", "30/11/2026"} {
				add(fmt.Sprintf("date-%d", j), mustJSON(mapLeaves(o.valid, replaceDates(d))))
			}
		}
		if hasLeaf(o.valid, isTime) {
			for j, d := range []string{"0001-01-01T00:00:00Z", "9999-12-31T23:59:59+14:00", "2026-11-30T25:61:00Z", "2026-11-30T10:00:00", "2026-11-30T10:00:00+99:00"} {
				add(fmt.Sprintf("time-%d", j), mustJSON(mapLeaves(o.valid, replaceTimes(d))))
			}
		}
		if strings.Contains(string(valid), `"codiceFiscale"`) {
			for j, cf := range codiciFiscali {
				add(fmt.Sprintf("codice-fiscale-%d", j), mustJSON(mapKeyed(o.valid, "codiceFiscale", cf)))
			}
		}
	}
	return out
}

// codiciFiscali are the codes the validation must refuse or take for what they are.
var codiciFiscali = []string{
	"rssmra85t10a562s",      // lower case
	"RSSMRA85T10A562T",      // wrong check character
	"RSSMRA85T10A56NS",      // omocodia: a digit written as its letter (check not recomputed)
	"RSSMRAURTMLARNMS",      // every digit as a letter
	"12345678903",           // temporary, numeric
	"12345678900",           // temporary, wrong check digit
	"RSSMRA85T10A562",       // one short
	"RSSMRA85T10A562SX",     // one long
	" RSSMRA85T10A562S ",    // spaces around
	"RSSMRA85T10A562\u0405", // Cyrillic S at the end
	"RSSMRA85T99A562S",      // day 99
	"RSSMRA85Z10A562S",      // month letter Z
	"0000000000000000",      // sixteen zeros
	"",                      // empty
}

func isDate(v any) bool { s, ok := v.(string); return ok && isoDate.MatchString(s) }
func isTime(v any) bool { s, ok := v.(string); return ok && isoTime.MatchString(s) }

func replaceDates(d string) func(any) any {
	return func(v any) any {
		if isDate(v) {
			return d
		}
		return v
	}
}

func replaceTimes(d string) func(any) any {
	return func(v any) any {
		if isTime(v) {
			return d
		}
		return v
	}
}

func mustJSON(v any) []byte {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return data
}

// normal turns a body into maps, slices and float64s, as JSON decodes it.
func normal(v any) any {
	var out any
	if err := json.Unmarshal(mustJSON(v), &out); err != nil {
		panic(err)
	}
	return out
}

// mapLeaves replaces every value that is not an object or a list.
func mapLeaves(v any, f func(any) any) any {
	var walk func(any) any
	walk = func(v any) any {
		switch t := v.(type) {
		case map[string]any:
			m := map[string]any{}
			for k, x := range t {
				m[k] = walk(x)
			}
			return m
		case []any:
			l := make([]any, len(t))
			for i, x := range t {
				l[i] = walk(x)
			}
			return l
		default:
			return f(t)
		}
	}
	return walk(normal(v))
}

// mapKeyed replaces the value of every member named key.
func mapKeyed(v any, key string, value any) any {
	var walk func(any) any
	walk = func(v any) any {
		switch t := v.(type) {
		case map[string]any:
			m := map[string]any{}
			for k, x := range t {
				if k == key {
					m[k] = value
				} else {
					m[k] = walk(x)
				}
			}
			return m
		case []any:
			l := make([]any, len(t))
			for i, x := range t {
				l[i] = walk(x)
			}
			return l
		default:
			return t
		}
	}
	return walk(normal(v))
}

func hasLeaf(v any, pred func(any) bool) bool {
	found := false
	mapLeaves(v, func(x any) any {
		found = found || pred(x)
		return x
	})
	return found
}

// rawLeaves is mapLeaves with values that may be raw JSON; it keeps only bodies it
// changed, and the valid body otherwise (a duplicate seed, harmless).
func rawLeaves(v any, f func(any) (any, bool)) []byte {
	return mustJSON(mapLeaves(v, func(x any) any {
		y, _ := f(x)
		return y
	}))
}

// rawStrings puts raw bytes (which JSON encoding would replace) into every string.
func rawStrings(v any, raw string) []byte {
	data := mustJSON(mapLeaves(v, func(x any) any {
		if s, ok := x.(string); ok {
			return rawMarker + s
		}
		return x
	}))
	return bytes.ReplaceAll(data, []byte(rawMarker), []byte(raw))
}

func wrongType(v any) any {
	switch v.(type) {
	case string:
		return 12345
	case float64:
		return "12"
	case bool:
		return "true"
	case nil:
		return []any{}
	}
	return v
}

// wrongTop gives every member of the body a value of another kind: objects become lists,
// lists objects, and leaves as wrongType.
func wrongTop(v any) any {
	m, ok := normal(v).(map[string]any)
	if !ok {
		return v
	}
	for k, x := range m {
		switch x.(type) {
		case map[string]any:
			m[k] = []any{"x"}
		case []any:
			m[k] = map[string]any{"a": 1}
		default:
			m[k] = wrongType(x)
		}
	}
	return m
}

// deepInField nests the first member's value in 10,001 lists, past the decoder's limit.
func deepInField(v any) []byte {
	keys := keysOf(v)
	if len(keys) == 0 {
		return []byte(`{"x":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`)
	}
	m := normal(v).(map[string]any)
	// Beyond json.Marshal's depth too, so the nesting goes in after encoding.
	m[keys[0]] = rawMarker
	return bytes.Replace(mustJSON(m), []byte(`"`+rawMarker+`"`), []byte(strings.Repeat("[", 10001)+"1"+strings.Repeat("]", 10001)), 1)
}

func keysOf(v any) []string {
	m, ok := normal(v).(map[string]any)
	if !ok {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func without(v any, key string) any {
	m := normal(v).(map[string]any)
	delete(m, key)
	return m
}

// appendKeys adds members at the end of a JSON object.
func appendKeys(obj []byte, members string) []byte {
	trimmed := bytes.TrimSuffix(bytes.TrimSpace(obj), []byte("}"))
	if bytes.HasSuffix(trimmed, []byte("{")) {
		return append(trimmed, []byte(members+"}")...)
	}
	return append(trimmed, []byte(","+members+"}")...)
}

// duplicateKeys repeats every member after the valid ones with a value of another kind:
// encoding/json keeps the last, a validator reading the first would see another body.
func duplicateKeys(v any, valid []byte) []byte {
	var members []string
	m, _ := normal(v).(map[string]any)
	for _, k := range keysOf(v) {
		members = append(members, string(mustJSON(k))+":"+string(mustJSON(wrongType(m[k]))))
	}
	if len(members) == 0 {
		return valid
	}
	return appendKeys(valid, strings.Join(members, ","))
}

// corpusFile is a seed in the format of `go test fuzz v1`.
func corpusFile(s seed) []byte {
	return []byte(fmt.Sprintf("go test fuzz v1\nbyte(%q)\n[]byte(%q)\n", s.op, s.body))
}

// TestCorpusHoldsTheSeeds checks that testdata/fuzz holds a seed for every variant of every
// operation's valid body, as written; -update-corpus writes them. The fuzz targets read
// them from there, with whatever the fuzzer added.
func TestCorpusHoldsTheSeeds(t *testing.T) {
	for name, tg := range targets {
		dir := filepath.Join("testdata", "fuzz", name)
		if *updateCorpus {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		for _, s := range seedsOf(tg) {
			path := filepath.Join(dir, s.name)
			want := corpusFile(s)
			if *updateCorpus {
				if err := os.WriteFile(path, want, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Errorf("%s: %v (run go test -run TestCorpusHoldsTheSeeds ./internal/apifuzz -args -update-corpus)", path, err)
				continue
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from its seed (run go test -run TestCorpusHoldsTheSeeds ./internal/apifuzz -args -update-corpus)", path)
			}
		}
	}
}
