package integration

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/workflows"
)

// forget removes from Concierge's database everything about the given
// cases and sets the day's counter back to before the first of them, as a
// restore from a backup taken just before they were made would. Temporal
// keeps their workflows.
func forget(t *testing.T, numbers []string) {
	t.Helper()
	ctx := context.Background()
	prefix, day, seq, err := domain.SplitCaseNumber(numbers[0])
	if err != nil {
		t.Fatal(err)
	}
	err = pgx.BeginFunc(ctx, sys.store.Pool(), func(tx pgx.Tx) error {
		// Without the foreign keys' triggers every table holding a case
		// number can be emptied of these cases in any order.
		if _, err := tx.Exec(ctx, `SET LOCAL session_replication_role = replica`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT table_name, column_name FROM information_schema.columns
			WHERE table_schema = current_schema() AND column_name IN ('number', 'case_number')`)
		if err != nil {
			return err
		}
		tables, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct{ Table, Column string }])
		if err != nil {
			return err
		}
		for _, tc := range tables {
			q := fmt.Sprintf(`DELETE FROM %s WHERE %s = ANY($1)`, pgx.Identifier{tc.Table}.Sanitize(), pgx.Identifier{tc.Column}.Sanitize())
			if _, err := tx.Exec(ctx, q, numbers); err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
		_, err = tx.Exec(ctx, `UPDATE case_counters SET last = $3 WHERE prefix = $1 AND to_char(day, 'YYYYMMDD') = $2`, prefix, day, seq-1)
		return err
	})
	if err != nil {
		t.Fatalf("forget %v: %v", numbers, err)
	}
}

// intakeOf asks a case's workflow which intake it serves.
func intakeOf(t *testing.T, number string) string {
	t.Helper()
	v, err := sys.temporal.QueryWorkflow(context.Background(), domain.KindComplaint.WorkflowID(number), "", workflows.QueryState)
	if err != nil {
		t.Fatalf("query %s: %v", number, err)
	}
	var st workflows.CaseState
	if err := v.Get(&st); err != nil {
		t.Fatal(err)
	}
	return st.Intake
}

// withSeq is number with another sequence on the same day.
func withSeq(t *testing.T, number string, seq int64) string {
	t.Helper()
	prefix, day, _, err := domain.SplitCaseNumber(number)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s%s-%04d", prefix, day, seq)
}

// TestNewCaseAfterARestoreBehindTemporal restores Concierge's database to a
// point before three cases were made while Temporal keeps their workflows
// (the first closed, two open). New cases must get numbers of their own:
// neither refused because a closed workflow holds the number nor answered
// with an earlier case that an open one holds. Not parallel: it sets the
// day's counter back.
func TestNewCaseAfterARestoreBehindTemporal(t *testing.T) {
	ctx := context.Background()
	var earlier []string
	for range 3 {
		earlier = append(earlier, create(t, "noise").Number)
	}
	_, _, first, err := domain.SplitCaseNumber(earlier[0])
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range earlier {
		if want := withSeq(t, earlier[0], first+int64(i)); n != want {
			t.Fatalf("the cases of a test that runs alone are numbered %v, not one after another", earlier)
		}
	}
	heldBy := map[string]string{}
	for _, n := range earlier[1:] {
		heldBy[n] = intakeOf(t, n)
		if heldBy[n] == "" {
			t.Fatalf("%s: its workflow names no intake", n)
		}
	}
	if err := sys.temporal.TerminateWorkflow(ctx, domain.KindComplaint.WorkflowID(earlier[0]), "", "closed before the restore"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, n := range earlier[1:] {
			_ = sys.temporal.TerminateWorkflow(context.Background(), domain.KindComplaint.WorkflowID(n), "", "test done")
		}
	})

	steps := []struct {
		name string
		// back is the position in earlier the counter is set back to.
		back int
		want int64 // the sequence the new case must get
	}{
		// The first number is held by a closed workflow, the next two by
		// open ones: the new case gets the first number after them.
		{"held by a closed workflow", 0, first + 3},
		// Set back again, onto an open workflow: the numbers up to the
		// case just made are held, so the next after it.
		{"held by an open workflow", 1, first + 4},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			forget(t, earlier[step.back:])
			body := newComplaintBody("noise")
			body["description"] = "恢复备份后的新投诉 " + step.name
			var c complaint
			if code := call(t, "POST", "/api/v1/complaints", body, &c); code != http.StatusCreated {
				t.Fatalf("create after the restore: HTTP %d %+v", code, c)
			}
			if want := withSeq(t, earlier[0], step.want); c.Number != want {
				t.Fatalf("the new case is %s, want %s", c.Number, want)
			}
			got := get(t, c.Number)
			if got.Status != "routed" || len(got.Timeline) != 2 {
				t.Fatalf("the new case is not its own: %+v", got)
			}
			var desc, unit string
			if err := sys.store.Pool().QueryRow(ctx, `SELECT i.description, u.code FROM case_intakes i JOIN units u ON u.id = i.unit_id WHERE i.number = $1`,
				c.Number).Scan(&desc, &unit); err != nil {
				t.Fatal(err)
			}
			if desc != body["description"] || unit != body["unit"] {
				t.Fatalf("intake of %s: %q in %s, want %q in %s", c.Number, desc, unit, body["description"], body["unit"])
			}
			for n, intake := range heldBy {
				if got := intakeOf(t, n); got != intake {
					t.Fatalf("the earlier workflow %s now serves intake %s, not its own %s", n, got, intake)
				}
			}
			if n := count(t, `SELECT count(*) FROM case_intakes WHERE number = ANY($1)`, earlier); n != 0 {
				t.Fatalf("%d intakes kept a number Temporal holds", n)
			}
		})
	}
	// The counter has moved past what Temporal holds: the next case needs
	// no new number.
	if c := create(t, "noise"); c.Number != withSeq(t, earlier[0], first+5) {
		t.Fatalf("next case %s, want sequence %d", c.Number, first+5)
	}
}
