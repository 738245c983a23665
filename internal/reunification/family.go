// Package reunification describes a family in the family-reunification procedure as the
// Prefettura's Sportello Unico sends it to the one-stop shop (FAMI "Lab Impact", Azione
// 2): the sponsor who lives here, the members joining, the nulla osta, and which of the
// children must be enrolled at school.
//
// Every field of a family is personal data: none goes into logs, errors or search
// attributes.
package reunification

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/text/language"

	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/internal/start"
)

// DateLayout is the layout of every date of a family: ISO 8601, as the Prefettura sends it.
const DateLayout = time.DateOnly

// plausibleYears bounds a nulla osta's issue and an expected arrival around today: a nulla
// osta is valid for months, not decades.
const plausibleYears = 10

// Relation is how a joining member is related to the sponsor.
type Relation string

// The members the reunification brings: children, the other parent (spouse), and
// dependent parents of the sponsor.
const (
	RelationChild  Relation = "child"
	RelationSpouse Relation = "spouse"
	RelationParent Relation = "parent"
)

// Sponsor is the parent who lives in Italy and asked for the reunification.
type Sponsor struct {
	GivenName  string `json:"givenName"`
	FamilyName string `json:"familyName"`
	Phone      string `json:"phone,omitempty"`
	Email      string `json:"email,omitempty"`
	// Comune is the ISTAT code of the comune where the family will live; Address and, for
	// Milano, Municipio are where.
	Comune    string `json:"comune"`
	Address   string `json:"address,omitempty"`
	Municipio int    `json:"municipio,omitempty"`
}

// Member is a person joining the sponsor.
type Member struct {
	GivenName  string   `json:"givenName"`
	FamilyName string   `json:"familyName"`
	BirthDate  string   `json:"birthDate"`
	Sex        string   `json:"sex,omitempty"`
	Relation   Relation `json:"relation"`
	// Citizenship is an ISO 3166-1 alpha-2 country code.
	Citizenship string `json:"citizenship,omitempty"`
}

// NullaOsta is the authorisation the Sportello Unico issued; the visa must be asked for
// within its validity (six months today: a setting, since the law changes).
type NullaOsta struct {
	Number   string `json:"number"`
	IssuedOn string `json:"issuedOn"`
}

// Family is one reunification procedure.
type Family struct {
	// Reference is the Prefettura's identifier of the procedure: sending the same
	// reference again never opens a second journey.
	Reference string    `json:"reference"`
	Sponsor   Sponsor   `json:"sponsor"`
	Members   []Member  `json:"members"`
	NullaOsta NullaOsta `json:"nullaOsta"`
	// ExpectedArrival is when the family is expected, if known.
	ExpectedArrival string `json:"expectedArrival,omitempty"`
	// Language is the family's preferred language (BCP 47), for interviews and notices.
	Language string `json:"language,omitempty"`
	Notes    string `json:"notes,omitempty"`
}

// FieldError says what is wrong with one field, in Italian for the operator. Field is a
// JSON path such as "members[1].birthDate".
type FieldError = enrolment.FieldError

