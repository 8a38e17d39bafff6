package bench_test

import (
	"context"
	"io"
	"testing"

	"github.com/concierge-pm/concierge/bench"
	"github.com/concierge-pm/concierge/internal/testdb"
)

// TestBenchmarkRuns runs the benchmark on a few complaints, encrypted and
// plain, so that a change to the API (sign-in, roles, a new required
// field) that breaks the happy path breaks a test, not the next
// measurement. It measures nothing: the figures come from
// `concierge bench` (README, Benchmark).
func TestBenchmarkRuns(t *testing.T) {
	for _, plain := range []bool{false, true} {
		url := testdb.New(t, "concierge_bench_test")
		res, err := bench.Run(context.Background(), bench.Options{N: 3, Concurrency: 2, DatabaseURL: url, Out: io.Discard, Plain: plain})
		if err != nil {
			t.Fatalf("plain %t: %v", plain, err)
		}
		if res.Encrypted == plain || res.ComplaintDuration <= 0 || res.BareDuration <= 0 || res.EventsPerCase <= res.EventsPerBare {
			t.Errorf("plain %t: result %+v", plain, res)
		}
	}
}
