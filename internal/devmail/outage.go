package devmail

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/emersion/go-smtp"
)

// StopSMTP closes the SMTP side, as a mail server that is down: connections to its
// address are refused until StartSMTP. What the mailbox holds, its IMAP side and the PEC
// provider's pending notices are kept.
func (s *Server) StopSMTP() error {
	s.mu.Lock()
	srv, l, done := s.smtp, s.listener, s.done
	s.mu.Unlock()
	err := srv.Close()
	_ = l.Close()
	<-done
	if errors.Is(err, smtp.ErrServerClosed) {
		err = nil
	}
	return err
}

// StartSMTP serves SMTP again on the address it had, after StopSMTP.
func (s *Server) StartSMTP() error {
	addr := s.Addr()
	var l net.Listener
	var err error
	// The port was just freed; a moment may pass before it can be bound again.
	for range 50 {
		if l, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("listen for SMTP on %s again: %w", addr, err)
	}
	srv := s.newSMTPServer()
	done := make(chan struct{})
	s.mu.Lock()
	s.smtp, s.listener, s.done = srv, l, done
	s.mu.Unlock()
	go func() {
		defer close(done)
		_ = srv.Serve(l)
	}()
	return nil
}

// StopIMAP stops serving IMAP, as a PEC provider's IMAP server that is down: the
// sessions are cut and connections refused until StartIMAP. Mail goes on arriving in the
// accounts' INBOXes meanwhile, so a client finds it once IMAP is back.
func (s *Server) StopIMAP() error {
	return s.imap.stop()
}

// StartIMAP serves IMAP again on the address it had, after StopIMAP.
func (s *Server) StartIMAP() error {
	s.imap.mu.Lock()
	addr, closed := s.imap.addr, s.imap.closed
	s.imap.mu.Unlock()
	if addr == "" || closed {
		return errors.New("start IMAP: it was never served, or the mailbox is closed")
	}
	var err error
	// The port was just freed; a moment may pass before it can be bound again.
	for range 50 {
		if _, err = s.imap.serve(addr); err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("serve IMAP on %s again: %w", addr, err)
}
