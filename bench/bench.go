// Package bench measures complaint throughput against the embedded Temporal
// server: N complaints driven through the happy path over HTTP, and in the
// same run N bare workflows with the same number and shape of activities as the
// ceiling that Temporal alone allows on this machine.
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/workflow"

	"github.com/concierge-pm/concierge/api"
	"github.com/concierge-pm/concierge/auth"
	"github.com/concierge-pm/concierge/devtemporal"
	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/payloadcodec"
	"github.com/concierge-pm/concierge/store"
	"github.com/concierge-pm/concierge/worker"
	"github.com/concierge-pm/concierge/workflows"
)

// Options of a run.
type Options struct {
	N           int
	Concurrency int
	DatabaseURL string // a database the run may fill; created if missing
	Out         io.Writer
	// Plain runs without payload encryption, to measure what it costs.
	Plain bool
}

// Result is what a run measured.
type Result struct {
	N                 int
	Concurrency       int
	Encrypted         bool
	ComplaintDuration time.Duration
	BareDuration      time.Duration
	EventsPerCase     float64
	EventsPerBare     float64
	ActivitiesPerCase float64
	PeakRSSMiB        float64
	CPUs              int
}

// ComplaintsPerSecond is the complaint throughput.
func (r Result) ComplaintsPerSecond() float64 { return float64(r.N) / r.ComplaintDuration.Seconds() }

// BarePerSecond is the bare-workflow throughput.
func (r Result) BarePerSecond() float64 { return float64(r.N) / r.BareDuration.Seconds() }

// The shape of a complaint's happy path: record activities one after
// another — (recorded, routed), acknowledged, feedback, resolved,
// (callback, closed) — and a delivery activity beside each record that
// queued notifications: the first, feedback and resolved. The run counts the
// activities in the histories and reports them.
const (
	happyPathRecords    = 5
	happyPathDeliveries = 3
)

const (
	bareWorkflow = "BenchBare"
	bareActivity = "BenchNoop"
	queue        = "concierge-bench"
)

