package enrolment

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"
)

// Level is the school level (ordine di scuola) a minor is to be placed in.
type Level string

// The school levels of the Italian system that Approdo places minors in.
const (
	LevelInfanzia               Level = "infanzia"
	LevelPrimaria               Level = "primaria"
	LevelSecondariaPrimoGrado   Level = "secondaria_primo_grado"
	LevelSecondariaSecondoGrado Level = "secondaria_secondo_grado"
	LevelCPIA                   Level = "cpia"
)

// Levels lists every valid Level, in the order of the school career.
var Levels = []Level{
	LevelInfanzia, LevelPrimaria, LevelSecondariaPrimoGrado, LevelSecondariaSecondoGrado, LevelCPIA,
}

// Valid reports whether l is one of Levels.
func (l Level) Valid() bool {
	for _, known := range Levels {
		if l == known {
			return true
		}
	}
	return false
}

// DateLayout is the ISO 8601 calendar date format used for every date in requests.
const DateLayout = "2006-01-02"

// Origin says why the minor has newly arrived.
type Origin string

// The origins the UST platform distinguishes.
const (
	OriginUkrainianRefugee     Origin = "ukrainian_refugee"
	OriginFamilyReunification  Origin = "family_reunification"
	OriginOtherRecentMigration Origin = "other_recent_immigration"
)

// Origins lists every valid Origin.
var Origins = []Origin{OriginUkrainianRefugee, OriginFamilyReunification, OriginOtherRecentMigration}

// Minor is the child a request is about. Its fields are personal data: they never go into
// logs, error messages or search attributes.
type Minor struct {
	GivenName  string `json:"givenName"`
	FamilyName string `json:"familyName"`
	// BirthDate is kept as the ISO date string the caller sent, so that the request hash
	// and the stored form are exactly what was filed.
	BirthDate string `json:"birthDate"`
	// Sex is "F" or "M", as on identity documents.
	Sex string `json:"sex,omitempty"`
	// Citizenship is an ISO 3166-1 alpha-2 country code.
	Citizenship string `json:"citizenship,omitempty"`
	// CodiceFiscale is optional: a newly arrived minor may have none yet, or a provisional
	// one that changes later.
	CodiceFiscale string `json:"codiceFiscale,omitempty"`
}

// PriorSchooling is what the minor attended before arriving.
type PriorSchooling struct {
	Years           int    `json:"years"`
	LastClassAbroad string `json:"lastClassAbroad,omitempty"`
}

// SpecialNeeds flags a minor who needs support. The note is for the hub and the school
// only.
type SpecialNeeds struct {
	Present bool   `json:"present"`
	Note    string `json:"note,omitempty"`
}

// Guardian is the adult the hub and the school contact.
type Guardian struct {
	Name  string `json:"name,omitempty"`
	Phone string `json:"phone,omitempty"`
	Email string `json:"email,omitempty"`
	// PreferredLanguage is a BCP 47 language tag (e.g. "uk"); notices to the family use it.
	PreferredLanguage string `json:"preferredLanguage,omitempty"`
}

// Residence is where the family lives.
type Residence struct {
	Address string `json:"address,omitempty"`
	// Municipio is one of Milan's nine municipi; it picks the Polo START and is set only
	// for Milano.
	Municipio int `json:"municipio,omitempty"`
}

// Request is an enrolment request as filed by a comune, with the fields of the UST
// platform's fixed form. The fields added after the first slice are left out of the JSON
// when empty, so that a case opened with the older form keeps its fingerprint (Hash) and
// its history still decodes.
type Request struct {
	// RequestID is chosen by the caller (a UUID) and makes filing idempotent.
	RequestID string `json:"requestId"`
	// Comune is the ISTAT code of the comune of residence.
	Comune         string         `json:"comune"`
	Level          Level          `json:"level"`
	Minor          Minor          `json:"minor"`
	Languages      []string       `json:"languages,omitempty"`
	PriorSchooling PriorSchooling `json:"priorSchooling,omitzero"`
	SpecialNeeds   SpecialNeeds   `json:"specialNeeds,omitzero"`
	Guardian       Guardian       `json:"guardian,omitzero"`
	Residence      Residence      `json:"residence,omitzero"`
	Origin         Origin         `json:"origin,omitempty"`
	Notes          string         `json:"notes,omitempty"`
}

// Hash is a fingerprint of the request's content. A repeated request with the same
// RequestID must carry the same hash; otherwise the caller reused an ID for different
// data, which is a conflict rather than a retry.
func (r Request) Hash() string {
	// json.Marshal of a struct is deterministic (fields in declaration order), which is
	// what a fingerprint needs.
	b, err := json.Marshal(r)
	if err != nil {
		// A struct of strings always marshals; reaching this is a programming error.
		panic("enrolment: marshal request: " + err.Error())
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// BirthDate returns the parsed birth date of a validated request.
func (r Request) BirthDate() time.Time {
	d, _ := time.Parse(DateLayout, r.Minor.BirthDate)
	return d
}
