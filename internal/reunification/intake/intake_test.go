package intake

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/approdo/approdo/internal/reunification"
)

var today = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

var headerRow = []string{
	"riferimento", "sponsor_nome", "sponsor_cognome", "sponsor_telefono", "sponsor_email",
	"comune_istat", "indirizzo", "municipio", "nulla_osta_numero", "nulla_osta_data",
	"arrivo_previsto", "lingua", "note", "familiare_nome", "familiare_cognome",
	"familiare_data_nascita", "familiare_sesso", "familiare_relazione", "familiare_cittadinanza",
}

// twoFamilies are the rows of two families, the first with two children.
func twoFamilies() [][]string {
	return [][]string{
		slices.Clone(headerRow),
		{"MI-2025-000101", "Ahmed", "Mansour", "+39 333 1234567", "Ahmed.Mansour@example.org", "015146", "Via Padova 120", "2", "NO/2025/000101", "2025-11-20", "2026-04-15", "ar", "", "Youssef", "Mansour", "2014-09-03", "M", "figlio", "EG"},
		{"MI-2025-000101", "Ahmed", "Mansour", "+39 333 1234567", "ahmed.mansour@example.org", "015146", "Via Padova 120", "2", "NO/2025/000101", "2025-11-20", "2026-04-15", "ar", "", "Mariam", "Mansour", "2018-01-22", "f", "Figlia", "eg"},
		{"MI-2025-000102", "Olena", "Kovalenko", "", "olena.kovalenko@example.org", "015077", "Via Roma 5, scala B; int. 3", "", "NO/2025/000102", "2025-12-01", "", "uk", "Arriva \"prima\" il figlio", " Andrii ", "Kovalenko", "2010-06-30", "M", "child", "UA"},
	}
}

func wantTwoFamilies() []reunification.Family {
	return []reunification.Family{
		{
			Reference: "MI-2025-000101",
			Sponsor: reunification.Sponsor{GivenName: "Ahmed", FamilyName: "Mansour", Phone: "+39 333 1234567",
				Email: "ahmed.mansour@example.org", Comune: "015146", Address: "Via Padova 120", Municipio: 2},
			Members: []reunification.Member{
				{GivenName: "Youssef", FamilyName: "Mansour", BirthDate: "2014-09-03", Sex: "M", Relation: reunification.RelationChild, Citizenship: "EG"},
				{GivenName: "Mariam", FamilyName: "Mansour", BirthDate: "2018-01-22", Sex: "F", Relation: reunification.RelationChild, Citizenship: "EG"},
			},
			NullaOsta:       reunification.NullaOsta{Number: "NO/2025/000101", IssuedOn: "2025-11-20"},
			ExpectedArrival: "2026-04-15",
			Language:        "ar",
		},
		{
			Reference: "MI-2025-000102",
			Sponsor: reunification.Sponsor{GivenName: "Olena", FamilyName: "Kovalenko",
				Email: "olena.kovalenko@example.org", Comune: "015077", Address: "Via Roma 5, scala B; int. 3"},
			Members: []reunification.Member{
				{GivenName: "Andrii", FamilyName: "Kovalenko", BirthDate: "2010-06-30", Sex: "M", Relation: reunification.RelationChild, Citizenship: "UA"},
			},
			NullaOsta: reunification.NullaOsta{Number: "NO/2025/000102", IssuedOn: "2025-12-01"},
			Language:  "uk",
			Notes:     "Arriva \"prima\" il figlio",
		},
	}
}

