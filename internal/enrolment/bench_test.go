package enrolment_test

import (
	"testing"

	"github.com/approdo/approdo/internal/enrolment"
)

// BenchmarkValidate measures the checks every POST /enrolments runs before it touches
// Temporal or the database.
func BenchmarkValidate(b *testing.B) {
	r := validRequest()
	for b.Loop() {
		if err := r.Normalize().Validate(today); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIdentity measures deriving a case's ID and fingerprint.
func BenchmarkIdentity(b *testing.B) {
	r := validRequest()
	for b.Loop() {
		_ = enrolment.CaseID(r.Comune, r.RequestID)
		_ = r.Hash()
	}
}
