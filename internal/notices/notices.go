// Package notices writes the messages Approdo sends about a case: a subject, a text and
// an HTML body for each kind of notice, in Italian, and for families in their language
// (Italian, English, Ukrainian, Arabic), falling back to Italian.
//
// A notice says only what its recipient needs: that there is something to do and where.
// The minor's name and the case's details stay in Approdo, behind its access rules.
package notices

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"strings"
	"text/template"
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

type text struct {
	subject, body string
}

// staff are the notices to organisations, in Italian.
var staff = map[string]text{
	"case_assigned":           {"Nuovo caso di iscrizione assegnato", "È stato assegnato al vostro hub un nuovo caso di iscrizione scolastica ({{.CaseID}}).\nProporre una scuola entro la scadenza: {{.Link}}"},
	"proposal":                {"Proposta di iscrizione da valutare", "L'hub ha proposto la vostra scuola per un caso di iscrizione ({{.CaseID}}).\nAccettare o rifiutare entro la scadenza: {{.Link}}"},
	"proposal_rejected":       {"Proposta rifiutata dalla scuola", "La scuola ha rifiutato la proposta per il caso {{.CaseID}}. Proporre un'altra scuola: {{.Link}}"},
	"proposal_withdrawn":      {"Proposta ritirata", "L'hub ha ritirato la proposta per il caso {{.CaseID}}: non serve più una decisione."},
	"placement_confirmed":     {"Iscrizione confermata", "Il minore del caso {{.CaseID}} è iscritto. Dettagli: {{.Link}}"},
	"reminder":                {"Promemoria: scadenza vicina", "Il caso {{.CaseID}} attende una vostra azione e la scadenza è vicina: {{.Link}}"},
	"deadline_missed":         {"Scadenza superata", "La scadenza del caso {{.CaseID}} è passata ed è stata segnalata all'UST. È ancora possibile agire: {{.Link}}"},
	"escalation":              {"Caso segnalato all'UST", "Il caso {{.CaseID}} ha superato una scadenza o il limite di proposte e richiede l'intervento dell'UST: {{.Link}}"},
	"case_unrouted":           {"Caso senza hub competente", "Per il caso {{.CaseID}} non è stato trovato un hub nei dati di riferimento: assegnarlo a un hub: {{.Link}}"},
	"case_withdrawn":          {"Richiesta ritirata", "Il comune ha ritirato la richiesta del caso {{.CaseID}}: non serve più alcuna azione."},
	"case_transferred":        {"Caso trasferito", "La famiglia del caso {{.CaseID}} si è trasferita: il caso è passato al nuovo territorio."},
	"case_reassigned":         {"Caso riassegnato", "Il caso {{.CaseID}} è stato assegnato a un altro hub."},
	"attendance_check":        {"Verifica di frequenza", "È il momento di confermare se l'alunno del caso {{.CaseID}} frequenta: {{.Link}}"},
	"dropout_referral":        {"Segnalazione di rischio dispersione", "Per l'alunno del caso {{.CaseID}} è aperta una segnalazione di rischio dispersione: {{.Link}}"},
	"direct_enrolment":        {"Iscrizione diretta registrata", "Una scuola ha registrato un'iscrizione diretta ({{.CaseID}}), ora seguita nel monitoraggio."},
	"school_change":           {"Cambio di scuola", "A seguito dell'intervento del servizio di orientamento, l'alunno del caso {{.CaseID}} cambia scuola: il caso torna all'hub per una nuova proposta: {{.Link}}"},
	"intervention_opened":     {"Nuovo intervento contro la dispersione", "È aperto un intervento per l'alunno del caso {{.CaseID}} a rischio di dispersione: prenderlo in carico entro la scadenza: {{.Link}}"},
	"intervention_reminder":   {"Promemoria: intervento in scadenza", "L'intervento per l'alunno del caso {{.CaseID}} attende un'azione e la scadenza è vicina: {{.Link}}"},
	"intervention_escalation": {"Intervento segnalato all'UST", "L'intervento per l'alunno del caso {{.CaseID}} ha superato una scadenza e richiede l'attenzione dell'UST: {{.Link}}"},
	"intervention_closed":     {"Intervento concluso", "L'intervento del servizio di orientamento per l'alunno del caso {{.CaseID}} è concluso."},
	"notice_undelivered":      {"Avviso PEC non consegnato", "Un avviso PEC del caso {{.CaseID}} non è stato consegnato al destinatario. Verificare l'indirizzo PEC nei dati di riferimento e avvisare il destinatario: {{.Link}}"},
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

// account are the messages about accounts, in Italian: staff accounts are Italian
// public offices.
var account = map[string]text{
	"credentials": {"Credenziali di accesso ad Approdo",
		"Spett.le {{.Organisation}},\nper consultare e presentare le richieste di iscrizione scolastica dei minori neoarrivati è stato attivato il vostro accesso ad Approdo, la piattaforma dell'Ufficio Scolastico Territoriale di Milano.\nUtente: {{.Login}}\nPassword provvisoria: {{.Secret}}\nAl primo accesso vi sarà chiesto di sceglierne una nuova: {{.Link}}\nLa password provvisoria vale solo per il primo accesso. Se non avete richiesto questo accesso, informate l'UST."},
	"login_reminder": {"Promemoria: primo accesso ad Approdo",
		"Spett.le {{.Organisation}},\nle credenziali di accesso ad Approdo inviate con PEC precedente non risultano ancora usate. Accedete con l'utente {{.Login}} e la password provvisoria ricevuta: {{.Link}}\nSe la PEC con le credenziali non vi è arrivata, contattate l'UST."},
	"invitation": {"Invito ad Approdo",
		"Gentile utente,\nè stato creato per voi un accesso ad Approdo per {{.Organisation}} (utente {{.Login}}). Scegliete la vostra password da questo collegamento, valido una sola volta: {{.Link}}"},
	"reset": {"Reimpostazione della password di Approdo",
		"Gentile utente,\nè stata chiesta la reimpostazione della password dell'utente {{.Login}}. Sceglietene una nuova da questo collegamento, valido una sola volta: {{.Link}}\nSe non l'avete chiesta voi, ignorate questo messaggio."},
}

// ForAccount renders a message of kind about an account.
func ForAccount(kind string, d AccountData) (Message, error) {
	t, ok := account[kind]
	if !ok {
		return Message{}, fmt.Errorf("no account message for %q", kind)
	}
	return render(t, "it", d)
}

// family are the notices to a minor's family, by language.
var family = map[string]map[string]text{
	"placement_confirmed": {
		"it": {"Iscrizione a scuola confermata", "Gentile famiglia, vostro figlio o vostra figlia è iscritto/a alla scuola {{.SchoolName}}, sezione {{.Section}}. Il primo giorno è il {{.StartDate}}."},
		"en": {"School enrolment confirmed", "Dear family, your child is enrolled at {{.SchoolName}}, section {{.Section}}. The first day of school is {{.StartDate}}."},
		"uk": {"Зарахування до школи підтверджено", "Шановна родино, вашу дитину зараховано до школи {{.SchoolName}}, клас (секція) {{.Section}}. Перший день навчання — {{.StartDate}}."},
		"ar": {"تم تأكيد التسجيل في المدرسة", "عائلتنا الكريمة، تم تسجيل طفلكم في مدرسة {{.SchoolName}}، الشعبة {{.Section}}. أول يوم دراسي هو {{.StartDate}}."},
	},
}

// Message is a rendered notice.
type Message struct {
	Subject, Text, HTML string
	// Lang is the language it is written in.
	Lang string
}

// ForStaff renders a notice of kind to an organisation.
func ForStaff(kind string, d Data) (Message, error) {
	t, ok := staff[kind]
	if !ok {
		return Message{}, fmt.Errorf("no notice for %q", kind)
	}
	return render(t, "it", d)
}

// ForFamily renders a notice of kind to a family in lang, or in Italian if there is none
// in lang. It reports false for a kind families are not told about.
func ForFamily(kind, lang string, d Data) (Message, bool, error) {
	texts, ok := family[kind]
	if !ok {
		return Message{}, false, nil
	}
	lang = strings.ToLower(strings.SplitN(lang, "-", 2)[0])
	t, ok := texts[lang]
	if !ok {
		lang, t = "it", texts["it"]
	}
	m, err := render(t, lang, d)
	return m, true, err
}

func render(t text, lang string, d any) (Message, error) {
	subject, err := execText(t.subject, d)
	if err != nil {
		return Message{}, err
	}
	body, err := execText(t.body, d)
	if err != nil {
		return Message{}, err
	}
	dir := "ltr"
	if lang == "ar" {
		dir = "rtl"
	}
	var html bytes.Buffer
	err = htmlPage.Execute(&html, struct {
		Lang, Dir, Subject string
		Lines              []string
	}{lang, dir, subject, strings.Split(body, "\n")})
	if err != nil {
		return Message{}, err
	}
	return Message{Subject: subject, Text: body + "\n", HTML: html.String(), Lang: lang}, nil
}

func execText(src string, d any) (string, error) {
	t, err := template.New("").Option("missingkey=error").Parse(src)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := t.Execute(&b, d); err != nil {
		return "", err
	}
	return b.String(), nil
}

// htmlPage escapes every value: a school name from the reference data cannot inject
// markup.
var htmlPage = htmltemplate.Must(htmltemplate.New("page").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}" dir="{{.Dir}}"><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body>{{range .Lines}}<p>{{.}}</p>{{end}}</body></html>
`))
