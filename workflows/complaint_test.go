package workflows_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/workflows"
)

var t0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// harness runs the complaint workflow in the SDK's test environment, with
// time skipping, and keeps what the record activity was asked to write.
type harness struct {
	t   *testing.T
	env *testsuite.TestWorkflowEnvironment

	mu        sync.Mutex
	records   []domain.CaseRecord
	delivered []string
	// upserted is the case's search attributes after each upsert, merged
	// as the server merges them.
	upserted []map[string]any
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	h := &harness{t: t, env: suite.NewTestWorkflowEnvironment()}
	h.env.RegisterWorkflowWithOptions(workflows.Complaint, workflow.RegisterOptions{Name: domain.MustSpec(domain.KindComplaint).Workflow})
	h.setUp()
	return h
}

// setUp gives the harness's environment its start time, the search
// attribute interceptor and fakes of the record and delivery activities.
func (h *harness) setUp() {
	h.env.SetStartTime(t0)
	h.env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{&upserts{h: h}}})
	h.env.RegisterActivityWithOptions(func(_ context.Context, recs []domain.CaseRecord) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.records = append(h.records, recs...)
		return nil
	}, activity.RegisterOptions{Name: workflows.RecordActivity})
	h.env.RegisterActivityWithOptions(func(_ context.Context, keys []string) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.delivered = append(h.delivered, keys...)
		return nil
	}, activity.RegisterOptions{Name: workflows.DeliverActivity})
}

// upserts is a worker interceptor that keeps the workflow's search
// attributes, as the server merges them (an unset one is gone), after each
// upsert.
type upserts struct {
	interceptor.WorkerInterceptorBase
	h *harness
}

func (u *upserts) InterceptWorkflow(_ workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	return &upsertsInbound{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}, h: u.h}
}

type upsertsInbound struct {
	interceptor.WorkflowInboundInterceptorBase
	h *harness
}

func (i *upsertsInbound) Init(outbound interceptor.WorkflowOutboundInterceptor) error {
	return i.Next.Init(&upsertsOutbound{WorkflowOutboundInterceptorBase: interceptor.WorkflowOutboundInterceptorBase{Next: outbound}, h: i.h})
}

type upsertsOutbound struct {
	interceptor.WorkflowOutboundInterceptorBase
	h *harness
}

func (o *upsertsOutbound) UpsertTypedSearchAttributes(ctx workflow.Context, updates ...temporal.SearchAttributeUpdate) error {
	err := o.Next.UpsertTypedSearchAttributes(ctx, updates...)
	now := map[string]any{}
	for k, v := range o.Next.GetTypedSearchAttributes(ctx).GetUntypedValues() {
		// Only the case's own: the SDK keeps TemporalChangeVersion there too.
		if slices.Contains(caseAttributeNames, k.GetName()) {
			now[k.GetName()] = v
		}
	}
	o.h.mu.Lock()
	defer o.h.mu.Unlock()
	o.h.upserted = append(o.h.upserted, now)
	return err
}

// caseAttributeNames are the ten search attributes of a case, by the names
// the Web UI and docs/DESIGN.md §6.4 use.
var caseAttributeNames = []string{"CaseStatus", "CaseCategory", "Department", "Priority", "Community", "Channel",
	"Assignee", "EscalationLevel", "SlaBreached", "NextDeadline"}

// caseAttributes are the search attributes a case must carry, as its
// snapshot gives them; the next deadline is absent once none is open.
func caseAttributes(s domain.CaseSnapshot) map[string]any {
	m := map[string]any{
		"CaseStatus": string(s.Status), "CaseCategory": s.Category, "Department": s.Department,
		"Priority": string(s.Priority), "Community": s.Community, "Channel": string(s.Channel), "Assignee": s.Assignee,
		"EscalationLevel": int64(s.EscalationLevel), "SlaBreached": s.SLABreached,
	}
	if next := s.OpenDeadlines().Next(); next != nil {
		m["NextDeadline"] = *next
	}
	return m
}

// showAttributes prints search attributes in key order, times in UTC, so
// two sets compare as strings.
func showAttributes(m map[string]any) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(m)) {
		v := m[k]
		if t, ok := v.(time.Time); ok {
			v = t.UTC().Format(time.RFC3339Nano)
		}
		fmt.Fprintf(&b, "%s=%v ", k, v)
	}
	return b.String()
}

