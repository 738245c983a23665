package surge

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/client"

	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/internal/start"
	"github.com/approdo/approdo/workflows"
)

// DirectFiler files enrolment requests straight to Temporal, as the API does after its
// checks: one UpdateWithStart of the case's workflow with the Register update, waited
// for until completed. It is what the API's filing is compared with (issue 14, P4), so
// it starts the same workflow with the same options and input; Client must seal payloads
// as the API's does (the same data converter and key).
type DirectFiler struct {
	Client    client.Client
	TaskQueue string
}

// File files the request body (RequestBody's JSON) and returns the case's ID.
func (d DirectFiler) File(ctx context.Context, body string) (string, error) {
	var r enrolment.Request
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		return "", fmt.Errorf("read the request: %w", err)
	}
	r = r.Normalize()
	filer := r.Comune // the API's filer for a comune's own request
	caseID := enrolment.CaseID(filer, r.RequestID)
	hash := r.Hash()
	// The API's own starter: the same name, ID, policies and initial search attributes.
	handle, err := start.Enrolment(d.TaskQueue, caseID, r.Comune, string(r.Origin)).UpdateWithStart(ctx, d.Client,
		workflows.EnrolmentInput{CaseID: caseID, FiledBy: filer, RequestHash: hash, Request: r},
		client.UpdateWorkflowOptions{
			UpdateName:   workflows.UpdateRegister,
			Args:         []any{workflows.RegisterInput{RequestHash: hash}},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		})
	if err != nil {
		return "", err
	}
	var result workflows.RegisterResult
	if err := handle.Get(ctx, &result); err != nil {
		return "", err
	}
	if result.DuplicateOf != "" {
		return "", fmt.Errorf("the minor already has open case %s", result.DuplicateOf)
	}
	return caseID, nil
}

// FilingComparison is the API's filing latency next to a direct UpdateWithStart's, both
// measured in the same run, in the same pool, under the same load.
type FilingComparison struct {
	Elapsed time.Duration
	// API and Direct are the latencies of the filings that were answered as received;
	// APIFailed and DirectFailed count the others.
	API, Direct               []time.Duration
	APIFailed, DirectFailed   int
	CaseIDs                   []string
	FirstAPIError, FirstError string
}

// CompareFiling files n requests through the API and n directly, interleaved in one pool
// of c, so that both see the same load; the cases are left open (routed, waiting for the
// hub). A filing the API answers 503 counts as failed, and is not retried: the figure
// is the latency of one filing.
func CompareFiling(ctx context.Context, t Target, d DirectFiler, n, c int, progress Progress) FilingComparison {
	if t.Client == nil {
		t.Client = &http.Client{Timeout: time.Minute}
	}
	var out FilingComparison
	var mu sync.Mutex
	var next int
	began := time.Now()
	runPool(ctx, 2*n, c, progress, func() {
		mu.Lock()
		viaAPI := next%2 == 0
		next++
		mu.Unlock()
		body := RequestBody(uuid.NewString())
		sent := time.Now()
		var caseID string
		var err error
		if viaAPI {
			caseID, err = t.file(ctx, body)
		} else {
			caseID, err = d.File(ctx, body)
		}
		took := time.Since(sent)
		mu.Lock()
		defer mu.Unlock()
		if caseID != "" {
			out.CaseIDs = append(out.CaseIDs, caseID)
		}
		switch {
		case viaAPI && err == nil:
			out.API = append(out.API, took)
		case viaAPI:
			out.APIFailed++
			if out.FirstAPIError == "" {
				out.FirstAPIError = err.Error()
			}
		case err == nil:
			out.Direct = append(out.Direct, took)
		default:
			out.DirectFailed++
			if out.FirstError == "" {
				out.FirstError = err.Error()
			}
		}
	})
	out.Elapsed = time.Since(began)
	return out
}

// FileCases files n cases through the API, c at a time, and leaves them open; a filing
// answered 503 is tried again with the same request, as DriveCases does. It returns the
// cases filed and why the first filings that gave up did.
func FileCases(ctx context.Context, t Target, n, c int, progress Progress) (caseIDs []string, errs []string) {
	if t.Client == nil {
		t.Client = &http.Client{Timeout: time.Minute}
	}
	if t.Retry == 0 {
		t.Retry = 200 * time.Millisecond
	}
	var mu sync.Mutex
	runPool(ctx, n, c, progress, func() {
		body := RequestBody(uuid.NewString())
		for {
			caseID, err := t.file(ctx, body)
			if err == errBusy && ctx.Err() == nil {
				t.pause(ctx)
				continue
			}
			mu.Lock()
			if err != nil && len(errs) < 10 {
				errs = append(errs, err.Error())
			}
			if caseID != "" {
				caseIDs = append(caseIDs, caseID)
			}
			mu.Unlock()
			return
		}
	})
	return caseIDs, errs
}

// errBusy is a filing answered 503, or not answered: it may be tried again.
var errBusy = fmt.Errorf("the filing was answered 503, or not at all")

// file files body once as the comune; 200, 201 and 202 are received.
func (t Target) file(ctx context.Context, body string) (string, error) {
	status, data, err := t.call(ctx, t.Comune, http.MethodPost, "/api/v1/enrolments", "", body)
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", errBusy
	}
	switch status {
	case http.StatusOK, http.StatusCreated, http.StatusAccepted:
	case http.StatusServiceUnavailable:
		return "", errBusy
	default:
		return "", fmt.Errorf("filing refused with %d: %s", status, data)
	}
	var filed struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(data, &filed); err != nil || filed.ID == "" {
		return "", fmt.Errorf("filing answered %d without a case id: %s", status, data)
	}
	return filed.ID, nil
}
