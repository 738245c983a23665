package activities

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/password"
	"github.com/approdo/approdo/internal/refdata"
	"github.com/approdo/approdo/internal/store"
)

// Onboarding gives comuni their accounts: it creates them, issues the first credentials
// (sent by PEC) and watches for the first login.
type Onboarding struct {
	Store  *store.Store
	Policy OnboardingPolicy
}

// OnboardingPolicy is how long a comune is given to log in for the first time.
type OnboardingPolicy struct {
	// ReminderEvery is the pause between reminders while the credentials are unused.
	ReminderEvery time.Duration
	// Reminders is how many reminders are sent before UST is alerted.
	Reminders int
}

// ErrTypeComuneUnknown is the error type for a comune that is not in the reference data.
const ErrTypeComuneUnknown = "ComuneUnknown"

// OnboardingPolicyFor returns the policy new onboardings follow; it is fixed in each
// onboarding's history when it starts.
func (o *Onboarding) OnboardingPolicyFor(context.Context) (OnboardingPolicy, error) {
	return o.Policy, nil
}

// ComuneAccount is the account a comune is onboarded with.
type ComuneAccount struct {
	UserID string `json:",omitempty"`
	// HasPEC is false when the reference data has no PEC address for the comune: nothing
	// can be sent to it.
	HasPEC bool
	// LoggedIn is true once somebody has logged in with the account.
	LoggedIn bool
}

// CreateComuneAccount creates, once, the comune's organisation and its administrator
// account, whose login is the comune's PEC address from the reference data.
func (o *Onboarding) CreateComuneAccount(ctx context.Context, istat string) (ComuneAccount, error) {
	ref, err := o.Store.ReferenceData(ctx)
	if err != nil {
		return ComuneAccount{}, err
	}
	i := slices.IndexFunc(ref.Comuni, func(c refdata.Comune) bool { return c.ISTAT == istat })
	if i < 0 {
		return ComuneAccount{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("comune %s is not in the reference data", istat), ErrTypeComuneUnknown, nil)
	}
	comune := ref.Comuni[i]
	if comune.PEC == "" {
		return ComuneAccount{HasPEC: false}, nil
	}
	account, err := o.Store.EnsureComuneAccount(store.AsSystem(ctx), casework.Org{Kind: casework.OrgComune, Code: istat}, "Comune di "+comune.Name, strings.ToLower(comune.PEC))
	if err != nil {
		return ComuneAccount{}, err
	}
	return ComuneAccount{UserID: account.User.ID, HasPEC: true, LoggedIn: account.FirstLoginAt != nil}, nil
}

// OrgAccountInput names an organisation other than a comune and the address its
// account logs in with.
type OrgAccountInput struct {
	Org   casework.Org
	Name  string
	Email string `json:",omitempty"`
}

// CreateOrgAccount creates, once, the organisation and its administrator account, whose
// messages go to the address the onboarding was started with. That address is also the
// login, except for a school sharing it with others (store.EnsureOrgAccount): it logs
// in with its codice meccanografico.
func (o *Onboarding) CreateOrgAccount(ctx context.Context, in OrgAccountInput) (ComuneAccount, error) {
	if in.Email == "" {
		return ComuneAccount{HasPEC: false}, nil
	}
	account, err := o.Store.EnsureOrgAccount(store.AsSystem(ctx), in.Org, in.Name, in.Email)
	if err != nil {
		return ComuneAccount{}, err
	}
	return ComuneAccount{UserID: account.User.ID, HasPEC: true, LoggedIn: account.FirstLoginAt != nil}, nil
}

// IssueCredentialsInput names the credentials message and its account.
type IssueCredentialsInput struct {
	Key    string
	UserID string
}

// IssueCredentials sets a temporary password on the account and queues the PEC carrying
// it, once per key: a retry finds them issued and changes nothing.
func (o *Onboarding) IssueCredentials(ctx context.Context, in IssueCredentialsInput) error {
	secret := temporaryPassword()
	hash, err := password.Hash(secret)
	if err != nil {
		return err
	}
	_, err = o.Store.IssueCredentials(store.AsSystem(ctx), in.Key, in.UserID, secret, hash)
	return err
}

// QueueLoginReminder queues, once per key, a PEC reminding the comune to log in.
func (o *Onboarding) QueueLoginReminder(ctx context.Context, in IssueCredentialsInput) error {
	return o.Store.QueueAccountMessage(store.AsSystem(ctx), in.Key, in.UserID, store.AccountLoginReminder, "pec")
}

// HasLoggedIn reports whether somebody has logged in with the account.
func (o *Onboarding) HasLoggedIn(ctx context.Context, userID string) (bool, error) {
	at, err := o.Store.FirstLogin(store.AsSystem(ctx), userID)
	return at != nil, err
}

// temporaryPassword is 20 characters from an alphabet without look-alikes (no 0/O, 1/l/I),
// about 110 bits: it is read off a PEC and typed by hand once.
func temporaryPassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 20)
	for i := range b {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			panic(err) // crypto/rand does not fail on Linux; if it did, no password is safe
		}
		b[i] = alphabet[n.Int64()]
	}
	return string(b)
}
