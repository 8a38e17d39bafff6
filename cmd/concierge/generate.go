package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/concierge-pm/concierge/config"
	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/store"
)

// runGenerate loads a large synthetic history into a scratch database and
// times the KPI and report queries on it.
func runGenerate(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("generate", flag.ContinueOnError)
	dbURL := fs.String("database-url", env("HISTORY_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/concierge_history"),
		"scratch PostgreSQL database, created if missing (HISTORY_DATABASE_URL); never point it at production")
	complaints := fs.Int("complaints", 1_000_000, "complaints to generate")
	communities := fs.Int("communities", 20, "communities")
	households := fs.Int("households", 2000, "households per community")
	months := fs.Int("months", 24, "months of history, ending at the start of this month")
	seed := fs.Float64("seed", 0.42, "random seed, -1..1")
	measureOnly := fs.Bool("measure-only", false, "skip generating; time the queries on what is there")
	runs := fs.Int("runs", 5, "timed runs of each report query")
	listRuns := fs.Int("list-runs", 200, "timed runs of each list and case query, each with other values")
	tz := fs.String("tz", env("CONCIERGE_TZ", config.DefaultTimeZone), "time zone of the service centre")
	if err := fs.Parse(args); err != nil {
		return err
	}
	loc, err := time.LoadLocation(*tz)
	if err != nil {
		return fmt.Errorf("time zone %q: %w", *tz, err)
	}
	st, err := openStore(ctx, *dbURL, !*measureOnly)
	if err != nil {
		return err
	}
	defer st.Close()
	now := time.Now().In(loc)
	thisMonth := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc)
	if !*measureOnly {
		var n int64
		if err := st.Pool().QueryRow(ctx, `SELECT count(*) FROM case_intakes`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("the database already holds %d cases; generate into an empty one, or pass -measure-only", n)
		}
		start := time.Now()
		err := st.GenerateHistory(ctx, store.HistoryOptions{Complaints: *complaints, Communities: *communities,
			Households: *households, From: thisMonth.AddDate(0, -*months, 0), To: thisMonth, Seed: *seed})
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "generated %d complaints in %s\n", *complaints, time.Since(start).Round(time.Second))
	}
	last := thisMonth.AddDate(0, -1, 0)
	sample, err := sampleCases(ctx, st, *listRuns)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%-48s %8s  %8s  %8s  %8s\n", "query", "p50", "p99", "max", "rows")
	for _, q := range listQueries(ctx, st, sample) {
		if err := timeQuery(out, q.name, *listRuns, q.run); err != nil {
			return err
		}
	}
	queries := []struct {
		name string
		run  func() error
	}{
		{"KPIs, last month, all communities", func() error {
			_, err := st.KPICounts(ctx, last, thisMonth, time.Now(), nil)
			return err
		}},
		{"KPIs, last month, one community", func() error {
			_, err := st.KPICounts(ctx, last, thisMonth, time.Now(), store.One("G007"))
			return err
		}},
		{"KPIs, last 12 months, all communities", func() error {
			_, err := st.KPICounts(ctx, thisMonth.AddDate(-1, 0, 0), thisMonth, time.Now(), nil)
			return err
		}},
		{"complaint report, last month, all communities", func() error {
			_, err := st.ComplaintReport(ctx, last, thisMonth, last.AddDate(0, -5, 0), time.Now(), loc.String(), nil)
			return err
		}},
		{"complaint report, last month, one community", func() error {
			_, err := st.ComplaintReport(ctx, last, thisMonth, last.AddDate(0, -5, 0), time.Now(), loc.String(), store.One("G007"))
			return err
		}},
		{"staff evaluation, last month", func() error {
			_, err := st.EvaluationInputs(ctx, last, thisMonth, time.Now(), last.Format("2006-01"))
			return err
		}},
		{"training KPI, last month", func() error {
			_, err := st.TrainingCounts(ctx, last, thisMonth)
			return err
		}},
	}
	for _, q := range queries {
		err := timeQuery(out, q.name, *runs, func(int) (int, error) { return 0, q.run() })
		if err != nil {
			return err
		}
	}
	return nil
}

