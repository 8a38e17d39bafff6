package workflows_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/workflows"
)

// step is one action of a walk through a case's lifecycle.
type step struct {
	action domain.Action
	arg    any
}

// walk is one case from recording to a terminal status.
type walk struct {
	name  string
	input func(*workflows.CaseInput)
	steps []step
}

// walks drive each kind of case through every target status its
// declaration (domain/kinds.go) names. A kind with no walks here fails
// TestWorkflowsKeepToTheRegistry by name.
func walks() map[domain.Kind][]walk {
	unreached := workflows.CallbackRequest{Reached: false, Actor: "liu_fang"}
	declined := workflows.CallbackRequest{Reached: true, Score: 2, Reopen: &no, Actor: "liu_fang"}
	route := workflows.RouteRequest{Department: "engineering", Assignee: "li_qiang", Actor: "zhao_min"}
	withdraw := workflows.WithdrawRequest{Reason: "已自行解决", Actor: "liu_fang"}
	noDepartment := func(in *workflows.CaseInput) { in.Department, in.Assignee = "", "" }
	policy := func(p domain.CallbackPolicy) func(*workflows.CaseInput) {
		return func(in *workflows.CaseInput) { in.Callback = p }
	}
	complete := func(score int) step {
		return step{domain.ActionComplete, workflows.CompleteRequest{Resolution: "更换阀门", Score: score, Actor: "li_qiang"}}
	}
	arrive := step{domain.ActionArrive, workflows.ArriveRequest{Actor: "li_qiang"}}
	cancel := step{domain.ActionCancel, workflows.CancelRequest{Reason: "住户取消", Actor: "liu_fang"}}
	dispatch := step{domain.ActionDispatch, workflows.DispatchRequest{Assignee: "wang_lei", Actor: "zhao_min"}}
	cb := func(r workflows.CallbackRequest) step { return step{domain.ActionCallback, r} }
	a, f, r := step{domain.ActionAcknowledge, ack}, step{domain.ActionFeedback, feedback}, step{domain.ActionResolve, resolve}
	return map[domain.Kind][]walk{
		domain.KindComplaint: {
			{"triaged and closed", noDepartment, []step{{domain.ActionRoute, route}, a, f, r, cb(callback(5))}},
			{"reopened twice, closed unresolved", nil, []step{a, r, cb(callback(2)), a, r, cb(callback(1)), {domain.ActionRoute, route}, a, r, cb(callback(1))}},
			{"declined reopening", nil, []step{a, r, cb(declined)}},
			{"unreachable", nil, []step{a, r, cb(unreached), cb(unreached), cb(unreached)}},
			{"withdrawn", nil, []step{f, {domain.ActionWithdraw, withdraw}}},
		},
		domain.KindRepair: {
			{"called back and closed", policy(domain.CallbackAlways), []step{arrive, f, complete(0), cb(callback(5))}},
			{"reopened on site until unresolved", policy(domain.CallbackAlways), []step{dispatch, complete(2), arrive, complete(2), complete(1)}},
			{"closed on completion", policy(domain.CallbackNever), []step{complete(0)}},
			{"closed on a satisfied on-site rating", policy(domain.CallbackUnlessRated), []step{arrive, complete(5)}},
			{"reopened on the callback, then cancelled", policy(domain.CallbackAlways), []step{complete(0), cb(callback(1)), cancel}},
			{"unreachable", policy(domain.CallbackAlways), []step{complete(0), cb(unreached), cb(unreached), cb(unreached)}},
			{"dissatisfied callbacks until unresolved", policy(domain.CallbackAlways), []step{
				complete(0), cb(callback(1)), complete(0), cb(callback(2)), complete(0), cb(callback(1))}},
		},
	}
}

