package pecinbox

import (
	"context"
	"errors"
	"fmt"

	"github.com/emersion/go-imap/v2"
)

// HasMessage reports whether the account's mailbox holds a message whose Message-ID is
// messageID (without angle brackets). It opens one connection, examines the mailbox
// read-only, asks the server to SEARCH HEADER Message-ID, and logs out: the server does
// the looking, and nothing is fetched.
//
// The email dispatcher asks this of the mail archive (every ordinary email goes there
// as a Bcc too) about an attempt cut short: found, the server had taken the message and
// it is not sent again. Any account with IMAP works, not only a PEC mailbox; the
// connection is made as the poller's (Account).
func HasMessage(ctx context.Context, a Account, messageID string) (bool, error) {
	if messageID == "" {
		return false, errors.New("pecinbox: no Message-ID to look for")
	}
	a, err := a.withDefaults()
	if err != nil {
		return false, err
	}
	// Connecting is bounded by a.Timeout; the rest of the conversation by as much again.
	ctx, cancel := context.WithTimeout(ctx, 2*a.Timeout)
	defer cancel()
	c, closeSession, err := connect(ctx, a)
	if err != nil {
		return false, err
	}
	defer closeSession()
	if _, err := c.Select(a.Mailbox, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		return false, withContext(ctx, fmt.Errorf("pecinbox: examining %s: %w", a.Mailbox, err))
	}
	// IMAP matches a header by substring: the angle brackets make a Message-ID that is
	// the prefix of a longer one no match.
	criteria := &imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Message-Id", Value: "<" + messageID + ">"}}}
	data, err := c.UIDSearch(criteria, nil).Wait()
	if err != nil {
		return false, withContext(ctx, fmt.Errorf("pecinbox: searching %s: %w", a.Mailbox, err))
	}
	return len(data.AllUIDs()) > 0, nil
}
