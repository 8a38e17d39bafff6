package workflows_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/workflows"
)

// The repair tests reuse the complaint harness (complaint_test.go): the same
// fake record activity, update helper and timeline accessors, with the
// repair workflow registered as well.

func newRepairHarness(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t)
	h.env.RegisterWorkflowWithOptions(workflows.Repair, workflow.RegisterOptions{Name: domain.MustSpec(domain.KindRepair).Workflow})
	return h
}

func (h *harness) runRepair(in workflows.CaseInput) workflows.CaseState {
	h.t.Helper()
	h.env.ExecuteWorkflow(domain.MustSpec(domain.KindRepair).Workflow, in)
	if !h.env.IsWorkflowCompleted() {
		h.t.Fatal("workflow did not complete")
	}
	if err := h.env.GetWorkflowError(); err != nil {
		h.t.Fatalf("workflow failed: %v", err)
	}
	var st workflows.CaseState
	if err := h.env.GetWorkflowResult(&st); err != nil {
		h.t.Fatalf("result: %v", err)
	}
	h.checkDeliveries()
	h.checkSearchAttributes()
	return st
}

// query asks for the live state after the given workflow time and hands it to check.
func (h *harness) query(after time.Duration, check func(workflows.CaseState)) {
	h.env.RegisterDelayedCallback(func() {
		v, err := h.env.QueryWorkflow(workflows.QueryState)
		if err != nil {
			h.t.Errorf("query at +%s: %v", after, err)
			return
		}
		var st workflows.CaseState
		if err := v.Get(&st); err != nil {
			h.t.Errorf("decode at +%s: %v", after, err)
			return
		}
		check(st)
	}, after)
}

func (h *harness) statuses() []domain.Status {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]domain.Status, len(h.records))
	for i, r := range h.records {
		out[i] = r.Snapshot.Status
	}
	return out
}

// ratings lists "kind:score" for every record that carries a rating.
func (h *harness) ratings() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, r := range h.records {
		if r.Rating != nil {
			out = append(out, fmt.Sprintf("%s:%d", r.Event.Kind, r.Rating.Score))
		}
	}
	return out
}

// staffNotes lists "template→recipient" of the staff notifications.
func (h *harness) staffNotes() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, r := range h.records {
		for _, n := range r.Notifications {
			if n.Audience == domain.AudienceStaff {
				out = append(out, n.Template+"→"+n.Recipient)
			}
		}
	}
	return out
}

// repairPolicy is a burst pipe: feedback promised within 30 minutes,
// completion within 48 h (8 h when urgent), callback within 24 h.
func repairPolicy() domain.Policy {
	return domain.Policy{
		DispatchWithin:      24 * time.Hour,
		FeedbackWithin:      30 * time.Minute,
		ResolveWithin:       48 * time.Hour,
		UrgentResolveWithin: 8 * time.Hour,
		CallbackWithin:      24 * time.Hour,
		EscalateEvery:       12 * time.Hour,
	}
}

func repairInput(cb domain.CallbackPolicy) workflows.CaseInput {
	return workflows.CaseInput{
		Number: "BX20261102-0001", Category: "burst_pipe", Community: "A", Channel: domain.ChannelPhone,
		Priority: domain.PriorityNormal, Department: "engineering", Assignee: "zhao_gang",
		Policy: repairPolicy(), Callback: cb, Actor: "liu_fang",
	}
}

var (
	arrive         = workflows.ArriveRequest{Actor: "zhao_gang"}
	repairFeedback = workflows.FeedbackRequest{Message: "配件已到，下午更换", Actor: "zhao_gang"}
	cancelRepair   = workflows.CancelRequest{Reason: "住户自行修好", Actor: "liu_fang"}
)

func complete(score int) workflows.CompleteRequest {
	return workflows.CompleteRequest{Resolution: "更换阀门", Score: score, Comment: "师傅很细心", Actor: "zhao_gang"}
}