// checkSearchAttributes asserts that after every transition the case's ten
// search attributes match what was recorded: each recorded change of an
// indexed field is upserted, in order, with nothing left out and nothing
// stale.
func (h *harness) checkSearchAttributes() {
	h.t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	recs := slices.Clone(h.records)
	slices.SortFunc(recs, func(a, b domain.CaseRecord) int { return a.Event.Seq - b.Event.Seq })
	var want, got []string
	for _, r := range recs {
		if w := showAttributes(caseAttributes(r.Snapshot)); len(want) == 0 || want[len(want)-1] != w {
			want = append(want, w)
		}
	}
	for _, u := range h.upserted {
		got = append(got, showAttributes(u))
	}
	if len(want) == 0 || !slices.Equal(got, want) {
		h.t.Errorf("search attributes after each transition\n got %q\nwant %q", got, want)
	}
}

// wantAttributes asserts the search attributes after the i-th upsert (from
// the end when negative), written out by hand.
func (h *harness) wantAttributes(i int, want map[string]any) {
	h.t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if i < 0 {
		i += len(h.upserted)
	}
	if i < 0 || i >= len(h.upserted) {
		h.t.Fatalf("no upsert %d of %d", i, len(h.upserted))
	}
	if got := showAttributes(h.upserted[i]); got != showAttributes(want) {
		h.t.Errorf("search attributes after upsert %d\n got %s\nwant %s", i, got, showAttributes(want))
	}
}

// checkDeliveries asserts that every notification recorded was delivered
// exactly once before the workflow finished.
func (h *harness) checkDeliveries() {
	h.t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	var want []string
	for _, r := range h.records {
		for i := range r.Notifications {
			want = append(want, domain.NotificationKey(r.Snapshot.Number, r.Event.Seq, i))
		}
	}
	got := slices.Clone(h.delivered)
	slices.Sort(got)
	slices.Sort(want)
	if len(want) == 0 || !slices.Equal(got, want) {
		h.t.Errorf("delivered %v, want %v", got, want)
	}
}

// act sends an update after the given workflow time. wantErr is the
// expected error type for a rejection, or "" for success.
func (h *harness) act(after time.Duration, action domain.Action, arg any, wantErr string) {
	h.env.RegisterDelayedCallback(func() {
		h.env.UpdateWorkflow(string(action), fmt.Sprintf("%s@%s", action, after), &testsuite.TestUpdateCallback{
			OnAccept: func() {
				if wantErr != "" {
					h.t.Errorf("%s at +%s accepted, want rejection %s", action, after, wantErr)
				}
			},
			OnReject: func(err error) {
				if wantErr == "" {
					h.t.Errorf("%s at +%s rejected: %v", action, after, err)
				} else if !workflows.IsApplicationError(err, wantErr) {
					h.t.Errorf("%s at +%s rejected with %v, want %s", action, after, err, wantErr)
				}
			},
			OnComplete: func(_ any, err error) {
				if err != nil && wantErr == "" {
					h.t.Errorf("%s at +%s failed: %v", action, after, err)
				}
			},
		}, arg)
	}, after)
}

func (h *harness) run(in workflows.CaseInput) workflows.CaseState {
	h.t.Helper()
	h.env.ExecuteWorkflow(domain.MustSpec(domain.KindComplaint).Workflow, in)
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

func (h *harness) kinds() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]string, len(h.records))
	for i, r := range h.records {
		out[i] = r.Event.Kind
	}
	return out
}

// at returns the workflow time offsets of the events of one kind.
func (h *harness) at(kind string) []time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []time.Duration
	for _, r := range h.records {
		if r.Event.Kind == kind {
			out = append(out, r.Event.At.Sub(t0))
		}
	}
	return out
}

func (h *harness) notifications(audience string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, r := range h.records {
		for _, n := range r.Notifications {
			if n.Audience == audience {
				out = append(out, n.Template)
			}
		}
	}
	return out
}

func (h *harness) checkVersions() {
	h.t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, r := range h.records {
		if r.Event.Seq != i+1 || r.Snapshot.Version != r.Event.Seq {
			h.t.Fatalf("record %d has seq %d, version %d: want both %d in order", i, r.Event.Seq, r.Snapshot.Version, i+1)
		}
	}
}

