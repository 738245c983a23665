package notices_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/notices"
)

var data = notices.Data{CaseID: "0b39", Link: "http://127.0.0.1:8080/api/v1/enrolments/0b39", SchoolName: "IC <Esempio> via Padova", Section: "B", StartDate: "30/11/2026"}

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