// Normalize trims the free-text fields, so that a resent family with stray spaces is the
// same family.
func (f Family) Normalize() Family {
	f.Reference = strings.TrimSpace(f.Reference)
	f.Sponsor.GivenName = strings.TrimSpace(f.Sponsor.GivenName)
	f.Sponsor.FamilyName = strings.TrimSpace(f.Sponsor.FamilyName)
	f.Sponsor.Phone = strings.TrimSpace(f.Sponsor.Phone)
	f.Sponsor.Email = strings.ToLower(strings.TrimSpace(f.Sponsor.Email))
	f.Sponsor.Comune = strings.TrimSpace(f.Sponsor.Comune)
	f.Sponsor.Address = strings.TrimSpace(f.Sponsor.Address)
	members := make([]Member, len(f.Members))
	for i, m := range f.Members {
		m.GivenName, m.FamilyName = strings.TrimSpace(m.GivenName), strings.TrimSpace(m.FamilyName)
		m.BirthDate, m.Sex = strings.TrimSpace(m.BirthDate), strings.ToUpper(strings.TrimSpace(m.Sex))
		m.Relation = Relation(strings.ToLower(strings.TrimSpace(string(m.Relation))))
		m.Citizenship = strings.ToUpper(strings.TrimSpace(m.Citizenship))
		members[i] = m
	}
	f.Members = members
	f.NullaOsta.Number = strings.TrimSpace(f.NullaOsta.Number)
	f.NullaOsta.IssuedOn = strings.TrimSpace(f.NullaOsta.IssuedOn)
	f.ExpectedArrival = strings.TrimSpace(f.ExpectedArrival)
	f.Language = strings.TrimSpace(f.Language)
	f.Notes = strings.TrimSpace(f.Notes)
	return f
}