func input(department string, pr domain.Priority) workflows.CaseInput {
	assignee := ""
	if department != "" {
		assignee = "li_qiang"
	}
	return workflows.CaseInput{
		Number: "TS20261102-0001", Category: "leak", Community: "A", Channel: domain.ChannelWalkIn,
		Priority: pr, Department: department, Assignee: assignee, Policy: domain.DefaultPolicy(), Actor: "liu_fang",
	}
}

var (
	ack      = workflows.AcknowledgeRequest{Actor: "li_qiang"}
	feedback = workflows.FeedbackRequest{Message: "师傅两点上门", Actor: "li_qiang"}
	resolve  = workflows.ResolveRequest{Resolution: "更换水管", Actor: "li_qiang"}
	no       = false
)

func callback(score int) workflows.CallbackRequest {
	return workflows.CallbackRequest{Reached: true, Score: score, Actor: "liu_fang"}
}

func assertKinds(t *testing.T, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("timeline\n got %v\nwant %v", got, want)
	}
}

func assertAt(t *testing.T, what string, got []time.Duration, want ...time.Duration) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s at %v, want %v", what, got, want)
	}
}

func TestHappyPathOnTime(t *testing.T) {
	h := newHarness(t)
	h.act(time.Hour, domain.ActionAcknowledge, ack, "")
	h.act(2*time.Hour, domain.ActionFeedback, feedback, "")
	h.act(3*time.Hour, domain.ActionResolve, resolve, "")
	h.act(5*time.Hour, domain.ActionCallback, callback(5), "")
	st := h.run(input("engineering", domain.PriorityNormal))

	assertKinds(t, h.kinds(), []string{"recorded", "routed", "acknowledged", "feedback", "resolved", "callback", "closed"})
	if st.Status != domain.StatusClosed || st.SLABreached || st.EscalationLevel != 0 || len(st.AllowedActions) != 0 {
		t.Fatalf("final state %+v", st)
	}
	// Recorded: not routed yet, the dispatch deadline 24 h on; closed: no
	// deadline left.
	h.wantAttributes(0, map[string]any{"CaseStatus": "recorded", "CaseCategory": "leak", "Department": "", "Priority": "normal",
		"Community": "A", "Channel": "walk_in", "Assignee": "", "EscalationLevel": int64(0), "SlaBreached": false,
		"NextDeadline": t0.Add(24 * time.Hour)})
	h.wantAttributes(-1, map[string]any{"CaseStatus": "closed", "CaseCategory": "leak", "Department": "engineering", "Priority": "normal",
		"Community": "A", "Channel": "walk_in", "Assignee": "li_qiang", "EscalationLevel": int64(0), "SlaBreached": false})
	if got := st.FirstFeedbackAt.Sub(t0); got != 2*time.Hour {
		t.Errorf("first feedback at +%s", got)
	}
	if got := st.Deadlines.Callback.Sub(t0); got != 3*time.Hour+48*time.Hour {
		t.Errorf("callback deadline at +%s, want 51h", got)
	}
	assertKinds(t, h.notifications(domain.AudienceResident),
		[]string{"complaint_recorded", "complaint_feedback", "complaint_resolved", "complaint_callback_request"})
	h.mu.Lock()
	rating := h.records[5].Rating
	h.mu.Unlock()
	if rating == nil || rating.Score != 5 {
		t.Fatalf("callback record carries rating %+v", rating)
	}
	h.checkVersions()
}

func TestAwaitingTriageMissesDispatchAndFeedback(t *testing.T) {
	h := newHarness(t)
	route := workflows.RouteRequest{Department: "engineering", Assignee: "wang_lei", Actor: "chen_jing"}
	h.act(30*time.Hour, domain.ActionRoute, route, "")
	h.act(31*time.Hour, domain.ActionWithdraw, workflows.WithdrawRequest{Reason: "已自行解决", Actor: "liu_fang"}, "")
	st := h.run(input("", domain.PriorityNormal))

	// 80 % of 24 h is 19h12m: one reminder per open deadline, then both missed.
	assertAt(t, "reminders", h.at("reminder"), 19*time.Hour+12*time.Minute, 19*time.Hour+12*time.Minute)
	assertAt(t, "escalations", h.at("escalated"), 24*time.Hour, 24*time.Hour)
	assertAt(t, "routing", h.at("routed"), 30*time.Hour)
	if st.Status != domain.StatusWithdrawn || !st.SLABreached || st.EscalationLevel != domain.LevelDepartmentHead {
		t.Fatalf("final state %+v", st)
	}
	if h.kinds()[1] != "awaiting_triage" {
		t.Fatalf("second event %s, want awaiting_triage", h.kinds()[1])
	}
	h.checkVersions()
}

