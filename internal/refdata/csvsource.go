package refdata

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/approdo/approdo/internal/progress"
)

// progressThreshold is the size from which reading a source file shows its progress:
// ISTAT's list and the tables are read in a blink, the Ministry's registry is not.
const progressThreshold = 1 << 20

// csvSource is a CSV file from a public source being read. The sources differ in
// encoding (ISTAT's list is Windows-1252, IndicePA's and the Ministry's are UTF-8), in
// separator (";" or ","), and in the exact spelling of their headers from one year to
// the next, so a column is found by its normalised name.
type csvSource struct {
	path    string
	name    string // the base name, for messages
	r       *csv.Reader
	header  []string // normalised
	read    *countingReader
	size    int
	line    *progress.Line // nil for a small file
	rows    int
	errs    *Errors
	comment bool
}

// openCSV reads the file at path and its header. comments allows lines starting with
// "#", which Approdo's own tables use to say where their facts come from; the public
// sources have none.
func openCSV(path string, comments bool, out io.Writer, errs *Errors) (*csvSource, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	s := &csvSource{path: path, name: filepath.Base(path), size: len(data), errs: errs, comment: comments}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	s.read = &countingReader{r: bytes.NewReader(data)}
	var text io.Reader = s.read
	if !utf8.Valid(data) {
		// Not UTF-8: ISTAT publishes its list in Windows-1252 (Latin-1 with a few more
		// characters), and Excel saves in it too.
		text = charmap.Windows1252.NewDecoder().Reader(s.read)
	}
	s.r = csv.NewReader(text)
	s.r.Comma = separator(data, comments)
	s.r.FieldsPerRecord = -1 // a short row is reported with its line, not a stop
	s.r.LazyQuotes = true    // a stray quote in a school's name is not worth refusing a file
	s.r.ReuseRecord = true
	if comments {
		s.r.Comment = '#'
	}
	header, err := s.r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: no header line: %w", s.name, err)
	}
	for _, h := range header {
		s.header = append(s.header, normaliseHeader(h))
	}
	if out != nil && s.size >= progressThreshold {
		s.line = progress.NewLine(out, "reading "+s.name, "KB")
	}
	return s, nil
}

// separator guesses the separator from the header line: the one that appears most.
func separator(data []byte, comments bool) rune {
	first, rest, _ := bytes.Cut(data, []byte("\n"))
	for comments && bytes.HasPrefix(first, []byte("#")) {
		first, rest, _ = bytes.Cut(rest, []byte("\n"))
	}
	best, count := ',', 0
	for _, sep := range []rune{';', ',', '\t'} {
		if n := bytes.Count(first, []byte(string(sep))); n > count {
			best, count = sep, n
		}
	}
	return best
}

var footnote = regexp.MustCompile(`\(\d+\)`)

// normaliseHeader makes "Codice Provincia (Storico)(1)" and "codice provincia
// (storico)" the same, and joins a header split over lines ("Codice dell'Unità
// territoriale sovracomunale \n(valida a fini statistici)").
func normaliseHeader(h string) string {
	h = footnote.ReplaceAllString(h, "")
	return strings.ToLower(strings.Join(strings.Fields(h), " "))
}

// column returns the index of the first column named like one of names, or -1.
func (s *csvSource) column(names ...string) int {
	for _, n := range names {
		for i, h := range s.header {
			if h == n {
				return i
			}
		}
	}
	return -1
}

// require is column, reporting a missing column on the header line.
func (s *csvSource) require(names ...string) int {
	i := s.column(names...)
	if i < 0 {
		s.fail(1, names[0], "column missing (is this the right file?)")
	}
	return i
}

// fail records a problem at line of this file.
func (s *csvSource) fail(line int, field, reason string) {
	*s.errs = append(*s.errs, LineError{File: s.name, Line: line, Field: field, Reason: reason})
}

// row is one record of a source, with the line it starts on.
type row struct {
	line   int
	fields []string
}

// get returns the trimmed field at column i, or "" for a missing column or field.
func (r row) get(i int) string {
	if i < 0 || i >= len(r.fields) {
		return ""
	}
	return strings.TrimSpace(r.fields[i])
}

// each calls fn with every record after the header. A malformed record is reported with
// its line; a file that cannot be read on stops there with an error.
func (s *csvSource) each(fn func(row)) error {
	defer func() {
		if s.line != nil {
			s.line.Update(s.size/1024, s.size/1024, "")
			s.line.Done()
		}
	}()
	for {
		rec, err := s.r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		var parseErr *csv.ParseError
		if errors.As(err, &parseErr) {
			// The reader cannot tell where the next record starts: stop here.
			s.fail(parseErr.StartLine, "(line)", parseErr.Err.Error())
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", s.name, err)
		}
		line, _ := s.r.FieldPos(0)
		if len(rec) < len(s.header) {
			s.fail(line, "(line)", fmt.Sprintf("has %d fields, the header has %d", len(rec), len(s.header)))
			continue
		}
		s.rows++
		fn(row{line: line, fields: rec})
		if s.line != nil && s.rows%500 == 0 {
			s.line.Update(s.read.n/1024, s.size/1024, "")
		}
	}
}

// countingReader counts the bytes read from the file, for the progress line.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// padCode restores the leading zeros a spreadsheet strips from a numeric code ("15002"
// for "015002"); anything that is not all digits is returned as it is.
func padCode(code string, width int) string {
	if code == "" || strings.Trim(code, "0123456789") != "" || len(code) >= width {
		return code
	}
	return strings.Repeat("0", width-len(code)) + code
}
