// Package bench measures Concierge against Temporal's own floor on the same
// server in the same run (README, Benchmark): each staff action's latency
// over HTTP beside a bare update running one no-op local activity and one
// running a no-op activity, actions and creates at a sustained rate and in
// a burst, the full lifecycle's throughput beside a bare workflow with the
// same activities and updates, and the memory that open cases cost.
package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/concierge-pm/concierge/api"
	"github.com/concierge-pm/concierge/devtemporal"
	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/payloadcodec"
	"github.com/concierge-pm/concierge/store"
	"github.com/concierge-pm/concierge/worker"
	"github.com/concierge-pm/concierge/workflows"
)

// Options of a run. Zero values of the optional figures skip their part.
type Options struct {
	// N complaints (and as many bare workflows) through the whole
	// lifecycle, Concurrency at a time.
	N           int
	Concurrency int
	DatabaseURL string // a database the run may fill; created if missing
	// Temporal is the frontend (host:port) of a Temporal server to measure
	// on, namespace "default"; empty starts the embedded one on SQLite, as
	// `concierge dev` runs it.
	Temporal string
	// Samples is how many complaints take each action one at a time, and
	// how many bare workflows take as many updates, for the latencies.
	Samples int
	// Duration of each sustained phase, at ActionRate actions and
	// CreateRate creates a second.
	Duration   time.Duration
	ActionRate float64
	CreateRate float64
	// Burst creates at BurstConcurrency at a time.
	Burst, BurstConcurrency int
	// OpenCases complaints left open (waiting on their timers) for the
	// memory figures.
	OpenCases int
	// WorkflowCache is the worker's cache of workflows between tasks, as
	// CONCIERGE_WORKFLOW_CACHE sets it for the worker.
	WorkflowCache int
	// Plain runs without payload encryption, to measure what it costs.
	Plain bool
	// Progress, if set, hears what the run is doing.
	Progress io.Writer
}

// Flags parses the command line of `concierge bench`.
func Flags(args []string, databaseURL string) (Options, error) {
	o := Options{}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.StringVar(&o.DatabaseURL, "database-url", databaseURL, "PostgreSQL URL of a database the benchmark may fill (BENCH_DATABASE_URL)")
	fs.StringVar(&o.Temporal, "temporal", "", "host:port of a Temporal server to measure on (namespace default); empty runs the embedded one")
	fs.IntVar(&o.N, "n", 200, "complaints (and bare workflows) through the whole lifecycle")
	fs.IntVar(&o.Concurrency, "concurrency", 16, "concurrent clients of the lifecycle")
	fs.IntVar(&o.Samples, "samples", 40, "complaints taking each action one request at a time (and bare workflows as many updates)")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "length of each sustained phase")
	fs.Float64Var(&o.ActionRate, "action-rate", 20, "staff actions per second in the sustained phase")
	fs.Float64Var(&o.CreateRate, "create-rate", 50, "creates per second in the sustained phase")
	fs.IntVar(&o.Burst, "burst", 500, "creates in the burst")
	fs.IntVar(&o.BurstConcurrency, "burst-concurrency", 50, "concurrent clients of the burst")
	fs.IntVar(&o.OpenCases, "open", 10000, "complaints left open, waiting on timers, for the memory figures (0 skips)")
	fs.IntVar(&o.WorkflowCache, "workflow-cache", worker.DefaultWorkflowCache, "workflows the worker keeps in memory between tasks (CONCIERGE_WORKFLOW_CACHE)")
	fs.BoolVar(&o.Plain, "plain", false, "run without payload encryption, to measure its cost")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.N < 1 || o.Concurrency < 1 || o.Samples < 1 || o.BurstConcurrency < 1 || o.Burst < 0 || o.OpenCases < 0 ||
		o.WorkflowCache < 1 || o.ActionRate < 0 || o.CreateRate < 0 || o.Duration < 0 {
		return o, errors.New("-n, -concurrency, -samples, -burst-concurrency and -workflow-cache must be at least 1, the others not negative")
	}
	o.Progress = os.Stderr
	return o, nil
}

