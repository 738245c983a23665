package refdata

import (
	"fmt"
	"io"
	"strconv"

	"github.com/approdo/approdo/internal/enrolment"
)

// ambitoRow assigns a comune to an ambito.
type ambitoRow struct {
	istat, ambito string
	line          int
}

// readAmbiti reads the comune → ambito table, an operator-maintained CSV (";" or ","):
// columns "istat" and "ambito", any others (the name, the basis of the assignment) are
// for the reader. Lines starting with "#" say where the table comes from.
// deploy/refdata/sources/ambiti-015.csv is the current one.
func readAmbiti(path string, out io.Writer, errs *Errors) ([]ambitoRow, error) {
	s, err := openCSV(path, true, out, errs)
	if err != nil {
		return nil, err
	}
	istatCol := s.require("istat")
	ambitoCol := s.require("ambito")
	if istatCol < 0 || ambitoCol < 0 {
		return nil, nil
	}
	seen := map[string]int{}
	var rows []ambitoRow
	err = s.each(func(r row) {
		code := padCode(r.get(istatCol), 6)
		if first, dup := seen[code]; dup {
			s.fail(r.line, "istat", fmt.Sprintf("comune %s is already on line %d", code, first))
			return
		}
		seen[code] = r.line
		rows = append(rows, ambitoRow{istat: code, ambito: r.get(ambitoCol), line: r.line})
	})
	return rows, err
}

// municipioRow is one row of Milano's municipi table.
type municipioRow struct {
	municipio int // 0: the key spans several municipi
	line      int
}

// readMunicipi reads Milano's municipi table, an operator-maintained CSV: column "key"
// is a postcode (CAP) or a school's codice meccanografico, column "municipio" its
// municipio (empty when a CAP spans several: its schools then need rows of their own).
// deploy/refdata/sources/milano-cap-municipio.csv is the current one.
func readMunicipi(path string, out io.Writer, errs *Errors) (map[string]municipioRow, error) {
	s, err := openCSV(path, true, out, errs)
	if err != nil {
		return nil, err
	}
	keyCol := s.require("key")
	municipioCol := s.require("municipio")
	if keyCol < 0 || municipioCol < 0 {
		return nil, nil
	}
	table := map[string]municipioRow{}
	err = s.each(func(r row) {
		key := r.get(keyCol)
		if first, dup := table[key]; dup {
			s.fail(r.line, "key", fmt.Sprintf("%s is already on line %d", key, first.line))
			return
		}
		m := municipioRow{line: r.line}
		if v := r.get(municipioCol); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > enrolment.MunicipiOfMilano {
				s.fail(r.line, "municipio", fmt.Sprintf("%q is not a municipio (1 to %d, or empty)", v, enrolment.MunicipiOfMilano))
				return
			}
			m.municipio = n
		}
		table[key] = m
	})
	return table, err
}
