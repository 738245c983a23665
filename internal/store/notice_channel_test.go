package store_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/store"
)

// A notice's channel is decided from the registry when it is queued and kept on the row:
// a comune by PEC; a school or a hub (at its host school) by email, else by PEC, else by
// email that will find no address; the others by email.
func TestTheChannelOfANoticeIsDecidedWhenQueuedAndKept(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx, app := b.ctx, b.store
	sys := store.AsSystem(ctx)
	ref := sampleReferenceData(t)
	_, err := app.ReplaceReferenceData(ctx, ref, "sample")
	require.NoError(t, err)
	// The sample's schools have both; take them away from two, as the registry has them.
	_, err = b.pool.Exec(ctx, `UPDATE school SET email = '' WHERE code = 'MIIC90002A'`)
	require.NoError(t, err)
	_, err = b.pool.Exec(ctx, `UPDATE school SET email = '', pec = '' WHERE code = 'MIIC90003A'`)
	require.NoError(t, err)

	polo1 := ref.PoliStart[0]
	require.Equal(t, "MIIC90002A", polo1.HostSchool, "the sample's Polo START 1 is hosted by the school with only a PEC")
	for org, want := range map[casework.Org]string{
		{Kind: casework.OrgComune, Code: "015146"}:      store.ChannelPEC,
		{Kind: casework.OrgSchool, Code: "MIIC90001A"}:  store.ChannelEmail,
		{Kind: casework.OrgSchool, Code: "MIIC90002A"}:  store.ChannelPEC,
		{Kind: casework.OrgSchool, Code: "MIIC90003A"}:  store.ChannelEmail, // no address: found when sent
		{Kind: casework.OrgPoloStart, Code: polo1.Code}: store.ChannelPEC,
		{Kind: casework.OrgSchool, Code: "MIXX00000X"}:  store.ChannelEmail, // not in the registry
		casework.UST: store.ChannelEmail,
	} {
		got, err := app.NoticeChannel(sys, org)
		require.NoError(t, err)
		require.Equal(t, want, got, org.String())
	}

	c, err := app.RecordCase(sys, sampleCase())
	require.NoError(t, err)
	key := c.ID + "/proposal"
	_, err = app.QueueNotification(sys, store.Notification{Key: key, CaseID: c.ID, Kind: "proposal",
		Recipient: casework.Org{Kind: casework.OrgSchool, Code: "MIIC90002A"}, Channel: store.ChannelPEC})
	require.NoError(t, err)
	// The school gets an email afterwards: the notice queued stays a PEC.
	_, err = b.pool.Exec(ctx, `UPDATE school SET email = 'miic90002a@example.org' WHERE code = 'MIIC90002A'`)
	require.NoError(t, err)
	_, err = app.QueueNotification(sys, store.Notification{Key: key, CaseID: c.ID, Kind: "proposal",
		Recipient: casework.Org{Kind: casework.OrgSchool, Code: "MIIC90002A"}, Channel: store.ChannelEmail, Dispatched: true})
	require.NoError(t, err)
	n, err := app.NotificationByKey(sys, key)
	require.NoError(t, err)
	require.Equal(t, store.ChannelPEC, n.Channel, "a retry never switches the channel")
	require.False(t, n.Dispatched)
}
