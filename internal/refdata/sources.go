package refdata

import (
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/approdo/approdo/internal/enrolment"
)

// Sources are public data files and operator tables applied over the reference data
// file before it is checked, so that an operator refreshes a part of the territory from
// its source instead of editing YAML by hand. Each is optional.
type Sources struct {
	// ISTAT is ISTAT's list of comuni: it replaces the comuni (a comune merged into
	// another disappears, a new one appears) and gives their cadastral codes. A comune
	// keeps the ambito and PEC it had in the file.
	ISTAT string
	// Ambiti is the comune → ambito table (see readAmbiti).
	Ambiti string
	// IndicePA is IndicePA's open data of enti: it gives the comuni their PEC.
	IndicePA string
	// Schools are files of the Ministry's school registry (state schools, paritarie):
	// their istituti replace the file's schools of the same code and are added to the
	// others. They need the comuni's cadastral codes.
	Schools []string
	// Municipi is Milano's CAP / school → municipio table, for the registry's schools in
	// Milano.
	Municipi string
	// Patrons is the comuni's patron days table (see readPatrons).
	Patrons string
	// Closures is the regional school calendar's closures (see readClosures): they
	// replace the file's.
	Closures string
}

// Files lists the files of the sources, for a caller that fingerprints an import.
func (s Sources) Files() []string {
	var files []string
	for _, f := range append([]string{s.ISTAT, s.Ambiti, s.IndicePA, s.Municipi, s.Patrons, s.Closures}, s.Schools...) {
		if f != "" {
			files = append(files, f)
		}
	}
	return files
}

// Load reads the reference data file at path, applies src and checks the result. It
// returns Errors listing every problem of every file with its file and line, or another
// error if a file cannot be read at all; notes say what the sources changed. Reading a
// big source shows its progress on out (nil: no progress).
func Load(path string, src Sources, out io.Writer) (*Dataset, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("open reference data: %w", err)
	}
	defer f.Close()
	d, err := decode(f)
	if err != nil {
		return nil, nil, err
	}
	notes, errs, err := d.apply(src, out)
	if err != nil {
		return nil, notes, err
	}
	// The check runs even when a source had problems: one round of corrections should
	// fix them all.
	errs = append(errs, withoutRepeats(d.check(), errs)...)
	if len(errs) > 0 {
		return nil, notes, errs
	}
	return d, append(notes, d.schoolGaps()...), nil
}

// schoolGaps reports what the schools lack that the territory needs, without refusing
// them (the Ministry's registry is the source, and it has these gaps): a school without
// a PEC cannot be onboarded by PEC (`approdo onboard schools` lists it, and a named
// contact replaces the address); a PEC shared by several schools (one managing body's)
// is the login of one of them only; a school in Milano without a municipio is in no
// Polo START's territory.
func (d *Dataset) schoolGaps() []string {
	var notes []string
	noPEC, neither := 0, 0
	byPEC := map[string][]string{}
	var noMunicipio []string
	otherLevels := 0
	for _, s := range d.Schools {
		switch {
		case s.PEC == "" && s.Email == "":
			noPEC++
			neither++
		case s.PEC == "":
			noPEC++
		default:
			byPEC[s.PEC] = append(byPEC[s.PEC], s.Code)
		}
		if s.Comune == enrolment.MilanoISTAT && s.Municipio == 0 {
			if s.Teaches(enrolment.LevelPrimaria) || s.Teaches(enrolment.LevelSecondariaPrimoGrado) {
				noMunicipio = append(noMunicipio, s.Code)
			} else {
				otherLevels++
			}
		}
	}
	if noPEC > 0 {
		notes = append(notes, fmt.Sprintf(
			"contacts: %d of %d schools have no PEC (\"Non Disponibile\" in the registry), %d of them no email either: they cannot be onboarded by PEC; `approdo onboard schools` lists them, and each needs a named contact (-contacts)",
			noPEC, len(d.Schools), neither))
	}
	var shared []string
	sharing := 0
	for pec, codes := range byPEC {
		if len(codes) > 1 {
			shared = append(shared, pec+" ("+strings.Join(codes, ", ")+")")
			sharing += len(codes)
		}
	}
	if len(shared) > 0 {
		slices.Sort(shared)
		notes = append(notes, fmt.Sprintf(
			"contacts: %d PEC addresses are each shared by several schools (%d schools): an address is the login of one organisation, so all but one school of each need a named contact to be onboarded: %s",
			len(shared), sharing, strings.Join(shared, "; ")))
	}
	if len(noMunicipio)+otherLevels > 0 {
		note := fmt.Sprintf("municipi: %d schools in Milano have no municipio", len(noMunicipio)+otherLevels)
		if otherLevels > 0 {
			note += fmt.Sprintf("; %d of them teach neither primaria nor secondaria di I grado, whose cases go to the CTI of Milano's ambito, which does not need it", otherLevels)
		}
		if len(noMunicipio) > 0 {
			note += fmt.Sprintf("; %d teach primaria or secondaria di I grado, and no Polo START can propose them until the municipi table has a row for their code: %s",
				len(noMunicipio), strings.Join(noMunicipio, ", "))
		}
		notes = append(notes, note)
	}
	return notes
}

