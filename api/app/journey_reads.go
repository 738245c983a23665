package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/google/uuid"
	"go.temporal.io/api/serviceerror"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/reunification/intake"
	"github.com/approdo/approdo/internal/start"
	"github.com/approdo/approdo/internal/store"
	"github.com/approdo/approdo/workflows"
)

// This file holds the reads of the reunification journeys and of the bulk files of
// families, and the start of an import: the JSON API and the pages call them alike.

// Journeys returns a page of the journeys the one-stop shop follows, by ID; the last
// journey's ID is the cursor of the next page (empty on the last page).
func (s *Service) Journeys(ctx context.Context, reader casework.Org, f store.JourneyFilter) ([]store.Journey, string, error) {
	if reader != casework.OneStopShop {
		return nil, "", &RefusedError{Subject: SubjectJourney, Reason: RefusedNotAllowed,
			Message: "I percorsi delle famiglie li consulta lo sportello unico; l'UST ne vede i conteggi (/reunifications/counts)."}
	}
	if f.Limit == 0 {
		f.Limit = 50
	}
	journeys, err := s.store.Journeys(store.WithOrg(ctx, reader.String()), f)
	if err != nil {
		return nil, "", unavailableOr(fmt.Errorf("list journeys: %w", err))
	}
	next := ""
	if len(journeys) > 0 && len(journeys) == f.Limit {
		next = journeys[len(journeys)-1].ID
	}
	return journeys, next, nil
}

// Journey returns a journey to whoever may see it (the one-stop shop); to anyone else it
// is a NotFoundError, as if it did not exist.
func (s *Service) Journey(ctx context.Context, reader casework.Org, id string) (store.Journey, error) {
	if err := CheckID(SubjectJourney, id); err != nil {
		return store.Journey{}, err
	}
	j, err := s.store.JourneyByID(store.WithOrg(ctx, reader.String()), id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Journey{}, &NotFoundError{Subject: SubjectJourney}
	}
	if err != nil {
		return store.Journey{}, unavailableOr(fmt.Errorf("read journey: %w", err))
	}
	return j, nil
}

// JourneyCounts counts the journeys by stage, without reading a family: for UST and the
// one-stop shop. They are figures: small counts are suppressed for every reader, UST
// included.
func (s *Service) JourneyCounts(ctx context.Context, reader casework.Org) ([]JourneyRow, error) {
	if reader != casework.UST && reader != casework.OneStopShop {
		return nil, &RefusedError{Subject: SubjectJourney, Reason: RefusedNotAllowed,
			Message: "I conteggi dei percorsi sono per l'UST e lo sportello unico."}
	}
	counts, err := s.store.JourneyCounts(store.WithOrg(ctx, reader.String()))
	if err != nil {
		return nil, unavailableOr(fmt.Errorf("count journeys: %w", err))
	}
	th := s.threshold()
	out := make([]JourneyRow, len(counts))
	for i, c := range counts {
		out[i] = JourneyRow{Stage: c.Stage, Journeys: cell(c.Journeys, th), Escalated: cell(c.Escalated, th)}
	}
	return out, nil
}

// ImportView is a bulk file of families and how far its import has got, with the
// invalid families and their errors (line and column of the file).
type ImportView struct {
	store.FamilyImport
	RejectedFamilies []intake.RejectedFamily
}

// ErrImportNotFound is an import that does not exist or that the caller may not see.
var ErrImportNotFound = errors.New("family import not found")

// importNamespace makes an import's ID from its sender and the file's SHA-256: the same
// file sent again is the same import.
var importNamespace = uuid.MustParse("0b0c7a52-8f5e-4f6e-9d0c-2a1f6a9f4c11")

// CheckFamilyFile reads a whole bulk file of families (CSV or XLSX) without keeping
// anything: the valid families and the invalid ones with their errors. A file that
// cannot be read at all is an InvalidError on "file", saying where.
func (s *Service) CheckFamilyFile(filename string, data []byte) (intake.Result, error) {
	format, err := intake.DetectFormat(filename, data)
	if err != nil {
		return intake.Result{}, fileInvalid(err)
	}
	result, err := intake.Read(bytes.NewReader(data), format, s.now(), nil)
	if err != nil {
		return intake.Result{}, fileInvalid(err)
	}
	return result, nil
}

