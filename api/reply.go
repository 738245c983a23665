package api

import (
	"encoding/json"
	"net/http"
)

// reply is the answer of the endpoints added with the case actions: a JSON body with a
// status, or a problem. One type serves them all, so a handler can return any of the
// statuses the document lists without a generated type for each pair of operation and
// status; openapi.yaml remains the contract of what those statuses are.
type reply struct {
	status   int
	body     any
	location string
	headers  map[string]string
	cookies  []*http.Cookie
}

func ok(body any) reply { return reply{status: http.StatusOK, body: body} }

func problemReply(p Problem) reply { return reply{status: p.Status, body: p} }

func (r reply) write(w http.ResponseWriter) error {
	for k, v := range r.headers {
		w.Header().Set(k, v)
	}
	for _, c := range r.cookies {
		http.SetCookie(w, c)
	}
	if r.body == nil {
		w.WriteHeader(r.status)
		return nil
	}
	contentType := "application/json"
	if _, isProblem := r.body.(Problem); isProblem {
		contentType = problemContentType
	}
	w.Header().Set("Content-Type", contentType)
	if r.location != "" {
		w.Header().Set("Location", r.location)
	}
	w.WriteHeader(r.status)
	return json.NewEncoder(w).Encode(r.body)
}

func (r reply) VisitProposeSchoolResponse(w http.ResponseWriter) error     { return r.write(w) }
func (r reply) VisitDecideProposalResponse(w http.ResponseWriter) error    { return r.write(w) }
func (r reply) VisitWithdrawProposalResponse(w http.ResponseWriter) error  { return r.write(w) }
func (r reply) VisitReassignCaseResponse(w http.ResponseWriter) error      { return r.write(w) }
func (r reply) VisitWithdrawEnrolmentResponse(w http.ResponseWriter) error { return r.write(w) }
func (r reply) VisitTransferCaseResponse(w http.ResponseWriter) error      { return r.write(w) }
func (r reply) VisitConfirmAttendanceResponse(w http.ResponseWriter) error { return r.write(w) }
func (r reply) VisitCreateDirectEnrolmentResponse(w http.ResponseWriter) error {
	return r.write(w)
}
func (r reply) VisitListEnrolmentsResponse(w http.ResponseWriter) error  { return r.write(w) }
func (r reply) VisitListTasksResponse(w http.ResponseWriter) error       { return r.write(w) }
func (r reply) VisitCreateEnrolmentResponse(w http.ResponseWriter) error { return r.write(w) }
func (r reply) VisitGetEnrolmentResponse(w http.ResponseWriter) error    { return r.write(w) }
func (r reply) VisitGetMonitoringResponse(w http.ResponseWriter) error   { return r.write(w) }

// noContent answers an action whose case the caller can no longer see.
func noContent() reply { return reply{status: http.StatusNoContent} }

func (r reply) VisitGetPlacementTimeResponse(w http.ResponseWriter) error { return r.write(w) }
func (r reply) VisitExportMonitoringResponse(w http.ResponseWriter) error { return r.write(w) }
