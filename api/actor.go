package api

import (
	"net/http"
	"regexp"

	"github.com/approdo/approdo/internal/casework"
)

// actorFrom reads the acting organisation from the Approdo-Organisation header. It is a
// stand-in for authentication, which replaces it: until then the API must not be exposed
// beyond the machine (it listens on loopback by default).
func actorFrom(header *string) (casework.Org, *Problem) {
	if header == nil || *header == "" {
		p := newProblem(http.StatusUnauthorized, problemUnauthenticated, "Organizzazione non indicata",
			"Indicare l'organizzazione che agisce nell'intestazione Approdo-Organisation, ad esempio «cti:21» o «school:MIIC90001A».")
		return casework.Org{}, &p
	}
	org, err := casework.ParseOrg(*header)
	if err != nil || org.Kind == casework.OrgFamily || org.Kind == casework.OrgOrientation {
		p := newProblem(http.StatusUnauthorized, problemUnauthenticated, "Organizzazione non valida",
			"Approdo-Organisation deve essere comune:<ISTAT>, cti:<ambito>, polo_start:<codice>, school:<codice meccanografico> o ust.")
		return casework.Org{}, &p
	}
	return org, nil
}

var idempotencyKeyPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,100}$`)

// idempotencyKey checks the optional Idempotency-Key header; empty means none.
func idempotencyKey(header *string) (string, *Problem) {
	if header == nil {
		return "", nil
	}
	if !idempotencyKeyPattern.MatchString(*header) {
		p := fieldProblem("Idempotency-Key", "deve avere da 1 a 100 caratteri tra lettere, cifre e . _ : -")
		return "", &p
	}
	return *header, nil
}
