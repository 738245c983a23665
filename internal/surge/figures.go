package surge

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/approdo/approdo/activities"
	"github.com/approdo/approdo/internal/enrolment"
)

// Percentile is the p-th percentile (0–100) of ds, nearest rank; 0 for none.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.999999) - 1
	return s[max(0, min(i, len(s)-1))]
}

// Latencies summarises a set of latencies, in milliseconds for JSON.
type Latencies struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
}

// Summarise gives the count, p50, p99 and maximum of ds.
func Summarise(ds []time.Duration) Latencies {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return Latencies{Count: len(ds), P50: ms(Percentile(ds, 50)), P99: ms(Percentile(ds, 99)), Max: ms(Percentile(ds, 100))}
}

func (l Latencies) String() string {
	return fmt.Sprintf("p50 %s, p99 %s, max %s (%d)", msString(l.P50), msString(l.P99), msString(l.Max), l.Count)
}

func msString(ms float64) string {
	if ms >= 1000 {
		return fmt.Sprintf("%.2f s", ms/1000)
	}
	return fmt.Sprintf("%.0f ms", ms)
}

// Events are the history events of a sample of workflows.
type Events struct {
	Sampled int `json:"sampled"`
	// PerCase is the mean over the sample of a case's own events plus those of the
	// workflows it caused (notices, children).
	PerCase float64 `json:"per_case"`
	// Own is the mean of the case workflow's own events, Others of the rest.
	Own    float64 `json:"own"`
	Others float64 `json:"others"`
	// OtherWorkflows is the mean number of workflows a case caused: its children and the
	// delivery workflows of its notices (a notice the dispatcher sent has none).
	OtherWorkflows float64 `json:"other_workflows"`
}

// NoticeKeys lists the keys of the notifications a case queued (store.Notification).
type NoticeKeys func(ctx context.Context, caseID string) ([]string, error)

// CaseEvents counts the history events of up to sample cases: the case's workflow (every
// run, following continue-as-new), the child workflows it started, and the delivery
// workflow of each of its notifications (those delivered without a workflow count none).
func CaseEvents(ctx context.Context, c client.Client, caseIDs []string, sample int, keys NoticeKeys) (Events, error) {
	ids := caseIDs[:min(sample, len(caseIDs))]
	var e Events
	for _, id := range ids {
		own, children, err := historyLength(ctx, c, enrolment.WorkflowID(id))
		if err != nil {
			return e, fmt.Errorf("history of case %s: %w", id, err)
		}
		others := map[string]bool{}
		for _, ch := range children {
			others[ch] = true
		}
		if keys != nil {
			ks, err := keys(ctx, id)
			if err != nil {
				return e, err
			}
			for _, k := range ks {
				others[activities.NoticeWorkflowID(k)] = true
			}
		}
		var rest, workflows int
		for wid := range others {
			n, _, err := historyLength(ctx, c, wid)
			if err != nil {
				continue // delivered without a workflow of its own
			}
			rest += n
			workflows++
		}
		e.Own += float64(own)
		e.Others += float64(rest)
		e.OtherWorkflows += float64(workflows)
	}
	if len(ids) > 0 {
		n := float64(len(ids))
		e.Sampled, e.Own, e.Others, e.OtherWorkflows = len(ids), e.Own/n, e.Others/n, e.OtherWorkflows/n
		e.PerCase = e.Own + e.Others
	}
	return e, nil
}

// MeanEvents is the mean history length of workflows ids (their latest runs).
func MeanEvents(ctx context.Context, c client.Client, ids []string, sample int) (float64, error) {
	ids = ids[:min(sample, len(ids))]
	var total int
	for _, id := range ids {
		n, _, err := historyLength(ctx, c, id)
		if err != nil {
			return 0, err
		}
		total += n
	}
	if len(ids) == 0 {
		return 0, nil
	}
	return float64(total) / float64(len(ids)), nil
}

// historyLength counts a workflow's events over all its runs, following continue-as-new
// back from the latest, and names the child workflows it started.
func historyLength(ctx context.Context, c client.Client, workflowID string) (int, []string, error) {
	var n int
	var children []string
	runID := ""
	for range 100 {
		iter := c.GetWorkflowHistory(ctx, workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		previous := ""
		first := true
		for iter.HasNext() {
			ev, err := iter.Next()
			if err != nil {
				return 0, nil, err
			}
			n++
			if first {
				previous = ev.GetWorkflowExecutionStartedEventAttributes().GetContinuedExecutionRunId()
				first = false
			}
			if a := ev.GetStartChildWorkflowExecutionInitiatedEventAttributes(); a != nil {
				children = append(children, a.GetWorkflowId())
			}
		}
		if previous == "" {
			break
		}
		runID = previous
	}
	return n, children, nil
}

// Memory samples the resident set size of processes while a run lasts.
type Memory struct {
	mu   sync.Mutex
	pids map[string]int
	peak map[string]int64
	last map[string]int64
	stop chan struct{}
	done chan struct{}
}

// WatchMemory samples the RSS of the named processes every interval until Stop.
func WatchMemory(pids map[string]int, interval time.Duration) *Memory {
	m := &Memory{pids: pids, peak: map[string]int64{}, last: map[string]int64{}, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(m.done)
		for {
			m.sample()
			select {
			case <-m.stop:
				return
			case <-time.After(interval):
			}
		}
	}()
	return m
}

func (m *Memory) sample() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for name, pid := range m.pids {
		rss, err := RSS(pid)
		if err != nil {
			continue
		}
		m.last[name] = rss
		m.peak[name] = max(m.peak[name], rss)
	}
}

// ProcessMemory is a process's RSS at the end of the run and at its peak, in MiB.
type ProcessMemory struct {
	PID     int     `json:"pid"`
	EndMiB  float64 `json:"end_mib"`
	PeakMiB float64 `json:"peak_mib"`
}

// Stop ends the sampling and returns the figures per process.
func (m *Memory) Stop() map[string]ProcessMemory {
	close(m.stop)
	<-m.done
	m.sample()
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]ProcessMemory{}
	for name, pid := range m.pids {
		out[name] = ProcessMemory{PID: pid, EndMiB: mib(m.last[name]), PeakMiB: mib(m.peak[name])}
	}
	return out
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// RSS reads a process's resident set size, in bytes, from /proc.
func RSS(pid int) (int64, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				kb, err := strconv.ParseInt(f[0], 10, 64)
				return kb << 10, err
			}
		}
	}
	return 0, fmt.Errorf("no VmRSS for process %d", pid)
}

// Machine describes where a run happened.
type Machine struct {
	CPUs int `json:"cpus"`
	// LoadBefore and LoadAfter are the 1-minute load averages.
	LoadBefore float64 `json:"load_before"`
	LoadAfter  float64 `json:"load_after"`
	GoVersion  string  `json:"go"`
}

// LoadAverage is the 1-minute load average (0 where /proc cannot tell).
func LoadAverage() float64 {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// ThisMachine is the CPUs and Go version, with the load now as LoadBefore.
func ThisMachine() Machine {
	return Machine{CPUs: runtime.NumCPU(), LoadBefore: LoadAverage(), GoVersion: runtime.Version()}
}
