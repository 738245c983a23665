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

// registryCounts is what one file of the registry held, for the import's report.
type registryCounts struct {
	rows    int // records read
	kept    int // rows of a comune of the territory
	outside int // rows of other comuni, skipped
	// strays are rows the registry places in the province of Milano whose comune is not
	// among the comuni: a cadastral code the comuni lack (a merger ISTAT's list has not
	// caught up with, or a wrong code), reported rather than silently skipped.
	strays []string
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

// notAvailable is how the registry writes a missing value: "Non Disponibile" in any
// column (an address, a tipologia, a name), "ND" in the seat flags.
func notAvailable(v string) bool {
	return v == "" || strings.EqualFold(v, "non disponibile") || strings.EqualFold(v, "nd") || v == "-"
}

// value is the field at column i, or "" where the registry says it is not available.
func value(r row, i int) string {
	if v := r.get(i); !notAvailable(v) {
		return v
	}
	return ""
}

// readRegistry reads the schools of the comuni in cadastral (codice catastale → ISTAT)
// from one file of the Ministry's open data school registry ("Anagrafe scuole",
// https://dati.istruzione.it/opendata/): SCUANAGRAFESTAT… (and SCUANAAUTSTAT…, the same
// columns) for state schools, SCUANAGRAFEPAR… for paritarie. The files cover all of
// Italy: a school of another comune is counted as outside the territory and skipped,
// never an error. into collects the istituti by code, so that the files fill one map.
func readRegistry(path string, cadastral map[string]string, into map[string]*registrySchool, out io.Writer, errs *Errors) (registryCounts, error) {
	var n registryCounts
	s, err := openCSV(path, false, out, errs)
	if err != nil {
		return n, err
	}
	codeCol := s.require("codicescuola")
	nameCol := s.require("denominazionescuola")
	typeCol := s.require("descrizionetipologiagradoistruzionescuola")
	comuneCol := s.require("codicecomunescuola")
	capCol := s.require("capscuola")
	emailCol := s.require("indirizzoemailscuola")
	pecCol := s.require("indirizzopecscuola")
	// State schools only: a paritaria is an istituto of its own, with no seat flag.
	instCol := s.column("codiceistitutoriferimento")
	instNameCol := s.column("denominazioneistitutoriferimento")
	seatCol := s.column("indicazionesededirettivo")
	provinceCol := s.column("provincia")
	if slices.Contains([]int{codeCol, nameCol, typeCol, comuneCol, capCol, emailCol, pecCol}, -1) {
		return n, nil
	}
	err = s.each(func(r row) {
		code := strings.ToUpper(r.get(codeCol))
		istat, ok := cadastral[strings.ToUpper(r.get(comuneCol))]
		if !ok {
			n.outside++
			if strings.EqualFold(r.get(provinceCol), "milano") {
				n.strays = append(n.strays, fmt.Sprintf("%s (line %d, comune %s %s)", code, r.line, r.get(comuneCol), r.get(s.column("descrizionecomune"))))
			}
			return
		}
		n.kept++
		if !meccanograficoPattern.MatchString(code) {
			s.fail(r.line, "CODICESCUOLA", fmt.Sprintf("%q is not a codice meccanografico", code))
			return
		}
		inst := strings.ToUpper(value(r, instCol))
		if inst == "" {
			inst = code
		}
		level, aggregate, known := levelOf(r.get(typeCol))
		if tipologia := value(r, typeCol); tipologia == "" {
			// The registry leaves the tipologia of some istituti's own rows "Non
			// Disponibile": their levels are their plessi's. A plesso without one cannot
			// be placed in.
			if code != inst {
				s.fail(r.line, "DESCRIZIONETIPOLOGIAGRADOISTRUZIONESCUOLA",
					fmt.Sprintf("school %s has no tipologia (%q), so no level: give it one in a corrected copy of the file", code, r.get(typeCol)))
				return
			}
			aggregate, known = true, true
		}
		if !known {
			s.fail(r.line, "DESCRIZIONETIPOLOGIAGRADOISTRUZIONESCUOLA",
				fmt.Sprintf("tipologia %q of school %s has no Approdo level: map it in refdata.levelOf", r.get(typeCol), code))
			return
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
		sc.seat, sc.Comune, sc.cap = seat, istat, value(r, capCol)
		sc.Name = r.get(nameCol)
		if n := value(r, instNameCol); n != "" {
			sc.Name = n
		}
		sc.Email, sc.PEC = strings.ToLower(value(r, emailCol)), strings.ToLower(value(r, pecCol))
		sc.origin = origin{file: s.name, line: r.line}
	})
	n.rows = s.rows
	return n, err
}
