package intake

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/approdo/approdo/internal/reunification"
)

// column is a column the reader knows.
type column int

const (
	colReference column = iota
	colSponsorGivenName
	colSponsorFamilyName
	colSponsorPhone
	colSponsorEmail
	colComune
	colAddress
	colMunicipio
	colNullaOstaNumber
	colNullaOstaIssuedOn
	colExpectedArrival
	colLanguage
	colNotes
	colMemberGivenName
	colMemberFamilyName
	colMemberBirthDate
	colMemberSex
	colMemberRelation
	colMemberCitizenship
	numColumns

	// noColumn is the row as a whole, or a cell under no known column.
	noColumn column = -1
)

// columnSpec describes a column of the file.
type columnSpec struct {
	// name is the column's name in the header, in lower case.
	name string
	// field is the JSON path of the column's field in a reunification.Family; for a member
	// column, the path inside the member.
	field    string
	required bool
	// member columns change from row to row of a family; the others are the family's and
	// repeat on every row.
	member bool
	date   bool
}

var columns = [numColumns]columnSpec{
	colReference:         {name: "riferimento", field: "reference", required: true},
	colSponsorGivenName:  {name: "sponsor_nome", field: "sponsor.givenName", required: true},
	colSponsorFamilyName: {name: "sponsor_cognome", field: "sponsor.familyName", required: true},
	colSponsorPhone:      {name: "sponsor_telefono", field: "sponsor.phone"},
	colSponsorEmail:      {name: "sponsor_email", field: "sponsor.email"},
	colComune:            {name: "comune_istat", field: "sponsor.comune", required: true},
	colAddress:           {name: "indirizzo", field: "sponsor.address"},
	colMunicipio:         {name: "municipio", field: "sponsor.municipio"},
	colNullaOstaNumber:   {name: "nulla_osta_numero", field: "nullaOsta.number", required: true},
	colNullaOstaIssuedOn: {name: "nulla_osta_data", field: "nullaOsta.issuedOn", required: true, date: true},
	colExpectedArrival:   {name: "arrivo_previsto", field: "expectedArrival", date: true},
	colLanguage:          {name: "lingua", field: "language"},
	colNotes:             {name: "note", field: "notes"},
	colMemberGivenName:   {name: "familiare_nome", field: "givenName", required: true, member: true},
	colMemberFamilyName:  {name: "familiare_cognome", field: "familyName", required: true, member: true},
	colMemberBirthDate:   {name: "familiare_data_nascita", field: "birthDate", required: true, member: true, date: true},
	colMemberSex:         {name: "familiare_sesso", field: "sex", member: true},
	colMemberRelation:    {name: "familiare_relazione", field: "relation", required: true, member: true},
	colMemberCitizenship: {name: "familiare_cittadinanza", field: "citizenship", member: true},
}

// fieldColumn returns the column of a JSON path of reunification.Family.Validate and,
// for a member's field, the member's index (-1 otherwise).
func fieldColumn(field string) (col column, member int, ok bool) {
	member = -1
	if rest, found := strings.CutPrefix(field, "members["); found {
		index, sub, found := strings.Cut(rest, "].")
		if !found {
			return noColumn, -1, false
		}
		i, err := strconv.Atoi(index)
		if err != nil {
			return noColumn, -1, false
		}
		member, field = i, sub
	}
	for c, spec := range columns {
		if spec.field == field && spec.member == (member >= 0) {
			return column(c), member, true
		}
	}
	return noColumn, -1, false
}

// relations are the words for a member's relation to the sponsor: Italian for the
// Sportello Unico's staff, English as the API spells them.
var relations = map[string]reunification.Relation{
	"figlio":   reunification.RelationChild,
	"figlia":   reunification.RelationChild,
	"coniuge":  reunification.RelationSpouse,
	"genitore": reunification.RelationParent,
	"child":    reunification.RelationChild,
	"spouse":   reunification.RelationSpouse,
	"parent":   reunification.RelationParent,
}

// header is the file's header: which column each position of a row holds.
type header struct {
	line int
	// at is the column at each position; noColumn for a position with no name.
	at []column
	// names are the columns' names as the file spells them.
	names [numColumns]string
}

// name returns a column's name as the file spells it, or as this package does if the file
// has no such column.
func (h *header) name(c column) string {
	switch {
	case c == noColumn:
		return ""
	case h.names[c] != "":
		return h.names[c]
	}
	return columns[c].name
}