func TestResolutionLadderEscalatesToTop(t *testing.T) {
	h := newHarness(t)
	h.act(time.Hour, domain.ActionAcknowledge, ack, "")
	h.act(2*time.Hour, domain.ActionFeedback, feedback, "")
	h.act(200*time.Hour, domain.ActionResolve, resolve, "")
	h.act(201*time.Hour, domain.ActionCallback, callback(4), "")
	st := h.run(input("engineering", domain.PriorityNormal))

	// 72 h window: reminder at 57h36m, then one level at 72 h, 96 h, 120 h; never beyond the top.
	assertAt(t, "reminders", h.at("reminder"), 57*time.Hour+36*time.Minute)
	assertAt(t, "escalations", h.at("escalated"), 72*time.Hour, 96*time.Hour, 120*time.Hour)
	if st.EscalationLevel != domain.TopLevel || !st.SLABreached || st.Status != domain.StatusClosed {
		t.Fatalf("final state %+v", st)
	}
}

func TestUrgentCaseHasShorterResolutionWindow(t *testing.T) {
	h := newHarness(t)
	h.act(time.Hour, domain.ActionFeedback, feedback, "")
	h.act(2*time.Hour, domain.ActionAcknowledge, ack, "")
	h.act(30*time.Hour, domain.ActionResolve, resolve, "")
	h.act(31*time.Hour, domain.ActionCallback, callback(5), "")
	st := h.run(input("engineering", domain.PriorityUrgent))

	assertAt(t, "reminders", h.at("reminder"), 19*time.Hour+12*time.Minute)
	assertAt(t, "escalations", h.at("escalated"), 24*time.Hour)
	if st.Deadlines.Resolution.Sub(t0) != 24*time.Hour || st.EscalationLevel != 1 {
		t.Fatalf("final state %+v", st)
	}
}

func TestFeedbackReminderAndBreach(t *testing.T) {
	h := newHarness(t)
	h.act(time.Hour, domain.ActionAcknowledge, ack, "")
	h.act(25*time.Hour, domain.ActionFeedback, feedback, "")
	h.act(26*time.Hour, domain.ActionWithdraw, workflows.WithdrawRequest{Actor: "liu_fang"}, "")
	st := h.run(input("engineering", domain.PriorityNormal))

	assertAt(t, "reminders", h.at("reminder"), 19*time.Hour+12*time.Minute)
	assertAt(t, "escalations", h.at("escalated"), 24*time.Hour)
	if !st.SLABreached || st.FirstFeedbackAt.Sub(t0) != 25*time.Hour {
		t.Fatalf("final state %+v", st)
	}
}

func TestReopenTwiceThenClosedUnresolved(t *testing.T) {
	h := newHarness(t)
	h.act(1*time.Hour, domain.ActionAcknowledge, ack, "")
	h.act(2*time.Hour, domain.ActionResolve, resolve, "")
	h.act(3*time.Hour, domain.ActionCallback, callback(2), "")
	h.act(4*time.Hour, domain.ActionAcknowledge, ack, "")
	h.act(5*time.Hour, domain.ActionResolve, resolve, "")
	h.act(6*time.Hour, domain.ActionCallback, callback(3), "")
	h.act(7*time.Hour, domain.ActionAcknowledge, ack, "")
	h.act(8*time.Hour, domain.ActionResolve, resolve, "")
	h.act(9*time.Hour, domain.ActionCallback, callback(1), "")
	st := h.run(input("engineering", domain.PriorityNormal))

	assertAt(t, "reopenings", h.at("reopened"), 3*time.Hour, 6*time.Hour)
	if st.Status != domain.StatusClosedUnresolved || st.EscalationLevel != domain.TopLevel || st.Reopens != domain.MaxReopens {
		t.Fatalf("final state %+v", st)
	}
	k := h.kinds()
	if k[len(k)-1] != "closed_unresolved" || k[len(k)-2] != "escalated" {
		t.Fatalf("timeline ends %v", k[len(k)-3:])
	}
	if got := h.notifications(domain.AudienceResident); slices.Index(got, "complaint_reopened") < 0 {
		t.Fatalf("resident not told of the reopening: %v", got)
	}
}