// Result is what a run measured.
type Result struct {
	Server    string
	Encrypted bool
	CPUs      int
	Options   Options

	// One request at a time: a create and each action over HTTP, and the
	// floors, a bare update running one no-op local activity or activity.
	Create      Stats
	CreateFloor Stats
	Actions     []Named
	FloorLocal  Stats
	FloorRemote Stats
	// Get reads the closed case back: an answer's own cost over HTTP
	// (session, case and timeline from PostgreSQL), with no workflow.
	Get Stats

	// Open loop at the sustained rates, and the burst.
	SustainedActions, SustainedActionFloor Stats
	// ActionPool is what the PostgreSQL pool (the API's and the worker's
	// in this process) saw while the sustained actions ran: a wait for a
	// connection is time an action spends in no one's work.
	ActionPool                             PoolUse
	SustainedCreates, SustainedCreateFloor Stats
	Burst, BurstFloor                      Stats

	// The lifecycle: N complaints over HTTP and N bare workflows.
	ComplaintDuration time.Duration
	BareDuration      time.Duration
	EventsPerCase     float64
	EventsPerBare     float64
	ActivitiesPerCase float64

	// Memory of the whole process (MiB, after a garbage collection) before
	// and with OpenCases open complaints, and once the worker has let go of
	// its cache of them; peak over the run.
	RSSBefore, RSSOpen, RSSWithoutCache, PeakRSS float64
}

// PoolUse is the PostgreSQL pool's acquisitions over a phase: how many,
// how many found every connection busy and waited, and the time spent
// acquiring, waits included.
type PoolUse struct {
	MaxConns          int32
	Acquires, Waited  int64
	AcquireTime       time.Duration
	WaitedForCreating int64 // acquisitions that waited for a new connection
}

func poolUse(before, after *pgxpool.Stat) PoolUse {
	return PoolUse{
		MaxConns:          after.MaxConns(),
		Acquires:          after.AcquireCount() - before.AcquireCount(),
		Waited:            after.EmptyAcquireCount() - before.EmptyAcquireCount(),
		AcquireTime:       after.AcquireDuration() - before.AcquireDuration(),
		WaitedForCreating: after.NewConnsCount() - before.NewConnsCount(),
	}
}

// Named is the latency of one staff action.
type Named struct {
	Name string
	Stats
}

// ComplaintsPerSecond is the complaint throughput.
func (r Result) ComplaintsPerSecond() float64 {
	return float64(r.Options.N) / r.ComplaintDuration.Seconds()
}

// BarePerSecond is the bare-workflow throughput.
func (r Result) BarePerSecond() float64 { return float64(r.Options.N) / r.BareDuration.Seconds() }

const queue = "concierge-bench"

// env is what every phase drives: the store, the Temporal client and
// worker, and the API over HTTP, signed in.
type env struct {
	o      Options
	st     *store.Store
	tc     client.Client
	worker sdkworker.Worker
	base   string
	hc     *http.Client
	se     session
	// run makes the bare workflows' IDs unique on a server that keeps
	// them from an earlier run.
	run string
}

