package enrolment

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/approdo/approdo/internal/codicefiscale"
)

// FieldError says what is wrong with one field. Reason is in Italian: it is shown to the
// operator of the comune who filled in the form.
type FieldError struct {
	Field  string
	Reason string
}

// ValidationError lists every field error of a request at once, so that the caller can
// fix the whole form in one go. Its Error text names only fields, never their values,
// because values are personal data.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	names := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		names[i] = f.Field
	}
	return "invalid request: " + strings.Join(names, ", ")
}

func (e *ValidationError) add(field, reason string) {
	e.Fields = append(e.Fields, FieldError{Field: field, Reason: reason})
}

// maxNameLength bounds names to what a civil registry holds; anything longer is a paste
// error, not a name.
const maxNameLength = 100

// MaxAge is the age from which a person is no longer a minor.
const MaxAge = 18

// istatCittaMetropolitana matches the ISTAT code of a comune of the Città Metropolitana di
// Milano: the province code 015 followed by three digits.
var istatCittaMetropolitana = regexp.MustCompile(`^015[0-9]{3}$`)

// Normalize trims surrounding white space from the free-text fields, so that "Olena " and
// "Olena" are the same request.
func (r Request) Normalize() Request {
	r.RequestID = strings.ToLower(strings.TrimSpace(r.RequestID))
	r.Comune = strings.TrimSpace(r.Comune)
	r.Level = Level(strings.TrimSpace(string(r.Level)))
	r.Minor.GivenName = strings.TrimSpace(r.Minor.GivenName)
	r.Minor.FamilyName = strings.TrimSpace(r.Minor.FamilyName)
	r.Minor.BirthDate = strings.TrimSpace(r.Minor.BirthDate)
	r.Minor.Sex = strings.ToUpper(strings.TrimSpace(r.Minor.Sex))
	r.Minor.Citizenship = strings.ToUpper(strings.TrimSpace(r.Minor.Citizenship))
	r.Minor.CodiceFiscale = codicefiscale.Normalize(r.Minor.CodiceFiscale)
	if r.Languages != nil {
		langs := make([]string, len(r.Languages))
		for i, l := range r.Languages {
			langs[i] = strings.ToLower(strings.TrimSpace(l))
		}
		r.Languages = langs
	}
	r.PriorSchooling.LastClassAbroad = strings.TrimSpace(r.PriorSchooling.LastClassAbroad)
	r.SpecialNeeds.Note = strings.TrimSpace(r.SpecialNeeds.Note)
	r.Guardian.Name = strings.TrimSpace(r.Guardian.Name)
	r.Guardian.Phone = strings.TrimSpace(r.Guardian.Phone)
	r.Guardian.Email = strings.TrimSpace(r.Guardian.Email)
	r.Guardian.PreferredLanguage = strings.ToLower(strings.TrimSpace(r.Guardian.PreferredLanguage))
	r.Residence.Address = strings.TrimSpace(r.Residence.Address)
	r.Origin = Origin(strings.TrimSpace(string(r.Origin)))
	r.Notes = strings.TrimSpace(r.Notes)
	return r
}

// Validate checks a normalized request as of the given day and returns a
// *ValidationError listing every problem, or nil.
func (r Request) Validate(today time.Time) error {
	var v ValidationError

	switch {
	case r.RequestID == "":
		v.add("requestId", "è obbligatorio")
	case !isUUID(r.RequestID):
		v.add("requestId", "deve essere un UUID, ad esempio 3f2c1a9e-8d7b-4c6a-9e5f-1a2b3c4d5e6f")
	}

	switch {
	case r.Comune == "":
		v.add("comune", "è obbligatorio")
	case !istatCittaMetropolitana.MatchString(r.Comune):
		v.add("comune", "deve essere il codice ISTAT a 6 cifre di un comune della Città Metropolitana di Milano (prefisso 015)")
	}

	switch {
	case r.Level == "":
		v.add("level", "è obbligatorio")
	case !r.Level.Valid():
		v.add("level", fmt.Sprintf("deve essere uno tra %s", levelList()))
	}

	validateName(&v, "minor.givenName", r.Minor.GivenName)
	validateName(&v, "minor.familyName", r.Minor.FamilyName)
	validateBirthDate(&v, r.Minor.BirthDate, today)
	r.validateForm(&v)

	if len(v.Fields) > 0 {
		return &v
	}
	return nil
}

func isUUID(s string) bool {
	// uuid.Parse also accepts the urn: and braced forms; a request ID must be the plain
	// 36-character form so that it reads the same everywhere it is shown.
	if len(s) != 36 {
		return false
	}
	_, err := uuid.Parse(s)
	return err == nil
}

func validateName(v *ValidationError, field, name string) {
	switch {
	case name == "":
		v.add(field, "è obbligatorio")
	case !utf8.ValidString(name):
		v.add(field, "contiene caratteri non validi")
	case utf8.RuneCountInString(name) > maxNameLength:
		v.add(field, fmt.Sprintf("può contenere al massimo %d caratteri", maxNameLength))
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		v.add(field, "contiene caratteri di controllo")
	}
}

func validateBirthDate(v *ValidationError, value string, today time.Time) {
	const field = "minor.birthDate"
	if value == "" {
		v.add(field, "è obbligatoria")
		return
	}
	born, err := time.Parse(DateLayout, value)
	if err != nil {
		v.add(field, "non è una data valida (formato AAAA-MM-GG)")
		return
	}
	day := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	switch {
	case born.After(day):
		v.add(field, "non può essere nel futuro")
	case AgeOn(born, day) >= MaxAge:
		v.add(field, fmt.Sprintf("il minore deve avere meno di %d anni", MaxAge))
	}
}

// AgeOn returns the age in whole years of someone born on born, on the day day.
func AgeOn(born, day time.Time) int {
	age := day.Year() - born.Year()
	if day.Month() < born.Month() || (day.Month() == born.Month() && day.Day() < born.Day()) {
		age--
	}
	return age
}

func levelList() string {
	names := make([]string, len(Levels))
	for i, l := range Levels {
		names[i] = string(l)
	}
	return strings.Join(names, ", ")
}
