package workflows_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"

	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/workflows"
)

// stallFirstRecord makes the case's first record activity return only after
// the given workflow time, as when the worker (or its database) is down
// from the moment the case is recorded: the workflow looks at its duties
// again only then.
func (h *harness) stallFirstRecord(until time.Duration) {
	record := func(_ context.Context, recs []domain.CaseRecord) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.records = append(h.records, recs...)
		return nil
	}
	h.env.OnActivity(workflows.RecordActivity, mock.Anything, mock.Anything).After(until).Return(record).Once()
	h.env.OnActivity(workflows.RecordActivity, mock.Anything, mock.Anything).Return(record)
}

// TestDowntimePastTheDeadlineSendsOnlyTheEscalation: a complaint waits for
// triage with its dispatch and first-feedback deadlines at 24 h, each with a
// reminder at 19h12m. A worker down past both the reminder and the deadline
// sends the escalations alone; one back before the deadline still reminds.
func TestDowntimePastTheDeadlineSendsOnlyTheEscalation(t *testing.T) {
	const remindAt = 19*time.Hour + 12*time.Minute
	for _, tt := range []struct {
		name                 string
		downUntil            time.Duration
		reminders, escalated []time.Duration
	}{
		{"no downtime", 0, []time.Duration{remindAt, remindAt}, []time.Duration{24 * time.Hour, 24 * time.Hour}},
		{"back after the reminder, before the deadline", 20 * time.Hour,
			[]time.Duration{20 * time.Hour, 20 * time.Hour}, []time.Duration{24 * time.Hour, 24 * time.Hour}},
		{"back at the deadline", 24 * time.Hour, nil, []time.Duration{24 * time.Hour, 24 * time.Hour}},
		{"back after the deadline", 25 * time.Hour, nil, []time.Duration{25 * time.Hour, 25 * time.Hour}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			if tt.downUntil > 0 {
				h.stallFirstRecord(tt.downUntil)
			}
			h.act(30*time.Hour, domain.ActionRoute, workflows.RouteRequest{Department: "engineering", Assignee: "wang_lei", Actor: "chen_jing"}, "")
			h.act(31*time.Hour, domain.ActionWithdraw, workflows.WithdrawRequest{Actor: "liu_fang"}, "")
			st := h.run(input("", domain.PriorityNormal))

			assertAt(t, "reminders", h.at("reminder"), tt.reminders...)
			assertAt(t, "escalations", h.at("escalated"), tt.escalated...)
			reminded := slices.Contains(h.notifications(domain.AudienceStaff), "complaint_reminder")
			if reminded != (len(tt.reminders) > 0) {
				t.Errorf("staff reminder notifications %v, want reminders %v", h.notifications(domain.AudienceStaff), tt.reminders)
			}
			if st.Status != domain.StatusWithdrawn || !st.SLABreached || st.EscalationLevel != domain.LevelDepartmentHead {
				t.Fatalf("final state %+v", st)
			}
			h.checkVersions()
		})
	}
}

// TestDowntimePastTheResolutionDeadline: a complaint routed at once, the
// worker down for three and a half days: the first-feedback (24 h) and
// resolution (72 h) deadlines have both passed, and so have their
// reminders. Only the escalations go out: the department head for the
// feedback, then one rung up the ladder for the resolution.
func TestDowntimePastTheResolutionDeadline(t *testing.T) {
	h := newHarness(t)
	h.stallFirstRecord(84 * time.Hour)
	h.act(85*time.Hour, domain.ActionFeedback, feedback, "")
	h.act(86*time.Hour, domain.ActionAcknowledge, ack, "")
	h.act(90*time.Hour, domain.ActionResolve, resolve, "")
	h.act(91*time.Hour, domain.ActionCallback, callback(5), "")
	st := h.run(input("engineering", domain.PriorityNormal))

	assertAt(t, "reminders", h.at("reminder"))
	assertAt(t, "escalations", h.at("escalated"), 84*time.Hour, 84*time.Hour)
	if st.Status != domain.StatusClosed || !st.SLABreached || st.EscalationLevel != domain.LevelCentreManager {
		t.Fatalf("final state %+v", st)
	}
	h.checkVersions()
}

// TestRecordHandedToTheActivityWhenLocalAttemptsFail: PostgreSQL refuses
// the first record for longer than the local activity's attempts. The
// batch goes to the regular activity, which writes it once PostgreSQL is
// back; every record is written once and in order, the later batches are
// written locally again, and the case goes on.
func TestRecordHandedToTheActivityWhenLocalAttemptsFail(t *testing.T) {
	h := newHarness(t)
	failures := 0
	var wroteLocally []bool // of each batch written
	record := func(ctx context.Context, recs []domain.CaseRecord) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		if failures < 5 {
			failures++
			return errors.New("connection refused")
		}
		h.records = append(h.records, recs...)
		wroteLocally = append(wroteLocally, activity.GetInfo(ctx).IsLocalActivity)
		return nil
	}
	h.env.OnActivity(workflows.RecordActivity, mock.Anything, mock.Anything).Return(record)
	h.act(time.Hour, domain.ActionAcknowledge, ack, "")
	h.act(2*time.Hour, domain.ActionWithdraw, workflows.WithdrawRequest{Reason: "已自行解决", Actor: "liu_fang"}, "")
	st := h.run(input("engineering", domain.PriorityNormal))
	if st.Status != domain.StatusWithdrawn {
		t.Fatalf("final state %+v", st)
	}
	if want := []bool{false, true, true}; !slices.Equal(wroteLocally, want) {
		t.Errorf("batches written locally: %v, want %v", wroteLocally, want)
	}
	h.checkVersions()
}
