package enrolment

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/language"

	"github.com/approdo/approdo/internal/codicefiscale"
)

// MilanoISTAT is the ISTAT code of the Comune di Milano, the only comune split into
// municipi and served by the Poli START.
const MilanoISTAT = "015146"

// MunicipiOfMilano is how many municipi Milan has.
const MunicipiOfMilano = 9

// Limits on free text. They are generous for what the fields hold, and stop a pasted
// document from filling the database.
const (
	maxShortText = 200
	maxNoteText  = 2000
	maxLanguages = 10
	maxYears     = 15
)

var phonePattern = regexp.MustCompile(`^\+?[0-9][0-9 ]{5,19}$`)

// validateForm checks the fields of the full form, adding every problem to v.
func (r Request) validateForm(v *ValidationError) {
	switch r.Minor.Sex {
	case "":
		v.add("minor.sex", "è obbligatorio")
	case "F", "M":
	default:
		v.add("minor.sex", "deve essere F o M")
	}
	if r.Minor.Citizenship == "" {
		v.add("minor.citizenship", "è obbligatoria")
	} else if !isCountry(r.Minor.Citizenship) {
		v.add("minor.citizenship", "deve essere il codice ISO 3166-1 a due lettere di uno stato, ad esempio UA")
	}
	if r.Minor.CodiceFiscale != "" {
		if _, err := codicefiscale.Validate(r.Minor.CodiceFiscale); err != nil {
			v.add("minor.codiceFiscale", err.Error())
		}
	}

	if len(r.Languages) == 0 {
		v.add("languages", "indicare almeno una lingua parlata dal minore")
	}
	if len(r.Languages) > maxLanguages {
		v.add("languages", fmt.Sprintf("al massimo %d lingue", maxLanguages))
	}
	for i, tag := range r.Languages {
		if !isLanguage(tag) {
			v.add(fmt.Sprintf("languages[%d]", i), "deve essere un codice di lingua ISO 639, ad esempio uk o ar")
		}
	}

	if r.PriorSchooling.Years < 0 || r.PriorSchooling.Years > maxYears {
		v.add("priorSchooling.years", fmt.Sprintf("deve essere tra 0 e %d", maxYears))
	}
	validateText(v, "priorSchooling.lastClassAbroad", r.PriorSchooling.LastClassAbroad, maxShortText)
	if r.SpecialNeeds.Note != "" && !r.SpecialNeeds.Present {
		v.add("specialNeeds.note", "va indicata solo se specialNeeds.present è true")
	}
	validateText(v, "specialNeeds.note", r.SpecialNeeds.Note, maxNoteText)

	if r.Guardian.Name == "" {
		v.add("guardian.name", "è obbligatorio")
	} else {
		validateName(v, "guardian.name", r.Guardian.Name)
	}
	if r.Guardian.Phone == "" && r.Guardian.Email == "" {
		v.add("guardian", "indicare almeno un telefono o un indirizzo email")
	}
	if r.Guardian.Phone != "" && !phonePattern.MatchString(r.Guardian.Phone) {
		v.add("guardian.phone", "deve contenere solo cifre e spazi, con prefisso internazionale facoltativo (+39 …)")
	}
	if r.Guardian.Email != "" {
		if addr, err := mail.ParseAddress(r.Guardian.Email); err != nil || addr.Address != r.Guardian.Email {
			v.add("guardian.email", "non è un indirizzo email valido")
		}
	}
	if r.Guardian.PreferredLanguage != "" && !isLanguage(r.Guardian.PreferredLanguage) {
		v.add("guardian.preferredLanguage", "deve essere un codice di lingua ISO 639, ad esempio uk")
	}

	if r.Residence.Address == "" {
		v.add("residence.address", "è obbligatorio")
	} else {
		validateText(v, "residence.address", r.Residence.Address, maxShortText)
	}
	switch {
	case r.Comune == MilanoISTAT && r.Residence.Municipio == 0:
		v.add("residence.municipio", fmt.Sprintf("è obbligatorio per chi risiede a Milano (da 1 a %d)", MunicipiOfMilano))
	case r.Comune == MilanoISTAT && (r.Residence.Municipio < 1 || r.Residence.Municipio > MunicipiOfMilano):
		v.add("residence.municipio", fmt.Sprintf("deve essere tra 1 e %d", MunicipiOfMilano))
	case r.Comune != MilanoISTAT && r.Residence.Municipio != 0:
		v.add("residence.municipio", "va indicato solo per chi risiede a Milano")
	}

	switch {
	case r.Origin == "":
		v.add("origin", "è obbligatoria")
	case !r.Origin.valid():
		v.add("origin", "deve essere uno tra ukrainian_refugee, family_reunification, other_recent_immigration")
	}
	validateText(v, "notes", r.Notes, maxNoteText)
}

func (o Origin) valid() bool {
	for _, known := range Origins {
		if o == known {
			return true
		}
	}
	return false
}

func validateText(v *ValidationError, field, value string, max int) {
	switch {
	case !utf8.ValidString(value):
		v.add(field, "contiene caratteri non validi")
	case utf8.RuneCountInString(value) > max:
		v.add(field, fmt.Sprintf("può contenere al massimo %d caratteri", max))
	}
}

// isCountry accepts ISO 3166-1 alpha-2 codes of countries (not of regions like "EU").
func isCountry(code string) bool {
	if len(code) != 2 || strings.ToUpper(code) != code {
		return false
	}
	region, err := language.ParseRegion(code)
	return err == nil && region.IsCountry()
}

// isLanguage accepts a base language code (ISO 639), lower case, e.g. "uk", "ar", "tir".
func isLanguage(code string) bool {
	if code != strings.ToLower(code) || len(code) < 2 || len(code) > 3 {
		return false
	}
	_, err := language.ParseBase(code)
	return err == nil
}

// SuggestedClass is the class that the minor's age points to (DPR 394/1999 art. 45): the
// hub may change it, and the school's teaching staff decides.
type SuggestedClass struct {
	Level Level `json:"level"`
	// Year is the class within the level (1 for the first); 0 for infanzia.
	Year int `json:"year"`
}

// SuggestClass returns the class for a minor born on born, for the school year under way
// on day: a school year starts on 1 September, and the age that counts is the one reached
// by 31 December of its first calendar year. It reports false for a child too young for
// school.
func SuggestClass(born, day time.Time) (SuggestedClass, bool) {
	startYear := day.Year()
	if day.Month() < time.September {
		startYear--
	}
	age := startYear - born.Year()
	switch {
	case age < 3:
		return SuggestedClass{}, false
	case age < 6:
		return SuggestedClass{Level: LevelInfanzia}, true
	case age <= 10:
		return SuggestedClass{Level: LevelPrimaria, Year: age - 5}, true
	case age <= 13:
		return SuggestedClass{Level: LevelSecondariaPrimoGrado, Year: age - 10}, true
	default:
		year := age - 13
		if year > 5 {
			year = 5
		}
		return SuggestedClass{Level: LevelSecondariaSecondoGrado, Year: year}, true
	}
}