// Run performs one measurement.
func Run(ctx context.Context, o Options) (Result, error) {
	res := Result{Options: o, CPUs: runtime.NumCPU(), Encrypted: !o.Plain, Server: "embedded, SQLite (WAL)"}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
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
	address := o.Temporal
	if address == "" {
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
		address = ts.Address()
	} else {
		res.Server = "Temporal server at " + address
	}
	opts := client.Options{HostPort: address, Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))}
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
	if o.Temporal != "" {
		if err := worker.EnsureSearchAttributes(ctx, tc, "default"); err != nil {
			return res, err
		}
	}
	e := &env{o: o, st: st, tc: tc, run: strconv.FormatInt(time.Now().UnixNano(), 36)}
	if err := e.startWorker(); err != nil {
		return res, err
	}
	defer func() { e.worker.Stop() }()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return res, err
	}
	// The production limits, so the benchmark measures the server as deployed.
	srv := api.NewHTTPServer(api.New(api.Config{Store: st, Temporal: tc, TaskQueue: queue, Logger: logger}), api.DefaultLimits())
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	e.base = "http://" + ln.Addr().String()
	e.hc = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: max(o.Concurrency, o.BurstConcurrency)}, Timeout: time.Minute}
	if e.se, err = signIn(ctx, st, e.hc, e.base); err != nil {
		return res, err
	}

	// Warm up both paths so neither pays for first-use costs.
	if _, err := e.happyPath(ctx, 0, nil); err != nil {
		return res, fmt.Errorf("warm-up complaint: %w", err)
	}
	if err := e.bareLifecycle(ctx, e.bareID("warm", 0)); err != nil {
		return res, fmt.Errorf("warm-up bare workflow: %w", err)
	}
	for _, phase := range []struct {
		name string
		skip bool
		run  func(context.Context, *Result) error
	}{
		// First, so that its figures are of the open cases alone; it ends
		// with a fresh worker.
		{"memory with open cases", o.OpenCases == 0, e.memory},
		{"one request at a time", false, e.oneAtATime},
		{"sustained actions", o.ActionRate == 0 || o.Duration == 0, e.sustainedActions},
		{"sustained creates", o.CreateRate == 0 || o.Duration == 0, e.sustainedCreates},
		{"burst of creates", o.Burst == 0, e.burst},
		{"lifecycle", false, e.lifecycle},
	} {
		if phase.skip {
			continue
		}
		fmt.Fprintf(o.Progress, "%s: %s\n", time.Now().Format(time.TimeOnly), phase.name)
		if err := phase.run(ctx, &res); err != nil {
			return res, fmt.Errorf("%s: %w", phase.name, err)
		}
	}
	res.PeakRSS = rssMiB("VmHWM:")
	return res, nil
}

func (e *env) startWorker() error {
	sdkworker.SetStickyWorkflowCacheSize(e.o.WorkflowCache)
	e.worker = worker.New(e.tc, queue, e.st, nil, worker.Settings{Location: time.UTC})
	e.worker.RegisterWorkflowWithOptions(Bare, workflow.RegisterOptions{Name: bareWorkflow})
	e.worker.RegisterActivityWithOptions(noop, activity.RegisterOptions{Name: bareActivity})
	if err := e.worker.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	return nil
}

func (e *env) bareID(phase string, i int) string {
	return fmt.Sprintf("bench-%s-%s-%d", e.run, phase, i)
}

// The happy path's actions, in order, with their bodies; the floors' bare
// updates mirror them (deliveries beside feedback and resolve, as a
// complaint delivers notifications then).
var happySteps = []struct {
	action string
	body   map[string]any
	bare   Act
}{
	{"acknowledge", nil, Act{}},
	{"feedback", map[string]any{"message": "已安排维修"}, Act{Deliver: true}},
	{"resolve", map[string]any{"resolution": "已修复"}, Act{Deliver: true}},
	{"callback", map[string]any{"reached": true, "score": 5}, Act{Last: true}},
}

// oneAtATime measures each request alone: for each sample a complaint
// taken through its actions, then a bare workflow given as many updates
// with a local activity and as many with an activity, so that Concierge
// and its floors share the same minute.
func (e *env) oneAtATime(ctx context.Context, res *Result) error {
	create := newSample()
	actions := make([]*sample, len(happySteps))
	for i := range actions {
		actions[i] = newSample()
	}
	createFloor, local, remote, get := newSample(), newSample(), newSample(), newSample()
	for i := range e.o.Samples {
		number, err := e.happyPath(ctx, i, func(step int, call func() error) error {
			s := create
			if step >= 0 {
				s = actions[step]
			}
			var err error
			s.time(func() error { err = call(); return err })
			return err
		})
		if err != nil {
			return err
		}
		get.time(func() error { return e.get(ctx, number) })
		id := e.bareID("floor", i)
		if createFloor.time(func() error { err = e.startBare(ctx, id); return err }); err != nil {
			return err
		}
		for range happySteps {
			local.time(func() error { return e.act(ctx, id, Act{}) })
		}
		for j := range happySteps {
			remote.time(func() error { return e.act(ctx, id, Act{Remote: true, Last: j == len(happySteps)-1}) })
		}
	}
	res.Create, res.CreateFloor, res.Get = create.stats(), createFloor.stats(), get.stats()
	for i, s := range actions {
		res.Actions = append(res.Actions, Named{Name: happySteps[i].action, Stats: s.stats()})
	}
	res.FloorLocal, res.FloorRemote = local.stats(), remote.stats()
	return nil
}

