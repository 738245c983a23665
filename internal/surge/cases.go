// Package surge drives whole enrolment cases through Approdo's HTTP API, as a surge of
// comuni, hubs and schools would, and runs the bare Temporal workflow they are compared
// with. `approdo bench surge` and `approdo faults` are built on it; it asserts nothing
// and measures what it did.
package surge

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Target is an Approdo API and the tokens of the three organisations a case goes
// through: the comune that files, the hub that proposes, the school that accepts. The
// sample reference data routes the request below to the hub, and the school is in its
// territory (README, "Taking the case to enrolment").
type Target struct {
	API                 string
	Comune, Hub, School string
	SchoolCode          string
	Client              *http.Client
	// Retry is the pause before a step is tried again (a 503, a case not yet routed);
	// 0 means DefaultRetry.
	Retry time.Duration
}

// CaseRun is what driving the cases measured.
type CaseRun struct {
	Cases, Concurrency int
	// Started is when the first case was filed; Elapsed how long until the last was done.
	Started time.Time
	Elapsed time.Duration
	// Completed cases reached "enrolled" through the API; Failed gave up (the context
	// ended first).
	Completed, Failed int
	// Filings are the latencies of every filing attempt that got an answer; Whole those
	// of the completed cases, from the first filing attempt to the school's acceptance.
	Filings, Whole []time.Duration
	// Refused counts the filing attempts answered with something else than 200, 201 or
	// 202, by status ("503", or "network" when no answer came); Accepted202 the filings
	// answered "received, in registration".
	Refused     map[string]int
	Accepted202 int
	// CaseIDs are the cases filed, completed or not.
	CaseIDs []string
	// Errors are why the first cases that gave up did (at most 10).
	Errors []string
}

// DefaultRetry is how long a driver waits before asking again, as a clerk's page or a
// client honouring a 202 would, rather than at once. At 200 ms, 100 drivers whose
// filings were answered 202 asked the API about 500 times a second for cases not yet
// recorded, each request authenticated and audited: a fifth of the machine went to
// asking (500 cases, 100 at a time: 3.49 cases/s at 200 ms, 4.13 at 1 s).
const DefaultRetry = time.Second

// Progress is told how many cases are done (completed or failed) out of the total.
type Progress func(done, total int)

// DriveCases files n cases, c at a time, and takes each to enrolment: file as the
// comune, propose as the hub once the case is routed, accept as the school. A step
// refused for a reason that passes (503, the case not yet recorded or routed) is tried
// again with the same request, which is safe: the filing's request ID and the actions'
// Idempotency-Key make a repeat count once.
func DriveCases(ctx context.Context, t Target, n, c int, progress Progress) CaseRun {
	if t.Client == nil {
		t.Client = &http.Client{Timeout: time.Minute}
	}
	if t.Retry == 0 {
		t.Retry = DefaultRetry
	}
	start := time.Now()
	run := CaseRun{Cases: n, Concurrency: c, Refused: map[string]int{}, Started: start}
	var mu sync.Mutex
	runPool(ctx, n, c, progress, func() {
		r := t.oneCase(ctx)
		mu.Lock()
		defer mu.Unlock()
		run.Filings = append(run.Filings, r.filings...)
		for k, v := range r.refused {
			run.Refused[k] += v
		}
		run.Accepted202 += r.accepted
		if r.caseID != "" {
			run.CaseIDs = append(run.CaseIDs, r.caseID)
		}
		if r.err == nil {
			run.Completed++
			run.Whole = append(run.Whole, r.whole)
		} else {
			run.Failed++
			if len(run.Errors) < 10 {
				run.Errors = append(run.Errors, r.err.Error())
			}
		}
	})
	run.Elapsed = time.Since(start)
	return run
}

type caseResult struct {
	caseID   string
	filings  []time.Duration
	refused  map[string]int
	accepted int
	whole    time.Duration
	err      error
}

