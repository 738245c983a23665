// Package enrolment holds the domain rules of an enrolment case: what a request must
// contain, how it is validated, and how a case is identified. It does no I/O, so the API,
// the workflows and the store can all rely on it without pulling each other in.
package enrolment
