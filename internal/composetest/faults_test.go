package composetest

import (
	"context"
	"strings"
	"testing"
)

// TestReconcile feeds Reconcile what a deployment holds, as rows and
// workflows, and checks each kind of harm is counted.
func TestReconcile(t *testing.T) {
	o := IntakeOptions{RunID: "r"}
	told := func(numbers ...string) IntakeResult {
		res := IntakeResult{Accepted: map[string]string{}}
		for i, n := range numbers {
			res.Accepted[o.Key(i)] = n
		}
		return res
	}
	whole := []string{"fault-r-0|TS1|recorded|1", "fault-r-1|TS2|routed|1"}
	running := map[string]string{"complaint/TS1": "recorded", "complaint/TS2": "routed"}
	tests := []struct {
		name      string
		res       IntakeResult
		rows      []string
		workflows map[string]string
		status    string // the status every case must have reached
		want      Reconciliation
		problem   string
	}{
		{"all there", told("TS1", "TS2"), whole, running, "", Reconciliation{Accepted: 2, Found: 2}, ""},
		{"one short of the status it should have reached", told("TS1", "TS2"), whole, running, "routed",
			Reconciliation{Accepted: 2, Found: 2, Lost: 1}, "TS1 is recorded, want routed"},
		{"an intake missing", told("TS1", "TS2"), whole[:1], running, "", Reconciliation{Accepted: 2, Found: 1, Lost: 1}, "TS2 (fault-r-1): no intake"},
		{"a case row missing", told("TS1", "TS2"), []string{whole[0], "fault-r-1|TS2||0"}, running, "",
			Reconciliation{Accepted: 2, Found: 1, Lost: 1}, "no case, recorded event"},
		{"a workflow missing", told("TS1", "TS2"), whole, map[string]string{"complaint/TS1": "recorded"}, "",
			Reconciliation{Accepted: 2, Found: 1, Lost: 1}, "no workflow"},
		{"the key names another case", told("TS1", "TS9"), whole, running, "", Reconciliation{Accepted: 2, Found: 1, Lost: 1}, "it names TS2"},
		{"a case nobody was told of", told("TS1"), whole, running, "", Reconciliation{Accepted: 1, Found: 1, Duplicated: 1}, "no client was told of it"},
		{"one key, two cases", func() IntakeResult { r := told("TS1", "TS2"); r.Duplicated = []string{"fault-r-0"}; return r }(), whole, running, "",
			Reconciliation{Accepted: 2, Found: 2, Duplicated: 1}, "answered with two cases"},
		{"read model and workflow disagree", told("TS1", "TS2"), whole, map[string]string{"complaint/TS1": "recorded", "complaint/TS2": "recorded"}, "",
			Reconciliation{Accepted: 2, Found: 2, Disagreements: 1}, "read model routed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := func(context.Context, string) ([]string, error) { return tt.rows, nil }
			wf := func(_ context.Context, id string) (string, string, bool, error) {
				s, ok := tt.workflows[id]
				return "Running", s, ok, nil
			}
			got, err := Reconcile(context.Background(), tt.res, o, tt.status, db, wf)
			if err != nil {
				t.Fatal(err)
			}
			problems := got.Problems
			got.Problems = nil
			if got.String() != tt.want.String() {
				t.Errorf("got %s, want %s", got, tt.want)
			}
			if (got.Err() == nil) != (tt.problem == "") {
				t.Errorf("Err() = %v, want a problem: %t", got.Err(), tt.problem != "")
			}
			if tt.problem != "" && !strings.Contains(strings.Join(problems, "; "), tt.problem) {
				t.Errorf("problems %q lack %q", problems, tt.problem)
			}
		})
	}
}

// TestTimersFiredOnce: a case whose reminder or escalation is missing or
// doubled is named, as is a case told recorded with no intake.
func TestTimersFiredOnce(t *testing.T) {
	o := IntakeOptions{RunID: "r"}
	res := IntakeResult{Accepted: map[string]string{o.Key(0): "TS1", o.Key(1): "TS2", o.Key(2): "TS3", o.Key(3): "TS4"}}
	rows := []string{"TS1|1|1", "TS2|0|1", "TS3|1|2"}
	db := func(context.Context, string) ([]string, error) { return rows, nil }
	got, err := TimersFiredOnce(context.Background(), res, o, db, "reminder", "escalated")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"TS2: reminder 0 times, want once", "TS3: escalated 2 times, want once", "TS4: no intake"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got %q, want %q", got, want)
	}
}
