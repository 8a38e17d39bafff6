package domain

import (
	"slices"
	"testing"
	"time"
)

func TestRepairAllowedActions(t *testing.T) {
	open := []Action{ActionDispatch, ActionArrive, ActionFeedback, ActionComplete, ActionCancel}
	tests := []struct {
		status Status
		want   []Action
	}{
		// Recorded is passed through at once: the repair is dispatched as it is recorded.
		{StatusRecorded, []Action{}},
		{StatusDispatched, open},
		{StatusOnSite, []Action{ActionDispatch, ActionFeedback, ActionComplete, ActionCancel}},
		{StatusReopened, open},
		{StatusCompleted, []Action{ActionCallback}},
		{StatusClosed, []Action{}},
		{StatusCancelled, []Action{}},
		{StatusClosedUnresolved, []Action{}},
		{StatusClosedUnreachable, []Action{}},
		// Complaint-only statuses accept no repair action.
		{StatusRouted, []Action{}},
		{StatusResolved, []Action{}},
	}
	spec, complaint := MustSpec(KindRepair), MustSpec(KindComplaint)
	for _, tt := range tests {
		t.Run(string(tt.status), func(t *testing.T) {
			got := spec.AllowedActions(tt.status)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("AllowedActions(%s) = %v, want %v", tt.status, got, tt.want)
			}
			for _, a := range allActions() {
				if spec.Allows(tt.status, a) != slices.Contains(tt.want, a) {
					t.Errorf("Allows(%s, %s) disagrees with AllowedActions", tt.status, a)
				}
			}
		})
	}
	// The complaint table is unchanged: it accepts no repair action.
	for _, s := range AllStatuses {
		for _, a := range []Action{ActionDispatch, ActionArrive, ActionComplete, ActionCancel} {
			if complaint.Allows(s, a) {
				t.Errorf("complaint table allows %s in %s", a, s)
			}
		}
	}
}

func TestRepairStatuses(t *testing.T) {
	tests := []struct {
		status           Status
		terminal, awaits bool
	}{
		{StatusDispatched, false, false},
		{StatusOnSite, false, false},
		{StatusCompleted, false, true},
		{StatusResolved, false, true},
		{StatusCancelled, true, false},
		{StatusClosed, true, false},
	}
	for _, tt := range tests {
		if !tt.status.Valid() {
			t.Errorf("%s is not in AllStatuses", tt.status)
		}
		if tt.status.Terminal() != tt.terminal || tt.status.AwaitingCallback() != tt.awaits {
			t.Errorf("%s: terminal %t, awaiting callback %t; want %t, %t",
				tt.status, tt.status.Terminal(), tt.status.AwaitingCallback(), tt.terminal, tt.awaits)
		}
	}

	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	res, cb := t0.Add(48*time.Hour), t0.Add(26*time.Hour)
	s := CaseSnapshot{Status: StatusCompleted, Assignee: "zhao_gang", RoutedAt: &t0, FirstFeedbackAt: &t0,
		Deadlines: Deadlines{Resolution: &res, Callback: &cb}}
	if d := s.OpenDeadlines(); d.Resolution != nil || d.Callback == nil || !d.Next().Equal(cb) {
		t.Errorf("open deadlines of a completed repair: %+v", d)
	}
	if s.Holder() != "front_desk" {
		t.Errorf("a completed repair is held by %s, want front_desk", s.Holder())
	}
	s.Status = StatusOnSite
	if d := s.OpenDeadlines(); d.Callback != nil || !d.Next().Equal(res) || s.Holder() != "zhao_gang" {
		t.Errorf("on-site repair: deadlines %+v, holder %s", d, s.Holder())
	}
	s.Status = StatusCancelled
	if s.OpenDeadlines().Next() != nil {
		t.Error("a cancelled repair has no open deadline")
	}
}

func TestParseAction(t *testing.T) {
	repair, complaint := MustSpec(KindRepair), MustSpec(KindComplaint)
	for _, a := range repair.ActionNames() {
		if got, ok := repair.ParseAction(string(a)); !ok || got != a {
			t.Errorf("ParseAction(%q) = %q, %t", a, got, ok)
		}
	}
	for _, s := range []string{"route", "acknowledge", "resolve", "withdraw", "", "Dispatch"} {
		if _, ok := repair.ParseAction(s); ok {
			t.Errorf("a repair takes %q", s)
		}
	}
	if _, ok := complaint.ParseAction("dispatch"); ok {
		t.Error("a complaint takes dispatch")
	}
}

func TestCallbackPolicyValid(t *testing.T) {
	tests := []struct {
		p    CallbackPolicy
		want bool
	}{
		{CallbackAlways, true},
		{CallbackUnlessRated, true},
		{CallbackNever, true},
		{"", false},
		{"sometimes", false},
		{"Always", false},
	}
	for _, tt := range tests {
		if got := tt.p.Valid(); got != tt.want {
			t.Errorf("CallbackPolicy(%q).Valid() = %t, want %t", tt.p, got, tt.want)
		}
	}
}

func TestDecideCompletion(t *testing.T) {
	tests := []struct {
		name    string
		policy  CallbackPolicy
		score   int
		reopens int
		want    CompletionOutcome
	}{
		{"never unrated closes", CallbackNever, 0, 0, CompletionClose},
		{"never satisfied closes", CallbackNever, 4, 0, CompletionClose},
		{"never dissatisfied reopens", CallbackNever, 3, 0, CompletionReopen},
		{"unless_rated satisfied closes", CallbackUnlessRated, 5, 0, CompletionClose},
		{"unless_rated unrated awaits", CallbackUnlessRated, 0, 0, CompletionAwaitCallback},
		{"unless_rated dissatisfied reopens", CallbackUnlessRated, 1, 1, CompletionReopen},
		{"always unrated awaits", CallbackAlways, 0, 0, CompletionAwaitCallback},
		{"always satisfied awaits", CallbackAlways, 5, 0, CompletionAwaitCallback},
		{"always dissatisfied reopens", CallbackAlways, 2, 0, CompletionReopen},
		{"dissatisfied after the limit", CallbackUnlessRated, 2, MaxReopens, CompletionClosedUnresolved},
		{"satisfied after the limit", CallbackUnlessRated, 4, MaxReopens, CompletionClose},
		{"unknown policy awaits", "", 0, 0, CompletionAwaitCallback},
		{"unknown policy satisfied awaits", "", 5, 0, CompletionAwaitCallback},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DecideCompletion(tt.policy, tt.score, tt.reopens); got != tt.want {
				t.Fatalf("DecideCompletion(%q, %d, %d) = %v, want %v", tt.policy, tt.score, tt.reopens, got, tt.want)
			}
		})
	}
}

func TestOnSiteScoreAndRepairNumber(t *testing.T) {
	for score, want := range map[int]bool{-1: false, 0: true, 1: true, 5: true, 6: false} {
		if ValidOnSiteScore(score) != want {
			t.Errorf("ValidOnSiteScore(%d) = %t", score, !want)
		}
	}
	n := CaseNumber(KindRepair.Prefix(), time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC), 12)
	if n != "BX20261102-0012" || !ValidCaseNumber(n) || KindRepair.WorkflowID(n) != "repair/BX20261102-0012" {
		t.Fatalf("repair number %s, workflow id %s", n, KindRepair.WorkflowID(n))
	}
}