// apply applies the sources in the order they depend on each other: the comuni first,
// their cadastral codes being what the schools are matched by.
func (d *Dataset) apply(src Sources, out io.Writer) (notes []string, errs Errors, err error) {
	if d.origins == nil {
		d.origins = map[string]origin{}
	}
	if src.ISTAT != "" {
		rows, err := readISTAT(src.ISTAT, out, &errs)
		if err != nil {
			return notes, errs, err
		}
		if len(rows) > 0 {
			notes = append(notes, d.replaceComuni(rows, filepath.Base(src.ISTAT), &errs))
		}
	}
	if src.Ambiti != "" {
		rows, err := readAmbiti(src.Ambiti, out, &errs)
		if err != nil {
			return notes, errs, err
		}
		notes = append(notes, d.assignAmbiti(rows, filepath.Base(src.Ambiti), &errs))
	}
	if src.IndicePA != "" {
		istat := map[string]bool{}
		for _, c := range d.Comuni {
			istat[c.ISTAT] = true
		}
		rows, err := readIndicePA(src.IndicePA, istat, out, &errs)
		if err != nil {
			return notes, errs, err
		}
		notes = append(notes, d.assignPEC(rows, filepath.Base(src.IndicePA)))
	}
	if src.Patrons != "" {
		rows, err := readPatrons(src.Patrons, out, &errs)
		if err != nil {
			return notes, errs, err
		}
		notes = append(notes, d.assignPatrons(rows, filepath.Base(src.Patrons), &errs))
	}
	if src.Closures != "" {
		note, err := d.readClosures(src.Closures, out, &errs)
		if err != nil {
			return notes, errs, err
		}
		if note != "" {
			notes = append(notes, note)
		}
	}
	if len(src.Schools) > 0 {
		more, err := d.addSchools(src, out, &errs)
		notes = append(notes, more...)
		if err != nil {
			return notes, errs, err
		}
	}
	return notes, errs, nil
}

// withoutRepeats drops the check's "needs its municipio" for a school whose source line
// already says why it has none.
func withoutRepeats(checked, sourced Errors) Errors {
	var out Errors
	for _, e := range checked {
		repeat := strings.HasSuffix(e.Field, ".municipio") && slices.ContainsFunc(sourced, func(s LineError) bool {
			return s.File != "" && s.File == e.File && s.Line == e.Line
		})
		if !repeat {
			out = append(out, e)
		}
	}
	return out
}

// maxComuniGone is how many comuni one refresh of ISTAT's list may remove. A merger
// removes two or three; more means a partial or wrong file, which would leave the
// requests of the missing comuni refused.
const maxComuniGone = 5

// replaceComuni makes rows the comuni, keeping each one's ambito and PEC.
func (d *Dataset) replaceComuni(rows []istatComune, file string, errs *Errors) string {
	before := map[string]Comune{}
	for _, c := range d.Comuni {
		before[c.ISTAT] = c
	}
	d.forget("comuni")
	d.Comuni = make([]Comune, len(rows))
	var added []string
	for i, r := range rows {
		c, known := before[r.istat]
		if !known {
			added = append(added, r.istat+" "+r.name)
		}
		delete(before, r.istat)
		c.ISTAT, c.Name, c.Cadastral = r.istat, r.name, r.cadastral
		d.Comuni[i] = c
		d.origins[fmt.Sprintf("comuni[%d]", i)] = origin{file: file, line: r.line}
	}
	note := fmt.Sprintf("%s: %d comuni of province %s", file, len(rows), ProvinceMilano)
	if len(added) > 0 && len(added) < len(rows) {
		note += fmt.Sprintf("; new: %s", strings.Join(added, ", "))
	}
	if len(before) > 0 {
		var gone []string
		for code, c := range before {
			gone = append(gone, code+" "+c.Name)
		}
		slices.Sort(gone)
		note += fmt.Sprintf("; no longer in ISTAT's list, removed: %s", strings.Join(gone, ", "))
		if len(gone) > maxComuniGone {
			*errs = append(*errs, LineError{File: file, Line: 1, Field: "(file)", Reason: fmt.Sprintf(
				"%d comuni of the reference data are not in this list (%s…): a merger removes a few; is this ISTAT's complete, current list?",
				len(gone), strings.Join(gone[:maxComuniGone], ", "))})
		}
	}
	return note
}

