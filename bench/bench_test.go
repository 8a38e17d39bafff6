package bench_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/concierge-pm/concierge/bench"
	"github.com/concierge-pm/concierge/internal/testdb"
)

// TestBenchmarkRuns runs every part of the benchmark on a few requests,
// encrypted and plain, so that a change to the API (sign-in, roles, a new
// required field) that breaks the happy path breaks a test, not the next
// measurement. It measures nothing: the figures come from `concierge bench`
// (README, Benchmark).
func TestBenchmarkRuns(t *testing.T) {
	for _, plain := range []bool{false, true} {
		url := testdb.New(t, "concierge_bench_test")
		o := bench.Options{N: 3, Concurrency: 2, Samples: 2, Duration: 200 * time.Millisecond, ActionRate: 10, CreateRate: 10,
			Burst: 4, BurstConcurrency: 2, OpenCases: 3, DatabaseURL: url, Plain: plain}
		if plain {
			// Plain changes only the data converter: the lifecycle shows
			// it works, and the optional parts are left out.
			o.Duration, o.Burst, o.OpenCases = 0, 0, 0
		}
		res, err := bench.Run(context.Background(), o)
		if err != nil {
			t.Fatalf("plain %t: %v", plain, err)
		}
		if res.Encrypted == plain || res.ComplaintDuration <= 0 || res.BareDuration <= 0 || res.EventsPerCase <= res.EventsPerBare {
			t.Errorf("plain %t: result %+v", plain, res)
		}
		if plain {
			continue
		}
		for name, s := range map[string]bench.Stats{
			"create": res.Create, "create floor": res.CreateFloor, "local floor": res.FloorLocal, "remote floor": res.FloorRemote,
			"sustained actions": res.SustainedActions, "sustained action floor": res.SustainedActionFloor,
			"sustained creates": res.SustainedCreates, "sustained create floor": res.SustainedCreateFloor,
			"burst": res.Burst, "burst floor": res.BurstFloor, "GET": res.Get,
		} {
			if s.N == 0 || s.Errors > 0 || s.P50 <= 0 {
				t.Errorf("plain %t: %s %+v", plain, name, s)
			}
		}
		if len(res.Actions) != 4 || res.RSSOpen <= 0 {
			t.Errorf("plain %t: actions %+v, memory %.0f MiB", plain, res.Actions, res.RSSOpen)
		}
		var out strings.Builder
		res.Report(&out)
		if !strings.Contains(out.String(), "| acknowledge, one at a time |") {
			t.Errorf("report:\n%s", out.String())
		}
	}
}

// The command line's figures are checked before a run.
func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		ok   bool
	}{
		{nil, true},
		{[]string{"-temporal", "127.0.0.1:7233", "-open", "0", "--action-rate", "5"}, true},
		{[]string{"-n", "0"}, false},
		{[]string{"-open", "-1"}, false},
	} {
		o, err := bench.Flags(tc.args, "postgres://x")
		if (err == nil) != tc.ok {
			t.Errorf("%v: %v", tc.args, err)
		}
		if err == nil && (o.DatabaseURL != "postgres://x" || o.OpenCases < 0) {
			t.Errorf("%v: %+v", tc.args, o)
		}
	}
}
