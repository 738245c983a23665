// Package refdata is the territory Approdo routes cases in: the comuni of the Città
// Metropolitana di Milano, the six ambiti with their CTI, the four Poli START with the
// Milan municipi each covers, and the schools. It lives in a YAML file that an operator
// can replace, because part of it (which comune belongs to which ambito, which school
// hosts each CTI, which municipi each Polo covers) could not be verified and must be
// correctable without a release.
package refdata

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Dataset is one version of the reference data.
type Dataset struct {
	// Version names this version of the file, e.g. "2026-11-22".
	Version string `yaml:"version"`
	// Sample is true for data that is illustrative, not verified. The dev stack loads a
	// sample; production refuses to run on one unless told to.
	Sample    bool     `yaml:"sample"`
	Ambiti    []Ambito `yaml:"ambiti"`
	PoliStart []Polo   `yaml:"poli_start"`
	Comuni    []Comune `yaml:"comuni"`
	Schools   []School `yaml:"schools"`
	// SchoolClosures are the breaks of the regional school calendar (Lombardia), school
	// year by school year: non-working days for schools' deadlines.
	SchoolClosures []SchoolClosure `yaml:"school_closures,omitempty"`

	// lines maps "section[index].field" to the line it was read from.
	lines map[string]int
	// origins names the source file and line of the items that came from a CSV source
	// (see Apply) rather than from the YAML file, by path ("comuni[3]").
	origins map[string]origin
}

// origin is where an item of the dataset was read from, when not from the YAML file.
type origin struct {
	file string
	line int
}

// Ambito is an ambito territoriale with its Centro Territoriale per l'Integrazione.
type Ambito struct {
	Code string `yaml:"code"`
	Name string `yaml:"name"`
	// CTIName is how the CTI is known; CTIHostSchool is the codice meccanografico of the
	// school that hosts it.
	CTIName       string `yaml:"cti_name"`
	CTIHostSchool string `yaml:"cti_host_school"`
}

// Polo is a Polo START: a network of Milan's primary and lower-secondary schools that
// takes the first-cycle cases of the municipi it covers.
type Polo struct {
	Code       string `yaml:"code"`
	Name       string `yaml:"name"`
	HostSchool string `yaml:"host_school"`
	Municipi   []int  `yaml:"municipi"`
}

// Comune is a comune of the Città Metropolitana.
type Comune struct {
	ISTAT  string `yaml:"istat"`
	Name   string `yaml:"name"`
	Ambito string `yaml:"ambito"`
	// PEC is the comune's certified mailbox (the protocol office), where placements are
	// notified. Optional: without it the comune's notices are not sent.
	PEC string `yaml:"pec,omitempty"`
	// Cadastral is the codice catastale (e.g. F205 for Milano): the Ministry's school
	// registry names a school's comune by it. Optional in the file, required to import
	// the registry.
	Cadastral string `yaml:"cadastral,omitempty"`
	// Patron is the day of the comune's patron saint ("MM-DD"), a holiday for the
	// offices and schools of that comune only (Milano's Sant'Ambrogio is "12-07");
	// PatronSource is where it was verified. Empty where it could not be verified.
	Patron       string `yaml:"patron,omitempty"`
	PatronSource string `yaml:"patron_source,omitempty"`
	// Rite is the liturgical rite of the comune's parishes, which sets the school
	// Carnival break: empty or "ambrosiano" (the Archdiocese of Milan's), or "romano".
	Rite string `yaml:"rite,omitempty"`
}

// School is an istituzione scolastica.
type School struct {
	// Code is the codice meccanografico.
	Code   string   `yaml:"code"`
	Name   string   `yaml:"name"`
	Levels []string `yaml:"levels"`
	Comune string   `yaml:"comune"`
	// Municipio is set for schools in Milano only.
	Municipio int    `yaml:"municipio"`
	Email     string `yaml:"email"`
	PEC       string `yaml:"pec,omitempty"`
}

// LineError is one problem in the file, at a line an operator can go to.
type LineError struct {
	// File is the source file, when it is not the reference data file itself.
	File   string
	Line   int
	Field  string
	Reason string
}

