// Package intake reads a bulk file of families sent by the Prefettura's Sportello Unico,
// instead of one call to the API for each family, and checks every family in it before
// any is stored.
//
// # The file
//
// The file is a CSV (UTF-8, with or without a BOM; the separator is "," or ";", whichever
// the header line uses) or an Excel workbook (.xlsx, whose first sheet is read). It has
// one row per joining member; the rows of one family share its riferimento and repeat
// the family-level columns, with the same values. The rows of a family need not be next
// to each other. Empty rows are skipped.
//
// The first row is the header: the names of the columns, in any order and in any case.
// A column the reader does not know is an error, so that a misspelt column is never
// silently dropped. The columns are:
//
//	column                   required  field of reunification.Family
//	riferimento              yes       Reference
//	sponsor_nome             yes       Sponsor.GivenName
//	sponsor_cognome          yes       Sponsor.FamilyName
//	sponsor_telefono         (*)       Sponsor.Phone
//	sponsor_email            (*)       Sponsor.Email
//	comune_istat             yes       Sponsor.Comune (015xxx; 15xxx gets its 0 back)
//	indirizzo                          Sponsor.Address
//	municipio                          Sponsor.Municipio (1-9, Milano only)
//	nulla_osta_numero        yes       NullaOsta.Number
//	nulla_osta_data          yes       NullaOsta.IssuedOn (date)
//	arrivo_previsto                    ExpectedArrival (date)
//	lingua                             Language (BCP 47: ar, en, uk...)
//	note                               Notes
//	familiare_nome           yes       Members[].GivenName
//	familiare_cognome        yes       Members[].FamilyName
//	familiare_data_nascita   yes       Members[].BirthDate (date)
//	familiare_sesso                    Members[].Sex (F or M)
//	familiare_relazione      yes       Members[].Relation: figlio, figlia, coniuge, genitore
//	                                   (or child, spouse, parent)
//	familiare_cittadinanza             Members[].Citizenship (ISO 3166-1 alpha-2)
//
// (*) at least one of the two contact columns.
//
// Columns from riferimento to note are family-level: every row of a family repeats them.
// A date is AAAA-MM-GG or GG/MM/AAAA; in a workbook it may also be a date cell. See
// testdata/famiglie-esempio.csv for an example.
//
// # Errors
//
// A problem with the file as a whole (not a CSV or a workbook, no header, an unknown or
// missing column, too many rows, too large) is a returned *FileError. A problem with a row
// rejects that row's family only: Read returns the valid families and, apart, the rejected
// ones with every error, by line and column of the file, so that the Sportello Unico can
// correct the file and send it again. Sending the same file again is safe: the same file
// gives the same families, and the caller recognises them by reference and hash.
//
// Errors name lines and columns, never the values in them: a family's data is personal
// data (see package reunification).
package intake

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/approdo/approdo/internal/reunification"
)

// Format is the kind of a bulk file.
type Format string

// The formats Read understands.
const (
	FormatCSV  Format = "csv"
	FormatXLSX Format = "xlsx"
)

// Bounds of a bulk file: beyond them a file is a mistake (or an attack), and reading it
// would hold too much memory, since the whole file is checked before anything is stored.
const (
	// MaxRows is the most data rows a file may have.
	MaxRows = 50000
	// MaxBytes is the largest file, as read.
	MaxBytes = 20 << 20
)

// progressEvery is how many rows pass between two calls of Progress.
const progressEvery = 500

// FileError is a problem with the file as a whole: nothing in it is read.
type FileError struct {
	// Line is the line (CSV) or row (XLSX) of the problem, or 0 if it is not on a line.
	Line int
	// Reason says what is wrong, in Italian for the operator.
	Reason string
	err    error
}

func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("riga %d: %s", e.Line, e.Reason)
	}
	return e.Reason
}

// Unwrap returns the error of the parser or of the reader under the problem, if any, for
// the logs of the caller; its text is not for the operator.
func (e *FileError) Unwrap() error { return e.err }

// RowError is a problem with one row of the file.
type RowError struct {
	// Line is the file's line (CSV) or row number (XLSX); the header is 1 when the file
	// starts with it.
	Line int
	// Column is the column's name as the file spells it, or "" if the problem is with the
	// row as a whole.
	Column string
	// Reason says what is wrong, in Italian for the operator.
	Reason string
}

// RejectedFamily is a family of the file that is not valid: it is not stored.
type RejectedFamily struct {
	// Reference is the family's riferimento, trimmed ("" if the row has none).
	Reference string
	// Lines are the lines of the family's rows, in file order.
	Lines []int
	// Errors are every problem of the family, by line.
	Errors []RowError
}

// Result is what a file holds.
type Result struct {
	// Families are the valid families, normalized, in file order (of their first row).
	Families []reunification.Family
	// Rejected are the invalid families, in file order (of their first row).
	Rejected []RejectedFamily
	// Lines is how many data rows were read (neither the header nor empty rows).
	Lines int
}

// Progress is told how many data rows have been read, every 500 rows and at the end, for
// a progress display.
type Progress func(rowsRead int)

// source gives the rows of a file, one at a time: line is the row's line in the file, and
// io.EOF ends the rows.
type source interface {
	next() (line int, cells []string, err error)
}