// csvFile writes rows as a CSV with the separator sep.
func csvFile(t testing.TB, sep rune, rows [][]string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Comma = sep
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func readCSV(t testing.TB, file []byte) Result {
	t.Helper()
	res, err := Read(bytes.NewReader(file), FormatCSV, today, nil)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return res
}

// at returns the index of a column in headerRow.
func at(name string) int { return slices.Index(headerRow, name) }

func TestReadValid(t *testing.T) {
	italianDates := func(rows [][]string) {
		for _, r := range rows[1:] {
			for _, c := range []int{at("nulla_osta_data"), at("familiare_data_nascita"), at("arrivo_previsto")} {
				if d, err := time.Parse(time.DateOnly, r[c]); err == nil {
					r[c] = d.Format("02/01/2006")
				}
			}
		}
		// Single digits too, as a spreadsheet may write them.
		rows[3][at("familiare_data_nascita")] = "30/6/2010"
	}
	tests := []struct {
		name   string
		change func(rows [][]string)
		sep    rune
		bom    bool
		crlf   bool
	}{
		{name: "comma", sep: ','},
		{name: "semicolon and BOM", sep: ';', bom: true},
		{name: "CRLF and BOM", sep: ',', bom: true, crlf: true},
		{name: "Italian dates", sep: ';', change: italianDates},
		{name: "columns in another order, in upper case", sep: ',', change: func(rows [][]string) {
			for _, r := range rows {
				slices.Reverse(r)
			}
			for i := range rows[0] {
				rows[0][i] = " " + strings.ToUpper(rows[0][i])
			}
		}},
		{name: "comune without its leading zero, blank lines, separator-only lines", sep: ',', change: func(rows [][]string) {
			rows[3][at("comune_istat")] = "15077"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := twoFamilies()
			if tt.change != nil {
				tt.change(rows)
			}
			file := csvFile(t, tt.sep, rows)
			if tt.bom {
				file = append([]byte("\ufeff"), file...)
			}
			if tt.crlf {
				file = bytes.ReplaceAll(file, []byte("\n"), []byte("\r\n"))
			}
			if strings.HasPrefix(tt.name, "comune") {
				file = bytes.Replace(file, []byte("\n"), []byte("\n\n,,,,\n"), 1)
			}
			res := readCSV(t, file)
			if len(res.Rejected) > 0 {
				t.Fatalf("rejected: %+v", res.Rejected)
			}
			if !reflect.DeepEqual(res.Families, wantTwoFamilies()) {
				t.Errorf("families:\n got %+v\nwant %+v", res.Families, wantTwoFamilies())
			}
			if res.Lines != 3 {
				t.Errorf("Lines = %d, want 3", res.Lines)
			}
		})
	}
}

func TestReadSample(t *testing.T) {
	file, err := os.ReadFile("testdata/famiglie-esempio.csv")
	if err != nil {
		t.Fatal(err)
	}
	res := readCSV(t, file)
	if len(res.Rejected) > 0 {
		t.Fatalf("the sample has rejected families: %+v", res.Rejected)
	}
	var got []string
	for _, f := range res.Families {
		got = append(got, fmt.Sprintf("%s:%d", f.Reference, len(f.Members)))
	}
	if want := []string{"MI-2025-000101:3", "MI-2025-000102:2", "MI-2025-000103:1"}; !slices.Equal(got, want) {
		t.Errorf("families %v, want %v", got, want)
	}
	if res.Lines != 6 {
		t.Errorf("Lines = %d, want 6", res.Lines)
	}
	if got := res.Families[1].NullaOsta.IssuedOn; got != "2025-12-01" {
		t.Errorf("Italian date read as %q", got)
	}
}

// row returns a valid row of a family with one child.
func row(ref, child string) []string {
	return []string{ref, "Rahim", "Uddin", "02 12345678", "", "015146", "Viale Monza 250", "2", "NO/" + ref, "2026-01-09", "", "bn", "", child, "Uddin", "2012-11-05", "F", "figlia", "BD"}
}

func set(r []string, column, value string) []string {
	r = slices.Clone(r)
	r[at(column)] = value
	return r
}

func TestReadRejects(t *testing.T) {
	tests := []struct {
		name         string
		rows         [][]string
		accepted     []string
		rejected     string
		lines        []int
		errs         []RowError // Reason is only checked not to be empty
		reasonPrefix string
	}{
		{
			name:     "bad birth date",
			rows:     [][]string{headerRow, row("A-1", "Nusrat"), row("A-1", "Sadia"), set(row("B-2", "Tania"), "familiare_data_nascita", "2012-13-45")},
			accepted: []string{"A-1"}, rejected: "B-2", lines: []int{4},
			errs:         []RowError{{Line: 4, Column: "familiare_data_nascita"}},
			reasonPrefix: "non è una data valida",
		},
		{
			name:     "wrong relation",
			rows:     [][]string{headerRow, row("A-1", "Nusrat"), set(row("B-2", "Tania"), "familiare_relazione", "cugina"), row("B-2", "Sadia")},
			accepted: []string{"A-1"}, rejected: "B-2", lines: []int{3, 4},
			errs:         []RowError{{Line: 3, Column: "familiare_relazione"}},
			reasonPrefix: "deve essere figlio",
		},
		{
			name:     "birth date in the future, from Validate, on the member's line",
			rows:     [][]string{headerRow, row("B-2", "Tania"), set(row("B-2", "Sadia"), "familiare_data_nascita", "2030-01-01"), row("A-1", "Nusrat")},
			accepted: []string{"A-1"}, rejected: "B-2", lines: []int{2, 3},
			errs:         []RowError{{Line: 3, Column: "familiare_data_nascita"}},
			reasonPrefix: "non è una data di nascita plausibile",
		},
		{
			name:     "family-level columns disagree",
			rows:     [][]string{headerRow, row("B-2", "Tania"), row("A-1", "Nusrat"), set(row("B-2", "Sadia"), "nulla_osta_numero", "NO/altro")},
			accepted: []string{"A-1"}, rejected: "B-2", lines: []int{2, 4},
			errs:         []RowError{{Line: 4, Column: "nulla_osta_numero"}},
			reasonPrefix: "è diverso dalla riga 2",
		},
		{
			name:     "family-level field wrong, told on the family's first line",
			rows:     [][]string{headerRow, row("A-1", "Nusrat"), set(set(row("B-2", "Tania"), "comune_istat", "020001"), "municipio", ""), row("A-1", "Sadia"), set(set(row("B-2", "Sadia"), "comune_istat", "020001"), "municipio", "")},
			accepted: []string{"A-1"}, rejected: "B-2", lines: []int{3, 5},
			errs:         []RowError{{Line: 3, Column: "comune_istat"}},
			reasonPrefix: "deve essere il codice ISTAT",
		},
		{
			name:     "bad nulla osta date told once",
			rows:     [][]string{headerRow, set(row("B-2", "Tania"), "nulla_osta_data", "31/02/2026"), set(row("B-2", "Sadia"), "nulla_osta_data", "31/02/2026"), row("A-1", "Nusrat")},
			accepted: []string{"A-1"}, rejected: "B-2", lines: []int{2, 3},
			errs:         []RowError{{Line: 2, Column: "nulla_osta_data"}},
			reasonPrefix: "non è una data valida",
		},
		{
			name:     "municipio not a number",
			rows:     [][]string{headerRow, set(row("B-2", "Tania"), "municipio", "due"), row("A-1", "Nusrat")},
			accepted: []string{"A-1"}, rejected: "B-2", lines: []int{2},
			errs:         []RowError{{Line: 2, Column: "municipio"}},
			reasonPrefix: "deve essere un numero da 1 a 9",
		},
		{
			name:     "no reference",
			rows:     [][]string{headerRow, row("A-1", "Nusrat"), set(row("B-2", "Tania"), "riferimento", " ")},
			accepted: []string{"A-1"}, rejected: "", lines: []int{3},
			errs:         []RowError{{Line: 3, Column: "riferimento"}},
			reasonPrefix: "è obbligatorio",
		},
		{
			name:     "value outside the header",
			rows:     [][]string{headerRow, row("A-1", "Nusrat"), append(row("B-2", "Tania"), "", "x")},
			accepted: []string{"A-1"}, rejected: "B-2", lines: []int{3},
			errs:         []RowError{{Line: 3, Column: ""}},
			reasonPrefix: "la riga ha valori in colonne senza nome",
		},
		{
			name: "too many members",
			rows: func() [][]string {
				rows := [][]string{headerRow, row("A-1", "Nusrat")}
				for i := range reunification.MaxMembers + 1 {
					rows = append(rows, row("B-2", fmt.Sprint("Figlia", i)))
				}
				return rows
			}(),
			accepted: []string{"A-1"}, rejected: "B-2", lines: func() []int {
				var lines []int
				for i := range reunification.MaxMembers + 1 {
					lines = append(lines, 3+i)
				}
				return lines
			}(),
			errs:         []RowError{{Line: 3, Column: ""}},
			reasonPrefix: "al massimo",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := readCSV(t, csvFile(t, ',', tt.rows))
			var accepted []string
			for _, f := range res.Families {
				accepted = append(accepted, f.Reference)
			}
			if !slices.Equal(accepted, tt.accepted) {
				t.Errorf("accepted %v, want %v", accepted, tt.accepted)
			}
			if len(res.Rejected) != 1 {
				t.Fatalf("rejected %+v, want one family", res.Rejected)
			}
			rej := res.Rejected[0]
			if rej.Reference != tt.rejected || !slices.Equal(rej.Lines, tt.lines) {
				t.Errorf("rejected %q on lines %v, want %q on %v", rej.Reference, rej.Lines, tt.rejected, tt.lines)
			}
			var got []RowError
			for _, e := range rej.Errors {
				if e.Reason == "" {
					t.Errorf("error without a reason: %+v", e)
				}
				got = append(got, RowError{Line: e.Line, Column: e.Column})
			}
			if !slices.Equal(got, tt.errs) {
				t.Errorf("errors %+v, want %+v", rej.Errors, tt.errs)
			}
			if len(rej.Errors) > 0 && !strings.HasPrefix(rej.Errors[0].Reason, tt.reasonPrefix) {
				t.Errorf("reason %q, want it to start with %q", rej.Errors[0].Reason, tt.reasonPrefix)
			}
			if res.Lines != len(tt.rows)-1 {
				t.Errorf("Lines = %d, want %d", res.Lines, len(tt.rows)-1)
			}
		})
	}
}

