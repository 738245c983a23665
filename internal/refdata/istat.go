package refdata

import (
	"fmt"
	"io"
)

// ProvinceMilano is the ISTAT code of the province, now Città Metropolitana, of Milano.
const ProvinceMilano = "015"

// istatComune is a comune of ISTAT's list, with the line it was read from.
type istatComune struct {
	istat, name, cadastral string
	line                   int
}

// readISTAT reads the comuni of the province of Milano from ISTAT's "Elenco comuni
// italiani" (https://www.istat.it/classificazione/codici-dei-comuni-delle-province-e-delle-regioni/),
// a CSV of every comune of Italy, one a line. The columns used are the ISTAT code
// ("Codice Comune formato alfanumerico"), the Italian name ("Denominazione in italiano"),
// the cadastral code ("Codice Catastale del comune") and the province ("Codice Provincia
// (Storico)"); without the last, the province is the code's first three digits.
func readISTAT(path string, out io.Writer, errs *Errors) ([]istatComune, error) {
	s, err := openCSV(path, false, out, errs)
	if err != nil {
		return nil, err
	}
	problems := len(*errs)
	codeCol := s.require("codice comune formato alfanumerico")
	nameCol := s.require("denominazione in italiano")
	cadastralCol := s.require("codice catastale del comune", "codice catastale")
	provinceCol := s.column("codice provincia (storico)", "codice provincia")
	if codeCol < 0 || nameCol < 0 || cadastralCol < 0 {
		return nil, nil
	}
	var comuni []istatComune
	err = s.each(func(r row) {
		code := padCode(r.get(codeCol), 6)
		province := code[:min(3, len(code))]
		if provinceCol >= 0 {
			province = padCode(r.get(provinceCol), 3)
		}
		if province != ProvinceMilano {
			return
		}
		comuni = append(comuni, istatComune{istat: code, name: r.get(nameCol), cadastral: r.get(cadastralCol), line: r.line})
	})
	if err != nil {
		return nil, err
	}
	if len(comuni) == 0 && len(*errs) == problems {
		s.fail(1, "(file)", fmt.Sprintf("no comune of province %s in %d rows: is this ISTAT's list of comuni?", ProvinceMilano, s.rows))
	}
	return comuni, nil
}
