// Package onboarding decides whom a bulk onboarding is for and starts their onboarding
// workflows: the command line (approdo onboard) and UST's portal page both use it, so
// both skip the organisations already onboarded in the same way.
package onboarding

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"go.temporal.io/api/serviceerror"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/refdata"
	"github.com/approdo/approdo/internal/start"
	"github.com/approdo/approdo/workflows"
)

// Group is a kind of organisation onboarded together.
type Group string

// The groups. Comuni are onboarded by their own workflow (ComuneOnboarding), which reads
// the PEC address from the reference data when it runs.
const (
	Schools Group = "schools" // every school of the registry, by its PEC
	Hubs    Group = "hubs"    // the CTI of each ambito and the Poli START
	FAMI    Group = "fami"    // Prefettura, one-stop shop, orientation service: contacts only
)

// Groups lists the groups, in the order the portal shows them.
var Groups = []Group{Schools, Hubs, FAMI}

// ParseGroup reads a group's name.
func ParseGroup(s string) (Group, error) {
	g := Group(s)
	if !slices.Contains(Groups, g) {
		return "", fmt.Errorf("%q is not a group to onboard: want schools, hubs or fami", s)
	}
	return g, nil
}

// Target is an organisation to onboard and the address its account logs in with, where
// its credentials go by PEC.
type Target struct {
	Org   casework.Org
	Name  string
	Email string
}

// Contact is a named contact given for an organisation: it replaces the address the
// reference data has (or lacks).
type Contact struct {
	Email string
	Name  string
}

// Contacts are the contacts given, by organisation (its stored form, "school:MIIC8AB00X").
type Contacts map[string]Contact

// ReadContacts reads a CSV file of contacts, one organisation a line: org,email[,name],
// e.g. "school:MIIC8AB00X,dirigente@example.org,IC Rossi". A first line starting with
// "org" is a header. Every bad line is reported with its number.
func ReadContacts(r io.Reader, file string) (Contacts, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	out := Contacts{}
	var errs []error
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if line == 1 && strings.EqualFold(strings.TrimSpace(rec[0]), "org") {
			continue
		}
		if len(rec) < 2 || len(rec) > 3 {
			errs = append(errs, fmt.Errorf("%s:%d: want org,email[,name], got %d fields", file, line, len(rec)))
			continue
		}
		org, err := casework.ParseOrg(strings.TrimSpace(rec[0]))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: org: %v", file, line, err))
			continue
		}
		email := strings.ToLower(strings.TrimSpace(rec[1]))
		if at := strings.IndexByte(email, '@'); at < 1 || at == len(email)-1 || strings.ContainsAny(email, " ,;<>") {
			errs = append(errs, fmt.Errorf("%s:%d: email: %q is not an address", file, line, rec[1]))
			continue
		}
		if _, dup := out[org.String()]; dup {
			errs = append(errs, fmt.Errorf("%s:%d: org: %s is given twice", file, line, org))
			continue
		}
		c := Contact{Email: email}
		if len(rec) == 3 {
			c.Name = strings.TrimSpace(rec[2])
		}
		out[org.String()] = c
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// Plan is whom a group's onboarding is for.
type Plan struct {
	Targets []Target
	// NoAddress are the organisations with no address to send the credentials to: no
	// PEC in the registry and no contact. They need a named contact; nothing is started
	// for them.
	NoAddress []casework.Org
	// Shared are the addresses of the targets that several schools share (a managing
	// body's PEC), with those schools. Each school is onboarded on its own: its own
	// account, logging in with its codice meccanografico, and its own credentials
	// message, naming it, at the shared address.
	Shared map[string][]casework.Org
}

// SharedSchools counts the schools of Shared.
func (p Plan) SharedSchools() int {
	n := 0
	for _, orgs := range p.Shared {
		n += len(orgs)
	}
	return n
}