// sustainedActions sends staff actions at ActionRate for Duration, open
// loop, each to a complaint whose previous action has answered; then as
// many bare updates at the same rate.
func (e *env) sustainedActions(ctx context.Context, res *Result) error {
	n := max(1, int(e.o.ActionRate*e.o.Duration.Seconds()))
	// Enough cases that one is always ready: each takes len(happySteps)
	// actions, and a second's worth more are spare.
	cases := n/len(happySteps) + int(e.o.ActionRate) + 1
	numbers := make([]string, cases)
	if _, err := parallel(cases, 8, func(i int) error {
		var err error
		numbers[i], err = e.create(ctx, 100000+i)
		return err
	}); err != nil {
		return err
	}
	type progress struct {
		id   string
		step int
	}
	drive := func(ids []string, act func(p *progress) error) Stats {
		ready := make(chan *progress, len(ids))
		for _, id := range ids {
			ready <- &progress{id: id}
		}
		return paced(ctx, e.o.ActionRate, e.o.Duration, func(int) error {
			p := <-ready
			err := act(p)
			if p.step++; err == nil && p.step < len(happySteps) {
				ready <- p
			}
			return err
		})
	}
	before := e.st.Pool().Stat()
	res.SustainedActions = drive(numbers, func(p *progress) error {
		return e.action(ctx, p.id, p.step, nil)
	})
	res.ActionPool = poolUse(before, e.st.Pool().Stat())
	ids := make([]string, cases)
	for i := range ids {
		ids[i] = e.bareID("rate", i)
		if _, err := e.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: ids[i], TaskQueue: queue}, bareWorkflow, BareInput{}); err != nil {
			return err
		}
	}
	res.SustainedActionFloor = drive(ids, func(p *progress) error {
		return e.act(ctx, p.id, Act{Last: p.step == len(happySteps)-1})
	})
	return nil
}

// sustainedCreates records complaints at CreateRate for Duration, open
// loop, and then starts bare workflows at the same rate, each with the
// update that waits for its first record.
func (e *env) sustainedCreates(ctx context.Context, res *Result) error {
	res.SustainedCreates = paced(ctx, e.o.CreateRate, e.o.Duration, func(i int) error {
		_, err := e.create(ctx, 200000+i)
		return err
	})
	res.SustainedCreateFloor = paced(ctx, e.o.CreateRate, e.o.Duration, func(i int) error {
		return e.startBare(ctx, e.bareID("create", i))
	})
	return nil
}

// burst records Burst complaints at BurstConcurrency at a time, and starts
// as many bare workflows the same way.
func (e *env) burst(ctx context.Context, res *Result) error {
	res.Burst = timedParallel(e.o.Burst, e.o.BurstConcurrency, func(i int) error {
		_, err := e.create(ctx, 300000+i)
		return err
	})
	res.BurstFloor = timedParallel(e.o.Burst, e.o.BurstConcurrency, func(i int) error {
		return e.startBare(ctx, e.bareID("burst", i))
	})
	return nil
}