func (t Target) oneCase(ctx context.Context) caseResult {
	r := caseResult{refused: map[string]int{}}
	start := time.Now()
	body := RequestBody(uuid.NewString())
	// File, until the answer says the request was received.
	for {
		sent := time.Now()
		status, data, err := t.call(ctx, t.Comune, http.MethodPost, "/api/v1/enrolments", "", body)
		if err != nil {
			if ctx.Err() != nil {
				r.err = ctx.Err()
				return r
			}
			r.refused["network"]++
			t.pause(ctx)
			continue
		}
		r.filings = append(r.filings, time.Since(sent))
		if status == http.StatusOK || status == http.StatusCreated || status == http.StatusAccepted {
			var filed struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal(data, &filed); err != nil || filed.ID == "" {
				r.err = fmt.Errorf("filing answered %d without a case id: %s", status, data)
				return r
			}
			r.caseID = filed.ID
			if status == http.StatusAccepted {
				r.accepted++
			}
			break
		}
		r.refused[strconv.Itoa(status)]++
		if status != http.StatusServiceUnavailable {
			r.err = fmt.Errorf("filing refused with %d: %s", status, data)
			return r
		}
		t.pause(ctx)
	}
	path := "/api/v1/enrolments/" + r.caseID
	if r.err = t.act(ctx, t.Hub, path+"/proposal", fmt.Sprintf(`{"school":%q}`, t.SchoolCode)); r.err != nil {
		return r
	}
	decision := fmt.Sprintf(`{"accept":true,"section":"A","startDate":%q}`, time.Now().Format(time.DateOnly))
	if r.err = t.act(ctx, t.School, path+"/decision", decision); r.err != nil {
		return r
	}
	r.whole = time.Since(start)
	return r
}

// act posts an action until it is taken: 404 (not yet recorded, or not yet the
// organisation's), 409 (not yet in the stage) and 503 are tried again, with the same
// Idempotency-Key.
func (t Target) act(ctx context.Context, token, path, body string) error {
	key := uuid.NewString()
	for {
		status, data, err := t.call(ctx, token, http.MethodPost, path, key, body)
		switch {
		case err != nil && ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
		case status == http.StatusOK:
			return nil
		case status == http.StatusNotFound || status == http.StatusConflict || status == http.StatusServiceUnavailable:
		default:
			return fmt.Errorf("POST %s answered %d: %s", path, status, data)
		}
		t.pause(ctx)
	}
}

func (t Target) pause(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-time.After(t.Retry):
	}
}

func (t Target) call(ctx context.Context, token, method, path, idempotencyKey, body string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, t.API+path, bytes.NewReader([]byte(body)))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if idempotencyKey != "" {
		req.Header.Set("Idempotency-Key", idempotencyKey)
	}
	res, err := t.Client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	return res.StatusCode, data, err
}

// RequestBody is an enrolment request of the Comune di Milano that the sample reference
// data routes to Polo START 1 (primaria, municipio 2), for a made-up minor of its own:
// random names and birth date, since Approdo refuses a second open case for the same
// minor.
func RequestBody(requestID string) string {
	given := givenNames[rand.IntN(len(givenNames))]
	family := familyNames[rand.IntN(len(familyNames))] + "-" + randomName(8)
	birth := time.Date(2013, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rand.IntN(5*365)).Format(time.DateOnly)
	return fmt.Sprintf(`{"requestId":%q,"comune":"015146","level":"primaria",
	"minor":{"givenName":%q,"familyName":%q,"birthDate":%q,"sex":"F","citizenship":"UA"},
	"languages":["uk"],"guardian":{"name":"Iryna Kovalenko","phone":"+39 333 1234567","email":"famiglia@example.org","preferredLanguage":"uk"},
	"residence":{"address":"Via Padova 100","municipio":2},"origin":"ukrainian_refugee"}`, requestID, given, family, birth)
}

var (
	givenNames  = []string{"Olena", "Mariia", "Sofiia", "Anna", "Daryna", "Oleksandr", "Maksym", "Artem", "Dmytro", "Nazar"}
	familyNames = []string{"Kovalenko", "Shevchenko", "Bondarenko", "Tkachenko", "Kravchenko", "Melnyk", "Boiko", "Oliinyk"}
)

// randomName is n random lowercase letters, capitalised.
func randomName(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + rand.IntN(26))
	}
	b[0] -= 'a' - 'A'
	return string(b)
}
