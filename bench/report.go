package bench

import (
	"fmt"
	"io"
	"runtime"
	"time"
)

// Report prints the result as a Markdown table, each figure beside its
// floor measured in the same run, with the targets.
func (r Result) Report(w io.Writer) {
	o := r.Options
	enc := "payloads encrypted (AES-256-GCM)"
	if !r.Encrypted {
		enc = "payloads NOT encrypted (-plain)"
	}
	fmt.Fprintf(w, "machine: %d CPUs (GOMAXPROCS %d), %s/%s; Temporal: %s; PostgreSQL read model; %s\n\n",
		r.CPUs, runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, r.Server, enc)
	fmt.Fprintln(w, "| measure | p50 | p90 | p99 | errors | floor | floor p50 / p90 / p99 | p50 ÷ floor | target |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	row := func(name string, s Stats, floorName string, f Stats, target string) {
		if s.N == 0 {
			return
		}
		ratio := "—"
		if f.P50 > 0 {
			ratio = fmt.Sprintf("%.1f", float64(s.P50)/float64(f.P50))
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %d | %s | %s / %s / %s | %s | %s |\n", name, ms(s.P50), ms(s.P90), ms(s.P99), s.Errors,
			floorName, ms(f.P50), ms(f.P90), ms(f.P99), ratio, target)
	}
	one := "one at a time"
	local, remote := "update + no-op local activity", "update + no-op activity"
	row("create, "+one, r.Create, "update-with-start + local activity", r.CreateFloor, "")
	for _, a := range r.Actions {
		row(a.Name+", "+one, a.Stats, local, r.FloorLocal, "p50 ≤ 3× floor")
	}
	row("floor: "+remote+", "+one, r.FloorRemote, local, r.FloorLocal, "")
	row("GET of the closed case, "+one, r.Get, local, r.FloorLocal, "")
	row(fmt.Sprintf("actions at %g/s for %s", o.ActionRate, o.Duration), r.SustainedActions, local, r.SustainedActionFloor, "p99 ≤ 100 ms")
	row(fmt.Sprintf("creates at %g/s for %s", o.CreateRate, o.Duration), r.SustainedCreates, "update-with-start + local activity", r.SustainedCreateFloor, "p99 ≤ 150 ms, no errors")
	row(fmt.Sprintf("burst of %d creates, %d at a time", o.Burst, o.BurstConcurrency), r.Burst, "update-with-start + local activity", r.BurstFloor, "")
	fmt.Fprintln(w)
	for _, s := range []struct {
		name string
		s    Stats
	}{{"actions at a sustained rate", r.SustainedActions}, {"creates at a sustained rate", r.SustainedCreates}, {"burst", r.Burst}} {
		if s.s.Errors > 0 {
			fmt.Fprintf(w, "%s: %d errors, the first: %v\n", s.name, s.s.Errors, s.s.FirstError)
		}
	}
	if p := r.ActionPool; p.Acquires > 0 {
		fmt.Fprintf(w, "PostgreSQL pool during the sustained actions (%d connections, API and worker): %d acquisitions, %d (%.1f %%) waited for a busy pool, %d new connections, %s acquiring in all (%s each on average)\n",
			p.MaxConns, p.Acquires, p.Waited, 100*float64(p.Waited)/float64(p.Acquires), p.WaitedForCreating,
			p.AcquireTime.Round(time.Millisecond), (p.AcquireTime / time.Duration(p.Acquires)).Round(time.Microsecond))
	}
	if s := r.SustainedCreates; s.N > 0 {
		fmt.Fprintf(w, "achieved rates: actions %.1f/s, creates %.1f/s; burst %.1f creates/s (floor %.1f/s)\n",
			r.SustainedActions.PerSecond(), s.PerSecond(), r.Burst.PerSecond(), r.BurstFloor.PerSecond())
	}
	if r.ComplaintDuration > 0 {
		fmt.Fprintf(w, "lifecycle, N=%d, %d at a time: complaints over HTTP %.1f/s (%s), bare workflow with the same activities and updates %.1f/s (%s): ratio %.2f (target ≥ 0.8)\n",
			o.N, o.Concurrency, r.ComplaintsPerSecond(), r.ComplaintDuration.Round(time.Millisecond),
			r.BarePerSecond(), r.BareDuration.Round(time.Millisecond), r.ComplaintsPerSecond()/r.BarePerSecond())
		fmt.Fprintf(w, "history events per complaint: %.1f (bare workflow: %.1f); activities per complaint, local ones included: %.1f\n",
			r.EventsPerCase, r.EventsPerBare, r.ActivitiesPerCase)
	}
	if o.OpenCases > 0 {
		process := "worker and API; the Temporal server runs elsewhere"
		if o.Temporal == "" {
			process = "embedded server, worker and API"
		}
		cached := min(o.OpenCases, o.WorkflowCache)
		fmt.Fprintf(w, "memory of this process (%s) after GC: %.0f MiB before, %.0f MiB with %d open complaints on timers, %.0f MiB once the worker dropped its cache of them: the worker's cache of %d workflows (-workflow-cache %d) %.0f MiB (%.1f KiB a case)\n",
			process, r.RSSBefore, r.RSSOpen, o.OpenCases, r.RSSWithoutCache, cached, o.WorkflowCache,
			r.RSSOpen-r.RSSWithoutCache, (r.RSSOpen-r.RSSWithoutCache)*1024/float64(max(cached, 1)))
	}
	fmt.Fprintf(w, "peak RSS of the whole process: %.0f MiB\n", r.PeakRSS)
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
}
