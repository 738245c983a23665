package enrolment

import (
	"github.com/google/uuid"

	"github.com/approdo/approdo/internal/start"
)

// caseIDNamespace scopes the name-based UUIDs of cases. It is a fixed random UUID: changing
// it would change the ID of every future retry of an existing request.
var caseIDNamespace = uuid.MustParse("6b1f5a52-1d0e-4f43-9a8c-5d2e7c0b9f61")

// CaseID derives the case ID from who filed the request and the request ID the filer chose.
// Deriving it (UUID version 5) rather than drawing it makes a retried request land on the
// same case, and including the filer keeps two comuni that happen to pick the same request
// ID apart.
func CaseID(filer, requestID string) string {
	return uuid.NewSHA1(caseIDNamespace, []byte(filer+"\x00"+requestID)).String()
}

// WorkflowID is the Temporal workflow ID of a case (start.EnrolmentID, which owns it). It
// carries no personal data, since workflow IDs are shown in the Temporal Web UI and in
// logs.
func WorkflowID(caseID string) string { return start.EnrolmentID(caseID) }