// Read reads a whole bulk file of the given format and checks every family in it against
// today. It returns a *FileError if the file cannot be read as a whole; otherwise every
// row is in the result, in a valid family or in a rejected one. progress may be nil.
func Read(r io.Reader, format Format, today time.Time, progress Progress) (Result, error) {
	switch format {
	case FormatCSV:
		src, err := newCSVSource(r)
		if err != nil {
			return Result{}, err
		}
		return read(src, false, false, today, progress)
	case FormatXLSX:
		return readXLSX(r, today, progress)
	}
	return Result{}, &FileError{Reason: "formato non riconosciuto: caricare un file .csv o .xlsx"}
}

// read reads the rows of src: the header, then the data rows, then it groups them into
// families and checks each. spreadsheet says that date cells may be Excel serial numbers,
// counted from 1904 if date1904.
func read(src source, spreadsheet, date1904 bool, today time.Time, progress Progress) (Result, error) {
	h, err := readHeader(src)
	if err != nil {
		return Result{}, err
	}
	p := parser{header: h, spreadsheet: spreadsheet, date1904: date1904}
	var (
		res      Result
		groups   []*group
		byRef    = map[string]*group{}
		reported = -1
	)
	for {
		line, cells, err := src.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return Result{}, err
		}
		if blank(cells) {
			continue
		}
		res.Lines++
		if res.Lines > MaxRows {
			return Result{}, &FileError{Line: line, Reason: fmt.Sprintf("il file ha più di %d righe di dati: dividerlo in più file", MaxRows)}
		}
		rec := p.parse(line, cells)
		ref := rec.values[colReference]
		// A row without a reference cannot be told apart from another one: it is a
		// family of its own, rejected.
		g := byRef[ref]
		if g == nil || ref == "" {
			g = &group{}
			groups = append(groups, g)
			if ref != "" {
				byRef[ref] = g
			}
		}
		g.records = append(g.records, rec)
		if progress != nil && res.Lines%progressEvery == 0 {
			progress(res.Lines)
			reported = res.Lines
		}
	}
	if progress != nil && reported != res.Lines {
		progress(res.Lines)
	}
	for _, g := range groups {
		fam, errs := g.check(h, today)
		if len(errs) == 0 {
			res.Families = append(res.Families, fam)
			continue
		}
		lines := make([]int, len(g.records))
		for i, rec := range g.records {
			lines[i] = rec.line
		}
		res.Rejected = append(res.Rejected, RejectedFamily{
			Reference: g.records[0].values[colReference],
			Lines:     lines,
			Errors:    errs,
		})
	}
	return res, nil
}

// blank says whether a row has nothing in it: spreadsheets export the empty rows under
// the data as separators only.
func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// group is the rows of one family.
type group struct {
	records []*record
}

// check builds the group's family and returns it, normalized, with every error of its
// rows, sorted by line.
func (g *group) check(h *header, today time.Time) (reunification.Family, []RowError) {
	first := g.records[0]
	v := &first.values
	// A bad municipio is already an error of the row; 0 leaves it out of Validate.
	municipio, _ := strconv.Atoi(v[colMunicipio])
	fam := reunification.Family{
		Reference: v[colReference],
		Sponsor: reunification.Sponsor{
			GivenName:  v[colSponsorGivenName],
			FamilyName: v[colSponsorFamilyName],
			Phone:      v[colSponsorPhone],
			Email:      v[colSponsorEmail],
			Comune:     v[colComune],
			Address:    v[colAddress],
			Municipio:  municipio,
		},
		NullaOsta: reunification.NullaOsta{
			Number:   v[colNullaOstaNumber],
			IssuedOn: v[colNullaOstaIssuedOn],
		},
		ExpectedArrival: v[colExpectedArrival],
		Language:        v[colLanguage],
		Notes:           v[colNotes],
	}
	type key struct {
		line int
		col  column
	}
	var (
		errs []RowError
		seen = map[key]bool{}
	)
	add := func(line int, col column, reason string) {
		if col != noColumn {
			if seen[key{line, col}] {
				return
			}
			seen[key{line, col}] = true
		}
		errs = append(errs, RowError{Line: line, Column: h.name(col), Reason: reason})
	}
	for i, rec := range g.records {
		fam.Members = append(fam.Members, reunification.Member{
			GivenName:   rec.values[colMemberGivenName],
			FamilyName:  rec.values[colMemberFamilyName],
			BirthDate:   rec.values[colMemberBirthDate],
			Sex:         rec.values[colMemberSex],
			Relation:    reunification.Relation(rec.values[colMemberRelation]),
			Citizenship: rec.values[colMemberCitizenship],
		})
		for _, e := range rec.errs {
			// The family-level cells of the other rows are either those of the first row,
			// whose errors are already told, or they disagree, which is told below.
			if i > 0 && e.col != noColumn && !columns[e.col].member {
				continue
			}
			add(rec.line, e.col, e.reason)
		}
		if i == 0 {
			continue
		}
		for c := range numColumns {
			if !columns[c].member && rec.values[c] != first.values[c] {
				add(rec.line, c, fmt.Sprintf("è diverso dalla riga %d: le righe di una stessa famiglia ripetono gli stessi dati della famiglia", first.line))
			}
		}
	}
	fam = fam.Normalize()
	// Validate's errors name JSON fields: they are told at the column and the line that
	// holds the field, unless that cell has an error of its own already.
	for _, fe := range fam.Validate(today) {
		col, member, ok := fieldColumn(fe.Field)
		line := first.line
		if !ok {
			col = noColumn
		} else if member >= 0 && member < len(g.records) {
			line = g.records[member].line
		}
		add(line, col, fe.Reason)
	}
	slices.SortStableFunc(errs, func(a, b RowError) int { return cmp.Compare(a.Line, b.Line) })
	return fam, errs
}
