package intake

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// peekSize is how much of a CSV is looked at to find its separator: more than a header
// takes.
const peekSize = 8 << 10

var bom = []byte("\xef\xbb\xbf")

// csvSource gives the records of a CSV file.
type csvSource struct {
	counter *countingReader
	csv     *csv.Reader
}

// countingReader counts the bytes read, to stop a file larger than MaxBytes.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingReader) tooLarge() bool { return c.n > MaxBytes }

func newCSVSource(r io.Reader) (*csvSource, error) {
	// One byte past the limit tells a file of exactly MaxBytes from a larger one.
	counter := &countingReader{r: io.LimitReader(r, MaxBytes+1)}
	br := bufio.NewReaderSize(counter, peekSize)
	head, err := br.Peek(peekSize)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, &FileError{Reason: "lettura del file non riuscita", err: err}
	}
	// Excel's "CSV UTF-8" starts with a byte order mark: it is not part of the first
	// column's name.
	if bytes.HasPrefix(head, bom) {
		if _, err := br.Discard(len(bom)); err != nil {
			return nil, &FileError{Reason: "lettura del file non riuscita", err: err}
		}
		head = head[len(bom):]
	}
	cr := csv.NewReader(br)
	cr.Comma = separator(head)
	// Rows may be shorter than the header (a spreadsheet drops empty cells at the end) or
	// longer (with empty cells): parse checks what they hold.
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	return &csvSource{counter: counter, csv: cr}, nil
}

// separator returns the separator of the header line, the first line that is not empty:
// ";" if it has more semicolons than commas outside quotes, as an Italian Excel writes
// it, otherwise ",".
func separator(head []byte) rune {
	head = bytes.TrimLeft(head, "\r\n")
	commas, semicolons, quoted := 0, 0, false
	for _, b := range head {
		switch {
		case b == '"':
			quoted = !quoted
		case quoted:
		case b == '\n':
			if semicolons > commas {
				return ';'
			}
			return ','
		case b == ',':
			commas++
		case b == ';':
			semicolons++
		}
	}
	if semicolons > commas {
		return ';'
	}
	return ','
}

func (s *csvSource) next() (int, []string, error) {
	record, err := s.csv.Read()
	// A parse error on a truncated file is the truncation's.
	if s.counter.tooLarge() {
		return 0, nil, tooLarge()
	}
	if err == io.EOF {
		return 0, nil, io.EOF
	}
	if err != nil {
		// The line where the record starts: where an unclosed quote opens.
		if pe, ok := errors.AsType[*csv.ParseError](err); ok {
			return 0, nil, &FileError{Line: pe.StartLine, Reason: csvReason(pe.Err), err: err}
		}
		return 0, nil, &FileError{Reason: "lettura del file non riuscita", err: err}
	}
	line, _ := s.csv.FieldPos(0)
	for _, field := range record {
		if !utf8.ValidString(field) {
			return 0, nil, &FileError{Line: line, Reason: "il testo non è in UTF-8: salvare il file come «CSV UTF-8»"}
		}
	}
	return line, record, nil
}

func tooLarge() error {
	return &FileError{Reason: fmt.Sprintf("il file supera il limite di %d MiB: dividerlo in più file", MaxBytes>>20)}
}

func csvReason(err error) string {
	switch err {
	case csv.ErrBareQuote:
		return "CSV non valido: virgolette in un campo che non è tra virgolette"
	case csv.ErrQuote:
		return "CSV non valido: virgolette non chiuse, o seguite da altro testo nel campo"
	}
	return "CSV non valido"
}