func TestRepairHappyPathWithCallback(t *testing.T) {
	h := newRepairHarness(t)
	in := repairInput(domain.CallbackAlways)
	in.Assignee = ""
	h.act(10*time.Minute, domain.ActionDispatch, workflows.DispatchRequest{Assignee: "zhao_gang", Actor: "chen_jing"}, "")
	h.act(20*time.Minute, domain.ActionArrive, arrive, "")
	h.act(time.Hour, domain.ActionFeedback, repairFeedback, "")
	h.act(2*time.Hour, domain.ActionComplete, complete(0), "")
	h.query(2*time.Hour+time.Minute, func(st workflows.CaseState) {
		if st.Status != domain.StatusCompleted || !slices.Equal(st.AllowedActions, []domain.Action{domain.ActionCallback}) ||
			st.Holder() != "front_desk" || st.NextDeadline == nil || st.NextDeadline.Sub(t0) != 26*time.Hour {
			t.Errorf("state awaiting callback: %+v", st)
		}
	})
	h.act(5*time.Hour, domain.ActionCallback, callback(5), "")
	st := h.runRepair(in)

	assertKinds(t, h.kinds(), []string{"recorded", "dispatched", "dispatched", "on_site", "feedback", "completed", "callback", "closed"})
	wantStatuses := []domain.Status{
		domain.StatusRecorded, domain.StatusDispatched, domain.StatusDispatched, domain.StatusOnSite,
		domain.StatusOnSite, domain.StatusCompleted, domain.StatusCompleted, domain.StatusClosed,
	}
	if got := h.statuses(); !slices.Equal(got, wantStatuses) {
		t.Fatalf("statuses\n got %v\nwant %v", got, wantStatuses)
	}
	if st.Status != domain.StatusClosed || st.SLABreached || st.EscalationLevel != 0 || len(st.AllowedActions) != 0 {
		t.Fatalf("final state %+v", st)
	}
	if st.Department != "engineering" || st.Assignee != "zhao_gang" || st.RoutedAt == nil || !st.RoutedAt.Equal(t0) {
		t.Errorf("assignment %s/%s routed at %v", st.Department, st.Assignee, st.RoutedAt)
	}
	// The arrival keeps the 30-minute promise, not the later feedback.
	if got := st.FirstFeedbackAt.Sub(t0); got != 20*time.Minute {
		t.Errorf("first feedback at +%s, want +20m", got)
	}
	if got := st.ResolvedAt.Sub(t0); got != 2*time.Hour {
		t.Errorf("completed at +%s", got)
	}
	if st.Deadlines.Dispatch != nil || st.Deadlines.FirstFeedback.Sub(t0) != 30*time.Minute ||
		st.Deadlines.Resolution.Sub(t0) != 48*time.Hour || st.Deadlines.Callback.Sub(t0) != 26*time.Hour {
		t.Errorf("deadlines %+v", st.Deadlines)
	}
	assertKinds(t, h.notifications(domain.AudienceResident),
		[]string{"repair_recorded", "repair_on_site", "repair_feedback", "repair_completed", "repair_callback_request"})
	assertKinds(t, h.staffNotes(), []string{"repair_assigned→engineering", "repair_assigned→zhao_gang"})
	assertKinds(t, h.ratings(), []string{"callback:5"})
	// Dispatched to the department, no one yet: the feedback promise is
	// the nearest deadline. Completed: the callback's, at +26 h.
	h.wantAttributes(1, map[string]any{"CaseStatus": "dispatched", "CaseCategory": "burst_pipe", "Department": "engineering",
		"Priority": "normal", "Community": "A", "Channel": "phone", "Assignee": "", "EscalationLevel": int64(0), "SlaBreached": false,
		"NextDeadline": t0.Add(30 * time.Minute)})
	h.wantAttributes(-2, map[string]any{"CaseStatus": "completed", "CaseCategory": "burst_pipe", "Department": "engineering",
		"Priority": "normal", "Community": "A", "Channel": "phone", "Assignee": "zhao_gang", "EscalationLevel": int64(0), "SlaBreached": false,
		"NextDeadline": t0.Add(26 * time.Hour)})
	h.mu.Lock()
	recorded := h.records[0].Notifications[0].Params
	h.mu.Unlock()
	if recorded["number"] != in.Number || recorded["feedback_within"] != "30m" || recorded["resolve_within"] != "48h" ||
		recorded["category"] != "burst_pipe" {
		t.Errorf("recorded notification params %v", recorded)
	}
	h.checkVersions()
}

