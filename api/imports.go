package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path/filepath"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/reunification/intake"
	"github.com/approdo/approdo/internal/store"
	"github.com/approdo/approdo/workflows"
)

// importNamespace makes an import's ID from its sender and the file's SHA-256: the same
// file sent again is the same import.
var importNamespace = uuid.MustParse("0b0c7a52-8f5e-4f6e-9d0c-2a1f6a9f4c11")

// ImportReunifications takes a bulk file of families: it checks the whole file, keeps the
// valid families and starts the workflow that opens their journeys.
func (s *Server) ImportReunifications(ctx context.Context, req ImportReunificationsRequestObject) (ImportReunificationsResponseObject, error) {
	actor, problem := actorFrom(ctx)
	if problem != nil {
		return problemReply(*problem), nil
	}
	if actor.Kind != casework.OrgPrefettura && actor.Kind != casework.OrgOneStopShop {
		return problemReply(newProblem(http.StatusForbidden, problemNotAllowed, "Azione non consentita",
			"I file di famiglie li invia la Prefettura (Sportello Unico) o lo sportello unico.")), nil
	}
	filename, data, problem := readUpload(req)
	if problem != nil {
		return problemReply(*problem), nil
	}
	format, err := intake.DetectFormat(filename, data)
	if err != nil {
		return problemReply(fileProblem(err)), nil
	}
	result, err := intake.Read(bytes.NewReader(data), format, s.now(), nil)
	if err != nil {
		return problemReply(fileProblem(err)), nil
	}
	sum := sha256.Sum256(data)
	imp := store.FamilyImport{
		Source: actor.String(), Filename: filepath.Base(filename), SHA256: hex.EncodeToString(sum[:]), Lines: result.Lines,
	}
	imp.ID = uuid.NewSHA1(importNamespace, []byte(imp.Source+"\x00"+imp.SHA256)).String()
	rejected, err := json.Marshal(rejectedBody(result.Rejected))
	if err != nil {
		return nil, err
	}
	imp.Rejected = rejected
	ctx = store.WithOrg(ctx, actor.String())
	created, err := s.store.CreateFamilyImport(ctx, imp, result.Families)
	if err != nil {
		return nil, err
	}
	// Started again on a repeat too: a start that failed the first time is retried, and
	// a running or finished import is left as it is.
	_, err = s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: "family-import-" + imp.ID, TaskQueue: s.taskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	}, workflows.FamilyImportWorkflowName, workflows.FamilyImportInput{ImportID: imp.ID, Source: actor, Families: len(result.Families)})
	if err != nil && !isAlreadyStarted(err) {
		return nil, err
	}
	answer, err := s.importReply(ctx, imp.ID)
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

// fileProblem explains a file that cannot be read at all, with its line.
func fileProblem(err error) Problem {
	var fe *intake.FileError
	if errors.As(err, &fe) {
		return fieldProblem("file", fe.Error())
	}
	return fieldProblem("file", "non è un file CSV o XLSX leggibile")
}

func rejectedBody(rejected []intake.RejectedFamily) []map[string]any {
	out := make([]map[string]any, 0, len(rejected))
	for _, r := range rejected {
		errs := make([]map[string]any, 0, len(r.Errors))
		for _, e := range r.Errors {
			errs = append(errs, map[string]any{"line": e.Line, "column": e.Column, "reason": e.Reason})
		}
		out = append(out, map[string]any{"reference": r.Reference, "lines": nonNilSlice(r.Lines), "errors": errs})
	}
	return out
}

// GetReunificationImport says how far an import has got.
func (s *Server) GetReunificationImport(ctx context.Context, req GetReunificationImportRequestObject) (GetReunificationImportResponseObject, error) {
	actor, problem := actorFrom(ctx)
	if problem != nil {
		return problemReply(*problem), nil
	}
	if _, err := uuid.Parse(req.Id); err != nil || len(req.Id) != 36 {
		return problemReply(fieldProblem("id", "deve essere l'UUID di un import")), nil
	}
	return s.importReply(store.WithOrg(ctx, actor.String()), req.Id)
}

func (s *Server) importReply(ctx context.Context, id string) (reply, error) {
	imp, err := s.store.FamilyImportByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return problemReply(newProblem(http.StatusNotFound, problemBlank, "Import non trovato", "")), nil
	}
	if err != nil {
		return reply{}, err
	}
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

func isAlreadyStarted(err error) bool {
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	return errors.As(err, &started)
}