// timeQuery runs a query n times and prints its median, 99th percentile,
// slowest time and the rows of its last run.
func timeQuery(out io.Writer, name string, n int, run func(i int) (int, error)) error {
	times := make([]time.Duration, 0, n)
	rows := 0
	for i := range n {
		start := time.Now()
		r, err := run(i)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		times = append(times, time.Since(start))
		rows = r
	}
	slices.Sort(times)
	p99 := times[min(len(times)-1, len(times)*99/100)]
	fmt.Fprintf(out, "%-48s %8s  %8s  %8s  %8d\n", name, round(times[len(times)/2]), round(p99), round(times[len(times)-1]), rows)
	return nil
}

func round(d time.Duration) time.Duration {
	if d < 10*time.Millisecond {
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Millisecond)
}

// caseSample holds values of real cases to search for, one per run, so that
// no run is answered from the previous one's cache alone.
type caseSample struct {
	numbers, phones, names, units []string
}

func sampleCases(ctx context.Context, st *store.Store, n int) (caseSample, error) {
	var s caseSample
	rows, err := st.Pool().Query(ctx, `SELECT i.number, i.resident_phone, i.resident_name, u.code
		FROM case_intakes i JOIN units u ON u.id = i.unit_id
		WHERE i.number IN (SELECT number FROM case_intakes ORDER BY random() LIMIT $1)`, n)
	if err != nil {
		return s, fmt.Errorf("sample cases: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var number, phone, name, unit string
		if err := rows.Scan(&number, &phone, &name, &unit); err != nil {
			return s, fmt.Errorf("sample cases: %w", err)
		}
		s.numbers, s.phones = append(s.numbers, number), append(s.phones, phone)
		s.names, s.units = append(s.names, name), append(s.units, unit)
	}
	if err := rows.Err(); err != nil {
		return s, fmt.Errorf("sample cases: %w", err)
	}
	if len(s.numbers) == 0 {
		return s, fmt.Errorf("no cases to sample: generate first")
	}
	return s, nil
}

// listQueries are what the front desk and supervisors ask all day: the
// queue's first page, filtered, searched by words (common, rarer, a name),
// by number, unit and phone, and one case with its timeline.
func listQueries(ctx context.Context, st *store.Store, s caseSample) []struct {
	name string
	run  func(int) (int, error)
} {
	pick := func(vals []string, i int) string { return vals[i%len(vals)] }
	list := func(f store.CaseFilter) (int, error) {
		f.Kind, f.PageSize = domain.KindComplaint, 50
		items, _, err := st.ListCases(ctx, f)
		return len(items), err
	}
	common := []string{"噪音", "漏水", "电梯", "垃圾", "停车", "渗水", "门禁", "物业费"}
	rarer := []string{"狗叫声", "天花板渗水", "水泵房噪音", "电梯困人", "地漏反水", "访客车辆", "休息座椅", "消防栓"}
	return []struct {
		name string
		run  func(int) (int, error)
	}{
		{"list, newest 50", func(int) (int, error) { return list(store.CaseFilter{}) }},
		{"list, one community and status", func(i int) (int, error) {
			return list(store.CaseFilter{Community: fmt.Sprintf("G%03d", 1+i%5), Status: "in_progress"})
		}},
		{"list, breached, in 3 communities", func(i int) (int, error) {
			b := true
			return list(store.CaseFilter{Breached: &b, Communities: []string{"G001", "G002", fmt.Sprintf("G%03d", 3+i%5)}})
		}},
		{"search, a common word (噪音)", func(i int) (int, error) { return list(store.CaseFilter{Query: pick(common, i)}) }},
		{"search, a rarer phrase (天花板渗水)", func(i int) (int, error) { return list(store.CaseFilter{Query: pick(rarer, i)}) }},
		{"search, a resident's name", func(i int) (int, error) { return list(store.CaseFilter{Query: pick(s.names, i)}) }},
		{"search, a case number", func(i int) (int, error) { return list(store.CaseFilter{Query: pick(s.numbers, i)}) }},
		{"search, a unit's code", func(i int) (int, error) { return list(store.CaseFilter{Query: pick(s.units, i)}) }},
		{"search, a phone number (q)", func(i int) (int, error) { return list(store.CaseFilter{Query: pick(s.phones, i)}) }},
		{"look-up by phone (phone=)", func(i int) (int, error) { return list(store.CaseFilter{Phone: pick(s.phones, i)}) }},
		{"case GET with timeline", func(i int) (int, error) {
			n := pick(s.numbers, i)
			if _, err := st.CaseByNumber(ctx, n); err != nil {
				return 0, err
			}
			ev, err := st.Timeline(ctx, n)
			return len(ev), err
		}},
	}
}
