package domain

import (
	"regexp"
	"slices"
	"testing"
	"time"
)

// allActions is every action any kind takes.
func allActions() []Action {
	var out []Action
	for _, k := range Kinds() {
		for _, a := range k.ActionNames() {
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	return out
}

// TestKindsAreComplete checks each declaration in the registry on its own
// and against the others: what a new kind leaves out or gets wrong fails
// here, by name.
func TestKindsAreComplete(t *testing.T) {
	prefixRE := regexp.MustCompile(`^[A-Z]{2}$`)
	pathRE := regexp.MustCompile(`^[a-z][a-z-]*$`)
	seen := map[string]Kind{}
	unique := func(what, value string, k Kind) {
		t.Helper()
		if other, dup := seen[what+"="+value]; dup {
			t.Errorf("%s and %s share the %s %q", other, k, what, value)
		}
		seen[what+"="+value] = k
	}
	for _, spec := range Kinds() {
		k := spec.Kind
		unique("kind", string(k), k)
		unique("prefix", spec.Prefix, k)
		unique("path", spec.Path, k)
		unique("workflow", spec.Workflow, k)
		if !prefixRE.MatchString(spec.Prefix) {
			t.Errorf("%s: prefix %q is not two capital letters, which case numbers need", k, spec.Prefix)
		}
		if !pathRE.MatchString(spec.Path) || spec.Workflow == "" || spec.Noun.Zh == "" || spec.Noun.En == "" || spec.DueLabel.Zh == "" || spec.DueLabel.En == "" {
			t.Errorf("%s: path %q, workflow %q, noun %v and due label %v must all be set", k, spec.Path, spec.Workflow, spec.Noun, spec.DueLabel)
		}
		if got, ok := KindOf(CaseNumber(spec.Prefix, time.Now(), 1)); !ok || got != k {
			t.Errorf("%s: KindOf of its own number is %q, %t", k, got, ok)
		}
		if len(spec.Start) == 0 || spec.StartNote == "" {
			t.Errorf("%s: the statuses recording leaves a case in, and why, must be declared", k)
		}
		for _, tmpl := range coreTemplates {
			if !slices.Contains(spec.Templates, tmpl) {
				t.Errorf("%s: the shared core sends %s, which Templates does not list", k, spec.Template(tmpl))
			}
		}
		for _, d := range spec.Deadlines {
			if !slices.Contains([]Deadline{DeadlineDispatch, DeadlineFirstFeedback, DeadlineResolution}, d) {
				t.Errorf("%s: %q is no deadline a case starts with", k, d)
			}
		}
		checkTransitions(t, spec)
	}
}

func checkTransitions(t *testing.T, spec KindSpec) {
	t.Helper()
	k := spec.Kind
	actions := map[Action]bool{}
	for _, tr := range spec.Actions {
		if actions[tr.Action] {
			t.Errorf("%s: %s declared twice", k, tr.Action)
		}
		actions[tr.Action] = true
		if len(tr.From) == 0 || (len(tr.To) == 0 && !tr.Stays) {
			t.Errorf("%s: %s needs the statuses it leaves and reaches", k, tr.Action)
		}
		if len(tr.To) > 1 && tr.Note == "" {
			t.Errorf("%s: %s may reach %v; say what decides in Note", k, tr.Action, tr.To)
		}
		for _, s := range slices.Concat(tr.From, tr.To) {
			if !s.Valid() {
				t.Errorf("%s: %s names the unknown status %q", k, tr.Action, s)
			}
		}
		for _, s := range tr.From {
			if s.Terminal() {
				t.Errorf("%s: %s is accepted in the terminal status %s", k, tr.Action, s)
			}
		}
	}
	// Every status an action starts from can be reached, and every status
	// reached that is not terminal accepts some action: no case is stuck.
	reached := slices.Clone(spec.Start)
	for i := 0; i < len(reached); i++ {
		for _, tr := range spec.Actions {
			if slices.Contains(tr.From, reached[i]) {
				for _, to := range tr.To {
					if !slices.Contains(reached, to) {
						reached = append(reached, to)
					}
				}
			}
		}
	}
	for _, s := range reached {
		if !s.Terminal() && len(spec.AllowedActions(s)) == 0 {
			t.Errorf("%s: a case in %s can never move on", k, s)
		}
	}
	for _, tr := range spec.Actions {
		for _, s := range tr.From {
			if s != StatusRecorded && !slices.Contains(reached, s) {
				t.Errorf("%s: %s is accepted in %s, which no case reaches", k, tr.Action, s)
			}
		}
	}
	if !slices.ContainsFunc(reached, Status.Terminal) {
		t.Errorf("%s: no case ever finishes", k)
	}
}

func TestStartDeadlines(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	p := Policy{DispatchWithin: time.Hour, FeedbackWithin: 2 * time.Hour, ResolveWithin: 3 * time.Hour, UrgentResolveWithin: time.Hour / 2, CallbackWithin: 4 * time.Hour}
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	tests := []struct {
		kind     Kind
		priority Priority
		want     Deadlines
	}{
		{KindComplaint, PriorityNormal, Deadlines{Dispatch: at(time.Hour), FirstFeedback: at(2 * time.Hour), Resolution: at(3 * time.Hour)}},
		{KindComplaint, PriorityUrgent, Deadlines{Dispatch: at(time.Hour), FirstFeedback: at(2 * time.Hour), Resolution: at(time.Hour / 2)}},
		// A repair is dispatched as it is recorded: no dispatch deadline.
		{KindRepair, PriorityNormal, Deadlines{FirstFeedback: at(2 * time.Hour), Resolution: at(3 * time.Hour)}},
	}
	for _, tt := range tests {
		got := MustSpec(tt.kind).StartDeadlines(now, p, tt.priority)
		if !equalTime(got.Dispatch, tt.want.Dispatch) || !equalTime(got.FirstFeedback, tt.want.FirstFeedback) ||
			!equalTime(got.Resolution, tt.want.Resolution) || got.Callback != nil {
			t.Errorf("%s %s: deadlines %+v, want %+v", tt.kind, tt.priority, got, tt.want)
		}
	}
}

func equalTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

func TestKindLookups(t *testing.T) {
	if _, ok := SpecOf("praise"); ok {
		t.Error("an undeclared kind has a declaration")
	}
	if _, ok := ParseKind("Repair"); ok {
		t.Error("kinds are lower case")
	}
	if k, ok := ParseKind("repair"); !ok || k != KindRepair {
		t.Errorf("ParseKind(repair) = %q, %t", k, ok)
	}
	if _, ok := KindOf("ZZ20261128-0001"); ok {
		t.Error("a number with an undeclared prefix has a kind")
	}
	if got := MustSpec(KindRepair).Statuses(); !slices.Equal(got, []Status{StatusRecorded, StatusClosed, StatusReopened,
		StatusClosedUnresolved, StatusClosedUnreachable, StatusDispatched, StatusOnSite, StatusCompleted, StatusCancelled}) {
		t.Errorf("repair statuses %v", got)
	}
}
