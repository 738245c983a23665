package notices_test

import (
	"html"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/notices"
)

var data = notices.Data{CaseID: "0b39", Link: "http://127.0.0.1:8080/casi/0b39", SchoolName: "IC <Esempio> via Padova", Section: "B", StartDate: "30/11/2026"}

func TestEveryStaffNoticeRendersInItalian(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"case_assigned", "proposal", "proposal_rejected", "proposal_withdrawn", "placement_confirmed", "reminder",
		"deadline_missed", "escalation", "case_unrouted", "case_withdrawn", "case_transferred", "case_reassigned", "attendance_check",
		"dropout_referral", "direct_enrolment"} {
		m, err := notices.ForStaff(kind, data)
		require.NoError(t, err, kind)
		require.NotEmpty(t, m.Subject, kind)
		require.Contains(t, m.Text, "0b39", kind)
		require.Equal(t, "it", m.Lang)
	}
	_, err := notices.ForStaff("unknown", data)
	require.Error(t, err)
}

func TestFamilyNoticeInItsLanguage(t *testing.T) {
	t.Parallel()
	uk, ok, err := notices.ForFamily("placement_confirmed", "uk", data)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "uk", uk.Lang)
	require.Contains(t, uk.Text, "зараховано")
	require.Contains(t, uk.HTML, `lang="uk"`)
	require.Contains(t, uk.HTML, "IC &lt;Esempio&gt; via Padova", "names are escaped in HTML")

	ar, _, err := notices.ForFamily("placement_confirmed", "ar", data)
	require.NoError(t, err)
	require.Contains(t, ar.HTML, `dir="rtl"`)

	fallback, _, err := notices.ForFamily("placement_confirmed", "ti-ER", data)
	require.NoError(t, err)
	require.Equal(t, "it", fallback.Lang, "Tigrinya falls back to Italian")

	en, _, err := notices.ForFamily("placement_confirmed", "en-GB", data)
	require.NoError(t, err)
	require.Equal(t, "en", en.Lang)

	_, ok, err = notices.ForFamily("reminder", "uk", data)
	require.NoError(t, err)
	require.False(t, ok, "families are not sent staff reminders")
}

func TestNoticesCarryTheirLinkAndNameOnlyTheCase(t *testing.T) {
	t.Parallel()
	withoutLink := []string{"proposal_withdrawn", "case_withdrawn", "case_transferred", "case_reassigned", "direct_enrolment", "intervention_closed"}
	for _, kind := range []string{"case_assigned", "proposal", "proposal_rejected", "proposal_withdrawn", "placement_confirmed", "reminder",
		"deadline_missed", "escalation", "case_unrouted", "case_withdrawn", "case_transferred", "case_reassigned", "attendance_check",
		"dropout_referral", "direct_enrolment", "school_change", "intervention_opened", "intervention_reminder", "intervention_escalation",
		"intervention_closed", "notice_undelivered"} {
		m, err := notices.ForStaff(kind, data)
		require.NoError(t, err, kind)
		require.NotEmpty(t, m.Subject, kind)
		require.NotContains(t, m.Subject, "\n", kind)
		require.Contains(t, m.Text, "0b39", kind)
		require.True(t, strings.HasSuffix(m.Text, "\n"), kind)
		require.NotContains(t, m.Text, "IC <Esempio>", "%s: a notice to an office does not name the school of the family", kind)
		if !slices.Contains(withoutLink, kind) {
			require.Contains(t, m.Text, data.Link, kind)
		}
		require.Contains(t, m.HTML, `<html lang="it" dir="ltr">`, kind)
		require.Contains(t, m.HTML, "<title>"+html.EscapeString(m.Subject)+"</title>", kind)
	}

	m, err := notices.ForStaff("case_assigned", data)
	require.NoError(t, err)
	require.Equal(t, notices.Message{
		Subject: "Nuovo caso di iscrizione assegnato",
		Text:    "È stato assegnato al vostro hub un nuovo caso di iscrizione scolastica (0b39).\nProporre una scuola entro la scadenza: " + data.Link + "\n",
		HTML: "<!DOCTYPE html>\n<html lang=\"it\" dir=\"ltr\"><head><meta charset=\"utf-8\"><title>Nuovo caso di iscrizione assegnato</title></head>\n" +
			"<body><p>È stato assegnato al vostro hub un nuovo caso di iscrizione scolastica (0b39).</p><p>Proporre una scuola entro la scadenza: " + data.Link + "</p></body></html>\n",
		Lang: "it",
	}, m, "each line of the body is a paragraph")
}

func TestFamilyNoticeTranslations(t *testing.T) {
	t.Parallel()
	want := map[string]string{
		"it": "Gentile famiglia, vostro figlio o vostra figlia è iscritto/a alla scuola IC <Esempio> via Padova, sezione B. Il primo giorno è il 30/11/2026.\n",
		"en": "Dear family, your child is enrolled at IC <Esempio> via Padova, section B. The first day of school is 30/11/2026.\n",
		"uk": "Шановна родино, вашу дитину зараховано до школи IC <Esempio> via Padova, клас (секція) B. Перший день навчання — 30/11/2026.\n",
		"ar": "عائلتنا الكريمة، تم تسجيل طفلكم في مدرسة IC <Esempio> via Padova، الشعبة B. أول يوم دراسي هو 30/11/2026.\n",
	}
	for _, tc := range []struct{ asked, lang string }{
		{"it", "it"}, {"en", "en"}, {"uk", "uk"}, {"ar", "ar"},
		{"uk-UA", "uk"}, {"ar-EG", "ar"}, {"ukr", "uk"}, {"AR", "ar"}, {"", "it"}, {"ti-ER", "it"}, {"so", "it"},
	} {
		m, ok, err := notices.ForFamily("placement_confirmed", tc.asked, data)
		require.NoError(t, err, tc.asked)
		require.True(t, ok)
		require.Equal(t, tc.lang, m.Lang, tc.asked)
		require.Equal(t, want[tc.lang], m.Text, tc.asked)
		require.NotContains(t, m.HTML, "<Esempio>", "%s: escaped in HTML", tc.asked)
	}
}

func TestAccountMessages(t *testing.T) {
	t.Parallel()
	d := notices.AccountData{Organisation: "Comune di <Rho>", Login: "protocollo@pec.comune.rho.example.org", Secret: "s3gr3t0", Link: "https://approdo.test/accesso"}
	for kind, subject := range map[string]string{
		"credentials":    "Credenziali di accesso ad Approdo",
		"login_reminder": "Promemoria: primo accesso ad Approdo",
		"invitation":     "Invito ad Approdo",
		"reset":          "Reimpostazione della password di Approdo",
	} {
		m, err := notices.ForAccount(kind, d)
		require.NoError(t, err, kind)
		require.Equal(t, subject, m.Subject)
		require.Equal(t, "it", m.Lang)
		require.Contains(t, m.Text, d.Login, kind)
		require.Contains(t, m.Text, d.Link, kind)
		require.NotContains(t, m.HTML, "<Rho>", kind)
	}
	credentials, err := notices.ForAccount("credentials", d)
	require.NoError(t, err)
	require.Contains(t, credentials.Text, "Spett.le Comune di <Rho>,\n")
	require.Contains(t, credentials.Text, "Password provvisoria: s3gr3t0\n")
	_, err = notices.ForAccount("unknown", d)
	require.Error(t, err)
}
