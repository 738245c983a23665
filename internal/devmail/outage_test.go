package devmail

import (
	"net"
	"net/smtp"
	"testing"

	"github.com/stretchr/testify/require"
)

// A stopped SMTP side refuses connections; started again on the same address, it takes
// messages and still holds those it had.
func TestSMTPStopsAndStartsAgainOnItsAddress(t *testing.T) {
	s, err := Start("127.0.0.1:0", Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	addr := s.Addr()
	send := func() error {
		return smtp.SendMail(addr, nil, "a@example.org", []string{"b@example.org"}, []byte("Subject: x\r\nMessage-ID: <1@example.org>\r\n\r\nbody\r\n"))
	}
	require.NoError(t, send())

	require.NoError(t, s.StopSMTP())
	_, err = net.Dial("tcp", addr)
	require.Error(t, err, "nothing listens while it is stopped")
	require.Error(t, send())

	require.NoError(t, s.StartSMTP())
	require.Equal(t, addr, s.Addr())
	require.NoError(t, send())
	require.Len(t, s.Messages(), 2)
}
