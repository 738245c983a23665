package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/store"
)

// OrgNames names the organisations the reference data knows, by their code as
// casework.Org writes it ("comune:015146" → "Milano"): the comuni, the hubs and the
// schools. Pages show these names instead of codes.
func (s *Service) OrgNames(ctx context.Context) (map[string]string, error) {
	d, err := s.store.ReferenceData(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, unavailableOr(fmt.Errorf("read reference data: %w", err))
	}
	names := make(map[string]string, len(d.Comuni)+len(d.Ambiti)+len(d.PoliStart)+len(d.Schools))
	for _, c := range d.Comuni {
		names[casework.Org{Kind: casework.OrgComune, Code: c.ISTAT}.String()] = "Comune di " + c.Name
	}
	for _, a := range d.Ambiti {
		if a.CTIName != "" {
			names[casework.Org{Kind: casework.OrgCTI, Code: a.Code}.String()] = a.CTIName
		}
	}
	for _, p := range d.PoliStart {
		names[casework.Org{Kind: casework.OrgPoloStart, Code: p.Code}.String()] = p.Name
	}
	for _, sc := range d.Schools {
		names[casework.Org{Kind: casework.OrgSchool, Code: sc.Code}.String()] = sc.Name
	}
	return names, nil
}
