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

// Minor is the child a request is about. Its fields are personal data: they never go into
// logs, error messages or search attributes.
type Minor struct {
	GivenName  string `json:"givenName"`
	FamilyName string `json:"familyName"`
	// BirthDate is kept as the ISO date string the caller sent, so that the request hash
	// and the stored form are exactly what was filed.
	BirthDate string `json:"birthDate"`
}

// Request is an enrolment request as filed by a comune. This is the minimal form of the
// first slice; the full form of the UST platform extends it.
type Request struct {
	// RequestID is chosen by the caller (a UUID) and makes filing idempotent.
	RequestID string `json:"requestId"`
	// Comune is the ISTAT code of the comune of residence.
	Comune string `json:"comune"`
	Level  Level  `json:"level"`
	Minor  Minor  `json:"minor"`
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