// Bare runs records no-op activities one after another, like a complaint's
// records, and one more beside each of the first deliveries of them, like
// its notification deliveries; it ends when all have.
func Bare(ctx workflow.Context, records, deliveries int) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second})
	var beside []workflow.Future
	for i := range records {
		if err := workflow.ExecuteActivity(ctx, bareActivity, i).Get(ctx, nil); err != nil {
			return err
		}
		if i < deliveries {
			beside = append(beside, workflow.ExecuteActivity(ctx, bareActivity, -i))
		}
	}
	for _, f := range beside {
		if err := f.Get(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}

func noop(context.Context, int) error { return nil }

// Run performs one measurement.
func Run(ctx context.Context, o Options) (Result, error) {
	res := Result{N: o.N, Concurrency: o.Concurrency, CPUs: runtime.NumCPU(), Encrypted: !o.Plain}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	st, err := store.Open(ctx, o.DatabaseURL)
	if err != nil {
		return res, err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return res, err
	}
	if _, err := st.LoadDemo(ctx); err != nil {
		return res, err
	}
	dir, err := os.MkdirTemp("", "concierge-bench-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	// The same SQLite file set-up as `concierge dev`.
	ts, err := devtemporal.Start(devtemporal.Options{
		DatabaseFile: filepath.Join(dir, "temporal.db"), SearchAttributes: workflows.SearchAttributes(), Logger: logger,
	})
	if err != nil {
		return res, err
	}
	defer ts.Stop()
	opts := client.Options{HostPort: ts.Address(), Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))}
	if !o.Plain {
		// As every Concierge process runs: payloads encrypted.
		key, err := payloadcodec.GenerateKey("bench")
		if err != nil {
			return res, err
		}
		codec, err := payloadcodec.New([]payloadcodec.Key{key})
		if err != nil {
			return res, err
		}
		opts.DataConverter = payloadcodec.DataConverter(codec)
	}
	tc, err := client.Dial(opts)
	if err != nil {
		return res, fmt.Errorf("dial temporal: %w", err)
	}
	defer tc.Close()
	w := worker.New(tc, queue, st, nil, worker.Settings{Location: time.UTC})
	w.RegisterWorkflowWithOptions(Bare, workflow.RegisterOptions{Name: bareWorkflow})
	w.RegisterActivityWithOptions(noop, activity.RegisterOptions{Name: bareActivity})
	if err := w.Start(); err != nil {
		return res, fmt.Errorf("start worker: %w", err)
	}
	defer w.Stop()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return res, err
	}
	// The production limits, so the benchmark measures the server as deployed.
	srv := api.NewHTTPServer(api.New(api.Config{Store: st, Temporal: tc, TaskQueue: queue, Logger: logger}), api.DefaultLimits())
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	base := "http://" + ln.Addr().String()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.Concurrency}, Timeout: time.Minute}
	se, err := signIn(ctx, st, hc, base)
	if err != nil {
		return res, err
	}

	// Warm up both paths so neither pays for first-use costs.
	if _, err := happyPath(ctx, hc, se, base, 0); err != nil {
		return res, fmt.Errorf("warm-up complaint: %w", err)
	}
	if _, err := bareOne(ctx, tc, -1); err != nil {
		return res, fmt.Errorf("warm-up bare workflow: %w", err)
	}

	numbers := make([]string, o.N)
	res.BareDuration, err = parallel(o.N, o.Concurrency, func(i int) error {
		_, err := bareOne(ctx, tc, i)
		return err
	})
	if err != nil {
		return res, fmt.Errorf("bare workflows: %w", err)
	}
	res.ComplaintDuration, err = parallel(o.N, o.Concurrency, func(i int) error {
		n, err := happyPath(ctx, hc, se, base, i+1)
		numbers[i] = n
		return err
	})
	if err != nil {
		return res, fmt.Errorf("complaints: %w", err)
	}
	sample := min(o.N, 20)
	var events, bareEvents, activities int
	for i := range sample {
		n, acts, err := historyLength(ctx, tc, domain.KindComplaint.WorkflowID(numbers[i]))
		if err != nil {
			return res, err
		}
		events, activities = events+n, activities+acts
		n, _, err = historyLength(ctx, tc, fmt.Sprintf("bench-bare-%d", i))
		if err != nil {
			return res, err
		}
		bareEvents += n
	}
	res.EventsPerCase = float64(events) / float64(sample)
	res.EventsPerBare = float64(bareEvents) / float64(sample)
	res.ActivitiesPerCase = float64(activities) / float64(sample)
	res.PeakRSSMiB = peakRSSMiB()
	return res, nil
}

// parallel runs fn for 0..n-1 on c goroutines and returns the wall time.
func parallel(n, c int, fn func(int) error) (time.Duration, error) {
	start := time.Now()
	work := make(chan int)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if err := fn(i); err != nil {
					errs <- err
				}
			}
		}()
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	close(errs)
	return time.Since(start), errors.Join(drain(errs)...)
}

func drain(ch chan error) []error {
	var out []error
	for err := range ch {
		out = append(out, err)
	}
	return out
}

func bareOne(ctx context.Context, tc client.Client, i int) (string, error) {
	id := fmt.Sprintf("bench-bare-%d", i)
	run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: queue}, bareWorkflow, happyPathRecords, happyPathDeliveries)
	if err != nil {
		return "", err
	}
	return id, run.Get(ctx, nil)
}

// happyPath records one complaint and takes it to closed over HTTP.
func happyPath(ctx context.Context, hc *http.Client, se session, base string, i int) (string, error) {
	var c struct {
		Number string `json:"number"`
		Status string `json:"status"`
	}
	body := map[string]any{
		"community": "A", "unit": fmt.Sprintf("%d-%d%02d", 1+i%3, 1+(i/3)%6, 1+(i/18)%2),
		"resident": map[string]any{"name": "压测住户", "phone": "13900000000"},
		"channel":  "phone", "category": "leak", "description": "压测投诉 " + strconv.Itoa(i),
	}
	if err := post(ctx, hc, se, base+"/api/v1/complaints", body, &c); err != nil {
		return "", err
	}
	steps := []struct {
		action string
		body   any
	}{
		{"acknowledge", nil},
		{"feedback", map[string]any{"message": "已安排维修"}},
		{"resolve", map[string]any{"resolution": "已修复"}},
		{"callback", map[string]any{"reached": true, "score": 5}},
	}
	for _, s := range steps {
		if err := post(ctx, hc, se, base+"/api/v1/complaints/"+c.Number+"/"+s.action, s.body, &c); err != nil {
			return c.Number, err
		}
	}
	if c.Status != "closed" {
		return c.Number, fmt.Errorf("%s ended %s", c.Number, c.Status)
	}
	return c.Number, nil
}