// assignAmbiti sets the ambito of the comuni in rows.
func (d *Dataset) assignAmbiti(rows []ambitoRow, file string, errs *Errors) string {
	index := d.comuneIndex()
	covered := map[int]bool{}
	for _, r := range rows {
		i, ok := index[r.istat]
		if !ok {
			*errs = append(*errs, LineError{File: file, Line: r.line, Field: "istat", Reason: fmt.Sprintf("comune %s is not among the comuni", r.istat)})
			continue
		}
		covered[i] = true
		d.Comuni[i].Ambito = r.ambito
		d.origins[fmt.Sprintf("comuni[%d].ambito", i)] = origin{file: file, line: r.line}
	}
	return fmt.Sprintf("%s: the ambito of %d of %d comuni", file, len(covered), len(d.Comuni))
}

// assignPEC sets the PEC of the comuni in rows.
func (d *Dataset) assignPEC(rows []indicePAComune, file string) string {
	index := d.comuneIndex()
	var without []string
	found := map[string]bool{}
	assigned := 0
	for _, r := range rows {
		i := index[r.istat]
		found[r.istat] = true
		if r.pec == "" {
			without = append(without, fmt.Sprintf("%s %s (line %d: no address of kind Pec)", r.istat, d.Comuni[i].Name, r.line))
			continue
		}
		d.Comuni[i].PEC = r.pec
		assigned++
		d.origins[fmt.Sprintf("comuni[%d].pec", i)] = origin{file: file, line: r.line}
	}
	for _, c := range d.Comuni {
		if !found[c.ISTAT] {
			without = append(without, c.ISTAT+" "+c.Name+" (not in the file)")
		}
	}
	note := fmt.Sprintf("%s: the PEC of %d of %d comuni", file, assigned, len(d.Comuni))
	if len(without) > 0 && len(without) <= 20 {
		note += "; the others keep the PEC they had: " + strings.Join(without, ", ")
	} else if len(without) > 0 {
		note += fmt.Sprintf("; the other %d keep the PEC they had", len(without))
	}
	return note
}