// TestWorkflowsKeepToTheRegistry runs each kind's workflow through its
// walks and checks every move against the kind's declaration: a case
// starts in a declared status, every action leaves it in one of the
// action's declared targets, and every declared target is reached by some
// walk. The state diagrams generated from the declaration
// (docs/states_test.go) therefore show what the workflows do.
func TestWorkflowsKeepToTheRegistry(t *testing.T) {
	all := walks()
	for _, spec := range domain.Kinds() {
		t.Run(string(spec.Kind), func(t *testing.T) {
			ws, ok := all[spec.Kind]
			if !ok {
				t.Fatalf("no walks for %s in workflows/kinds_test.go", spec.Kind)
			}
			seen := map[string]bool{}
			for _, w := range ws {
				t.Run(w.name, func(t *testing.T) {
					for _, move := range runWalk(t, spec, w) {
						seen[move] = true
					}
				})
			}
			for _, tr := range spec.Actions {
				for _, to := range tr.To {
					if !seen[string(tr.Action)+"→"+string(to)] {
						t.Errorf("%s is declared to reach %s, which no walk shows", tr.Action, to)
					}
				}
				if tr.Stays && !seen[string(tr.Action)+"→="] {
					t.Errorf("%s is declared to keep the status, which no walk shows", tr.Action)
				}
			}
		})
	}
}

// runWalk runs one walk, an action an hour, and returns the moves it saw
// as "action→status" ("action→=" when the status stayed).
func runWalk(t *testing.T, spec domain.KindSpec, w walk) []string {
	var suite testsuite.WorkflowTestSuite
	h := &harness{t: t, env: suite.NewTestWorkflowEnvironment()}
	workflows.Register(h.env)
	h.setUp()
	in := input("engineering", domain.PriorityNormal)
	in.Number = domain.CaseNumber(spec.Prefix, t0, 1)
	if w.input != nil {
		w.input(&in)
	}
	statuses := make([]domain.Status, len(w.steps)+1)
	for i := range statuses {
		at := time.Duration(i)*time.Hour + 30*time.Minute
		h.query(at, func(st workflows.CaseState) { statuses[i] = st.Status })
	}
	for i, s := range w.steps {
		h.act(time.Duration(i+1)*time.Hour, s.action, s.arg, "")
	}
	h.env.ExecuteWorkflow(spec.Workflow, in)
	if err := h.env.GetWorkflowError(); err != nil || !h.env.IsWorkflowCompleted() {
		t.Fatalf("the walk did not finish the case: %v", err)
	}
	var final workflows.CaseState
	if err := h.env.GetWorkflowResult(&final); err != nil {
		t.Fatal(err)
	}
	// The last step finishes the case; the query after it finds none.
	statuses[len(w.steps)] = final.Status

	if !slices.Contains(spec.Start, statuses[0]) {
		t.Errorf("recorded into %s; the registry declares %v", statuses[0], spec.Start)
	}
	var moves []string
	for i, s := range w.steps {
		from, to := statuses[i], statuses[i+1]
		tr, _ := spec.Transition(s.action)
		switch {
		case !slices.Contains(tr.From, from):
			t.Errorf("step %d: %s was applied in %s; the registry allows it only in %v", i+1, s.action, from, tr.From)
		case to == from && tr.Stays:
			moves = append(moves, string(s.action)+"→=")
		case slices.Contains(tr.To, to):
			moves = append(moves, string(s.action)+"→"+string(to))
		default:
			t.Errorf("step %d: %s moved the case from %s to %s; the registry declares %v (stays: %t)", i+1, s.action, from, to, tr.To, tr.Stays)
		}
	}
	if !final.Status.Terminal() {
		t.Errorf("the walk ends in %s, which is not terminal", final.Status)
	}
	return moves
}

// A walk's name is its story; this keeps the names unique so a failure
// points at one walk.
func TestWalkNamesAreUnique(t *testing.T) {
	for kind, ws := range walks() {
		seen := map[string]bool{}
		for _, w := range ws {
			key := fmt.Sprintf("%s/%s", kind, w.name)
			if seen[key] {
				t.Errorf("two walks named %s", key)
			}
			seen[key] = true
		}
	}
}