// PlanGroup finds the organisations of a group in the reference data, with their
// address: a contact given for one wins over the registry's. Schools log in with their
// PEC. A hub logs in with its host school's institutional email, since the host school's
// PEC is the school's own login (an address is the login of one account). The FAMI
// organisations are not in the reference data: each needs a contact, and the contacts
// name which ones there are. only, when not empty, keeps the organisations named
// ("school:MIIC8AB00X" or just the code); naming one not in the group is an error.
func PlanGroup(ref *refdata.Dataset, g Group, contacts Contacts, only []string) (Plan, error) {
	var all []Target
	schools := map[string]refdata.School{}
	for _, s := range ref.Schools {
		schools[s.Code] = s
	}
	switch g {
	case Schools:
		for _, s := range ref.Schools {
			all = append(all, Target{Org: casework.Org{Kind: casework.OrgSchool, Code: s.Code}, Name: s.Name, Email: s.PEC})
		}
	case Hubs:
		for _, a := range ref.Ambiti {
			all = append(all, Target{Org: casework.Org{Kind: casework.OrgCTI, Code: a.Code}, Name: a.CTIName, Email: schools[a.CTIHostSchool].Email})
		}
		for _, p := range ref.PoliStart {
			all = append(all, Target{Org: casework.Org{Kind: casework.OrgPoloStart, Code: p.Code}, Name: p.Name, Email: schools[p.HostSchool].Email})
		}
	case FAMI:
		for org, c := range contacts {
			o, _ := casework.ParseOrg(org)
			if o.Kind == casework.OrgPrefettura || o.Kind == casework.OrgOneStopShop || o.Kind == casework.OrgOrientation {
				all = append(all, Target{Org: o, Name: c.Name})
			}
		}
		if len(all) == 0 {
			return Plan{}, fmt.Errorf("the FAMI organisations are not in the reference data: give each a contact (-contacts FILE with lines like prefettura:MI,ADDRESS,NAME; one_stop_shop:milano; orientation)")
		}
	default:
		return Plan{}, fmt.Errorf("%q is not a group to onboard", g)
	}
	for i, t := range all {
		if c, ok := contacts[t.Org.String()]; ok {
			all[i].Email = c.Email
			if c.Name != "" {
				all[i].Name = c.Name
			}
		}
		all[i].Email = strings.ToLower(strings.TrimSpace(all[i].Email))
		if all[i].Name == "" {
			all[i].Name = t.Org.String()
		}
	}
	slices.SortFunc(all, func(a, b Target) int { return strings.Compare(a.Org.String(), b.Org.String()) })

	if len(only) > 0 {
		byKey := map[string]Target{}
		for _, t := range all {
			byKey[t.Org.String()], byKey[t.Org.Code] = t, t
		}
		var kept []Target
		var unknown []string
		for _, name := range only {
			t, ok := byKey[name]
			if !ok {
				unknown = append(unknown, name)
				continue
			}
			if !slices.ContainsFunc(kept, func(k Target) bool { return k.Org == t.Org }) {
				kept = append(kept, t)
			}
		}
		if len(unknown) > 0 {
			return Plan{}, fmt.Errorf("not among the %s of the reference data (version %s): %v; nothing was started", g, ref.Version, unknown)
		}
		all = kept
	}

	var p Plan
	owners := map[string][]casework.Org{}
	for _, t := range all {
		if t.Email == "" {
			p.NoAddress = append(p.NoAddress, t.Org)
			continue
		}
		owners[t.Email] = append(owners[t.Email], t.Org)
		p.Targets = append(p.Targets, t)
	}
	var dups []string
	for address, orgs := range owners {
		if len(orgs) < 2 {
			continue
		}
		if !slices.ContainsFunc(orgs, func(o casework.Org) bool { return o.Kind != casework.OrgSchool }) {
			// Schools sharing an address each log in with their own code (the
			// registry's PEC of a managing body is common): see store.EnsureOrgAccount.
			if p.Shared == nil {
				p.Shared = map[string][]casework.Org{}
			}
			p.Shared[address] = orgs
			continue
		}
		names := make([]string, len(orgs))
		for i, o := range orgs {
			names[i] = o.String()
		}
		verb := "all have"
		if len(names) == 2 {
			verb = "both have"
		}
		dups = append(dups, fmt.Sprintf("%s %s %s", strings.Join(names, " and "), verb, address))
	}
	if len(dups) > 0 {
		// A hub or a FAMI organisation logs in with its address, which is one account's
		// login: give all but one of them a contact.
		slices.Sort(dups)
		return Plan{}, fmt.Errorf("an address may be the login of one organisation only; give a contact to all but one of each: %s", strings.Join(dups, "; "))
	}
	return p, nil
}

// Result counts what Start did.
type Result struct {
	Started int
	// Already had an onboarding, running or ended: nothing was started for them, so no
	// second account and no second PEC.
	Already int
}

// Start starts the onboarding of each target, one per organisation: an organisation
// whose onboarding runs or ended (other than failed) is counted and left alone, so a
// second run after a failure starts only the missing ones (start.OrgOnboarding). step, if
// not nil, is told after each.
func Start(ctx context.Context, tc start.Executor, taskQueue string, targets []Target, step func(done int, t Target)) (Result, error) {
	var r Result
	for i, t := range targets {
		_, err := start.OrgOnboarding(taskQueue, t.Org).Execute(ctx, tc, workflows.OrgOnboardingInput{Org: t.Org, Name: t.Name, Email: t.Email})
		var already *serviceerror.WorkflowExecutionAlreadyStarted
		switch {
		case errors.As(err, &already):
			r.Already++
		case err != nil:
			return r, fmt.Errorf("start the onboarding of %s (after %d started): %w", t.Org, r.Started, err)
		default:
			r.Started++
		}
		if step != nil {
			step(i+1, t)
		}
	}
	return r, nil
}
