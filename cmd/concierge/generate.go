package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/concierge-pm/concierge/config"
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
	runs := fs.Int("runs", 5, "timed runs of each query")
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
		times := make([]time.Duration, 0, *runs)
		for range *runs {
			start := time.Now()
			if err := q.run(); err != nil {
				return fmt.Errorf("%s: %w", q.name, err)
			}
			times = append(times, time.Since(start))
		}
		slices.Sort(times)
		fmt.Fprintf(out, "%-48s min %8s  median %8s  max %8s\n", q.name, times[0].Round(time.Millisecond),
			times[len(times)/2].Round(time.Millisecond), times[len(times)-1].Round(time.Millisecond))
	}
	return nil
}