func TestReopenedCaseGetsFreshResolutionWindow(t *testing.T) {
	h := newHarness(t)
	h.act(1*time.Hour, domain.ActionAcknowledge, ack, "")
	h.act(70*time.Hour, domain.ActionResolve, resolve, "")
	h.act(71*time.Hour, domain.ActionCallback, callback(2), "")
	// Reopened at 71 h: the new 72 h window reminds at 71+57.6 h and is due at 143 h.
	h.act(150*time.Hour, domain.ActionWithdraw, workflows.WithdrawRequest{Actor: "liu_fang"}, "")
	st := h.run(input("engineering", domain.PriorityNormal))

	assertAt(t, "reminders", h.at("reminder"), 19*time.Hour+12*time.Minute, 57*time.Hour+36*time.Minute,
		71*time.Hour+57*time.Hour+36*time.Minute)
	// First-feedback missed at 24 h (resolution counts as feedback only later), then the new round's deadline.
	assertAt(t, "escalations", h.at("escalated"), 24*time.Hour, 143*time.Hour)
	if st.Status != domain.StatusWithdrawn || st.Reopens != 1 {
		t.Fatalf("final state %+v", st)
	}
}

func TestDissatisfiedResidentDeclinesReopen(t *testing.T) {
	h := newHarness(t)
	h.act(1*time.Hour, domain.ActionAcknowledge, ack, "")
	h.act(2*time.Hour, domain.ActionResolve, resolve, "")
	h.act(3*time.Hour, domain.ActionCallback, workflows.CallbackRequest{Reached: true, Score: 2, Reopen: &no, Actor: "liu_fang"}, "")
	st := h.run(input("engineering", domain.PriorityNormal))
	if st.Status != domain.StatusClosed || st.Reopens != 0 {
		t.Fatalf("final state %+v", st)
	}
}

func TestUnreachableAfterThreeAttempts(t *testing.T) {
	h := newHarness(t)
	unreached := workflows.CallbackRequest{Reached: false, Actor: "liu_fang"}
	h.act(1*time.Hour, domain.ActionAcknowledge, ack, "")
	h.act(2*time.Hour, domain.ActionResolve, resolve, "")
	h.act(3*time.Hour, domain.ActionCallback, unreached, "")
	h.act(4*time.Hour, domain.ActionCallback, unreached, "")
	h.act(5*time.Hour, domain.ActionCallback, unreached, "")
	st := h.run(input("engineering", domain.PriorityNormal))
	assertAt(t, "unreached attempts", h.at("callback_unreached"), 3*time.Hour, 4*time.Hour, 5*time.Hour)
	if st.Status != domain.StatusClosedUnreachable || st.CallbackAttempts != 3 {
		t.Fatalf("final state %+v", st)
	}
}

func TestCallbackDeadlineRemindsThenEscalates(t *testing.T) {
	h := newHarness(t)
	h.act(1*time.Hour, domain.ActionFeedback, feedback, "")
	h.act(2*time.Hour, domain.ActionAcknowledge, ack, "")
	h.act(10*time.Hour, domain.ActionResolve, resolve, "")
	h.act(100*time.Hour, domain.ActionCallback, callback(5), "")
	st := h.run(input("engineering", domain.PriorityNormal))

	// Callback window 48 h from +10 h: reminder at +48h24m, due at +58 h, next level at +82 h.
	assertAt(t, "reminders", h.at("reminder"), 48*time.Hour+24*time.Minute)
	assertAt(t, "escalations", h.at("escalated"), 58*time.Hour, 82*time.Hour)
	if st.Status != domain.StatusClosed || st.EscalationLevel != 2 || !st.SLABreached {
		t.Fatalf("final state %+v", st)
	}
	// After the second escalation at +82 h: breached, level 2, and the
	// missed callback deadline (+58 h) still the nearest open one, so a
	// search for overdue cases finds it.
	h.wantAttributes(-2, map[string]any{"CaseStatus": "resolved", "CaseCategory": "leak", "Department": "engineering", "Priority": "normal",
		"Community": "A", "Channel": "walk_in", "Assignee": "li_qiang", "EscalationLevel": int64(2), "SlaBreached": true,
		"NextDeadline": t0.Add(58 * time.Hour)})
}