func TestRepairFeedbackPromiseKept(t *testing.T) {
	tests := []struct {
		name   string
		action domain.Action
		arg    any
	}{
		{"arrive", domain.ActionArrive, arrive},
		{"feedback", domain.ActionFeedback, repairFeedback},
		{"complete", domain.ActionComplete, complete(0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newRepairHarness(t)
			h.act(20*time.Minute, tt.action, tt.arg, "")
			h.act(time.Hour, domain.ActionComplete, complete(0), "")
			st := h.runRepair(repairInput(domain.CallbackNever))
			if got := h.at("reminder"); len(got) != 0 {
				t.Errorf("reminders at %v, want none", got)
			}
			if got := h.at("escalated"); len(got) != 0 {
				t.Errorf("escalations at %v, want none", got)
			}
			if st.SLABreached || st.EscalationLevel != 0 || st.FirstFeedbackAt.Sub(t0) != 20*time.Minute ||
				st.Status != domain.StatusClosed {
				t.Fatalf("final state %+v", st)
			}
		})
	}
}

func TestRepairFeedbackPromiseMissed(t *testing.T) {
	h := newRepairHarness(t)
	h.act(40*time.Minute, domain.ActionArrive, arrive, "")
	h.act(time.Hour, domain.ActionCancel, cancelRepair, "")
	st := h.runRepair(repairInput(domain.CallbackAlways))

	// 80 % of 30 min is 24 min; the promise is broken at 30 min.
	assertAt(t, "reminders", h.at("reminder"), 24*time.Minute)
	assertAt(t, "escalations", h.at("escalated"), 30*time.Minute)
	assertKinds(t, h.staffNotes(), []string{
		"repair_assigned→zhao_gang", "repair_reminder→zhao_gang", "repair_escalated→department_head",
	})
	if !st.SLABreached || st.EscalationLevel != domain.LevelDepartmentHead || st.FirstFeedbackAt.Sub(t0) != 40*time.Minute ||
		st.Status != domain.StatusCancelled {
		t.Fatalf("final state %+v", st)
	}
	h.checkVersions()
}

func TestRepairDeadlineLadder(t *testing.T) {
	tests := []struct {
		name      string
		priority  domain.Priority
		completes time.Duration
		callback  time.Duration // 0: none, closed on completion
		policy    domain.CallbackPolicy
		reminders []time.Duration
		escalated []time.Duration
		level     int
	}{
		{
			// 48 h window: reminder at 38h24m, a level at 48 h, 60 h and 72 h, then the top holds.
			name: "completion", priority: domain.PriorityNormal, completes: 100 * time.Hour, policy: domain.CallbackNever,
			reminders: []time.Duration{38*time.Hour + 24*time.Minute},
			escalated: []time.Duration{48 * time.Hour, 60 * time.Hour, 72 * time.Hour},
			level:     domain.TopLevel,
		},
		{
			// 8 h urgent window: reminder at 6h24m, due at 8 h.
			name: "urgent completion", priority: domain.PriorityUrgent, completes: 10 * time.Hour, policy: domain.CallbackNever,
			reminders: []time.Duration{6*time.Hour + 24*time.Minute},
			escalated: []time.Duration{8 * time.Hour},
			level:     domain.LevelDepartmentHead,
		},
		{
			// Completed at 2 h: callback due at 26 h, reminded at 21h12m, next level at 38 h.
			name: "callback", priority: domain.PriorityNormal, completes: 2 * time.Hour, callback: 40 * time.Hour,
			policy:    domain.CallbackAlways,
			reminders: []time.Duration{21*time.Hour + 12*time.Minute},
			escalated: []time.Duration{26 * time.Hour, 38 * time.Hour},
			level:     domain.LevelCentreManager,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newRepairHarness(t)
			in := repairInput(tt.policy)
			in.Priority = tt.priority
			h.act(10*time.Minute, domain.ActionArrive, arrive, "")
			h.act(tt.completes, domain.ActionComplete, complete(0), "")
			if tt.callback > 0 {
				h.act(tt.callback, domain.ActionCallback, callback(5), "")
			}
			st := h.runRepair(in)
			assertAt(t, "reminders", h.at("reminder"), tt.reminders...)
			assertAt(t, "escalations", h.at("escalated"), tt.escalated...)
			if st.Status != domain.StatusClosed || !st.SLABreached || st.EscalationLevel != tt.level {
				t.Fatalf("final state %+v", st)
			}
			h.checkVersions()
		})
	}
}

