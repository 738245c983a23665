// Package weblink builds the addresses of the portal's pages that Approdo's messages send
// people to: a case, an intervention, a reunification journey, the login page and the
// pages where an invited user chooses a password or a user resets one. The portal serves
// these paths; building every link here keeps the emails and the pages in step.
//
// Each function takes the portal's public base URL (PUBLIC_URL, e.g.
// https://approdo.example.it); a trailing slash is ignored.
package weblink

import (
	"net/url"
	"strings"
)

// The paths of the pages; a case, intervention or journey ID follows the path, a token
// comes in the query (?token=…).
const (
	CasePath         = "/casi/"
	InterventionPath = "/interventi/"
	JourneyPath      = "/ricongiungimenti/"
	LoginPath        = "/accesso"
	InvitationPath   = "/accesso/invito"
	ResetPath        = "/accesso/reimposta"
)

// Case is the page of an enrolment case: base/casi/{id}.
func Case(base, id string) string {
	return at(base, CasePath+url.PathEscape(id))
}

// Intervention is the page of a dropout-risk intervention: base/interventi/{id}, where id
// is the intervention's ID ("intervention-<case>-<referral>").
func Intervention(base, id string) string {
	return at(base, InterventionPath+url.PathEscape(id))
}

// Journey is the page of a family reunification journey: base/ricongiungimenti/{id}.
func Journey(base, id string) string {
	return at(base, JourneyPath+url.PathEscape(id))
}

// Login is the login page: base/accesso.
func Login(base string) string {
	return at(base, LoginPath)
}

// Invitation is where an invited user chooses a password with the invitation's token:
// base/accesso/invito?token=….
func Invitation(base, token string) string {
	return at(base, InvitationPath) + "?token=" + url.QueryEscape(token)
}

// Reset is where a user chooses a new password with a reset token:
// base/accesso/reimposta?token=….
func Reset(base, token string) string {
	return at(base, ResetPath) + "?token=" + url.QueryEscape(token)
}

func at(base, path string) string {
	return strings.TrimRight(base, "/") + path
}