// lifecycle runs N bare workflows and N complaints through the happy path.
func (e *env) lifecycle(ctx context.Context, res *Result) error {
	var err error
	res.BareDuration, err = parallel(e.o.N, e.o.Concurrency, func(i int) error {
		return e.bareLifecycle(ctx, e.bareID("life", i))
	})
	if err != nil {
		return fmt.Errorf("bare workflows: %w", err)
	}
	numbers := make([]string, e.o.N)
	res.ComplaintDuration, err = parallel(e.o.N, e.o.Concurrency, func(i int) error {
		n, err := e.happyPath(ctx, 400000+i, nil)
		numbers[i] = n
		return err
	})
	if err != nil {
		return fmt.Errorf("complaints: %w", err)
	}
	sample := min(e.o.N, 20)
	var events, bareEvents, activities int
	for i := range sample {
		n, acts, err := historyLength(ctx, e.tc, domain.KindComplaint.WorkflowID(numbers[i]))
		if err != nil {
			return err
		}
		events, activities = events+n, activities+acts
		n, _, err = historyLength(ctx, e.tc, e.bareID("life", i))
		if err != nil {
			return err
		}
		bareEvents += n
	}
	res.EventsPerCase = float64(events) / float64(sample)
	res.EventsPerBare = float64(bareEvents) / float64(sample)
	res.ActivitiesPerCase = float64(activities) / float64(sample)
	return nil
}

// memory records OpenCases complaints and leaves them open, each waiting
// on its first deadline's timer with its workflow in the worker's cache,
// and reads the process's memory before, with them, and once the worker
// has stopped and let go of its cache; then starts a fresh worker.
func (e *env) memory(ctx context.Context, res *Result) error {
	res.RSSBefore = settledRSS()
	if _, err := parallel(e.o.OpenCases, max(e.o.Concurrency, 8), func(i int) error {
		_, err := e.createOpen(ctx, 500000+i)
		return err
	}); err != nil {
		return err
	}
	res.RSSOpen = settledRSS()
	e.worker.Stop()
	sdkworker.PurgeStickyWorkflowCache()
	res.RSSWithoutCache = settledRSS()
	return e.startWorker()
}

// settledRSS is the resident set after a garbage collection that returns
// what it freed to the system.
func settledRSS() float64 {
	runtime.GC()
	debug.FreeOSMemory()
	return rssMiB("VmRSS:")
}

// rssMiB reads a field of the process's status (VmRSS, VmHWM) on Linux.
func rssMiB(field string) float64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == field {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// startBare starts a bare workflow with the update that waits for its
// first record, as a create does (update-with-start).
func (e *env) startBare(ctx context.Context, id string) error {
	op := e.tc.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID: id, TaskQueue: queue, WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
	}, bareWorkflow, BareInput{Record: true})
	h, err := e.tc.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: op,
		UpdateOptions:          client.UpdateWorkflowOptions{UpdateName: bareIntake, WaitForStage: client.WorkflowUpdateStageCompleted},
	})
	if err != nil {
		return err
	}
	return h.Get(ctx, nil)
}

// act sends one action update to a bare workflow and waits for its answer.
func (e *env) act(ctx context.Context, id string, a Act) error {
	h, err := e.tc.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: id, UpdateName: bareAct, Args: []any{a}, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return err
	}
	return h.Get(ctx, nil)
}

// bareLifecycle takes a bare workflow through a complaint's shape: started
// with its record, then the happy path's updates.
func (e *env) bareLifecycle(ctx context.Context, id string) error {
	if err := e.startBare(ctx, id); err != nil {
		return err
	}
	for _, s := range happySteps {
		if err := e.act(ctx, id, s.bare); err != nil {
			return err
		}
	}
	return nil
}

// historyLength counts a workflow's history events and its activities,
// local ones included.
func historyLength(ctx context.Context, tc client.Client, id string) (events, activities int, err error) {
	iter := tc.GetWorkflowHistory(ctx, id, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			return 0, 0, fmt.Errorf("history of %s: %w", id, err)
		}
		events++
		// A local activity leaves a marker instead of a scheduled task.
		if ev.GetEventType() == enums.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED ||
			ev.GetMarkerRecordedEventAttributes().GetMarkerName() == "LocalActivity" {
			activities++
		}
	}
	return events, activities, nil
}