func TestReadColumnNamesAsInFile(t *testing.T) {
	rows := [][]string{slices.Clone(headerRow), set(row("B-2", "Tania"), "familiare_sesso", "X")}
	rows[0][at("familiare_sesso")] = "Familiare_Sesso"
	res := readCSV(t, csvFile(t, ';', rows))
	want := []RowError{{Line: 2, Column: "Familiare_Sesso", Reason: "deve essere F o M"}}
	if len(res.Rejected) != 1 || !slices.Equal(res.Rejected[0].Errors, want) {
		t.Errorf("rejected %+v, want errors %+v", res.Rejected, want)
	}
}

func TestReadFileErrors(t *testing.T) {
	header := strings.Join(headerRow, ",")
	valid := strings.Join(row("A-1", "Nusrat"), ",")
	without := func(names ...string) string {
		return strings.Join(slices.DeleteFunc(slices.Clone(headerRow), func(n string) bool { return slices.Contains(names, n) }), ",")
	}
	tests := []struct {
		name string
		file string
		line int
		want string
	}{
		{name: "empty", file: "", want: "il file è vuoto"},
		{name: "only blank lines", file: "\n\r\n,,,\n", want: "il file è vuoto"},
		{name: "no header", file: valid + "\n", line: 1, want: "manca la riga di intestazione"},
		{name: "unknown column", file: header + ",codice_fiscale\n" + valid + ",X\n", line: 1, want: `colonne sconosciute: "codice_fiscale" (colonna 20)`},
		{name: "missing required column", file: without("familiare_relazione", "riferimento") + "\n", line: 1, want: "mancano le colonne obbligatorie: riferimento, familiare_relazione"},
		{name: "no contact column", file: without("sponsor_telefono", "sponsor_email") + "\n", line: 1, want: "sponsor_telefono o sponsor_email"},
		{name: "repeated column", file: header + ",Note\n", line: 1, want: "la colonna note è ripetuta"},
		{name: "header after blank lines", file: "\n\n" + header + ",x\n", line: 3, want: "colonne sconosciute"},
		{name: "bare quote", file: header + "\n" + valid + "\n" + strings.Replace(valid, "Viale", `Via"le`, 1) + "\n", line: 3, want: "CSV non valido: virgolette"},
		{name: "unclosed quote", file: header + "\n" + valid + "\n\"" + valid + "\n", line: 3, want: "CSV non valido: virgolette non chiuse"},
		{name: "not UTF-8", file: header + "\n" + valid + "\n" + strings.Replace(valid, "Rahim", "Rah\xeem", 1) + "\n", line: 3, want: "non è in UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(tt.file), FormatCSV, today, nil)
			fe, ok := errors.AsType[*FileError](err)
			if !ok {
				t.Fatalf("error %v, want a *FileError", err)
			}
			if fe.Line != tt.line || !strings.Contains(fe.Reason, tt.want) {
				t.Errorf("error %q on line %d, want %q on line %d", fe.Reason, fe.Line, tt.want, tt.line)
			}
		})
	}
	t.Run("unknown format", func(t *testing.T) {
		if _, err := Read(strings.NewReader(header), "ods", today, nil); err == nil {
			t.Error("no error")
		}
	})
}

