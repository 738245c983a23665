package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/mailer"
	"github.com/approdo/approdo/internal/notices"
	"github.com/approdo/approdo/internal/refdata"
	"github.com/approdo/approdo/internal/store"
)

// DeliverNotificationWorkflowName is the workflow that delivers one queued notification;
// Notify starts it, one per notification key.
const DeliverNotificationWorkflowName = "DeliverNotification"

// Delivery sends queued notifications by email.
type Delivery struct {
	Store *store.Store
	Mail  mailer.Account
	// PEC is the certified mailbox notices to comuni go from; without a Host they are
	// not sent.
	PEC mailer.Account
	// Domain is the right-hand side of the Message-IDs, e.g. approdo.example.it.
	Domain string
	// UST and Orientation are the addresses of the two organisations there is one of.
	UST, Orientation string
	// BaseURL is where the API is reached, for the links in the notices.
	BaseURL string
}

// ErrTypeUndeliverable marks a notification that cannot be sent: no address, or a
// permanent refusal. Retrying cannot help; the row says why.
const ErrTypeUndeliverable = "Undeliverable"

// MessageID is the Message-ID of a notification: derived from its key, so every attempt
// sends the same message and a receipt can be matched to it.
func MessageID(key, domain string) string {
	sum := sha256.Sum256([]byte(key))
	return "notice-" + hex.EncodeToString(sum[:12]) + "@" + domain
}

// DeliverNotification sends the notification queued under key, once: a notification
// already sent is not sent again, and every attempt uses the same Message-ID.
func (d *Delivery) DeliverNotification(ctx context.Context, key string) error {
	sys := store.AsSystem(ctx)
	n, err := d.Store.NotificationByKey(sys, key)
	if err != nil {
		return err
	}
	if n.SentAt != nil {
		return nil
	}
	messageID := MessageID(key, d.Domain)
	to, msg, err := d.compose(sys, n)
	if err != nil && !errors.Is(err, errNoAddress) {
		return err // the database, most likely: try again
	}
	// A comune is notified by PEC, which has legal weight; everybody else by email.
	account := d.Mail
	if err == nil && n.Recipient.Kind == casework.OrgComune {
		account = d.PEC
		if account.Host == "" {
			err = fmt.Errorf("%w: no PEC account configured", errNoAddress)
		}
	}
	if err == nil {
		err = mailer.Send(ctx, account, mailer.Message{MessageID: messageID, To: to, Subject: msg.Subject, Text: msg.Text, HTML: msg.HTML})
	}
	if err != nil {
		// The reason is for UST and names no person: an address or an SMTP reply code.
		if noteErr := d.Store.NoteDeliveryAttempt(sys, key, messageID, to, err.Error(), false); noteErr != nil {
			return noteErr
		}
		if errors.Is(err, mailer.ErrTemporary) {
			// What goes back to Temporal is kept in its history: the code only, not the
			// server's reply, which may quote the recipient's address.
			var mErr *mailer.Error
			code := 0
			if errors.As(err, &mErr) {
				code = mErr.Code
			}
			return fmt.Errorf("notification of case %s not sent yet: temporary SMTP failure (code %d)", n.CaseID, code)
		}
		return temporal.NewNonRetryableApplicationError("notification not deliverable", ErrTypeUndeliverable, nil)
	}
	activity.GetLogger(ctx).Info("Notification sent", "CaseID", n.CaseID, "Kind", n.Kind, "Recipient", n.Recipient.String())
	return d.Store.NoteDeliveryAttempt(sys, key, messageID, to, "", true)
}

// errNoAddress marks a notification that cannot be written or addressed: retrying will
// not change that.
var errNoAddress = errors.New("no address for the recipient")

// compose finds the recipient's address and writes the notice.
func (d *Delivery) compose(ctx context.Context, n store.QueuedNotification) (string, notices.Message, error) {
	data := notices.Data{CaseID: n.CaseID, Link: strings.TrimSuffix(d.BaseURL, "/") + "/api/v1/enrolments/" + n.CaseID}
	if n.Recipient.Kind == casework.OrgFamily {
		c, err := d.Store.GetCase(ctx, n.CaseID)
		if err != nil {
			return "", notices.Message{}, err
		}
		if c.Details.GuardianEmail == "" {
			return "", notices.Message{}, fmt.Errorf("%w: the guardian gave no email", errNoAddress)
		}
		if c.Placement != nil {
			data.Section, data.StartDate = c.Placement.Section, c.Placement.StartDate
			if ref, err := d.Store.ReferenceData(ctx); err == nil {
				if i := slices.IndexFunc(ref.Schools, func(s refdata.School) bool { return s.Code == c.Placement.School }); i >= 0 {
					data.SchoolName = ref.Schools[i].Name
				}
			}
		}
		msg, ok, err := notices.ForFamily(n.Kind, c.Details.GuardianLanguage, data)
		if err != nil {
			return "", notices.Message{}, err
		}
		if !ok {
			return "", notices.Message{}, fmt.Errorf("%w: families get no %s notice", errNoAddress, n.Kind)
		}
		return c.Details.GuardianEmail, msg, nil
	}
	to, err := d.address(ctx, n.Recipient)
	if err != nil {
		return "", notices.Message{}, err
	}
	msg, err := notices.ForStaff(n.Kind, data)
	if err != nil {
		return "", notices.Message{}, fmt.Errorf("%w: %v", errNoAddress, err)
	}
	return to, msg, nil
}

// address is where an organisation gets its notices: a comune at its PEC and a school at
// its address in the reference data, a hub at its host school's, UST and the orientation
// service at the configured ones.
func (d *Delivery) address(ctx context.Context, org casework.Org) (string, error) {
	switch org.Kind {
	case casework.OrgUST:
		return nonEmpty(d.UST)
	case casework.OrgOrientation:
		return nonEmpty(d.Orientation)
	}
	ref, err := d.Store.ReferenceData(ctx)
	if err != nil {
		return "", err
	}
	if org.Kind == casework.OrgComune {
		i := slices.IndexFunc(ref.Comuni, func(c refdata.Comune) bool { return c.ISTAT == org.Code })
		if i < 0 || ref.Comuni[i].PEC == "" {
			return "", fmt.Errorf("%w: comune %s has no PEC in the reference data", errNoAddress, org.Code)
		}
		return ref.Comuni[i].PEC, nil
	}
	school := org.Code
	switch org.Kind {
	case casework.OrgCTI:
		hub, err := ref.HubByCode(refdata.HubCTI, org.Code)
		if err != nil {
			return "", fmt.Errorf("%w: %v", errNoAddress, err)
		}
		school = hub.HostSchool
	case casework.OrgPoloStart:
		hub, err := ref.HubByCode(refdata.HubPoloStart, org.Code)
		if err != nil {
			return "", fmt.Errorf("%w: %v", errNoAddress, err)
		}
		school = hub.HostSchool
	case casework.OrgSchool:
	default:
		return "", fmt.Errorf("%w: %s", errNoAddress, org)
	}
	i := slices.IndexFunc(ref.Schools, func(s refdata.School) bool { return s.Code == school })
	if i < 0 || ref.Schools[i].Email == "" {
		return "", fmt.Errorf("%w: school %s", errNoAddress, school)
	}
	return ref.Schools[i].Email, nil
}

func nonEmpty(addr string) (string, error) {
	if addr == "" {
		return "", errNoAddress
	}
	return addr, nil
}