// readHeader reads the header, the first row that is not empty.
func readHeader(src source) (*header, error) {
	var (
		line  int
		cells []string
	)
	for {
		var err error
		line, cells, err = src.next()
		if err == io.EOF {
			return nil, &FileError{Reason: "il file è vuoto: manca la riga di intestazione con i nomi delle colonne"}
		}
		if err != nil {
			return nil, err
		}
		if !blank(cells) {
			break
		}
	}
	h := &header{line: line, at: make([]column, len(cells))}
	byName := make(map[string]column, numColumns)
	for c, spec := range columns {
		byName[spec.name] = column(c)
	}
	var unknown []string
	known := 0
	for i, cell := range cells {
		name := strings.TrimSpace(strings.TrimPrefix(cell, "\ufeff"))
		h.at[i] = noColumn
		if name == "" {
			continue
		}
		c, ok := byName[strings.ToLower(name)]
		if !ok {
			unknown = append(unknown, fmt.Sprintf("%q (colonna %d)", shorten(name), i+1))
			continue
		}
		if h.names[c] != "" {
			return nil, &FileError{Line: line, Reason: fmt.Sprintf("la colonna %s è ripetuta", columns[c].name)}
		}
		h.at[i], h.names[c] = c, name
		known++
	}
	if known == 0 {
		// A file without a header starts with data: its cells are not column names and
		// must not end up in an error.
		return nil, &FileError{Line: line, Reason: "manca la riga di intestazione: la prima riga deve contenere i nomi delle colonne (riferimento, sponsor_nome...)"}
	}
	if len(unknown) > 0 {
		const most = 5
		list := strings.Join(unknown[:min(len(unknown), most)], ", ")
		if len(unknown) > most {
			list += fmt.Sprintf(" e altre %d", len(unknown)-most)
		}
		return nil, &FileError{Line: line, Reason: "colonne sconosciute: " + list}
	}
	var missing []string
	for c, spec := range columns {
		if spec.required && h.names[c] == "" {
			missing = append(missing, spec.name)
		}
	}
	if len(missing) > 0 {
		return nil, &FileError{Line: line, Reason: "mancano le colonne obbligatorie: " + strings.Join(missing, ", ")}
	}
	if h.names[colSponsorPhone] == "" && h.names[colSponsorEmail] == "" {
		return nil, &FileError{Line: line, Reason: "manca la colonna del recapito del richiedente: sponsor_telefono o sponsor_email"}
	}
	return h, nil
}

// shorten cuts a name that is too long to be a column's, so that an error stays short.
func shorten(s string) string {
	const most = 40
	if utf8.RuneCountInString(s) <= most {
		return s
	}
	return string([]rune(s)[:most]) + "…"
}

// record is a data row, read.
type record struct {
	line int
	// values are the row's cells by column, trimmed and in the form of reunification.Family.
	values [numColumns]string
	errs   []cellError
}

// cellError is a problem with a cell, or with the row if col is noColumn.
type cellError struct {
	col    column
	reason string
}

// parser turns the cells of a data row into a record.
type parser struct {
	header *header
	// spreadsheet says that a date may be a date cell, an Excel serial number, counted from
	// 1904 if date1904.
	spreadsheet, date1904 bool
}

func (p *parser) parse(line int, cells []string) *record {
	rec := &record{line: line}
	outside := false
	for i, cell := range cells {
		cell = strings.TrimSpace(cell)
		if cell == "" {
			continue
		}
		if i >= len(p.header.at) || p.header.at[i] == noColumn {
			outside = true
			continue
		}
		rec.values[p.header.at[i]] = cell
	}
	if outside {
		rec.errs = append(rec.errs, cellError{noColumn, "la riga ha valori in colonne senza nome nell'intestazione"})
	}
	for c := range numColumns {
		value, reason := p.clean(c, rec.values[c])
		rec.values[c] = value
		if reason != "" {
			rec.errs = append(rec.errs, cellError{c, reason})
		}
	}
	return rec
}

// clean returns a trimmed cell in the form of its field in reunification.Family, and why
// it cannot be, if so.
func (p *parser) clean(c column, v string) (string, string) {
	spec := columns[c]
	switch {
	case spec.date:
		if v == "" {
			if spec.required {
				return v, "è obbligatoria, nel formato AAAA-MM-GG o GG/MM/AAAA"
			}
			return v, ""
		}
		if iso, ok := p.date(v); ok {
			return iso, ""
		}
		return v, "non è una data valida: usare AAAA-MM-GG o GG/MM/AAAA"
	case c == colMemberRelation:
		rel, ok := relations[strings.ToLower(v)]
		if !ok {
			if v == "" {
				return v, "è obbligatoria: figlio, figlia, coniuge o genitore"
			}
			return strings.ToLower(v), "deve essere figlio, figlia, coniuge o genitore"
		}
		return string(rel), ""
	case c == colComune:
		// Spreadsheets turn 015146 into the number 15146: every comune of the Città
		// Metropolitana di Milano starts with 015, so five digits lost their zero.
		if len(v) == 5 && digits(v) {
			return "0" + v, ""
		}
	case c == colMunicipio:
		if v == "" {
			return v, ""
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 9 {
			return v, "deve essere un numero da 1 a 9"
		}
		return strconv.Itoa(n), ""
	case c == colSponsorEmail:
		// Normalize lowers it too; lowering it here keeps the rows of a family that
		// differ only in case from disagreeing.
		return strings.ToLower(v), ""
	}
	return v, ""
}

// date returns a date in ISO form: it may be ISO already, Italian (GG/MM/AAAA), or in a
// workbook a date cell.
func (p *parser) date(v string) (string, bool) {
	if _, err := time.Parse(reunification.DateLayout, v); err == nil {
		return v, true
	}
	if t, err := time.Parse("2/1/2006", v); err == nil {
		return t.Format(reunification.DateLayout), true
	}
	if !p.spreadsheet {
		return "", false
	}
	// A date cell is a number of days since 1900 (or 1904): its raw value, since
	// formatting it would give the spreadsheet's locale's format. Year 9999 is the last
	// day Excel has.
	if serial, err := strconv.ParseFloat(v, 64); err == nil {
		if serial < 1 || serial >= 2958466 || math.IsNaN(serial) {
			return "", false
		}
		t, err := excelize.ExcelDateToTime(math.Floor(serial), p.date1904)
		if err != nil {
			return "", false
		}
		return t.Format(reunification.DateLayout), true
	}
	// A cell of ISO 8601 date type (t="d") keeps its time.
	if len(v) > len(reunification.DateLayout) && v[len(reunification.DateLayout)] == 'T' {
		day := v[:len(reunification.DateLayout)]
		if _, err := time.Parse(reunification.DateLayout, day); err == nil {
			return day, true
		}
	}
	return "", false
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