func TestReadTooManyRows(t *testing.T) {
	var b bytes.Buffer
	b.WriteString(strings.Join(headerRow, ",") + "\n")
	for i := range MaxRows + 1 {
		b.WriteString(strings.Join(row(fmt.Sprint("R-", i), "Nusrat"), ",") + "\n")
	}
	_, err := Read(&b, FormatCSV, today, nil)
	fe, ok := errors.AsType[*FileError](err)
	if !ok || fe.Line != MaxRows+2 || !strings.Contains(fe.Reason, "più di 50000 righe") {
		t.Errorf("error %v, want more than %d rows on line %d", err, MaxRows, MaxRows+2)
	}
}

// endless is a reader that never ends.
type endless byte

func (e endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(e)
	}
	return len(p), nil
}

func TestReadTooLarge(t *testing.T) {
	for _, format := range []Format{FormatCSV, FormatXLSX} {
		t.Run(string(format), func(t *testing.T) {
			tests := map[string]io.Reader{
				// A field that never ends, inside quotes, and lines that never end.
				"one field": io.MultiReader(strings.NewReader(strings.Join(headerRow, ",")+"\n\""), endless('x')),
				"many rows": io.MultiReader(strings.NewReader(strings.Join(headerRow, ",")+"\n"), endless('\n')),
			}
			for name, r := range tests {
				_, err := Read(r, format, today, nil)
				if err == nil || !strings.Contains(err.Error(), "supera il limite di 20 MiB") {
					t.Errorf("%s: error %v, want too large", name, err)
				}
			}
		})
	}
	t.Run("exactly the limit", func(t *testing.T) {
		head := strings.Join(headerRow, ",") + "\n" + strings.Join(row("A-1", "Nusrat"), ",") + "\n"
		r := io.MultiReader(strings.NewReader(head), io.LimitReader(endless('\n'), MaxBytes-int64(len(head))))
		res, err := Read(r, FormatCSV, today, nil)
		if err != nil || len(res.Families) != 1 {
			t.Errorf("Read = %+v, %v; want one family", res, err)
		}
	})
}