func TestRepairCallbackPolicies(t *testing.T) {
	tests := []struct {
		name     string
		policy   domain.CallbackPolicy
		score    int
		callback bool // a callback with score 4 follows at +3 h
		kinds    []string
		ratings  []string
	}{
		{"never closes at once", domain.CallbackNever, 0, false,
			[]string{"recorded", "dispatched", "on_site", "completed", "closed"}, nil},
		{"never keeps an on-site rating", domain.CallbackNever, 5, false,
			[]string{"recorded", "dispatched", "on_site", "completed", "closed"}, []string{"completed:5"}},
		{"unless_rated closes on a satisfied on-site rating", domain.CallbackUnlessRated, 5, false,
			[]string{"recorded", "dispatched", "on_site", "completed", "closed"}, []string{"completed:5"}},
		{"unless_rated without rating waits for the callback", domain.CallbackUnlessRated, 0, true,
			[]string{"recorded", "dispatched", "on_site", "completed", "callback", "closed"}, []string{"callback:4"}},
		{"always waits despite a rating", domain.CallbackAlways, 4, true,
			[]string{"recorded", "dispatched", "on_site", "completed", "callback", "closed"}, []string{"completed:4", "callback:4"}},
		{"unknown policy counts as always", "", 0, true,
			[]string{"recorded", "dispatched", "on_site", "completed", "callback", "closed"}, []string{"callback:4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newRepairHarness(t)
			h.act(10*time.Minute, domain.ActionArrive, arrive, "")
			h.act(2*time.Hour, domain.ActionComplete, complete(tt.score), "")
			if tt.callback {
				h.act(3*time.Hour, domain.ActionCallback, callback(4), "")
			}
			st := h.runRepair(repairInput(tt.policy))
			assertKinds(t, h.kinds(), tt.kinds)
			assertKinds(t, h.ratings(), tt.ratings)
			asked := slices.Contains(h.notifications(domain.AudienceResident), "repair_callback_request")
			if asked != tt.callback || (st.Deadlines.Callback != nil) != tt.callback {
				t.Errorf("callback requested %t, deadline %v; want a callback: %t", asked, st.Deadlines.Callback, tt.callback)
			}
			if st.Status != domain.StatusClosed || st.ResolvedAt.Sub(t0) != 2*time.Hour || st.ClosedAt == nil {
				t.Fatalf("final state %+v", st)
			}
		})
	}
}

func TestRepairUnratedCallbackUnreachable(t *testing.T) {
	h := newRepairHarness(t)
	unreached := workflows.CallbackRequest{Reached: false, Actor: "liu_fang"}
	h.act(10*time.Minute, domain.ActionArrive, arrive, "")
	h.act(2*time.Hour, domain.ActionComplete, complete(0), "")
	h.act(3*time.Hour, domain.ActionCallback, unreached, "")
	h.act(4*time.Hour, domain.ActionCallback, unreached, "")
	h.act(5*time.Hour, domain.ActionCallback, unreached, "")
	st := h.runRepair(repairInput(domain.CallbackUnlessRated))
	assertAt(t, "unreached attempts", h.at("callback_unreached"), 3*time.Hour, 4*time.Hour, 5*time.Hour)
	if st.Status != domain.StatusClosedUnreachable || st.CallbackAttempts != domain.MaxCallbackAttempts {
		t.Fatalf("final state %+v", st)
	}
}

