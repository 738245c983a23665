package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/internal/reunification/intake"
)

// ImportReunifications takes a bulk file of families: it checks the whole file, keeps the
// valid families and starts the workflow that opens their journeys.
func (s *Server) ImportReunifications(ctx context.Context, req ImportReunificationsRequestObject) (ImportReunificationsResponseObject, error) {
	actor, problem := actorFrom(ctx)
	if problem != nil {
		return problemReply(*problem), nil
	}
	if err := app.CheckFileSender(actor); err != nil {
		return s.failure(err)
	}
	filename, data, problem := readUpload(req)
	if problem != nil {
		return problemReply(*problem), nil
	}
	imp, created, err := s.app.StartImport(ctx, actor, filename, data)
	if err != nil {
		return s.failure(err)
	}
	answer, err := importBody(imp)
	if err != nil {
		return nil, err
	}
	if created {
		answer.status, answer.location = http.StatusAccepted, "/api/v1/reunifications/imports/"+imp.ID
	}
	return answer, nil
}

// readUpload reads the form's "file" part, whole: the file is checked in full before
// anything is stored.
func readUpload(req ImportReunificationsRequestObject) (string, []byte, *Problem) {
	if req.Body == nil {
		p := fieldProblem("file", "è obbligatorio")
		return "", nil, &p
	}
	for {
		part, err := req.Body.NextPart()
		if errors.Is(err, io.EOF) {
			p := fieldProblem("file", "è obbligatorio: inviare il file nel campo «file» del modulo")
			return "", nil, &p
		}
		if err != nil {
			p := decodeProblem(err)
			if p.Status != http.StatusRequestEntityTooLarge {
				p = fieldProblem("file", "il modulo non è leggibile (multipart/form-data)")
			}
			return "", nil, &p
		}
		if part.FormName() != "file" {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(part, intake.MaxBytes+1))
		if err != nil {
			p := decodeProblem(err)
			return "", nil, &p
		}
		if len(data) > intake.MaxBytes {
			p := newProblem(http.StatusRequestEntityTooLarge, problemBlank, "File troppo grande", "Il file supera i 20 MiB: dividerlo in più file.")
			return "", nil, &p
		}
		return part.FileName(), data, nil
	}
}

// GetReunificationImport says how far an import has got.
func (s *Server) GetReunificationImport(ctx context.Context, req GetReunificationImportRequestObject) (GetReunificationImportResponseObject, error) {
	actor, problem := actorFrom(ctx)
	if problem != nil {
		return problemReply(*problem), nil
	}
	imp, err := s.app.Import(ctx, actor, req.Id)
	if errors.Is(err, app.ErrImportNotFound) {
		return problemReply(newProblem(http.StatusNotFound, problemBlank, "Import non trovato", "")), nil
	}
	if err != nil {
		return s.failure(err)
	}
	return importBody(imp)
}

func importBody(imp app.ImportView) (reply, error) {
	out := FamilyImport{
		Id: imp.ID, Filename: imp.Filename, Lines: imp.Lines, Families: imp.Families, Started: imp.Started, Done: imp.Done,
		Conflicts: nonNilSlice(imp.Conflicts), CreatedAt: imp.CreatedAt,
	}
	if err := json.Unmarshal(imp.Rejected, &out.Rejected); err != nil {
		return reply{}, err
	}
	return ok(out), nil
}

func (r reply) VisitImportReunificationsResponse(w http.ResponseWriter) error   { return r.write(w) }
func (r reply) VisitGetReunificationImportResponse(w http.ResponseWriter) error { return r.write(w) }