func TestReadDeterministic(t *testing.T) {
	rows := [][]string{headerRow, row("B-2", "Tania"), row("A-1", "Nusrat"), set(row("C-3", "X"), "familiare_sesso", "?"), row("B-2", "Sadia"), set(row("C-3", "Y"), "municipio", "10")}
	file := csvFile(t, ',', rows)
	first, second := readCSV(t, file), readCSV(t, file)
	if !reflect.DeepEqual(first, second) {
		t.Fatalf("two reads differ:\n%+v\n%+v", first, second)
	}
	for i := range first.Families {
		if first.Families[i].Hash() != second.Families[i].Hash() {
			t.Errorf("family %d hashes differ", i)
		}
	}
	if len(first.Families) != 2 || first.Families[0].Reference != "B-2" || len(first.Families[0].Members) != 2 {
		t.Errorf("families %+v, want B-2 (two members) then A-1", first.Families)
	}
}

// bigFile returns a CSV of families families with two children each.
func bigFile(tb testing.TB, families int) []byte {
	var b bytes.Buffer
	b.WriteString(strings.Join(headerRow, ";") + "\n")
	for i := range families {
		ref := fmt.Sprintf("MI-2025-%06d", i)
		for _, child := range []string{"Nusrat", "Sadia"} {
			b.WriteString(strings.Join(row(ref, child), ";") + "\n")
		}
	}
	return b.Bytes()
}