var (
	istat     = regexp.MustCompile(`^015[0-9]{3}$`)
	reference = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9/._-]{0,63}$`)
	country   = regexp.MustCompile(`^[A-Z]{2}$`)
)

// MaxMembers bounds a family: a longer list is a mistake in the data sent.
const MaxMembers = 20

// Validate returns every field error of a normalized family, or nil.
func (f Family) Validate(today time.Time) []FieldError {
	var errs []FieldError
	add := func(field, reason string) { errs = append(errs, FieldError{Field: field, Reason: reason}) }
	if !reference.MatchString(f.Reference) {
		add("reference", "è obbligatorio: lettere, cifre e / . _ - (al massimo 64)")
	}
	name(add, "sponsor.givenName", f.Sponsor.GivenName)
	name(add, "sponsor.familyName", f.Sponsor.FamilyName)
	if f.Sponsor.Phone == "" && f.Sponsor.Email == "" {
		add("sponsor.phone", "serve almeno un recapito: telefono o email")
	}
	if f.Sponsor.Email != "" {
		if a, err := mail.ParseAddress(f.Sponsor.Email); err != nil || a.Address != f.Sponsor.Email {
			add("sponsor.email", "non è un indirizzo email valido")
		}
	}
	if !istat.MatchString(f.Sponsor.Comune) {
		add("sponsor.comune", "deve essere il codice ISTAT di un comune della Città Metropolitana di Milano (015xxx)")
	}
	if f.Sponsor.Municipio != 0 && (f.Sponsor.Comune != enrolment.MilanoISTAT || f.Sponsor.Municipio < 1 || f.Sponsor.Municipio > 9) {
		add("sponsor.municipio", "vale solo per Milano, da 1 a 9")
	}
	switch {
	case len(f.Members) == 0:
		add("members", "serve almeno un familiare in arrivo")
	case len(f.Members) > MaxMembers:
		add("members", fmt.Sprintf("al massimo %d familiari", MaxMembers))
	}
	for i, m := range f.Members {
		field := fmt.Sprintf("members[%d].", i)
		name(add, field+"givenName", m.GivenName)
		name(add, field+"familyName", m.FamilyName)
		if born, err := time.Parse(DateLayout, m.BirthDate); err != nil {
			add(field+"birthDate", "è obbligatoria, nel formato AAAA-MM-GG")
		} else if born.After(today) || born.Before(today.AddDate(-120, 0, 0)) {
			add(field+"birthDate", "non è una data di nascita plausibile")
		}
		switch m.Relation {
		case RelationChild, RelationSpouse, RelationParent:
		default:
			add(field+"relation", "deve essere child, spouse o parent")
		}
		if m.Sex != "" && m.Sex != "F" && m.Sex != "M" {
			add(field+"sex", "deve essere F o M")
		}
		if m.Citizenship != "" && !country.MatchString(m.Citizenship) {
			add(field+"citizenship", "deve essere un codice di paese ISO a due lettere")
		}
	}
	if f.NullaOsta.Number == "" || len(f.NullaOsta.Number) > 64 {
		add("nullaOsta.number", "è obbligatorio (al massimo 64 caratteri)")
	}
	if issued, err := time.Parse(DateLayout, f.NullaOsta.IssuedOn); err != nil {
		add("nullaOsta.issuedOn", "è obbligatoria, nel formato AAAA-MM-GG")
	} else if issued.After(today) {
		add("nullaOsta.issuedOn", "non può essere nel futuro")
	} else if issued.Before(today.AddDate(-plausibleYears, 0, 0)) {
		// Year 0, which Go parses, is no date PostgreSQL stores: the journey would stop
		// saving.
		add("nullaOsta.issuedOn", "non è una data plausibile")
	}
	if f.ExpectedArrival != "" {
		if expected, err := time.Parse(DateLayout, f.ExpectedArrival); err == nil && (expected.Before(today.AddDate(-plausibleYears, 0, 0)) || expected.After(today.AddDate(plausibleYears, 0, 0))) {
			add("expectedArrival", "non è una data plausibile")
		} else if err != nil {
			add("expectedArrival", "deve essere nel formato AAAA-MM-GG")
		}
	}
	if f.Language != "" {
		if _, err := language.Parse(f.Language); err != nil {
			add("language", "non è un codice di lingua valido (es. ar, en, uk)")
		}
	}
	if len(f.Notes) > 2000 {
		add("notes", "al massimo 2000 caratteri")
	}
	return errs
}

func name(add func(field, reason string), field, value string) {
	switch {
	case value == "":
		add(field, "è obbligatorio")
	case len(value) > 100:
		add(field, "al massimo 100 caratteri")
	}
}

// Hash is a fingerprint of the family's content: the same reference with other content is
// a conflict, not a retry.
func (f Family) Hash() string {
	b, err := json.Marshal(f)
	if err != nil {
		panic("reunification: marshal family: " + err.Error())
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// journeyNamespace makes journey IDs from references (UUIDv5): the same procedure always
// gets the same journey.
var journeyNamespace = uuid.MustParse("6f1d9d0a-6c2b-4f51-9a52-7d0f0d6a5e21")

// JourneyID is the ID of the journey of the procedure reference, sent by source: an
// organisation ("prefettura:milano", or the one-stop shop opening one by hand). Two
// Prefetture that use the same reference get two journeys, so neither can learn from a
// conflict that the other used it.
func JourneyID(source, reference string) string {
	return uuid.NewSHA1(journeyNamespace, []byte(source+"\x00"+reference)).String()
}

// KindJourneyID is the ID a journey got before IDs were namespaced by organisation: by
// the kind of its sender ("prefettura"). A journey opened then keeps it (IDs are
// stored): store.JourneyIDFor finds it again when the organisation that opened it sends
// the same family.
func KindJourneyID(kind, reference string) string {
	return uuid.NewSHA1(journeyNamespace, []byte(kind+"\x00"+reference)).String()
}

// WorkflowID is the Temporal workflow ID of a journey (start.JourneyID, which owns it).
func WorkflowID(journeyID string) string { return start.JourneyID(journeyID) }

// Schooling is what the law asks of a minor's education at a given age.
type Schooling string

// Compulsory schooling runs from 6 to 16; from 16 to 18 a minor has the right and duty to
// education or training (diritto-dovere).
const (
	SchoolingNone       Schooling = ""
	SchoolingCompulsory Schooling = "compulsory"
	SchoolingRightDuty  Schooling = "right_duty"
)

// SchoolingOn says what schooling a person born on born needs on day.
func SchoolingOn(born, day time.Time) Schooling {
	age := enrolment.AgeOn(born, day)
	switch {
	case age >= 6 && age < 16:
		return SchoolingCompulsory
	case age >= 16 && age < 18:
		return SchoolingRightDuty
	}
	return SchoolingNone
}
