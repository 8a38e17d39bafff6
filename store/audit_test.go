package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/shopspring/decimal"

	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/refdata"
)

// demoStore is a migrated scratch store with the demo data.
func demoStore(t *testing.T) *Store {
	t.Helper()
	st := scratchStore(t)
	ctx := context.Background()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st.LoadDemo(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}

// auditRows returns every audit row, oldest first.
func auditRows(t *testing.T, st *Store) []AuditRecord {
	t.Helper()
	items, _, err := st.AuditLog(context.Background(), AuditFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for i, j := 0, len(items)-1; i < j; i, j = i+1, j-1 {
		items[i], items[j] = items[j], items[i]
	}
	return items
}

// field reads a dotted path ("replaced.effective_to") of a JSON record; a
// missing one reads as "<missing>", JSON null as "<nil>".
func field(t *testing.T, raw json.RawMessage, path string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("audit JSON %s: %v", raw, err)
	}
	for _, k := range strings.Split(path, ".") {
		if a, ok := v.([]any); ok {
			i, err := strconv.Atoi(k)
			if err != nil || i >= len(a) {
				return "<missing>"
			}
			v = a[i]
			continue
		}
		m, ok := v.(map[string]any)
		if !ok {
			return "<missing>"
		}
		if v, ok = m[k]; !ok {
			return "<missing>"
		}
	}
	if v == nil {
		return "<nil>"
	}
	return fmt.Sprint(v)
}

var auditor = Who{Actor: "chen_jing", IP: "192.0.2.7", UserAgent: "audit-test/1"}

// TestEveryChangeWritesOneAuditRow makes each kind of audited change in
// turn and checks that it, and nothing else, wrote exactly one row, with
// the actor, place, object and the record before and after.
func TestEveryChangeWritesOneAuditRow(t *testing.T) {
	st := demoStore(t)
	ctx := context.Background()
	year := time.Now().Year() + 1
	var questionID int64
	var feeID int64

	tests := []struct {
		name               string
		change             func() error
		action, objectType string
		key                func() string
		// want maps "before.PATH" / "after.PATH" to the value expected.
		want map[string]string
	}{
		{"new handbook category", func() error {
			_, err := st.PutCategory(ctx, auditor, Category{Code: "graffiti", Kind: "complaint", Name: "涂鸦", Department: "cleaning",
				Priority: domain.PriorityNormal, Policy: domain.DefaultPolicy(), Callback: domain.CallbackAlways, Keywords: []string{}})
			return err
		}, "create", "handbook_category", func() string { return "graffiti" },
			map[string]string{"before": "<nil>", "after.name": "涂鸦", "after.department": "cleaning"}},
		{"changed handbook category", func() error {
			c, err := st.CategoryByCode(ctx, "noise")
			if err != nil {
				return err
			}
			c.Name = "噪音"
			_, err = st.PutCategory(ctx, auditor, c)
			return err
		}, "update", "handbook_category", func() string { return "noise" },
			map[string]string{"before.name": "噪音扰民", "after.name": "噪音", "after.policy.dispatch_within": "24h"}},
		{"fee price change", func() error {
			f, err := st.AddFeeStandard(ctx, domain.FeeStandard{Community: "A", Item: "management", Name: "物业服务费",
				Basis: domain.BasisArea, UnitType: "residential", Rate: decimal.RequireFromString("3.10"),
				From: time.Date(year+5, 1, 1, 0, 0, 0, 0, time.UTC)}, 10, auditor)
			feeID = f.ID
			return err
		}, "create", "fee_standard", func() string { return fmt.Sprint(feeID) },
			map[string]string{"before.replaced.effective_to": "<missing>", "before.replaced.rate": "2.8",
				"after.standard.rate": "3.1", "after.replaced.effective_to": fmt.Sprintf("%d-01-01T00:00:00Z", year+5)}},
		{"fee deletion", func() error {
			_, err := st.DeleteFeeStandard(ctx, "A", feeID, auditor)
			return err
		}, "delete", "fee_standard", func() string { return fmt.Sprint(feeID) },
			map[string]string{"before.standard.deleted_at": "<missing>", "after.standard.deleted_by": "chen_jing",
				"after.replaced.effective_to": "<missing>"}},
		{"calendar year", func() error {
			return st.SetCalendarYear(ctx, auditor, year, []CalendarDay{{Day: fmt.Sprintf("%d-01-01", year), Name: "元旦"}})
		}, "update", "calendar_year", func() string { return fmt.Sprint(year) },
			map[string]string{"before.days": "[]", "after.days": fmt.Sprintf("[map[day:%d-01-01 name:元旦 working:false]]", year)}},
		{"new question", func() error {
			q, err := st.CreateQuestion(ctx, auditor, Question{Topic: "property", Question: "审计测试题？",
				Choices: []Choice{{"A", "是"}, {"B", "否"}}, Answer: "A", Points: 1})
			questionID = q.ID
			return err
		}, "create", "training_question", func() string { return fmt.Sprint(questionID) },
			map[string]string{"before": "<nil>", "after.question": "审计测试题？", "after.active": "true"}},
		{"question deactivated", func() error { return st.DeactivateQuestion(ctx, auditor, questionID) },
			"deactivate", "training_question", func() string { return fmt.Sprint(questionID) },
			map[string]string{"before.active": "true", "after.active": "false"}},
		{"evaluation settings", func() error {
			_, err := st.SetEvaluationSettings(ctx, domain.EvalSettings{
				Weights: domain.EvalWeights{Ratings: 0.4, Feedback: 0.2, Callbacks: 0.2, Exam: 0.2}, Threshold: 75}, auditor)
			return err
		}, "update", "evaluation_settings", func() string { return "" },
			map[string]string{"before.threshold": "80", "after.threshold": "75", "after.updated_by": "chen_jing"}},
		{"reference import", func() error {
			_, err := st.ImportReference(ctx, auditor, refdata.Batch{Kind: refdata.Communities,
				Communities: []refdata.Community{{Row: 2, Code: "AUD", Name: "审计小区"}}}, map[string]any{"sha256": "abc"})
			return err
		}, "import", "reference_data", func() string { return "communities" },
			map[string]string{"before": "<nil>", "after.result.created": "1", "after.sha256": "abc"}},
		{"staff import that promotes someone", func() error {
			_, err := st.ImportReference(ctx, auditor, refdata.Batch{Kind: refdata.Staff, Staff: []refdata.StaffMember{
				{Row: 2, Code: "liu_fang", Name: "刘芳", Department: "customer_service", Role: "property_manager", Active: true},
				{Row: 3, Code: "zhao_min", Name: "赵敏", Department: "customer_service", Role: "receptionist", Active: true},
				{Row: 4, Code: "aud_new", Name: "新人", Department: "finance", Role: "handler", Active: true, Phone: "13900009999",
					Communities: []string{"A", "AUD"}},
			}}, nil)
			return err
		}, "import", "reference_data", func() string { return "staff" },
			map[string]string{"after.result.updated": "1", "after.result.created": "1", "after.result.unchanged": "1",
				"after.staff.0.code": "liu_fang", "after.staff.0.before.role": "receptionist", "after.staff.0.after.role": "property_manager",
				"after.staff.1.code": "aud_new", "after.staff.1.before": "<nil>", "after.staff.1.after.department": "finance",
				"after.staff.2": "<missing>", "after.staff.1.after.phone": "<missing>",
				"after.staff.0.before.communities": "A", "after.staff.1.after.communities": "A;AUD"}},
	}
	seen := len(auditRows(t, st))
	if seen != 0 {
		t.Fatalf("the demo data wrote %d audit rows; seeding is not a staff change", seen)
	}
	for _, tc := range tests {
		if err := tc.change(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		rows := auditRows(t, st)
		if len(rows) != seen+1 {
			t.Fatalf("%s wrote %d audit rows, want 1", tc.name, len(rows)-seen)
		}
		seen = len(rows)
		r := rows[len(rows)-1]
		if r.Action != tc.action || r.ObjectType != tc.objectType || r.ObjectKey != tc.key() || r.Outcome != OutcomeOK {
			t.Errorf("%s: row %s %s %q %s, want %s %s %q ok", tc.name, r.Action, r.ObjectType, r.ObjectKey, r.Outcome,
				tc.action, tc.objectType, tc.key())
		}
		if r.Actor != auditor.Actor || r.ClientIP != auditor.IP || r.UserAgent != auditor.UserAgent {
			t.Errorf("%s: who = %q %q %q, want %+v", tc.name, r.Actor, r.ClientIP, r.UserAgent, auditor)
		}
		for path, want := range tc.want {
			side, rest, _ := strings.Cut(path, ".")
			raw := r.Before
			if side == "after" {
				raw = r.After
			}
			got := string(raw)
			if rest != "" {
				got = field(t, raw, rest)
			} else if got == "null" {
				got = "<nil>"
			}
			if got != want {
				t.Errorf("%s: %s = %s, want %s", tc.name, path, got, want)
			}
		}
	}
}

// TestRefusedChangesWriteNoAuditRow: a change that fails or is refused
// rolls back with its audit row, and a change whose audit row cannot be
// written does not happen.
func TestRefusedChangesWriteNoAuditRow(t *testing.T) {
	st := demoStore(t)
	ctx := context.Background()
	fees, err := st.FeeStandards(ctx, "A", time.Time{}, false)
	if err != nil || len(fees) == 0 {
		t.Fatalf("demo fees: %v %v", fees, err)
	}
	deleted := fees[len(fees)-1]
	if _, err := st.DeleteFeeStandard(ctx, "A", deleted.ID, auditor); err != nil {
		t.Fatal(err)
	}
	base := len(auditRows(t, st))
	tests := []struct {
		name   string
		change func() error
	}{
		{"deleting a deleted fee standard", func() error {
			_, err := st.DeleteFeeStandard(ctx, "A", deleted.ID, auditor)
			return err
		}},
		{"deleting an unknown fee standard", func() error {
			_, err := st.DeleteFeeStandard(ctx, "A", 999999, auditor)
			return err
		}},
		{"an overlapping fee standard", func() error {
			f := fees[0]
			f.ID, f.To, f.Replaces = 0, nil, nil
			f.From = f.From.AddDate(0, 0, -1)
			_, err := st.AddFeeStandard(ctx, f, 10, auditor)
			return err
		}},
		{"a category with an unknown department", func() error {
			_, err := st.PutCategory(ctx, auditor, Category{Code: "nodept", Kind: "complaint", Name: "x", Department: "nowhere",
				Priority: domain.PriorityNormal, Policy: domain.DefaultPolicy(), Callback: domain.CallbackAlways})
			return err
		}},
		{"settings the table refuses", func() error {
			_, err := st.SetEvaluationSettings(ctx, domain.EvalSettings{Threshold: 500}, auditor)
			return err
		}},
		{"deactivating an unknown question", func() error { return st.DeactivateQuestion(ctx, auditor, 999999) }},
		{"an import with a missing reference", func() error {
			_, err := st.ImportReference(ctx, auditor, refdata.Batch{Kind: refdata.Buildings,
				Buildings: []refdata.Building{{Row: 2, Community: "NOPE", Code: "1", Name: "1栋"}}}, nil)
			return err
		}},
		{"a calendar day that is no date", func() error {
			return st.SetCalendarYear(ctx, auditor, 2030, []CalendarDay{{Day: "2030-02-30", Name: "x"}})
		}},
		// The audit row is refused (no actor): the change goes with it.
		{"a category change nobody made", func() error {
			c, err := st.CategoryByCode(ctx, "leak")
			if err != nil {
				return err
			}
			c.Name = "无人修改"
			_, err = st.PutCategory(ctx, Who{}, c)
			return err
		}},
	}
	for _, tc := range tests {
		if err := tc.change(); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
		if n := len(auditRows(t, st)); n != base {
			t.Errorf("%s: %d audit rows written, want none", tc.name, n-base)
			base = n
		}
	}
	if c, err := st.CategoryByCode(ctx, "leak"); err != nil || c.Name != "漏水渗水" {
		t.Errorf("leak category after an unaudited change = %q, %v; want it unchanged", c.Name, err)
	}
	if _, err := st.CategoryByCode(ctx, "nodept"); !errors.Is(err, ErrNotFound) {
		t.Errorf("refused category stored: %v", err)
	}
}

// TestAuditLogIsAppendOnly: not even the table's owner may rewrite it.
func TestAuditLogIsAppendOnly(t *testing.T) {
	st := demoStore(t)
	ctx := context.Background()
	if err := st.RecordAudit(ctx, auditor, AuditEntry{Action: "export", ObjectType: "cases", ObjectKey: "cases.xlsx"}); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`UPDATE audit_log SET actor = 'someone_else'`,
		`DELETE FROM audit_log`,
		`TRUNCATE audit_log`,
	} {
		_, err := st.Pool().Exec(ctx, stmt)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "42501" {
			t.Errorf("%s: err = %v, want insufficient_privilege (42501)", stmt, err)
		}
	}
	rows := auditRows(t, st)
	if len(rows) != 1 || rows[0].Actor != auditor.Actor {
		t.Errorf("audit rows after the attempts = %+v, want the one row unchanged", rows)
	}
}

// TestAuditLogFiltersAndPages writes a known set of rows and reads them back
// through every filter and in pages.
func TestAuditLogFiltersAndPages(t *testing.T) {
	st := demoStore(t)
	ctx := context.Background()
	for i := range 7 {
		w := auditor
		if i%2 == 1 {
			w.Actor = "ma_lin"
		}
		action := "reveal_phone"
		if i >= 5 {
			action = "export"
		}
		if err := st.RecordAudit(ctx, w, AuditEntry{Action: action, ObjectType: "visit", ObjectKey: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	all := auditRows(t, st)
	mid := all[3].At
	tests := []struct {
		name string
		f    AuditFilter
		keys string // object keys, newest first
	}{
		{"all", AuditFilter{}, "6 5 4 3 2 1 0"},
		{"by actor", AuditFilter{Actor: "ma_lin"}, "5 3 1"},
		{"by action", AuditFilter{Action: "export"}, "6 5"},
		{"by object type", AuditFilter{ObjectType: "cases"}, ""},
		{"by object key", AuditFilter{ObjectType: "visit", ObjectKey: "4"}, "4"},
		{"from", AuditFilter{From: mid}, "6 5 4 3"},
		{"to", AuditFilter{To: mid}, "2 1 0"},
		{"actor and action", AuditFilter{Actor: "chen_jing", Action: "reveal_phone"}, "4 2 0"},
	}
	for _, tc := range tests {
		for _, size := range []int{1, 2, 3, 50} {
			f := tc.f
			f.Limit = size
			var keys []string
			for pages := 0; ; pages++ {
				if pages > 10 {
					t.Fatalf("%s: paging does not end", tc.name)
				}
				items, next, err := st.AuditLog(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				if len(items) > size {
					t.Fatalf("%s: page of %d rows, limit %d", tc.name, len(items), size)
				}
				for _, it := range items {
					keys = append(keys, it.ObjectKey)
				}
				if next == 0 {
					break
				}
				f.Before = next
			}
			if got := strings.Join(keys, " "); got != tc.keys {
				t.Errorf("%s, pages of %d: %q, want %q", tc.name, size, got, tc.keys)
			}
		}
	}
}

// TestRacingFirstSavesOfACategory: of two first saves of one new entry at
// once, one is the create and the other an update with the entry it
// replaced as its "before". The test holds the table so that both saves
// are under way, waiting, before either can write.
func TestRacingFirstSavesOfACategory(t *testing.T) {
	st := demoStore(t)
	ctx := context.Background()
	hold, err := st.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Rollback(ctx)
	if _, err := hold.Exec(ctx, `LOCK TABLE handbook_categories IN EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	const n = 2
	errs := make(chan error, n)
	for i := range n {
		go func() {
			_, err := st.PutCategory(ctx, auditor, Category{Code: "racing", Kind: "complaint", Name: fmt.Sprintf("并发%d", i),
				Department: "cleaning", Priority: domain.PriorityNormal, Policy: domain.DefaultPolicy(),
				Callback: domain.CallbackAlways, Keywords: []string{}})
			errs <- err
		}()
	}
	// Both saves wait: for the table (having read the entry) or for the
	// other save.
	for waiting, polls := 0, 0; waiting < n; polls++ {
		if polls == 6000 {
			t.Fatalf("only %d of the %d saves got under way", waiting, n)
		}
		if err := st.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type IN ('Lock', 'advisory') AND state = 'active'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := hold.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	rows, _, err := st.AuditLog(ctx, AuditFilter{ObjectType: "handbook_category", ObjectKey: "racing", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	creates := 0
	for _, r := range rows {
		switch {
		case r.Action == "create" && string(r.Before) == "null":
			creates++
		case r.Action == "update" && field(t, r.Before, "name") != "<missing>":
		default:
			t.Errorf("row %s before %s", r.Action, r.Before)
		}
	}
	if len(rows) != n || creates != 1 {
		t.Errorf("%d rows, %d creates; want %d rows and one create", len(rows), creates, n)
	}
}