func TestReadLarge(t *testing.T) {
	file := bigFile(t, 10000)
	var calls []int
	res, err := Read(bytes.NewReader(file), FormatCSV, today, func(n int) { calls = append(calls, n) })
	if err != nil {
		t.Fatal(err)
	}
	if res.Lines != 20000 || len(res.Families) != 10000 || len(res.Rejected) != 0 {
		t.Fatalf("Lines %d, %d families, %d rejected; want 20000, 10000, 0", res.Lines, len(res.Families), len(res.Rejected))
	}
	for i, f := range res.Families {
		if want := fmt.Sprintf("MI-2025-%06d", i); f.Reference != want || len(f.Members) != 2 {
			t.Fatalf("family %d is %s with %d members, want %s with 2", i, f.Reference, len(f.Members), want)
		}
	}
	if len(calls) != 20000/progressEvery || calls[len(calls)-1] != 20000 {
		t.Errorf("progress called %d times, last with %v", len(calls), calls[len(calls)-1:])
	}
	for i := 1; i < len(calls); i++ {
		if calls[i] <= calls[i-1] {
			t.Fatalf("progress went from %d to %d", calls[i-1], calls[i])
		}
	}
}

func TestReadProgressAtTheEnd(t *testing.T) {
	for _, families := range []int{0, 1, 251} {
		var calls []int
		if _, err := Read(bytes.NewReader(bigFile(t, families)), FormatCSV, today, func(n int) { calls = append(calls, n) }); err != nil {
			t.Fatal(err)
		}
		if len(calls) == 0 || calls[len(calls)-1] != 2*families {
			t.Errorf("%d rows: progress called with %v, want last %d", 2*families, calls, 2*families)
		}
	}
}

func BenchmarkReadCSV(b *testing.B) {
	file := bigFile(b, 10000)
	b.SetBytes(int64(len(file)))
	for b.Loop() {
		if _, err := Read(bytes.NewReader(file), FormatCSV, today, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func TestDetectFormat(t *testing.T) {
	tests := []struct {
		name     string
		filename string
		head     []byte
		want     Format
		err      bool
	}{
		{"csv", "famiglie.csv", []byte("riferimento;sponsor_nome\n"), FormatCSV, false},
		{"csv in capitals", `C:\Dati\FAMIGLIE.CSV`, []byte("riferimento,sponsor_nome\n"), FormatCSV, false},
		{"txt", "famiglie.txt", []byte("riferimento,sponsor_nome\n"), FormatCSV, false},
		{"xlsx", "famiglie.xlsx", []byte("PK\x03\x04\x14\x00"), FormatXLSX, false},
		{"xlsx renamed", "famiglie.csv", []byte("PK\x03\x04\x14\x00"), FormatXLSX, false},
		{"xlsx without extension", "famiglie", []byte("PK\x03\x04\x14\x00"), FormatXLSX, false},
		{"xlsx, no head", "famiglie.xlsx", nil, FormatXLSX, false},
		{"xlsx that is not", "famiglie.xlsx", []byte("riferimento,sponsor_nome\n"), "", true},
		{"xls", "famiglie.xls", []byte{0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0}, "", true},
		{"ods", "famiglie.ods", []byte("PK\x03\x04\x14\x00\x00\x08\x00\x00mimetypeapplication/vnd.oasis.opendocument.spreadsheet"), "", true},
		{"utf-16", "famiglie.csv", []byte{0xff, 0xfe, 'r', 0}, "", true},
		{"binary named csv", "famiglie.csv", []byte("%PDF-1.7\x00\x01"), "", true},
		{"pdf", "famiglie.pdf", []byte("%PDF-1.7"), "", true},
		{"no extension", "famiglie", []byte("riferimento,sponsor_nome\n"), "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DetectFormat(tt.filename, tt.head)
			if got != tt.want || (err != nil) != tt.err {
				t.Errorf("DetectFormat = %q, %v; want %q, error %t", got, err, tt.want, tt.err)
			}
			if err != nil {
				if _, ok := errors.AsType[*FileError](err); !ok {
					t.Errorf("error %T, want *FileError", err)
				}
			}
		})
	}
}