// session is the benchmark's sign-in: every request carries it as a
// browser would, so the numbers include resolving the session.
type session struct{ cookie, csrf string }

// benchStaff is the member of staff the benchmark signs in as: a
// supervisor, who may take every action of the happy path (a receptionist
// records and calls back, a handler acknowledges and resolves).
const benchStaff = "chen_jing"

// signIn gives benchStaff a fresh random password and signs in with it
// through the API.
func signIn(ctx context.Context, st *store.Store, hc *http.Client, base string) (session, error) {
	pw, err := auth.NewSecret("")
	if err != nil {
		return session{}, err
	}
	h, err := auth.HashPassword(pw, auth.DefaultParams())
	if err != nil {
		return session{}, err
	}
	if err := st.CreateAccount(ctx, store.Who{Actor: "bench"}, benchStaff, benchStaff, h); errors.Is(err, store.ErrConflict) {
		err = st.SetPassword(ctx, store.Who{Actor: "bench"}, benchStaff, h)
		if err != nil {
			return session{}, err
		}
	} else if err != nil {
		return session{}, err
	}
	raw, _ := json.Marshal(map[string]string{"username": benchStaff, "password": pw})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/auth/login", bytes.NewReader(raw))
	if err != nil {
		return session{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return session{}, fmt.Errorf("sign in: %w", err)
	}
	defer resp.Body.Close()
	var out struct {
		CSRF string `json:"csrf_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		return session{}, fmt.Errorf("sign in: HTTP %d %v", resp.StatusCode, err)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "concierge_session" {
			return session{cookie: c.Name + "=" + c.Value, csrf: out.CSRF}, nil
		}
	}
	return session{}, errors.New("sign in: no session cookie")
}

func post(ctx context.Context, hc *http.Client, se session, url string, body, out any) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Cookie", se.cookie)
	req.Header.Set("X-CSRF-Token", se.csrf)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		return fmt.Errorf("POST %s: HTTP %d %s", url, resp.StatusCode, data)
	}
	return json.Unmarshal(data, out)
}

// historyLength counts a workflow's history events and its activities.
func historyLength(ctx context.Context, tc client.Client, id string) (events, activities int, err error) {
	iter := tc.GetWorkflowHistory(ctx, id, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			return 0, 0, fmt.Errorf("history of %s: %w", id, err)
		}
		events++
		if ev.GetEventType() == enums.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED {
			activities++
		}
	}
	return events, activities, nil
}

// peakRSSMiB reads the process's peak resident set (VmHWM) on Linux.
func peakRSSMiB() float64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// Report prints the result as the issue notes want it.
func (r Result) Report(w io.Writer) {
	fmt.Fprintf(w, "machine: %d CPUs (GOMAXPROCS %d), %s/%s\n", r.CPUs, runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH)
	enc := "payloads encrypted (AES-256-GCM)"
	if !r.Encrypted {
		enc = "payloads NOT encrypted (-plain)"
	}
	fmt.Fprintf(w, "N=%d concurrency=%d, embedded Temporal on SQLite (WAL), PostgreSQL read model, %s\n", r.N, r.Concurrency, enc)
	fmt.Fprintf(w, "bare workflows (%d+%d no-op activities): %6.1f /s  (%s)\n", happyPathRecords, happyPathDeliveries, r.BarePerSecond(), r.BareDuration.Round(time.Millisecond))
	fmt.Fprintf(w, "complaints, happy path over HTTP:     %8.1f /s  (%s)\n", r.ComplaintsPerSecond(), r.ComplaintDuration.Round(time.Millisecond))
	fmt.Fprintf(w, "ratio complaints / bare ceiling:      %8.2f\n", r.ComplaintsPerSecond()/r.BarePerSecond())
	fmt.Fprintf(w, "history events per complaint: %.1f (bare workflow: %.1f); activities per complaint: %.1f\n",
		r.EventsPerCase, r.EventsPerBare, r.ActivitiesPerCase)
	fmt.Fprintf(w, "peak RSS of the whole process: %.0f MiB\n", r.PeakRSSMiB)
}
