package refdata

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/approdo/approdo/internal/enrolment"
)

// registrySchool is an istituzione scolastica built from the rows of the Ministry's
// registry: a state school's plessi (its infanzia, primaria… sites, each a row with its
// own code) share the code of their istituto (CODICEISTITUTORIFERIMENTO), and Approdo
// places a minor in the istituto. A paritaria is a row of its own.
type registrySchool struct {
	School
	cap    string
	origin origin // the line the school's seat was read from
	seat   bool
}

// levelOf maps the registry's "tipologia" (DESCRIZIONETIPOLOGIAGRADOISTRUZIONESCUOLA,
// e.g. "SCUOLA PRIMARIA", "LICEO SCIENTIFICO", "SCUOLA INFANZIA NON STATALE") to an
// Approdo level. aggregate is true for an istituto's own row ("ISTITUTO COMPRENSIVO",
// "ISTITUTO SUPERIORE"…), whose levels are those of its plessi. known is false for a
// tipologia not seen before: the import stops and names it, rather than guess.
func levelOf(tipologia string) (level enrolment.Level, aggregate, known bool) {
	t := strings.ToUpper(tipologia)
	has := func(words ...string) bool {
		return slices.ContainsFunc(words, func(w string) bool { return strings.Contains(t, w) })
	}
	switch {
	case has("INFANZIA", "MATERNA"):
		return enrolment.LevelInfanzia, false, true
	case has("PRIMARIA", "ELEMENTARE"):
		return enrolment.LevelPrimaria, false, true
	case has("PRIMO GRADO", "DI I GRADO", "SCUOLA MEDIA"):
		return enrolment.LevelSecondariaPrimoGrado, false, true
	case has("ADULTI", "CPIA", "CENTRO TERRITORIALE"):
		return enrolment.LevelCPIA, false, true
	case has("COMPRENSIVO", "CIRCOLO DIDATTICO", "ISTITUTO SUPERIORE", "ISTRUZIONE SUPERIORE", "CONVITTO", "EDUCANDATO"):
		return "", true, true
	case has("LICEO", "TECNICO", "PROFESSIONALE", "SECONDO GRADO", "II GRADO", "ISTITUTO D'ARTE", "MAGISTRALE", "IST TEC", "IST PROF", "ISTITUTO D ARTE"):
		return enrolment.LevelSecondariaSecondoGrado, false, true
	}
	return "", false, false
}

// notAvailable is how the registry writes a missing address.
func notAvailable(v string) bool {
	return v == "" || strings.EqualFold(v, "non disponibile") || v == "-"
}

// readRegistry reads the schools of the comuni in cadastral (codice catastale → ISTAT)
// from one file of the Ministry's open data school registry ("Anagrafe scuole",
// https://dati.istruzione.it/opendata/): SCUANAGRAFESTAT… for state schools,
// SCUANAGRAFEPAR… for paritarie. Schools of other comuni are skipped. into collects the
// istituti by code, so that the two files fill one map.
func readRegistry(path string, cadastral map[string]string, into map[string]*registrySchool, out io.Writer, errs *Errors) (rows, kept int, err error) {
	s, err := openCSV(path, false, out, errs)
	if err != nil {
		return 0, 0, err
	}
	codeCol := s.require("codicescuola")
	nameCol := s.require("denominazionescuola")
	typeCol := s.require("descrizionetipologiagradoistruzionescuola")
	comuneCol := s.require("codicecomunescuola")
	capCol := s.require("capscuola")
	emailCol := s.require("indirizzoemailscuola")
	pecCol := s.require("indirizzopecscuola")
	// State schools only: paritarie have no istituto, nor a seat flag.
	instCol := s.column("codiceistitutoriferimento")
	instNameCol := s.column("denominazioneistitutoriferimento")
	seatCol := s.column("indicazionesededirettivo")
	if slices.Contains([]int{codeCol, nameCol, typeCol, comuneCol, capCol, emailCol, pecCol}, -1) {
		return 0, 0, nil
	}
	err = s.each(func(r row) {
		istat, ok := cadastral[strings.ToUpper(r.get(comuneCol))]
		if !ok {
			return // a school of another comune: the file covers all of Italy
		}
		kept++
		code := strings.ToUpper(r.get(codeCol))
		if !meccanograficoPattern.MatchString(code) {
			s.fail(r.line, "CODICESCUOLA", fmt.Sprintf("%q is not a codice meccanografico", code))
			return
		}
		level, aggregate, known := levelOf(r.get(typeCol))
		if !known {
			s.fail(r.line, "DESCRIZIONETIPOLOGIAGRADOISTRUZIONESCUOLA",
				fmt.Sprintf("tipologia %q of school %s has no Approdo level: map it in refdata.levelOf", r.get(typeCol), code))
			return
		}
		inst := strings.ToUpper(r.get(instCol))
		if inst == "" {
			inst = code
		}
		sc := into[inst]
		if sc == nil {
			sc = &registrySchool{School: School{Code: inst}}
			into[inst] = sc
		}
		if !aggregate && !slices.Contains(sc.Levels, string(level)) {
			sc.Levels = append(sc.Levels, string(level))
		}
		// The istituto's name, comune and addresses are those of its seat: its own row,
		// else the plesso flagged as the seat, else the first plesso read.
		seat := code == inst || strings.EqualFold(r.get(seatCol), "SI")
		if sc.origin.line != 0 && (sc.seat || !seat) {
			return
		}
		sc.seat, sc.Comune, sc.cap = seat, istat, r.get(capCol)
		sc.Name = r.get(nameCol)
		if n := r.get(instNameCol); n != "" {
			sc.Name = n
		}
		sc.Email, sc.PEC = strings.ToLower(r.get(emailCol)), strings.ToLower(r.get(pecCol))
		if notAvailable(sc.Email) {
			sc.Email = ""
		}
		if notAvailable(sc.PEC) {
			sc.PEC = ""
		}
		sc.origin = origin{file: s.name, line: r.line}
	})
	return s.rows, kept, err
}