func TestRejectedActionsWriteNothing(t *testing.T) {
	h := newHarness(t)
	h.act(1*time.Hour, domain.ActionResolve, resolve, workflows.ErrInvalidTransition)
	h.act(2*time.Hour, domain.ActionCallback, callback(5), workflows.ErrInvalidTransition)
	h.act(3*time.Hour, domain.ActionFeedback, workflows.FeedbackRequest{Message: "  "}, workflows.ErrInvalidInput)
	h.act(4*time.Hour, domain.ActionRoute, workflows.RouteRequest{}, workflows.ErrInvalidInput)
	h.act(5*time.Hour, domain.ActionAcknowledge, ack, "")
	h.act(6*time.Hour, domain.ActionAcknowledge, ack, workflows.ErrInvalidTransition)
	h.act(7*time.Hour, domain.ActionResolve, resolve, "")
	h.act(8*time.Hour, domain.ActionCallback, workflows.CallbackRequest{Reached: true, Score: 9}, workflows.ErrInvalidInput)
	h.act(9*time.Hour, domain.ActionWithdraw, workflows.WithdrawRequest{}, workflows.ErrInvalidTransition)
	h.act(10*time.Hour, domain.ActionCallback, callback(4), "")
	st := h.run(input("engineering", domain.PriorityNormal))
	assertKinds(t, h.kinds(), []string{"recorded", "routed", "acknowledged", "resolved", "callback", "closed"})
	if st.Status != domain.StatusClosed {
		t.Fatalf("final state %+v", st)
	}
}

func TestRerouteAndQuery(t *testing.T) {
	h := newHarness(t)
	h.act(time.Hour, domain.ActionRoute, workflows.RouteRequest{Department: "security", Assignee: "wu_gang", Actor: "chen_jing"}, "")
	h.env.RegisterDelayedCallback(func() {
		v, err := h.env.QueryWorkflow(workflows.QueryState)
		if err != nil {
			t.Errorf("query: %v", err)
			return
		}
		var st workflows.CaseState
		if err := v.Get(&st); err != nil {
			t.Errorf("decode: %v", err)
			return
		}
		if st.Department != "security" || st.Assignee != "wu_gang" || st.Status != domain.StatusRouted ||
			!slices.Contains(st.AllowedActions, domain.ActionAcknowledge) {
			t.Errorf("live state after reroute: %+v", st)
		}
		if !strings.Contains(workflows.Details(st.CaseSnapshot), "security") {
			t.Errorf("details do not name the department: %q", workflows.Details(st.CaseSnapshot))
		}
	}, 2*time.Hour)
	h.act(3*time.Hour, domain.ActionWithdraw, workflows.WithdrawRequest{Actor: "liu_fang"}, "")
	st := h.run(input("engineering", domain.PriorityNormal))
	if st.Department != "security" || st.Status != domain.StatusWithdrawn {
		t.Fatalf("final state %+v", st)
	}
}

func TestIntakeUpdateReturnsRecordedState(t *testing.T) {
	h := newHarness(t)
	var got workflows.CaseState
	h.env.RegisterDelayedCallback(func() {
		h.env.UpdateWorkflow(workflows.UpdateIntake, "intake", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { t.Errorf("intake rejected: %v", err) },
			OnAccept: func() {},
			OnComplete: func(v any, err error) {
				if err != nil {
					t.Errorf("intake failed: %v", err)
					return
				}
				got = v.(workflows.CaseState)
			},
		})
	}, 0)
	h.act(time.Minute, domain.ActionWithdraw, workflows.WithdrawRequest{Actor: "liu_fang"}, "")
	h.run(input("engineering", domain.PriorityNormal))
	if got.Status != domain.StatusRouted || got.Version != 2 {
		t.Fatalf("intake returned %+v", got)
	}
}