// addSchools reads the registry files and merges their istituti into the schools.
func (d *Dataset) addSchools(src Sources, out io.Writer, errs *Errors) ([]string, error) {
	first := filepath.Base(src.Schools[0])
	cadastral := map[string]string{}
	for _, c := range d.Comuni {
		if c.Cadastral != "" {
			cadastral[c.Cadastral] = c.ISTAT
		}
	}
	if len(cadastral) == 0 {
		*errs = append(*errs, LineError{File: first, Line: 1, Field: "CODICECOMUNESCUOLA",
			Reason: "the registry names comuni by cadastral code, and the comuni have none: give ISTAT's list of comuni too"})
		return nil, nil
	}
	var municipi map[string]municipioRow
	municipiFile := ""
	if src.Municipi != "" {
		municipiFile = filepath.Base(src.Municipi)
		var err error
		if municipi, err = readMunicipi(src.Municipi, out, errs); err != nil {
			return nil, err
		}
	}
	var notes []string
	istituti := map[string]*registrySchool{}
	for _, path := range src.Schools {
		n, err := readRegistry(path, cadastral, istituti, out, errs)
		if err != nil {
			return notes, err
		}
		note := fmt.Sprintf("%s: %d rows, %d of them in the territory", filepath.Base(path), n.rows, n.kept)
		if n.outside > 0 {
			note += fmt.Sprintf("; %d outside it (schools of other comuni), skipped", n.outside)
		}
		if n.kept == 0 {
			note += "; no school of the territory in this file"
		}
		if len(n.strays) > 0 {
			note += fmt.Sprintf("; of these, %d are in the province of Milano by the registry but their comune is not among the comuni (a merger? give ISTAT's current list): %s",
				len(n.strays), strings.Join(n.strays, ", "))
		}
		notes = append(notes, note)
	}

	index := map[string]int{}
	for i, s := range d.Schools {
		index[s.Code] = i
	}
	codes := make([]string, 0, len(istituti))
	for code := range istituti {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	var noLevel []string
	added, replaced := 0, 0
	inMilano, unsettled := 0, map[string]int{} // why a Milano school has no municipio → how many
	for _, code := range codes {
		sc := istituti[code]
		if len(sc.Levels) == 0 {
			// An istituto whose plessi are all outside the territory, or a tipologia
			// that is only an aggregate: nobody can be placed in it.
			noLevel = append(noLevel, code)
			continue
		}
		slices.SortFunc(sc.Levels, func(a, b string) int {
			return slices.Index(enrolment.Levels, enrolment.Level(a)) - slices.Index(enrolment.Levels, enrolment.Level(b))
		})
		if sc.Comune == enrolment.MilanoISTAT {
			inMilano++
			var why string
			sc.Municipio, why = milanMunicipio(sc, municipi, municipiFile, errs)
			if why != "" {
				unsettled[why]++
			}
		}
		i, ok := index[code]
		if ok {
			replaced++
			d.Schools[i] = sc.School
			d.forget(fmt.Sprintf("schools[%d]", i))
		} else {
			added++
			i = len(d.Schools)
			d.Schools = append(d.Schools, sc.School)
		}
		d.origins[fmt.Sprintf("schools[%d]", i)] = sc.origin
	}
	note := fmt.Sprintf("schools: %d istituti from the registry (%d new, %d replacing the file's)", added+replaced, added, replaced)
	if len(noLevel) > 0 {
		note += fmt.Sprintf("; %d left out, no level of theirs in the territory: %s", len(noLevel), strings.Join(noLevel, ", "))
	}
	notes = append(notes, note)
	if len(unsettled) > 0 {
		var whys []string
		settled := inMilano
		for _, why := range slices.Sorted(maps.Keys(unsettled)) {
			whys = append(whys, fmt.Sprintf("%d with %s", unsettled[why], why))
			settled -= unsettled[why]
		}
		notes = append(notes, fmt.Sprintf("%s: the municipio of %d of the registry's %d schools in Milano; the others have none: %s",
			municipiFile, settled, inMilano, strings.Join(whys, ", ")))
	}
	return notes, nil
}

// milanMunicipio finds the municipio of a school in Milano in the municipi table: by the
// school's code, else by its CAP. The registry does not give it. A CAP the table cannot
// settle leaves the school without one, and says why (the import reports it): the
// registry gives some schools only the city's generic CAP, 20100, and refusing the
// whole registry for it would leave the territory without its schools. Only a missing
// table is an error.
func milanMunicipio(sc *registrySchool, table map[string]municipioRow, file string, errs *Errors) (municipio int, why string) {
	if table == nil {
		*errs = append(*errs, LineError{File: sc.origin.file, Line: sc.origin.line, Field: "CAPSCUOLA",
			Reason: fmt.Sprintf("school %s is in Milano, and its municipio comes from Milano's municipi table: give it too", sc.Code)})
		return 0, ""
	}
	if m, ok := table[sc.Code]; ok && m.municipio != 0 {
		return m.municipio, ""
	}
	m, ok := table[sc.cap]
	switch {
	case sc.cap == "":
		return 0, "no CAP"
	case sc.cap == milanoGenericCAP:
		return 0, "CAP 20100, the city's generic one"
	case !ok:
		return 0, fmt.Sprintf("CAP %s, not in the table", sc.cap)
	case m.municipio == 0:
		return 0, fmt.Sprintf("CAP %s, which spans municipi (table line %d)", sc.cap, m.line)
	}
	return m.municipio, ""
}

// milanoGenericCAP is the postcode of all of Milano before the city had one per area;
// the registry still gives it to some schools.
const milanoGenericCAP = "20100"

// comuneIndex maps each comune's ISTAT code to its index.
func (d *Dataset) comuneIndex() map[string]int {
	index := make(map[string]int, len(d.Comuni))
	for i, c := range d.Comuni {
		index[c.ISTAT] = i
	}
	return index
}

// forget drops the YAML lines recorded under prefix (e.g. "schools[3]"), whose item a
// source replaced: a problem in it must point at the source, not at the YAML.
func (d *Dataset) forget(prefix string) {
	for p := range d.lines {
		if p == prefix || strings.HasPrefix(p, prefix+".") || strings.HasPrefix(p, prefix+"[") {
			delete(d.lines, p)
		}
	}
	for p := range d.origins {
		if strings.HasPrefix(p, prefix+".") || strings.HasPrefix(p, prefix+"[") {
			delete(d.origins, p)
		}
	}
}