func TestRepairLowOnSiteScoreReopens(t *testing.T) {
	h := newRepairHarness(t)
	h.act(10*time.Minute, domain.ActionArrive, arrive, "")
	h.act(2*time.Hour, domain.ActionComplete, complete(2), "")
	h.query(2*time.Hour+time.Minute, func(st workflows.CaseState) {
		want := []domain.Action{domain.ActionDispatch, domain.ActionArrive, domain.ActionFeedback, domain.ActionComplete, domain.ActionCancel}
		if st.Status != domain.StatusReopened || st.Reopens != 1 || st.ResolvedAt != nil ||
			!slices.Equal(st.AllowedActions, want) || st.Deadlines.Resolution.Sub(t0) != 50*time.Hour {
			t.Errorf("reopened state %+v", st)
		}
	})
	h.act(3*time.Hour, domain.ActionArrive, arrive, "")
	h.act(4*time.Hour, domain.ActionComplete, complete(5), "")
	st := h.runRepair(repairInput(domain.CallbackUnlessRated))

	assertKinds(t, h.kinds(), []string{"recorded", "dispatched", "on_site", "completed", "reopened", "on_site", "completed", "closed"})
	assertKinds(t, h.ratings(), []string{"completed:2", "completed:5"})
	if !slices.Contains(h.staffNotes(), "repair_reopened→zhao_gang") {
		t.Errorf("holder not told of the reopening: %v", h.staffNotes())
	}
	if st.Status != domain.StatusClosed || st.Reopens != 1 || st.SLABreached {
		t.Fatalf("final state %+v", st)
	}
	h.checkVersions()
}

func TestRepairReopenLimitClosedUnresolved(t *testing.T) {
	h := newRepairHarness(t)
	h.act(10*time.Minute, domain.ActionArrive, arrive, "")
	h.act(1*time.Hour, domain.ActionComplete, complete(0), "")
	h.act(2*time.Hour, domain.ActionCallback, callback(2), "") // first reopening, by callback
	h.act(3*time.Hour, domain.ActionComplete, complete(1), "") // second reopening, on site
	h.act(4*time.Hour, domain.ActionComplete, complete(0), "")
	h.act(5*time.Hour, domain.ActionCallback, callback(3), "") // limit reached
	st := h.runRepair(repairInput(domain.CallbackAlways))

	assertAt(t, "reopenings", h.at("reopened"), 2*time.Hour, 3*time.Hour)
	if st.Status != domain.StatusClosedUnresolved || st.EscalationLevel != domain.TopLevel || st.Reopens != domain.MaxReopens {
		t.Fatalf("final state %+v", st)
	}
	k := h.kinds()
	if k[len(k)-1] != "closed_unresolved" || k[len(k)-2] != "escalated" {
		t.Fatalf("timeline ends %v", k[len(k)-3:])
	}
	if notes := h.staffNotes(); notes[len(notes)-1] != "repair_escalated→property_manager" {
		t.Fatalf("last staff notification %v", notes)
	}

	// An on-site 1–3 after the limit closes unresolved just the same.
	h = newRepairHarness(t)
	h.act(1*time.Hour, domain.ActionComplete, complete(2), "")
	h.act(2*time.Hour, domain.ActionComplete, complete(2), "")
	h.act(3*time.Hour, domain.ActionComplete, complete(3), "")
	st = h.runRepair(repairInput(domain.CallbackNever))
	assertAt(t, "reopenings", h.at("reopened"), 1*time.Hour, 2*time.Hour)
	if st.Status != domain.StatusClosedUnresolved || st.EscalationLevel != domain.TopLevel {
		t.Fatalf("final state %+v", st)
	}
}

