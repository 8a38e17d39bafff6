package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/shopspring/decimal"

	"github.com/concierge-pm/concierge/domain"
)

// feeStore is a migrated scratch store with community FEE and no standards.
func feeStore(t *testing.T) *Store {
	t.Helper()
	ctx := context.Background()
	st := scratchStore(t)
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Pool().Exec(ctx, `INSERT INTO communities (code, name) VALUES ('FEE', '收费测试小区')`); err != nil {
		t.Fatal(err)
	}
	return st
}

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// addMgmt adds a management standard for commercial units; to may be "".
func addMgmt(t *testing.T, st *Store, rate, from, to string) domain.FeeStandard {
	t.Helper()
	f := domain.FeeStandard{Community: "FEE", Item: "management", Name: "物业服务费", Basis: domain.BasisArea,
		UnitType: "commercial", Rate: decimal.RequireFromString(rate), From: day(from)}
	if to != "" {
		d := day(to)
		f.To = &d
	}
	saved, err := st.AddFeeStandard(context.Background(), f, 10, Who{Actor: "he_yan"})
	if err != nil {
		t.Fatalf("add %s from %s: %v", rate, from, err)
	}
	return saved
}

// periods renders the live standards as "rate from–to" in date order, the
// whole history (deleted ones marked) when withDeleted.
func periods(t *testing.T, st *Store, withDeleted bool) string {
	t.Helper()
	fs, err := st.FeeStandards(context.Background(), "FEE", time.Time{}, withDeleted)
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, f := range fs {
		to := "open"
		if f.To != nil {
			to = f.To.Format(time.DateOnly)
		}
		p := fmt.Sprintf("%s %s–%s", f.Rate.StringFixed(2), f.From.Format(time.DateOnly), to)
		if f.DeletedAt != nil {
			p += " deleted by " + f.DeletedBy
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ", ")
}

func TestDeleteFeeStandardRestoresTheOneItReplaced(t *testing.T) {
	ctx := context.Background()
	st := feeStore(t)
	old := addMgmt(t, st, "3.00", "2025-01-01", "")
	if old.Replaces != nil {
		t.Fatalf("the first standard replaces %d", *old.Replaces)
	}

	// A price change entered by mistake, deleted again.
	mistake := addMgmt(t, st, "9.00", "2026-07-01", "")
	if mistake.Replaces == nil || *mistake.Replaces != old.ID {
		t.Fatalf("the price change replaces %v, want %d", mistake.Replaces, old.ID)
	}
	if got, want := periods(t, st, false), "3.00 2025-01-01–2026-07-01, 9.00 2026-07-01–open"; got != want {
		t.Fatalf("after the change: %s, want %s", got, want)
	}
	d, err := st.DeleteFeeStandard(ctx, "FEE", mistake.ID, Who{Actor: "ma_lin"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Deleted.DeletedAt == nil || d.Deleted.DeletedBy != "ma_lin" || d.Restored == nil || d.Restored.ID != old.ID || d.Restored.To != nil {
		t.Fatalf("deletion %+v, want %d deleted by ma_lin and %d open again", d, mistake.ID, old.ID)
	}
	if got, want := periods(t, st, false), "3.00 2025-01-01–open"; got != want {
		t.Fatalf("after the deletion: %s, want %s", got, want)
	}
	if got, want := periods(t, st, true), "3.00 2025-01-01–open, 9.00 2026-07-01–open deleted by ma_lin"; got != want {
		t.Fatalf("history: %s, want %s", got, want)
	}
	inForce, err := st.FeeStandards(ctx, "FEE", day("2026-08-01"), false)
	if err != nil || len(inForce) != 1 || inForce[0].ID != old.ID {
		t.Fatalf("in force on 2026-08-01: %+v, %v; want only %d", inForce, err, old.ID)
	}

	// Twice, unknown, another community's.
	var gone *FeeDeletedError
	if _, err := st.DeleteFeeStandard(ctx, "FEE", mistake.ID, Who{Actor: "he_yan"}); !errors.Is(err, ErrDeleted) || !errors.As(err, &gone) || gone.By != "ma_lin" {
		t.Fatalf("second deletion: %v, want ErrDeleted by ma_lin", err)
	}
	for _, tt := range []struct {
		community string
		id        int64
	}{{"FEE", mistake.ID + 100}, {"A", old.ID}, {"NOPE", old.ID}} {
		if _, err := st.DeleteFeeStandard(ctx, tt.community, tt.id, Who{Actor: "he_yan"}); !errors.Is(err, ErrNotFound) {
			t.Errorf("delete %d in %s: %v, want ErrNotFound", tt.id, tt.community, err)
		}
	}

	// The deleted standard no longer counts for overlaps: the right change
	// can be entered for the same day.
	right := addMgmt(t, st, "3.50", "2026-07-01", "")
	if right.Replaces == nil || *right.Replaces != old.ID {
		t.Fatalf("the corrected change replaces %v, want %d", right.Replaces, old.ID)
	}
	if got, want := periods(t, st, false), "3.00 2025-01-01–2026-07-01, 3.50 2026-07-01–open"; got != want {
		t.Fatalf("after the correction: %s, want %s", got, want)
	}
}

// A standard deleted after a later one cut it short: the one it replaced
// takes its period back, up to the later one, and deleting the later one
// then restores the first to its open end.
func TestDeleteFeeStandardInAChain(t *testing.T) {
	ctx := context.Background()
	st := feeStore(t)
	first := addMgmt(t, st, "3.00", "2025-01-01", "")
	middle := addMgmt(t, st, "3.20", "2026-01-01", "")
	last := addMgmt(t, st, "3.40", "2027-01-01", "")
	if last.Replaces == nil || *last.Replaces != middle.ID {
		t.Fatalf("the last replaces %v, want %d", last.Replaces, middle.ID)
	}
	if _, err := st.DeleteFeeStandard(ctx, "FEE", middle.ID, Who{Actor: "he_yan"}); err != nil {
		t.Fatal(err)
	}
	if got, want := periods(t, st, false), "3.00 2025-01-01–2027-01-01, 3.40 2027-01-01–open"; got != want {
		t.Fatalf("after deleting the middle one: %s, want %s", got, want)
	}
	if _, err := st.DeleteFeeStandard(ctx, "FEE", last.ID, Who{Actor: "he_yan"}); err != nil {
		t.Fatal(err)
	}
	if got, want := periods(t, st, false), "3.00 2025-01-01–open"; got != want {
		t.Fatalf("after deleting the last one: %s, want %s", got, want)
	}

	// A temporary standard with an end cuts the open one; deleting it
	// gives the open one its end back.
	temp := addMgmt(t, st, "2.00", "2026-03-01", "2026-06-01")
	if got, want := periods(t, st, false), "3.00 2025-01-01–2026-03-01, 2.00 2026-03-01–2026-06-01"; got != want {
		t.Fatalf("with the temporary standard: %s, want %s", got, want)
	}
	if _, err := st.DeleteFeeStandard(ctx, "FEE", temp.ID, Who{Actor: "he_yan"}); err != nil {
		t.Fatal(err)
	}
	if got, want := periods(t, st, false), "3.00 2025-01-01–open"; got != want {
		t.Fatalf("after deleting the temporary standard: %s, want %s", got, want)
	}

	// Deleting the first standard restores nothing; deleting a standard
	// whose replaced one is gone restores nothing either.
	next := addMgmt(t, st, "3.60", "2028-01-01", "")
	if d, err := st.DeleteFeeStandard(ctx, "FEE", first.ID, Who{Actor: "he_yan"}); err != nil || d.Restored != nil {
		t.Fatalf("delete the first: %+v, %v", d, err)
	}
	if d, err := st.DeleteFeeStandard(ctx, "FEE", next.ID, Who{Actor: "he_yan"}); err != nil || d.Restored != nil {
		t.Fatalf("delete the one after a deleted one: %+v, %v", d, err)
	}
	if got := periods(t, st, false); got != "" {
		t.Fatalf("standards left: %s", got)
	}
}

// Concurrent price changes and deletions of one community's standards never
// leave two rates for one day nor a day without one, whatever their order,
// and a standard is deleted once. Several rounds, all released at once, give
// the race its chances.
func TestFeeStandardWritesConcurrently(t *testing.T) {
	ctx := context.Background()
	st := feeStore(t)
	const rounds, deleters = 8, 6
	for round := range rounds {
		if _, err := st.Pool().Exec(ctx, `DELETE FROM fee_standards WHERE community = 'FEE'`); err != nil {
			t.Fatal(err)
		}
		addMgmt(t, st, "3.00", "2025-01-01", "")
		mistake := addMgmt(t, st, "9.00", "2026-07-01", "")

		start := make(chan struct{})
		errs := make(chan error, deleters+1)
		var wg sync.WaitGroup
		for range deleters {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := st.DeleteFeeStandard(ctx, "FEE", mistake.ID, Who{Actor: "he_yan"})
				errs <- err
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			f := domain.FeeStandard{Community: "FEE", Item: "management", Name: "物业服务费", Basis: domain.BasisArea,
				UnitType: "commercial", Rate: decimal.RequireFromString("3.40"), From: day("2027-01-01")}
			<-start
			_, err := st.AddFeeStandard(ctx, f, 10, Who{Actor: "he_yan"})
			errs <- err
		}()
		close(start)
		wg.Wait()
		close(errs)
		var ok, already int
		for err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, ErrDeleted):
				already++
			default:
				t.Errorf("round %d: unexpected error: %v", round, err)
			}
		}
		if ok != 2 || already != deleters-1 {
			t.Fatalf("round %d: %d succeeded and %d were already deleted; want the addition and one deletion to succeed",
				round, ok, already)
		}
		// Either order ends the same way: 3.00 until the 2027 change.
		if got, want := periods(t, st, false), "3.00 2025-01-01–2027-01-01, 3.40 2027-01-01–open"; got != want {
			t.Fatalf("round %d: after the concurrent writes: %s, want %s", round, got, want)
		}
	}
}

