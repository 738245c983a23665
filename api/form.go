package api

import (
	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/internal/store"
)

// requestFromBody maps the API's form to the domain's. Optional fields arrive as pointers;
// absent means empty.
func requestFromBody(b EnrolmentRequest) enrolment.Request {
	return enrolment.Request{
		RequestID: b.RequestId,
		Comune:    b.Comune,
		Level:     enrolment.Level(b.Level),
		Minor: enrolment.Minor{
			GivenName:     b.Minor.GivenName,
			FamilyName:    b.Minor.FamilyName,
			BirthDate:     b.Minor.BirthDate,
			Sex:           b.Minor.Sex,
			Citizenship:   b.Minor.Citizenship,
			CodiceFiscale: value(b.Minor.CodiceFiscale),
		},
		Languages: b.Languages,
		PriorSchooling: enrolment.PriorSchooling{
			Years:           value(fieldOf(b.PriorSchooling, func(p PriorSchooling) *int { return p.Years })),
			LastClassAbroad: value(fieldOf(b.PriorSchooling, func(p PriorSchooling) *string { return p.LastClassAbroad })),
		},
		SpecialNeeds: enrolment.SpecialNeeds{
			Present: value(fieldOf(b.SpecialNeeds, func(s SpecialNeeds) *bool { return s.Present })),
			Note:    value(fieldOf(b.SpecialNeeds, func(s SpecialNeeds) *string { return s.Note })),
		},
		Guardian: enrolment.Guardian{
			Name:              b.Guardian.Name,
			Phone:             value(b.Guardian.Phone),
			Email:             value(b.Guardian.Email),
			PreferredLanguage: value(b.Guardian.PreferredLanguage),
		},
		Residence: enrolment.Residence{
			Address:   b.Residence.Address,
			Municipio: value(b.Residence.Municipio),
		},
		Origin: enrolment.Origin(b.Origin),
		Notes:  value(b.Notes),
	}
}

func caseResponse(c store.Case, fullForm bool) EnrolmentCase {
	out := EnrolmentCase{
		Id:         c.ID,
		RequestId:  c.RequestID,
		Comune:     c.Comune,
		Level:      c.Level,
		Stage:      c.Stage,
		WorkflowId: c.WorkflowID,
		Minor: Minor{
			GivenName:     c.MinorGivenName,
			FamilyName:    c.MinorFamilyName,
			BirthDate:     c.MinorBirthDate,
			Sex:           c.MinorSex,
			Citizenship:   c.MinorCitizenship,
			CodiceFiscale: pointer(c.MinorCodiceFiscale),
		},
		CreatedAt: c.CreatedAt,
		UpdatedAt: c.UpdatedAt,
	}
	if !fullForm {
		// A case opened with the first slice's form has none of the rest.
		return out
	}
	d := c.Details
	out.Languages = &d.Languages
	out.PriorSchooling = &PriorSchooling{Years: &d.PriorSchoolingYears, LastClassAbroad: pointer(d.LastClassAbroad)}
	out.SpecialNeeds = &SpecialNeeds{Present: &c.SpecialNeeds, Note: pointer(c.SpecialNeedsNote)}
	out.Guardian = &Guardian{
		Name:              d.GuardianName,
		Phone:             pointer(d.GuardianPhone),
		Email:             pointer(d.GuardianEmail),
		PreferredLanguage: pointer(d.GuardianLanguage),
	}
	out.Residence = &Residence{Address: d.ResidenceAddress, Municipio: pointer(c.Municipio)}
	out.Origin = pointer(c.Origin)
	out.Notes = pointer(d.Notes)
	if c.SuggestedLevel != "" {
		out.SuggestedClass = &SuggestedClass{Level: c.SuggestedLevel, Year: c.SuggestedYear}
	}
	return out
}

// value reads an optional field, the zero value when absent.
func value[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// pointer makes an optional field, absent when zero.
func pointer[T comparable](v T) *T {
	var zero T
	if v == zero {
		return nil
	}
	return &v
}

// fieldOf reads a field of an optional object.
func fieldOf[O any, F any](o *O, get func(O) *F) *F {
	if o == nil {
		return nil
	}
	return get(*o)
}
