package intake

import (
	"bytes"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// xlsxFile writes rows in the first sheet of a workbook, turning the cells that
// cell returns non-nil into typed cells, and a second sheet that must not be read.
func xlsxFile(t *testing.T, rows [][]string, date1904 bool, cell func(row, col int, v string) any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer func() { _ = f.Close() }()
	if date1904 {
		if err := f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &date1904}); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SetSheetName("Sheet1", "Famiglie"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.NewSheet("Altro"); err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellValue("Altro", "A1", "non una famiglia"); err != nil {
		t.Fatal(err)
	}
	for r, row := range rows {
		for c, v := range row {
			name, err := excelize.CoordinatesToCellName(c+1, r+1)
			if err != nil {
				t.Fatal(err)
			}
			var value any = v
			if typed := cell(r, c, v); typed != nil {
				value = typed
			}
			if v == "" {
				continue
			}
			if err := f.SetCellValue("Famiglie", name, value); err != nil {
				t.Fatal(err)
			}
		}
	}
	b, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// typedCells makes the dates date cells, and the numbers numbers, as a user typing in
// Excel gets them.
func typedCells(row, col int, v string) any {
	if row == 0 {
		return nil
	}
	switch headerRow[col] {
	case "nulla_osta_data", "familiare_data_nascita", "arrivo_previsto":
		if d, err := time.Parse(time.DateOnly, v); err == nil {
			return d
		}
	case "comune_istat", "municipio":
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	}
	return nil
}

func TestReadXLSX(t *testing.T) {
	rows := twoFamilies()
	want := readCSV(t, csvFile(t, ',', rows))
	tests := []struct {
		name     string
		date1904 bool
		cell     func(row, col int, v string) any
	}{
		{name: "text cells", cell: func(int, int, string) any { return nil }},
		{name: "date and number cells", cell: typedCells},
		{name: "date cells from 1904", date1904: true, cell: typedCells},
		{name: "a date cell among text cells", cell: func(row, col int, v string) any {
			if row == 2 && headerRow[col] == "familiare_data_nascita" {
				return time.Date(2018, 1, 22, 0, 0, 0, 0, time.UTC)
			}
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := xlsxFile(t, rows, tt.date1904, tt.cell)
			if f, err := DetectFormat("famiglie.xlsx", file[:512]); err != nil || f != FormatXLSX {
				t.Fatalf("DetectFormat = %q, %v", f, err)
			}
			got, err := Read(bytes.NewReader(file), FormatXLSX, today, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("XLSX read as\n%+v\nwant, as the CSV,\n%+v", got, want)
			}
		})
	}
}

func TestReadXLSXErrors(t *testing.T) {
	rows := [][]string{headerRow, row("A-1", "Nusrat"), {}, set(row("B-2", "Tania"), "familiare_data_nascita", "45")}
	file := xlsxFile(t, rows, false, func(row, col int, v string) any {
		if row == 3 && headerRow[col] == "familiare_data_nascita" {
			return 40909.75 // 2012-01-01 at 18:00, as a number without a date format
		}
		return nil
	})
	res, err := Read(bytes.NewReader(file), FormatXLSX, today, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Row 3 is empty: B-2 is on row 4, with its date read from the serial.
	if len(res.Families) != 2 || res.Families[1].Members[0].BirthDate != "2012-01-01" {
		t.Fatalf("read %+v", res)
	}

	bad := [][]string{headerRow, set(row("B-2", "Tania"), "familiare_data_nascita", "il 3 maggio")}
	res, err = Read(bytes.NewReader(xlsxFile(t, bad, false, func(int, int, string) any { return nil })), FormatXLSX, today, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rejected) != 1 || res.Rejected[0].Errors[0] != (RowError{Line: 2, Column: "familiare_data_nascita", Reason: "non è una data valida: usare AAAA-MM-GG o GG/MM/AAAA"}) {
		t.Errorf("rejected %+v", res.Rejected)
	}

	unknown := [][]string{append(append([]string{}, headerRow...), "extra")}
	_, err = Read(bytes.NewReader(xlsxFile(t, unknown, false, func(int, int, string) any { return nil })), FormatXLSX, today, nil)
	if err == nil || !strings.Contains(err.Error(), "colonne sconosciute") {
		t.Errorf("unknown column: %v", err)
	}

	for name, file := range map[string]string{
		"not a zip":      "riferimento,sponsor_nome\n",
		"a broken zip":   "PK\x03\x04\x14\x00\x00\x00",
		"an empty input": "",
	} {
		if _, err := Read(strings.NewReader(file), FormatXLSX, today, nil); err == nil || !strings.Contains(err.Error(), "Excel") {
			t.Errorf("%s: error %v", name, err)
		}
	}
}