// The demo's rise to 2.80 records that it cut 2.50 short, so deleting it in
// the demo restores 2.50 as well.
func TestDemoFeeRiseCanBeDeleted(t *testing.T) {
	ctx := context.Background()
	st := scratchStore(t)
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st.LoadDemo(ctx); err != nil {
		t.Fatal(err)
	}
	inForce, err := st.FeeStandards(ctx, "A", day("2026-11-01"), false)
	if err != nil {
		t.Fatal(err)
	}
	var rise domain.FeeStandard
	for _, f := range inForce {
		if f.Item == "management" && f.UnitType == "residential" {
			rise = f
		}
	}
	if rise.Replaces == nil {
		t.Fatalf("the demo rise %+v records no replaced standard", rise)
	}
	d, err := st.DeleteFeeStandard(ctx, "A", rise.ID, Who{Actor: "he_yan"})
	if err != nil || d.Restored == nil || d.Restored.Rate.StringFixed(2) != "2.50" || d.Restored.To != nil {
		t.Fatalf("delete the demo rise: %+v, %v; want 2.50 open again", d, err)
	}
}

// Standards stored before the migration get linked to the one they cut.
func TestFeeDeletesMigrationLinksExistingChanges(t *testing.T) {
	ctx := context.Background()
	st := scratchStore(t)
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	files, err := fs.Glob(sub, "*_fee_standard_deletes.sql")
	if err != nil || len(files) != 1 {
		t.Fatalf("the migration file: %v, %v", files, err)
	}
	version, err := strconv.ParseInt(strings.SplitN(files[0], "_", 2)[0], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDBFromPool(st.Pool())
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, sub)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, version-1); err != nil {
		t.Fatal(err)
	}
	// What the old AddFeeStandard left: 3.00 cut at 2026-07-01 by 3.50, and
	// an unrelated water standard.
	if _, err := st.Pool().Exec(ctx, `
		INSERT INTO communities (code, name) VALUES ('FEE', '收费测试小区');
		INSERT INTO fee_standards (community, item, name, basis, unit_type, rate, effective_from, effective_to) VALUES
			('FEE', 'management', '物业服务费', 'area', 'commercial', 3.00, '2025-01-01', '2026-07-01'),
			('FEE', 'management', '物业服务费', 'area', 'commercial', 3.50, '2026-07-01', NULL),
			('FEE', 'water', '公摊水费', 'area', '', 0.06, '2025-01-01', NULL)`); err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	inForce, err := st.FeeStandards(ctx, "FEE", day("2026-08-01"), false)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range inForce {
		if f.Item == "water" && f.Replaces != nil {
			t.Errorf("the water standard replaces %d", *f.Replaces)
		}
		if f.Item != "management" {
			continue
		}
		if f.Replaces == nil {
			t.Fatalf("the 3.50 standard records no replaced standard")
		}
		if _, err := st.DeleteFeeStandard(ctx, "FEE", f.ID, Who{Actor: "he_yan"}); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := periods(t, st, false), "3.00 2025-01-01–open, 0.06 2025-01-01–open"; got != want {
		t.Fatalf("after deleting the migrated change: %s, want %s", got, want)
	}
}