func TestRepairCancel(t *testing.T) {
	tests := []struct {
		name   string
		before []domain.Action
		reason string
		want   string
	}{
		{"while dispatched", nil, "住户自行修好", "住户自行修好"},
		{"while on site", []domain.Action{domain.ActionArrive}, "", "报修已取消 / repair cancelled"},
		{"while reopened", []domain.Action{domain.ActionArrive, domain.ActionComplete}, "不修了", "不修了"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newRepairHarness(t)
			for i, a := range tt.before {
				var arg any = arrive
				if a == domain.ActionComplete {
					arg = complete(1)
				}
				h.act(time.Duration(i+1)*time.Minute, a, arg, "")
			}
			h.act(time.Hour, domain.ActionCancel, workflows.CancelRequest{Reason: tt.reason, Actor: "liu_fang"}, "")
			st := h.runRepair(repairInput(domain.CallbackAlways))
			if st.Status != domain.StatusCancelled || st.ClosedAt.Sub(t0) != time.Hour || len(st.AllowedActions) != 0 ||
				st.NextDeadline != nil {
				t.Fatalf("final state %+v", st)
			}
			h.mu.Lock()
			last := h.records[len(h.records)-1].Event
			h.mu.Unlock()
			if last.Kind != "cancelled" || last.Message != tt.want || last.Actor != "liu_fang" {
				t.Fatalf("last event %+v", last)
			}
		})
	}
}

func TestRepairRejectedActionsWriteNothing(t *testing.T) {
	h := newRepairHarness(t)
	h.act(1*time.Minute, domain.ActionCallback, callback(5), workflows.ErrInvalidTransition)
	h.act(2*time.Minute, domain.ActionDispatch, workflows.DispatchRequest{Department: "security", Actor: "chen_jing"}, workflows.ErrInvalidInput)
	h.act(3*time.Minute, domain.ActionComplete, workflows.CompleteRequest{Resolution: " ", Actor: "zhao_gang"}, workflows.ErrInvalidInput)
	h.act(4*time.Minute, domain.ActionComplete, complete(7), workflows.ErrInvalidInput)
	h.act(5*time.Minute, domain.ActionComplete, complete(-1), workflows.ErrInvalidInput)
	h.act(6*time.Minute, domain.ActionFeedback, workflows.FeedbackRequest{Message: ""}, workflows.ErrInvalidInput)
	h.act(10*time.Minute, domain.ActionArrive, arrive, "")
	h.act(11*time.Minute, domain.ActionArrive, arrive, workflows.ErrInvalidTransition)
	h.act(1*time.Hour, domain.ActionComplete, complete(0), "")
	h.act(2*time.Hour, domain.ActionComplete, complete(0), workflows.ErrInvalidTransition)
	h.act(2*time.Hour+time.Minute, domain.ActionCancel, cancelRepair, workflows.ErrInvalidTransition)
	h.act(2*time.Hour+2*time.Minute, domain.ActionDispatch, workflows.DispatchRequest{Assignee: "wang_lei"}, workflows.ErrInvalidTransition)
	h.act(2*time.Hour+3*time.Minute, domain.ActionCallback, workflows.CallbackRequest{Reached: true, Score: 9}, workflows.ErrInvalidInput)
	h.act(3*time.Hour, domain.ActionCallback, callback(4), "")
	st := h.runRepair(repairInput(domain.CallbackAlways))
	assertKinds(t, h.kinds(), []string{"recorded", "dispatched", "on_site", "completed", "callback", "closed"})
	if st.Status != domain.StatusClosed || st.Department != "engineering" {
		t.Fatalf("final state %+v", st)
	}
	h.checkVersions()
}

