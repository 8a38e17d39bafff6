package domain

import (
	"slices"
	"testing"
	"time"
)

func TestAllowedActions(t *testing.T) {
	tests := []struct {
		status Status
		want   []Action
	}{
		{StatusRecorded, []Action{ActionRoute, ActionFeedback, ActionWithdraw}},
		{StatusAwaitingTriage, []Action{ActionRoute, ActionFeedback, ActionWithdraw}},
		{StatusRouted, []Action{ActionRoute, ActionAcknowledge, ActionFeedback, ActionWithdraw}},
		{StatusInProgress, []Action{ActionFeedback, ActionResolve, ActionWithdraw}},
		{StatusResolved, []Action{ActionCallback}},
		{StatusReopened, []Action{ActionRoute, ActionAcknowledge, ActionFeedback, ActionWithdraw}},
		{StatusClosed, []Action{}},
		{StatusWithdrawn, []Action{}},
		{StatusClosedUnresolved, []Action{}},
		{StatusClosedUnreachable, []Action{}},
	}
	spec := MustSpec(KindComplaint)
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
			if tt.status.Terminal() != (len(tt.want) == 0) {
				t.Errorf("Terminal(%s) = %t, but it allows %v", tt.status, tt.status.Terminal(), tt.want)
			}
		})
	}
}

func TestDecideCallback(t *testing.T) {
	tests := []struct {
		name     string
		reached  bool
		score    int
		reopen   bool
		reopens  int
		attempts int
		want     CallbackOutcome
	}{
		{"satisfied 5", true, 5, true, 0, 0, OutcomeClose},
		{"satisfied 4", true, 4, true, 2, 0, OutcomeClose},
		{"dissatisfied 3 reopens", true, 3, true, 0, 0, OutcomeReopen},
		{"dissatisfied 1 second reopen", true, 1, true, 1, 0, OutcomeReopen},
		{"dissatisfied after two reopens", true, 2, true, 2, 0, OutcomeClosedUnresolved},
		{"dissatisfied but declines", true, 2, false, 0, 0, OutcomeClose},
		{"first unreached", false, 0, true, 0, 1, OutcomeRetry},
		{"second unreached", false, 0, true, 0, 2, OutcomeRetry},
		{"third unreached", false, 0, true, 0, 3, OutcomeClosedUnreachable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DecideCallback(tt.reached, tt.score, tt.reopen, tt.reopens, tt.attempts); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestReminderAt(t *testing.T) {
	start := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		window time.Duration
		want   time.Duration
	}{
		{24 * time.Hour, 19*time.Hour + 12*time.Minute},
		{72 * time.Hour, 57*time.Hour + 36*time.Minute},
		{10 * time.Second, 8 * time.Second},
	}
	for _, tt := range tests {
		if got := ReminderAt(start, start.Add(tt.window)).Sub(start); got != tt.want {
			t.Errorf("reminder for %s window at +%s, want +%s", tt.window, got, tt.want)
		}
	}
}

func TestPolicy(t *testing.T) {
	p := DefaultPolicy()
	if err := p.Validate(); err != nil {
		t.Fatalf("default policy invalid: %v", err)
	}
	if got := p.ResolveWindow(PriorityUrgent); got != 24*time.Hour {
		t.Errorf("urgent window %s, want 24h", got)
	}
	if got := p.ResolveWindow(PriorityNormal); got != 72*time.Hour {
		t.Errorf("normal window %s, want 72h", got)
	}
	bad := p
	bad.DispatchWithin = 0
	bad.EscalateEvery = time.Millisecond
	if err := bad.Validate(); err == nil {
		t.Fatal("zero dispatch window accepted")
	}
}

func TestDeadlinesNext(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	t1, t2 := t0.Add(time.Hour), t0.Add(2*time.Hour)
	if (Deadlines{}).Next() != nil {
		t.Fatal("no deadlines should give nil")
	}
	if got := (Deadlines{Dispatch: &t2, Resolution: &t1}).Next(); !got.Equal(t1) {
		t.Fatalf("next = %v, want %v", got, t1)
	}
	s := CaseSnapshot{Status: StatusRouted, RoutedAt: &t0, Deadlines: Deadlines{Dispatch: &t0, FirstFeedback: &t2, Resolution: &t1}}
	if got := s.OpenDeadlines(); got.Dispatch != nil || got.Next() == nil || !got.Next().Equal(t1) {
		t.Fatalf("open deadlines of a routed case: %+v", got)
	}
	s.Status = StatusClosed
	if s.OpenDeadlines().Next() != nil {
		t.Fatal("a closed case has no open deadline")
	}
}

func TestCaseNumber(t *testing.T) {
	day := time.Date(2026, 11, 28, 23, 59, 0, 0, time.UTC)
	n := CaseNumber(KindComplaint.Prefix(), day, 7)
	if n != "TS20261128-0007" {
		t.Fatalf("got %s", n)
	}
	for s, want := range map[string]bool{n: true, "TS20261128-12345": true, "ts20261128-0001": false, "TS2026-0001": false, "../x": false} {
		if ValidCaseNumber(s) != want {
			t.Errorf("ValidCaseNumber(%q) = %t", s, !want)
		}
	}
	if KindComplaint.WorkflowID(n) != "complaint/TS20261128-0007" {
		t.Fatal("workflow id")
	}
}

func TestSplitCaseNumber(t *testing.T) {
	tests := []struct {
		in          string
		prefix, day string
		seq         int64
		ok          bool
	}{
		{"TS20261128-0007", "TS", "20261128", 7, true},
		{"BX20260101-12345", "BX", "20260101", 12345, true},
		{"TS20261128", "", "", 0, false},
		{"ts20261128-0001", "", "", 0, false},
	}
	for _, tt := range tests {
		prefix, day, seq, err := SplitCaseNumber(tt.in)
		if (err == nil) != tt.ok || prefix != tt.prefix || day != tt.day || seq != tt.seq {
			t.Errorf("SplitCaseNumber(%q) = %q %q %d %v", tt.in, prefix, day, seq, err)
		}
		if tt.ok && CaseNumber(prefix, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), seq)[11:] != tt.in[11:] {
			t.Errorf("%q: the sequence does not format back", tt.in)
		}
	}
}

func TestNextLevel(t *testing.T) {
	level := LevelNone
	var roles []string
	for range 5 {
		level = NextLevel(level)
		roles = append(roles, LevelRole(level))
	}
	want := []string{"department_head", "centre_manager", "property_manager", "property_manager", "property_manager"}
	if !slices.Equal(roles, want) {
		t.Fatalf("ladder %v, want %v", roles, want)
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{24 * time.Hour, "24h"},
		{90 * time.Minute, "1h30m"},
		{3 * time.Second, "3s"},
		{time.Hour + time.Second, "1h0m1s"},
		{45 * time.Minute, "45m"},
	}
	for _, tt := range tests {
		got := FormatDuration(tt.in)
		if got != tt.want {
			t.Errorf("FormatDuration(%s) = %q, want %q", tt.in, got, tt.want)
		}
		if back, err := time.ParseDuration(got); err != nil || back != tt.in {
			t.Errorf("%q does not parse back to %s", got, tt.in)
		}
	}
}
