package pecinbox

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestHasMessageFindsAMessageByItsWholeMessageID(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, serverOptions{tls: TLSNone})
	for _, id := range []string{"notice-aaa@approdo.example.it", "notice-bbb-longer@approdo.example.it"} {
		srv.appendMsg(t, []byte(fmt.Sprintf("From: approdo@approdo.example.it\nTo: archivio@approdo.example.it\nMessage-ID: <%s>\nSubject: Nuovo caso\n\nTesto.\n", id)))
	}
	ctx := context.Background()
	for id, want := range map[string]bool{
		"notice-aaa@approdo.example.it":        true,
		"notice-bbb-longer@approdo.example.it": true,
		// A prefix of a Message-ID held, and one not held at all.
		"notice-bbb":                    false,
		"notice-ccc@approdo.example.it": false,
	} {
		found, err := HasMessage(ctx, srv.account(), id)
		require.NoError(t, err, id)
		require.Equal(t, want, found, id)
	}
	require.Equal(t, uint32(2), srv.unseen(t), "examined read-only: nothing marked seen")
}

func TestHasMessageFailsWhenTheMailboxCannotBeSearched(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, serverOptions{tls: TLSNone})
	account := srv.account()
	account.Password = "sbagliata"
	_, err := HasMessage(context.Background(), account, "notice-aaa@approdo.example.it")
	require.Error(t, err)
	require.NotContains(t, err.Error(), "sbagliata")

	account = srv.account()
	account.Mailbox = "Nessuna"
	_, err = HasMessage(context.Background(), account, "notice-aaa@approdo.example.it")
	require.ErrorContains(t, err, "examining Nessuna")
}
