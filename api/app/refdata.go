package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/store"
)

// HubRef is a hub of the reference data: its organisation and the name people know it by.
type HubRef struct {
	Org  casework.Org
	Name string
}

// Hubs lists the hubs of the reference data, the CTI first and then the Poli START, in
// the file's order: the hubs a case may be assigned or reassigned to. The list holds no
// personal data, so any logged-in reader may have it.
func (s *Service) Hubs(ctx context.Context) ([]HubRef, error) {
	d, err := s.store.ReferenceData(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNoReferenceData
	}
	if err != nil {
		return nil, unavailableOr(fmt.Errorf("read reference data: %w", err))
	}
	out := make([]HubRef, 0, len(d.Ambiti)+len(d.PoliStart))
	for _, a := range d.Ambiti {
		name := a.CTIName
		if name == "" {
			name = "CTI " + a.Code
		}
		out = append(out, HubRef{Org: casework.Org{Kind: casework.OrgCTI, Code: a.Code}, Name: name})
	}
	for _, p := range d.PoliStart {
		name := p.Name
		if name == "" {
			name = "Polo START " + p.Code
		}
		out = append(out, HubRef{Org: casework.Org{Kind: casework.OrgPoloStart, Code: p.Code}, Name: name})
	}
	return out, nil
}

// ComuneRef is a comune of the reference data: its ISTAT code and name.
type ComuneRef struct {
	ISTAT string
	Name  string
}

// Comuni lists the comuni of the reference data in the file's order, for the forms that
// ask for one.
func (s *Service) Comuni(ctx context.Context) ([]ComuneRef, error) {
	d, err := s.store.ReferenceData(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNoReferenceData
	}
	if err != nil {
		return nil, unavailableOr(fmt.Errorf("read reference data: %w", err))
	}
	out := make([]ComuneRef, len(d.Comuni))
	for i, c := range d.Comuni {
		out[i] = ComuneRef{ISTAT: c.ISTAT, Name: c.Name}
	}
	return out, nil
}
