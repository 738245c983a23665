package refdata

import (
	"fmt"
	"io"
	"strings"
)

// indicePAComune is a comune's PEC from IndicePA, with the line it was read from.
type indicePAComune struct {
	istat, name, pec string
	line             int
}

// The IndicePA codes that mark a comune among the enti: category L6 ("Comuni e loro
// consorzi e associazioni") holds consortia too, which nature 2430 ("Comune") leaves out.
const (
	indicePACategoryComuni = "L6"
	indicePANatureComune   = "2430"
)

// readIndicePA reads the comuni's PEC from IndicePA's open data of enti ("Enti",
// https://indicepa.gov.it/ipa-dati/dataset/enti), a CSV of every public body with its
// comune (Codice_comune_ISTAT) and up to five addresses (Mail1…Mail5), each with its kind
// (Tipo_Mail1…: "Pec" or "Altro"). A comune's PEC is its first address of kind Pec. Only
// the comuni in istat are kept: the file covers all of Italy.
func readIndicePA(path string, istat map[string]bool, out io.Writer, errs *Errors) ([]indicePAComune, error) {
	s, err := openCSV(path, false, out, errs)
	if err != nil {
		return nil, err
	}
	comuneCol := s.require("codice_comune_istat")
	categoryCol := s.require("codice_categoria")
	nameCol := s.require("denominazione_ente")
	natureCol := s.column("codice_natura")
	var mailCols, kindCols []int
	for i := 1; i <= 5; i++ {
		mailCols = append(mailCols, s.column(fmt.Sprintf("mail%d", i)))
		kindCols = append(kindCols, s.column(fmt.Sprintf("tipo_mail%d", i)))
	}
	if mailCols[0] < 0 || kindCols[0] < 0 {
		s.fail(1, "Mail1", "columns Mail1 and Tipo_Mail1 missing (is this IndicePA's file of enti?)")
		return nil, nil
	}
	if comuneCol < 0 || categoryCol < 0 || nameCol < 0 {
		return nil, nil
	}
	seen := map[string]int{}
	var comuni []indicePAComune
	err = s.each(func(r row) {
		code := padCode(r.get(comuneCol), 6)
		if !istat[code] || r.get(categoryCol) != indicePACategoryComuni {
			return
		}
		name := r.get(nameCol)
		// Older files have no nature: a comune is then the ente named after it.
		if nature := r.get(natureCol); nature != indicePANatureComune &&
			(nature != "" || !strings.HasPrefix(strings.ToLower(name), "comune di ")) {
			return
		}
		if first, dup := seen[code]; dup {
			s.fail(r.line, "Codice_comune_ISTAT", fmt.Sprintf("comune %s is already on line %d: keep one", code, first))
			return
		}
		seen[code] = r.line
		c := indicePAComune{istat: code, name: name, line: r.line}
		for i := range mailCols {
			if strings.EqualFold(r.get(kindCols[i]), "pec") && r.get(mailCols[i]) != "" {
				c.pec = strings.ToLower(r.get(mailCols[i]))
				break
			}
		}
		comuni = append(comuni, c)
	})
	return comuni, err
}