func fileInvalid(err error) error {
	var fe *intake.FileError
	if errors.As(err, &fe) {
		return Invalid("file", fe.Error())
	}
	return Invalid("file", "non è un file CSV o XLSX leggibile")
}

// CheckFileSender refuses an organisation that may not send files of families, before
// the file is read: only the Prefettura and the one-stop shop send them.
func CheckFileSender(actor casework.Org) error {
	if actor.Kind != casework.OrgPrefettura && actor != casework.OneStopShop {
		return &RefusedError{Subject: SubjectJourney, Reason: RefusedNotAllowed,
			Message: "I file di famiglie li invia la Prefettura (Sportello Unico) o lo sportello unico."}
	}
	return nil
}

// StartImport checks a bulk file of families, keeps its valid families and starts the
// workflow that opens their journeys. The same file sent again by the same sender is the
// same import: created is false. Only the Prefettura and the one-stop shop send files.
func (s *Service) StartImport(ctx context.Context, actor casework.Org, filename string, data []byte) (ImportView, bool, error) {
	if err := CheckFileSender(actor); err != nil {
		return ImportView{}, false, err
	}
	result, err := s.CheckFamilyFile(filename, data)
	if err != nil {
		return ImportView{}, false, err
	}
	sum := sha256.Sum256(data)
	imp := store.FamilyImport{
		Source: actor.String(), Filename: filepath.Base(filename), SHA256: hex.EncodeToString(sum[:]), Lines: result.Lines,
	}
	imp.ID = uuid.NewSHA1(importNamespace, []byte(imp.Source+"\x00"+imp.SHA256)).String()
	rejected, err := json.Marshal(rejectedJSON(result.Rejected))
	if err != nil {
		return ImportView{}, false, err
	}
	imp.Rejected = rejected
	ctx = store.WithOrg(ctx, actor.String())
	created, err := s.store.CreateFamilyImport(ctx, imp, result.Families)
	if err != nil {
		return ImportView{}, false, unavailableOr(fmt.Errorf("record import: %w", err))
	}
	// Started again on a repeat too: a start that failed the first time is retried, and
	// a running or finished import is left as it is.
	_, err = start.FamilyImport(s.taskQueue, imp.ID).Execute(ctx, s.temporal,
		workflows.FamilyImportInput{ImportID: imp.ID, Source: actor, Families: len(result.Families)})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &started) {
		return ImportView{}, false, unavailableOr(fmt.Errorf("start import: %w", err))
	}
	v, err := s.Import(ctx, actor, imp.ID)
	return v, created, err
}

// Import says how far an import has got, to its sender; to others it is
// ErrImportNotFound.
func (s *Service) Import(ctx context.Context, reader casework.Org, id string) (ImportView, error) {
	if _, err := uuid.Parse(id); err != nil || len(id) != 36 {
		return ImportView{}, Invalid("id", "deve essere l'UUID di un import")
	}
	imp, err := s.store.FamilyImportByID(store.WithOrg(ctx, reader.String()), id)
	if errors.Is(err, store.ErrNotFound) {
		return ImportView{}, ErrImportNotFound
	}
	if err != nil {
		return ImportView{}, unavailableOr(fmt.Errorf("read import: %w", err))
	}
	v := ImportView{FamilyImport: imp}
	if len(imp.Rejected) > 0 {
		if err := json.Unmarshal(imp.Rejected, &v.RejectedFamilies); err != nil {
			return ImportView{}, fmt.Errorf("decode rejected families: %w", err)
		}
	}
	return v, nil
}

// rejectedJSON is how an import keeps its invalid families: the document's form
// (reference, lines, errors with line, column and reason).
func rejectedJSON(rejected []intake.RejectedFamily) []map[string]any {
	out := make([]map[string]any, 0, len(rejected))
	for _, r := range rejected {
		errs := make([]map[string]any, 0, len(r.Errors))
		for _, e := range r.Errors {
			errs = append(errs, map[string]any{"line": e.Line, "column": e.Column, "reason": e.Reason})
		}
		lines := r.Lines
		if lines == nil {
			lines = []int{}
		}
		out = append(out, map[string]any{"reference": r.Reference, "lines": lines, "errors": errs})
	}
	return out
}
