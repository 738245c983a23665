package onboarding_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/onboarding"
	"github.com/approdo/approdo/internal/refdata"
)

func territory() *refdata.Dataset {
	return &refdata.Dataset{
		Version:   "test",
		Ambiti:    []refdata.Ambito{{Code: "21", CTIName: "CTI Milano", CTIHostSchool: "MIIC90001A"}},
		PoliStart: []refdata.Polo{{Code: "polo-1", Name: "Polo START 1", HostSchool: "MIIC90002A"}},
		Schools: []refdata.School{
			{Code: "MIIC90001A", Name: "IC Uno", Email: "miic90001a@example.org", PEC: "MIIC90001A@pec.example.org"},
			{Code: "MIIC90002A", Name: "IC Due", Email: "miic90002a@example.org", PEC: "miic90002a@pec.example.org"},
			{Code: "MIIC90003A", Name: "IC Tre", Email: "miic90003a@example.org"},
		},
	}
}

func TestSchoolsGoToTheirPECAndThoseWithoutAreListed(t *testing.T) {
	p, err := onboarding.PlanGroup(territory(), onboarding.Schools, nil, nil)
	require.NoError(t, err)
	require.Equal(t, []onboarding.Target{
		{Org: casework.Org{Kind: casework.OrgSchool, Code: "MIIC90001A"}, Name: "IC Uno", Email: "miic90001a@pec.example.org"},
		{Org: casework.Org{Kind: casework.OrgSchool, Code: "MIIC90002A"}, Name: "IC Due", Email: "miic90002a@pec.example.org"},
	}, p.Targets, "the login is the PEC, in lower case")
	require.Equal(t, []casework.Org{{Kind: casework.OrgSchool, Code: "MIIC90003A"}}, p.NoAddress, "no PEC, no contact: not started")
}

func TestAContactReplacesTheRegistrysAddress(t *testing.T) {
	contacts, err := onboarding.ReadContacts(strings.NewReader("org,email,name\nschool:MIIC90003A, Dirigente@Example.org ,IC Tre (dirigente)\n"), "contacts.csv")
	require.NoError(t, err)
	p, err := onboarding.PlanGroup(territory(), onboarding.Schools, contacts, []string{"MIIC90003A"})
	require.NoError(t, err)
	require.Equal(t, []onboarding.Target{{Org: casework.Org{Kind: casework.OrgSchool, Code: "MIIC90003A"}, Name: "IC Tre (dirigente)", Email: "dirigente@example.org"}}, p.Targets)
	require.Empty(t, p.NoAddress)

	_, err = onboarding.PlanGroup(territory(), onboarding.Schools, nil, []string{"MIIC99999Z"})
	require.ErrorContains(t, err, "MIIC99999Z", "a school not in the reference data is named")
}

func TestHubsUseTheirHostSchoolsEmailNotItsPEC(t *testing.T) {
	p, err := onboarding.PlanGroup(territory(), onboarding.Hubs, nil, nil)
	require.NoError(t, err)
	require.Equal(t, []onboarding.Target{
		{Org: casework.Org{Kind: casework.OrgCTI, Code: "21"}, Name: "CTI Milano", Email: "miic90001a@example.org"},
		{Org: casework.Org{Kind: casework.OrgPoloStart, Code: "polo-1"}, Name: "Polo START 1", Email: "miic90002a@example.org"},
	}, p.Targets)
}

func TestOneAddressCannotLogInTwoOrganisations(t *testing.T) {
	contacts := onboarding.Contacts{"polo_start:polo-1": {Email: "miic90001a@example.org"}}
	_, err := onboarding.PlanGroup(territory(), onboarding.Hubs, contacts, nil)
	require.ErrorContains(t, err, "cti:21 and polo_start:polo-1 both have miic90001a@example.org")
}

func TestSchoolsSharingAPECAreEachOnboardedAndCounted(t *testing.T) {
	ref := territory()
	ref.Schools = append(ref.Schools,
		refdata.School{Code: "MI1A00100X", Name: "Scuola dell'infanzia comunale Uno", PEC: "Scuole.Comune@pec.example.org"},
		refdata.School{Code: "MI1A00200X", Name: "Scuola dell'infanzia comunale Due", PEC: "scuole.comune@pec.example.org"},
		refdata.School{Code: "MI1A00300X", Name: "Scuola dell'infanzia comunale Tre", PEC: "scuole.comune@pec.example.org"},
	)
	p, err := onboarding.PlanGroup(ref, onboarding.Schools, nil, nil)
	require.NoError(t, err, "a managing body's PEC shared by its schools refuses nothing")
	require.Len(t, p.Targets, 5, "each school is a target of its own")
	require.Equal(t, map[string][]casework.Org{"scuole.comune@pec.example.org": {
		{Kind: casework.OrgSchool, Code: "MI1A00100X"}, {Kind: casework.OrgSchool, Code: "MI1A00200X"}, {Kind: casework.OrgSchool, Code: "MI1A00300X"},
	}}, p.Shared)
	require.Equal(t, 3, p.SharedSchools())
	require.Equal(t, []casework.Org{{Kind: casework.OrgSchool, Code: "MIIC90003A"}}, p.NoAddress, "no PEC, no contact: skipped, not fatal")

	// Naming some of them counts only the sharing among those named.
	p, err = onboarding.PlanGroup(ref, onboarding.Schools, nil, []string{"MI1A00100X", "MIIC90001A"})
	require.NoError(t, err)
	require.Empty(t, p.Shared)
}

func TestFAMIOrganisationsNeedContacts(t *testing.T) {
	_, err := onboarding.PlanGroup(territory(), onboarding.FAMI, nil, nil)
	require.ErrorContains(t, err, "-contacts")
	contacts, err := onboarding.ReadContacts(strings.NewReader("prefettura:MI,sui.prefmi@pec.interno.it,Prefettura di Milano\norientation,orientamento@example.org\nschool:MIIC90001A,x@example.org\n"), "fami.csv")
	require.NoError(t, err)
	p, err := onboarding.PlanGroup(territory(), onboarding.FAMI, contacts, nil)
	require.NoError(t, err)
	require.Equal(t, []onboarding.Target{
		{Org: casework.Orientation, Name: "orientation", Email: "orientamento@example.org"},
		{Org: casework.Org{Kind: casework.OrgPrefettura, Code: "MI"}, Name: "Prefettura di Milano", Email: "sui.prefmi@pec.interno.it"},
	}, p.Targets, "only the FAMI organisations of the file; a nameless one is called by its code")
}

func TestBadContactLinesAreAllReportedWithTheirLine(t *testing.T) {
	_, err := onboarding.ReadContacts(strings.NewReader("nowhere:1,a@example.org\nschool:MIIC90001A,not-an-address\nschool:MIIC90001A\n"), "c.csv")
	require.Error(t, err)
	require.ErrorContains(t, err, "c.csv:1: org:")
	require.ErrorContains(t, err, "c.csv:2: email:")
	require.ErrorContains(t, err, "c.csv:3: want org,email[,name]")
}