func (e LineError) String() string {
	if e.File != "" {
		return fmt.Sprintf("%s line %d: %s: %s", e.File, e.Line, e.Field, e.Reason)
	}
	return fmt.Sprintf("line %d: %s: %s", e.Line, e.Field, e.Reason)
}

// Errors lists every problem in a file. The whole file is checked before any is
// reported, so one correction round fixes them all.
type Errors []LineError

func (e Errors) Error() string {
	lines := make([]string, len(e))
	for i, le := range e {
		lines[i] = le.String()
	}
	return fmt.Sprintf("%d problem(s) in the reference data:\n%s", len(e), strings.Join(lines, "\n"))
}

// Parse reads and checks a reference data file. It returns Errors listing every problem
// with its line, or another error if the file is not YAML at all.
func Parse(r io.Reader) (*Dataset, error) {
	d, err := decode(r)
	if err != nil {
		return nil, err
	}
	if errs := d.check(); len(errs) > 0 {
		return nil, errs
	}
	return d, nil
}

// decode reads a reference data file without checking it, so that sources can be
// applied to it before the check.
func decode(r io.Reader) (*Dataset, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read reference data: %w", err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("reference data is not valid YAML: %w", err)
	}
	var d Dataset
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true) // a misspelt key is an error, not a silently missing value
	if err := dec.Decode(&d); err != nil {
		var typeErr *yaml.TypeError
		if errors.As(err, &typeErr) {
			return nil, Errors(typeErrors(typeErr))
		}
		return nil, fmt.Errorf("decode reference data: %w", err)
	}
	d.lines = map[string]int{}
	recordLines(&root, "", d.lines)
	return &d, nil
}

// ParseFile is Parse on the file at path.
func ParseFile(path string) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open reference data: %w", err)
	}
	defer f.Close()
	return Parse(f)
}

// typeErrors turns the YAML library's messages ("line 12: cannot unmarshal …") into
// LineErrors.
func typeErrors(err *yaml.TypeError) []LineError {
	out := make([]LineError, 0, len(err.Errors))
	for _, msg := range err.Errors {
		le := LineError{Field: "(value)", Reason: msg}
		if rest, ok := strings.CutPrefix(msg, "line "); ok {
			if n, reason, ok := strings.Cut(rest, ": "); ok {
				fmt.Sscanf(n, "%d", &le.Line)
				le.Reason = reason
			}
		}
		out = append(out, le)
	}
	return out
}

// recordLines walks the YAML tree and notes the line of every mapping key, by path.
func recordLines(n *yaml.Node, path string, lines map[string]int) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			recordLines(c, path, lines)
		}
	case yaml.MappingNode:
		if _, seen := lines[path]; path != "" && !seen {
			lines[path] = n.Line
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := n.Content[i], n.Content[i+1]
			p := key.Value
			if path != "" {
				p = path + "." + key.Value
			}
			lines[p] = key.Line
			recordLines(val, p, lines)
		}
	case yaml.SequenceNode:
		// A key's own line (set by the caller) reads better than its first item's.
		if _, seen := lines[path]; !seen {
			lines[path] = n.Line
		}
		for i, c := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			lines[p] = c.Line
			recordLines(c, p, lines)
		}
	}
}

// locate returns the file (empty for the YAML file) and line of path, or of its closest
// recorded parent.
func (d *Dataset) locate(path string) (string, int) {
	for p := path; p != ""; {
		if o, ok := d.origins[p]; ok {
			return o.file, o.line
		}
		if n, ok := d.lines[p]; ok {
			return "", n
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return "", 1
}

// WriteYAML writes the dataset as a reference data file, after header (each line becomes
// a comment): what an import with sources produced, kept as one file that says where it
// comes from.
func (d *Dataset) WriteYAML(w io.Writer, header string) error {
	for _, line := range strings.Split(strings.TrimRight(header, "\n"), "\n") {
		if _, err := fmt.Fprintln(w, strings.TrimRight("# "+line, " ")); err != nil {
			return err
		}
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(d); err != nil {
		return fmt.Errorf("write reference data: %w", err)
	}
	return enc.Close()
}
