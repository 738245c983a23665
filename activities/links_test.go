package activities

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/store"
)

func TestNoticesLinkToThePortalPageOfWhatTheyAreAbout(t *testing.T) {
	t.Parallel()
	d := &Delivery{BaseURL: "https://approdo.test/"}
	const caseID = "0b39c1d2-0000-4000-8000-000000000001"
	notice := func(key string) store.QueuedNotification {
		return store.QueuedNotification{Notification: store.Notification{Key: key, CaseID: caseID}}
	}

	key := InterventionNoticeKey(caseID, "check-1", 3, "intervention_escalation", casework.UST)
	require.Equal(t, caseID+"/intervention/check-1/3/intervention_escalation/ust", key, "the key the workflows have always used")
	require.Equal(t, "https://approdo.test/interventi/intervention-"+caseID+"-check-1", d.noticeLink(notice(key)))
	require.Equal(t, "https://approdo.test/interventi/"+casework.InterventionID(caseID, "report-101"),
		d.noticeLink(notice(InterventionNoticeKey(caseID, "report-101", 1, "intervention_opened", casework.Orientation))))

	require.Equal(t, "https://approdo.test/casi/"+caseID, d.noticeLink(notice(caseID+"/4/case_assigned/polo_start:polo-1")))
	require.Equal(t, "https://approdo.test/casi/"+caseID, d.noticeLink(notice(caseID+"/12/dropout_referral/orientation")))
}
