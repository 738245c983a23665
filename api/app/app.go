// Package app is the one way to act on and read Approdo's cases, reunification journeys
// and interventions. The JSON API (package api) and the web pages (package web) are two
// doors onto it: they turn a request into a call here, and this package's typed errors
// into problem+json or a page that explains the refusal. No rule of an action lives in
// either door.
package app

import (
	"log/slog"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/approdo/approdo/internal/store"
)

// Service holds what every action and read needs.
type Service struct {
	temporal  client.Client
	store     *store.Store
	taskQueue string
	log       *slog.Logger
	// timeout bounds how long an action waits for the workflow to take it; past it the
	// caller is told to retry, which is safe.
	timeout time.Duration
	now     func() time.Time
	// minCell is the smallest count a monitoring figure shows as it is, to every reader.
	minCell int
}

// Options configure a Service.
type Options struct {
	Temporal  client.Client
	Store     *store.Store
	TaskQueue string
	Log       *slog.Logger
	// Timeout bounds how long an action or a filing waits for its workflow; 15s when zero.
	Timeout time.Duration
	// Now is the clock of validations and overdue flags; time.Now when nil.
	Now func() time.Time
	// MinCell is the smallest monitoring count shown as it is, to every reader, UST
	// included (MONITORING_MIN_CELL): smaller ones but 0 are shown as "<MinCell". DefaultMinCell
	// when zero; 1 shows every count.
	MinCell int
}

// New returns the Service.
func New(o Options) *Service {
	if o.Timeout == 0 {
		o.Timeout = 15 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MinCell == 0 {
		o.MinCell = DefaultMinCell
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{temporal: o.Temporal, store: o.Store, taskQueue: o.TaskQueue, log: o.Log, timeout: o.Timeout, now: o.Now, minCell: o.MinCell}
}

// Now is the service's clock.
func (s *Service) Now() time.Time { return s.now() }

// Store is the store the service reads, for the reads that need no rule of their own
// (reference data, account pages).
func (s *Service) Store() *store.Store { return s.store }