func TestRepairResidentRatesThroughTrackingLink(t *testing.T) {
	h := newRepairHarness(t)
	h.act(10*time.Minute, domain.ActionArrive, arrive, "")
	h.act(1*time.Hour, domain.ActionComplete, complete(0), "")
	h.act(5*time.Hour, domain.ActionCallback,
		workflows.CallbackRequest{Reached: true, Score: 4, Comment: "修得很快", Actor: "resident"}, "")
	st := h.runRepair(repairInput(domain.CallbackUnlessRated))
	if st.Status != domain.StatusClosed {
		t.Fatalf("final state %+v", st)
	}
	h.mu.Lock()
	rec := h.records[len(h.records)-2]
	h.mu.Unlock()
	if rec.Event.Kind != "callback" || rec.Event.Actor != "resident" || rec.Rating == nil ||
		rec.Rating.Score != 4 || rec.Rating.Comment != "修得很快" {
		t.Fatalf("resident rating record %+v", rec)
	}
}

// A rating comment given now travels as the id of the stored text: the
// record carries the id to the activity, and no words.
func TestRepairRatingCommentTravelsByReference(t *testing.T) {
	h := newRepairHarness(t)
	h.act(10*time.Minute, domain.ActionArrive, arrive, "")
	h.act(1*time.Hour, domain.ActionComplete, complete(0), "")
	h.act(5*time.Hour, domain.ActionCallback,
		workflows.CallbackRequest{Reached: true, Score: 4, CommentID: 42, Actor: "resident"}, "")
	if st := h.runRepair(repairInput(domain.CallbackUnlessRated)); st.Status != domain.StatusClosed {
		t.Fatalf("final state %+v", st)
	}
	h.mu.Lock()
	rec := h.records[len(h.records)-2]
	h.mu.Unlock()
	if rec.Event.Kind != "callback" || rec.Rating == nil || rec.Rating.CommentID != 42 || rec.Rating.Comment != "" {
		t.Fatalf("rating record %+v", rec)
	}
}

func TestRepairRedispatchIntakeAndQuery(t *testing.T) {
	h := newRepairHarness(t)
	var intake workflows.CaseState
	h.env.RegisterDelayedCallback(func() {
		h.env.UpdateWorkflow(workflows.UpdateIntake, "intake", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { t.Errorf("intake rejected: %v", err) },
			OnAccept: func() {},
			OnComplete: func(v any, err error) {
				if err != nil {
					t.Errorf("intake failed: %v", err)
					return
				}
				intake = v.(workflows.CaseState)
			},
		})
	}, 0)
	h.act(10*time.Minute, domain.ActionArrive, arrive, "")
	h.query(11*time.Minute, func(st workflows.CaseState) {
		want := []domain.Action{domain.ActionDispatch, domain.ActionFeedback, domain.ActionComplete, domain.ActionCancel}
		if st.Status != domain.StatusOnSite || !slices.Equal(st.AllowedActions, want) {
			t.Errorf("on-site state %+v", st)
		}
	})
	// Reassigned from on site: the department stays unless given.
	h.act(20*time.Minute, domain.ActionDispatch, workflows.DispatchRequest{Assignee: "wang_lei", Actor: "chen_jing"}, "")
	h.query(21*time.Minute, func(st workflows.CaseState) {
		if st.Status != domain.StatusDispatched || st.Department != "engineering" || st.Assignee != "wang_lei" ||
			!st.RoutedAt.Equal(t0) || st.Holder() != "wang_lei" {
			t.Errorf("redispatched state %+v", st)
		}
	})
	h.act(30*time.Minute, domain.ActionDispatch, workflows.DispatchRequest{Department: "greening", Assignee: "sun_li", Actor: "chen_jing"}, "")
	h.act(time.Hour, domain.ActionCancel, cancelRepair, "")
	st := h.runRepair(repairInput(domain.CallbackAlways))

	if intake.Status != domain.StatusDispatched || intake.Version != 2 || intake.Assignee != "zhao_gang" ||
		!slices.Contains(intake.AllowedActions, domain.ActionArrive) || intake.NextDeadline.Sub(t0) != 30*time.Minute {
		t.Fatalf("intake returned %+v", intake)
	}
	if st.Department != "greening" || st.Assignee != "sun_li" {
		t.Fatalf("final state %+v", st)
	}
	assertKinds(t, h.staffNotes(), []string{"repair_assigned→zhao_gang", "repair_assigned→wang_lei", "repair_assigned→sun_li"})
}
