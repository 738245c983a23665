package refdata

import (
	"fmt"
	"net/mail"
	"regexp"

	"github.com/approdo/approdo/internal/enrolment"
)

var (
	istatPattern = regexp.MustCompile(`^015[0-9]{3}$`)
	// A codice meccanografico is ten characters: the province (MI), then the school's
	// type and number; the last is a check character.
	meccanograficoPattern = regexp.MustCompile(`^[A-Z]{2}[A-Z0-9]{8}$`)
	// A codice catastale is a letter and three digits (F205 is Milano).
	cadastralPattern = regexp.MustCompile(`^[A-Z][0-9]{3}$`)
)

type checker struct {
	d    *Dataset
	errs Errors
}

func (c *checker) add(path, reason string) {
	file, line := c.d.locate(path)
	c.errs = append(c.errs, LineError{File: file, Line: line, Field: path, Reason: reason})
}

func (c *checker) required(path, value string) bool {
	if value == "" {
		c.add(path, "is required")
		return false
	}
	return true
}

// check validates the whole dataset and returns every problem found.
func (d *Dataset) check() Errors {
	c := &checker{d: d}
	c.required("version", d.Version)

	schools := map[string]bool{}
	for _, s := range d.Schools {
		schools[s.Code] = true
	}
	hosts := map[string]bool{} // the schools hosting a hub, whose login is their email
	for _, a := range d.Ambiti {
		hosts[a.CTIHostSchool] = true
	}
	for _, pl := range d.PoliStart {
		hosts[pl.HostSchool] = true
	}
	comuni := map[string]bool{}
	for _, cm := range d.Comuni {
		comuni[cm.ISTAT] = true
	}

	ambiti := map[string]bool{}
	if len(d.Ambiti) == 0 {
		c.add("ambiti", "at least one ambito is required")
	}
	for i, a := range d.Ambiti {
		p := fmt.Sprintf("ambiti[%d]", i)
		c.unique(p+".code", a.Code, "ambito", ambiti)
		c.required(p+".name", a.Name)
		c.required(p+".cti_name", a.CTIName)
		c.schoolRef(p+".cti_host_school", a.CTIHostSchool, schools)
	}

	covered := map[int]string{}
	poli := map[string]bool{}
	for i, pl := range d.PoliStart {
		p := fmt.Sprintf("poli_start[%d]", i)
		c.unique(p+".code", pl.Code, "polo", poli)
		c.required(p+".name", pl.Name)
		c.schoolRef(p+".host_school", pl.HostSchool, schools)
		if len(pl.Municipi) == 0 {
			c.add(p+".municipi", "a polo covers at least one municipio")
		}
		for j, m := range pl.Municipi {
			mp := fmt.Sprintf("%s.municipi[%d]", p, j)
			switch {
			case m < 1 || m > enrolment.MunicipiOfMilano:
				c.add(mp, fmt.Sprintf("municipio %d does not exist (1 to %d)", m, enrolment.MunicipiOfMilano))
			case covered[m] != "":
				c.add(mp, fmt.Sprintf("municipio %d is already covered by polo %s", m, covered[m]))
			default:
				covered[m] = pl.Code
			}
		}
	}
	if len(d.PoliStart) > 0 {
		for m := 1; m <= enrolment.MunicipiOfMilano; m++ {
			if covered[m] == "" {
				c.add("poli_start", fmt.Sprintf("no polo covers municipio %d", m))
			}
		}
	} else {
		c.add("poli_start", "the Poli START of Milano are required")
	}

	seenComuni := map[string]bool{}
	seenCadastral := map[string]string{}
	for i, cm := range d.Comuni {
		p := fmt.Sprintf("comuni[%d]", i)
		if c.required(p+".istat", cm.ISTAT) {
			switch {
			case !istatPattern.MatchString(cm.ISTAT):
				c.add(p+".istat", fmt.Sprintf("%q is not the ISTAT code of a comune of the Città Metropolitana (015 and three digits)", cm.ISTAT))
			case seenComuni[cm.ISTAT]:
				c.add(p+".istat", fmt.Sprintf("comune %s is listed twice", cm.ISTAT))
			}
			seenComuni[cm.ISTAT] = true
		}
		c.required(p+".name", cm.Name)
		if c.required(p+".ambito", cm.Ambito) && !ambiti[cm.Ambito] {
			c.add(p+".ambito", fmt.Sprintf("ambito %s is not among the ambiti", cm.Ambito))
		}
		if cm.PEC != "" {
			c.address(p+".pec", cm.PEC)
		}
		switch {
		case cm.Cadastral == "":
		case !cadastralPattern.MatchString(cm.Cadastral):
			c.add(p+".cadastral", fmt.Sprintf("%q is not a codice catastale (a letter and three digits, e.g. F205)", cm.Cadastral))
		case seenCadastral[cm.Cadastral] != "":
			c.add(p+".cadastral", fmt.Sprintf("codice catastale %s is already comune %s's", cm.Cadastral, seenCadastral[cm.Cadastral]))
		default:
			seenCadastral[cm.Cadastral] = cm.ISTAT
		}
	}
	if !comuni[enrolment.MilanoISTAT] {
		c.add("comuni", "Milano ("+enrolment.MilanoISTAT+") is required: the Poli START serve it")
	}

	seenSchools := map[string]bool{}
	for i, s := range d.Schools {
		p := fmt.Sprintf("schools[%d]", i)
		if c.required(p+".code", s.Code) {
			switch {
			case !meccanograficoPattern.MatchString(s.Code):
				c.add(p+".code", fmt.Sprintf("%q is not a codice meccanografico (ten characters, e.g. MIIC8AB00C)", s.Code))
			case seenSchools[s.Code]:
				c.add(p+".code", fmt.Sprintf("school %s is listed twice", s.Code))
			}
			seenSchools[s.Code] = true
		}
		c.required(p+".name", s.Name)
		if len(s.Levels) == 0 {
			c.add(p+".levels", "a school teaches at least one level")
		}
		for j, l := range s.Levels {
			if !enrolment.Level(l).Valid() {
				c.add(fmt.Sprintf("%s.levels[%d]", p, j), fmt.Sprintf("%q is not a school level", l))
			}
		}
		if c.required(p+".comune", s.Comune) && !comuni[s.Comune] {
			c.add(p+".comune", fmt.Sprintf("comune %s is not among the comuni", s.Comune))
		}
		switch {
		// A school in Milano may lack its municipio (0): the registry does not give it
		// and some CAPs do not settle it. It then stays out of every Polo START's
		// territory, which Load reports.
		case s.Comune == enrolment.MilanoISTAT && (s.Municipio < 0 || s.Municipio > enrolment.MunicipiOfMilano):
			c.add(p+".municipio", fmt.Sprintf("municipio %d does not exist (1 to %d; 0 for not known)", s.Municipio, enrolment.MunicipiOfMilano))
		case s.Comune != enrolment.MilanoISTAT && s.Municipio != 0:
			c.add(p+".municipio", "only schools in Milano have a municipio")
		}
		// The registry has "Non Disponibile" for the email or PEC of many paritarie:
		// such a school is loaded, and Load reports that it cannot be onboarded by PEC.
		// A hub's host school needs its email: the hub's login and notices go there.
		if s.Email != "" || hosts[s.Code] {
			c.address(p+".email", s.Email)
		}
		if s.PEC != "" {
			c.address(p+".pec", s.PEC)
		}
	}
	c.checkCalendar()
	return c.errs
}

// unique requires a code and remembers it in seen, reporting a second use.
func (c *checker) unique(path, code, what string, seen map[string]bool) {
	if !c.required(path, code) {
		return
	}
	if seen[code] {
		c.add(path, fmt.Sprintf("%s %s is listed twice", what, code))
	}
	seen[code] = true
}

func (c *checker) schoolRef(path, code string, schools map[string]bool) {
	if !c.required(path, code) {
		return
	}
	if !meccanograficoPattern.MatchString(code) {
		c.add(path, fmt.Sprintf("%q is not a codice meccanografico", code))
		return
	}
	if len(c.d.Schools) > 0 && !schools[code] {
		c.add(path, fmt.Sprintf("school %s is not among the schools", code))
	}
}

func (c *checker) address(path, value string) {
	if !c.required(path, value) {
		return
	}
	if a, err := mail.ParseAddress(value); err != nil || a.Address != value {
		c.add(path, fmt.Sprintf("%q is not an email address", value))
	}
}
