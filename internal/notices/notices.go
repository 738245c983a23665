// Package notices writes the messages Approdo sends about a case: a subject, a text and
// an HTML body for each kind of notice, in Italian, and for families in their language
// (Italian, English, Ukrainian, Arabic), falling back to Italian; and the messages about
// an account.
//
// The texts are in the catalogs of package i18n (internal/i18n/locales): notices to
// organisations in notices.staff.it.toml, to families in notices.family.<lang>.toml,
// account messages in account.it.toml, one table per kind.
//
// A notice says only what its recipient needs: that there is something to do and where.
// The minor's name and the case's details stay in Approdo, behind its access rules.
package notices

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"strings"

	"github.com/approdo/approdo/internal/i18n"
)

// The catalog areas of the messages; a kind's texts are <area>.<kind>.subject and
// <area>.<kind>.body.
const (
	staffArea   = "notices.staff"
	familyArea  = "notices.family"
	accountArea = "account"
)

// Data is what a notice may mention.
type Data struct {
	CaseID string
	// Link is where the recipient acts on the case.
	Link string
	// For the family: the placement.
	SchoolName string
	Section    string
	StartDate  string
}

// AccountData is what a message about an account may mention.
type AccountData struct {
	// Organisation is the name of the account's organisation, e.g. "Comune di Rho".
	Organisation string
	// Login is the address the user logs in with.
	Login string
	// Secret is the temporary password, or the secret of a link; Link is where to use it.
	Secret string
	Link   string
}

// Message is a rendered notice.
type Message struct {
	Subject, Text, HTML string
	// Lang is the language it is written in.
	Lang string
}

// ForStaff renders a notice of kind to an organisation.
func ForStaff(kind string, d Data) (Message, error) {
	if !i18n.Default().Has(staffArea + "." + kind + ".subject") {
		return Message{}, fmt.Errorf("no notice for %q", kind)
	}
	return render(i18n.Default().LocalizerFor(staffArea, i18n.Italian), staffArea+"."+kind, d)
}

// ForFamily renders a notice of kind to a family in lang, or in Italian if there is none
// in lang. It reports false for a kind families are not told about.
func ForFamily(kind, lang string, d Data) (Message, bool, error) {
	if !i18n.Default().Has(familyArea + "." + kind + ".subject") {
		return Message{}, false, nil
	}
	m, err := render(i18n.Default().LocalizerFor(familyArea, lang), familyArea+"."+kind, d)
	return m, true, err
}

// ForAccount renders a message of kind about an account.
func ForAccount(kind string, d AccountData) (Message, error) {
	if !i18n.Default().Has(accountArea + "." + kind + ".subject") {
		return Message{}, fmt.Errorf("no account message for %q", kind)
	}
	return render(i18n.Default().LocalizerFor(accountArea, i18n.Italian), accountArea+"."+kind, d)
}

// render writes the message whose texts are id.subject and id.body; the body's lines
// become the HTML's paragraphs.
func render(l *i18n.Localizer, id string, d any) (Message, error) {
	subject, err := l.Localize(id+".subject", d)
	if err != nil {
		return Message{}, err
	}
	body, err := l.Localize(id+".body", d)
	if err != nil {
		return Message{}, err
	}
	var html bytes.Buffer
	err = htmlPage.Execute(&html, struct {
		Lang, Dir, Subject string
		Lines              []string
	}{l.Lang(), l.Dir(), subject, strings.Split(body, "\n")})
	if err != nil {
		return Message{}, err
	}
	return Message{Subject: subject, Text: body + "\n", HTML: html.String(), Lang: l.Lang()}, nil
}

// htmlPage escapes every value: a school name from the reference data cannot inject
// markup.
var htmlPage = htmltemplate.Must(htmltemplate.New("page").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}" dir="{{.Dir}}"><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body>{{range .Lines}}<p>{{.}}</p>{{end}}</body></html>
`))
