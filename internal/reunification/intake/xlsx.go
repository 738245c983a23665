package intake

import (
	"bytes"
	"io"
	"time"

	"github.com/xuri/excelize/v2"
)

// maxUnzipped bounds a workbook once decompressed: a few times what MaxRows rows take,
// and far less than a zip bomb. Up to it, excelize keeps the sheet in memory rather than
// in a temporary file, so that the families' personal data never touch the disk.
const maxUnzipped = 256 << 20

// readXLSX reads the first sheet of a workbook.
func readXLSX(r io.Reader, today time.Time, progress Progress) (res Result, err error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return Result{}, &FileError{Reason: "lettura del file non riuscita", err: err}
	}
	if len(b) > MaxBytes {
		return Result{}, tooLarge()
	}
	// excelize parses what anyone uploads: should it panic on a malformed workbook, that
	// is a file it cannot read, not a crash of the worker.
	defer func() {
		if p := recover(); p != nil {
			res, err = Result{}, &FileError{Reason: "il file Excel non è leggibile: salvarlo di nuovo come .xlsx o come CSV UTF-8"}
		}
	}()
	f, err := excelize.OpenReader(bytes.NewReader(b), excelize.Options{
		RawCellValue:      true,
		UnzipSizeLimit:    maxUnzipped,
		UnzipXMLSizeLimit: maxUnzipped,
	})
	if err != nil {
		if f != nil {
			_ = f.Close()
		}
		return Result{}, &FileError{Reason: "il file non è un file Excel (.xlsx) leggibile", err: err}
	}
	defer func() {
		// Closing only removes temporary files, which this reader does not make; its
		// error changes nothing in what was read.
		_ = f.Close()
	}()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return Result{}, &FileError{Reason: "il file Excel non ha fogli"}
	}
	var date1904 bool
	if props, err := f.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		date1904 = *props.Date1904
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return Result{}, &FileError{Reason: "il primo foglio del file Excel non è leggibile", err: err}
	}
	defer func() { _ = rows.Close() }()
	return read(&xlsxSource{rows: rows}, true, date1904, today, progress)
}

// xlsxSource gives the rows of a sheet.
type xlsxSource struct {
	rows *excelize.Rows
	// row is the number of the current row: Next goes through every row number, giving
	// no cells for a row the sheet leaves out.
	row int
}

func (s *xlsxSource) next() (int, []string, error) {
	if !s.rows.Next() {
		if err := s.rows.Error(); err != nil {
			return 0, nil, &FileError{Line: s.row + 1, Reason: "il primo foglio del file Excel non è leggibile", err: err}
		}
		return 0, nil, io.EOF
	}
	s.row++
	// The raw values: the formatted ones would follow the locale of the number formats,
	// and a date cell is recognised by its column (see parser.date).
	cells, err := s.rows.Columns()
	if err != nil {
		return 0, nil, &FileError{Line: s.row, Reason: "il primo foglio del file Excel non è leggibile", err: err}
	}
	return s.row, cells, nil
}
