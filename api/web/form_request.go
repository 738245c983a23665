package web

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/internal/enrolment"
)

// requestFields are the inputs of the enrolment request form, named as the app names
// the fields in its errors (minor.birthDate, guardian.phone…), so that every error lands
// on its input.
var requestFields = []string{
	"requestId", "comune", "level",
	"minor.givenName", "minor.familyName", "minor.birthDate", "minor.sex", "minor.citizenship", "minor.codiceFiscale",
	"languages", "priorSchooling.years", "priorSchooling.lastClassAbroad",
	"specialNeeds.present", "specialNeeds.note",
	"guardian.name", "guardian.phone", "guardian.email", "guardian.preferredLanguage",
	"residence.address", "residence.municipio", "origin", "notes",
}

// parseRequestForm turns the posted form into an enrolment request. The only errors it
// finds itself are numbers that are not numbers; every rule of the request is the app's
// (enrolment.Request.Validate). Languages are comma- or space-separated codes.
func parseRequestForm(form url.Values) (enrolment.Request, []app.FieldError) {
	get := func(name string) string { return strings.TrimSpace(form.Get(name)) }
	var fields []app.FieldError
	number := func(name, reason string) int {
		s := get(name)
		if s == "" {
			return 0
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			fields = append(fields, app.FieldError{Field: name, Reason: reason})
		}
		return n
	}
	r := enrolment.Request{
		RequestID: get("requestId"),
		Comune:    get("comune"),
		Level:     enrolment.Level(get("level")),
		Minor: enrolment.Minor{
			GivenName:     get("minor.givenName"),
			FamilyName:    get("minor.familyName"),
			BirthDate:     get("minor.birthDate"),
			Sex:           get("minor.sex"),
			Citizenship:   get("minor.citizenship"),
			CodiceFiscale: get("minor.codiceFiscale"),
		},
		Languages: splitLanguages(get("languages")),
		PriorSchooling: enrolment.PriorSchooling{
			Years:           number("priorSchooling.years", "deve essere un numero intero di anni, ad esempio 3"),
			LastClassAbroad: get("priorSchooling.lastClassAbroad"),
		},
		SpecialNeeds: enrolment.SpecialNeeds{
			Present: form.Get("specialNeeds.present") != "",
			Note:    get("specialNeeds.note"),
		},
		Guardian: enrolment.Guardian{
			Name:              get("guardian.name"),
			Phone:             get("guardian.phone"),
			Email:             get("guardian.email"),
			PreferredLanguage: get("guardian.preferredLanguage"),
		},
		Residence: enrolment.Residence{
			Address:   get("residence.address"),
			Municipio: number("residence.municipio", "deve essere un numero da 1 a 9"),
		},
		Origin: enrolment.Origin(get("origin")),
		Notes:  get("notes"),
	}
	return r, fields
}

var languageSeparators = regexp.MustCompile(`[\s,;]+`)

// splitLanguages reads "uk, ru" as [uk ru]; nil when empty.
func splitLanguages(s string) []string {
	var out []string
	for _, l := range languageSeparators.Split(s, -1) {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// requestFormValues are the typed values of the form, to show it again as it was.
func requestFormValues(form url.Values) map[string]string {
	values := make(map[string]string, len(requestFields))
	for _, name := range requestFields {
		if v := form.Get(name); v != "" {
			values[name] = v
		}
	}
	return values
}

// requestFieldOf is the input an error of the app lands on: the languages' errors
// (languages[2]) on the languages' input, the guardian's contacts (guardian) on the
// phone, the rest on the input of the same name.
func requestFieldOf(field string) string {
	switch {
	case strings.HasPrefix(field, "languages["):
		return "languages"
	case field == "guardian":
		return "guardian.phone"
	}
	return field
}

// requestErrors gathers field errors by input (requestFieldOf), every error of an
// input in one text.
func requestErrors(fields []app.FieldError) map[string]string {
	out := map[string]string{}
	for _, f := range fields {
		name := requestFieldOf(f.Field)
		if prev, ok := out[name]; ok {
			out[name] = prev + "; " + f.Reason
			continue
		}
		out[name] = f.Reason
	}
	return out
}

// labelled starts each error with its input's label (labelOf), so that the page's
// error summary says which field each is about.
func labelled(errs map[string]string, labelOf func(string) string) map[string]string {
	for name, reason := range errs {
		errs[name] = labelOf(name) + ": " + reason
	}
	return errs
}
