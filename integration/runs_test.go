package integration

import (
	"context"
	"net/http"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"

	"github.com/concierge-pm/concierge/payloadcodec"
)

// The scheduled workflows take their period (this month, last month, this
// quarter) from their own clock, not from the test's. The helpers below read
// that clock from the run's history, so a test computes its expectations
// from the instant the workflow used, whatever the day or hour it runs at;
// a separate time.Now() could fall on the other side of midnight in
// Shanghai (16:00 UTC) or of a month's or quarter's end.

// dueSoon is how close to its end a run's sleep may be and still be
// checked as a sleep: one that ends sooner may be over by the time the test
// looks, so the test expects what follows it instead.
const dueSoon = 30 * time.Second

// triggerSchedule triggers a schedule as a supervisor would and returns the
// workflow ID of the run it started.
func triggerSchedule(t *testing.T, id string) string {
	t.Helper()
	// A run's workflow ID carries the second it was triggered in, and a
	// second trigger within the same second would reuse it: each trigger
	// waits for a second of its own.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 50*time.Millisecond)))
	before := map[string]bool{}
	for _, r := range findSchedule(t, id).RecentRuns {
		before[r.WorkflowID] = true
	}
	if code := call(t, "POST", "/api/v1/schedules/"+id+"/trigger", nil, nil, signedInAs, "chen_jing"); code != http.StatusOK {
		t.Fatalf("trigger %s: HTTP %d", id, code)
	}
	var run string
	eventually(t, 20*time.Second, "the run of "+id, func() bool {
		for _, r := range findSchedule(t, id).RecentRuns {
			if r.WorkflowID != "" && !before[r.WorkflowID] {
				run = r.WorkflowID
			}
		}
		return run != ""
	})
	return run
}

// runEvents reads the history of a workflow's latest run so far.
func runEvents(t *testing.T, workflowID string) []*historypb.HistoryEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	iter := sys.temporal.GetWorkflowHistory(ctx, workflowID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var events []*historypb.HistoryEvent
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", workflowID, err)
		}
		events = append(events, ev)
	}
	return events
}

// activityInput decodes the input of the first activity of the type that
// the run scheduled; false when it has scheduled none (yet).
func activityInput(t *testing.T, events []*historypb.HistoryEvent, activityType string, out ...any) bool {
	t.Helper()
	for _, ev := range events {
		a := ev.GetActivityTaskScheduledEventAttributes()
		if a == nil || a.GetActivityType().GetName() != activityType {
			continue
		}
		if err := payloadcodec.DataConverter(sys.codec).FromPayloads(a.GetInput(), out...); err != nil {
			t.Fatalf("input of %s: %v", activityType, err)
		}
		return true
	}
	return false
}

// runClock waits for the run to schedule its first activity of the type,
// whose first argument is the workflow's clock (workflow.Now) at that step,
// and returns that time in the centre's zone.
func runClock(t *testing.T, workflowID, activityType string) time.Time {
	t.Helper()
	var at time.Time
	eventually(t, 20*time.Second, workflowID+" to schedule "+activityType, func() bool {
		return activityInput(t, runEvents(t, workflowID), activityType, &at)
	})
	return at.In(sys.loc)
}

// scheduled lists the activity types a run has scheduled, in order.
func scheduled(events []*historypb.HistoryEvent) []string {
	var out []string
	for _, ev := range events {
		if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil {
			out = append(out, a.GetActivityType().GetName())
		}
	}
	return out
}

// pendingTimers gives the fire times of the run's timers that have neither
// fired nor been cancelled: what it sleeps until.
func pendingTimers(events []*historypb.HistoryEvent) []time.Time {
	started := map[string]time.Time{}
	var order []string
	for _, ev := range events {
		switch {
		case ev.GetTimerStartedEventAttributes() != nil:
			a := ev.GetTimerStartedEventAttributes()
			started[a.GetTimerId()] = ev.GetEventTime().AsTime().Add(a.GetStartToFireTimeout().AsDuration())
			order = append(order, a.GetTimerId())
		case ev.GetTimerFiredEventAttributes() != nil:
			delete(started, ev.GetTimerFiredEventAttributes().GetTimerId())
		case ev.GetTimerCanceledEventAttributes() != nil:
			delete(started, ev.GetTimerCanceledEventAttributes().GetTimerId())
		}
	}
	var out []time.Time
	for _, id := range order {
		if at, ok := started[id]; ok {
			out = append(out, at)
		}
	}
	return out
}

// asleepUntil waits until the run's only pending timer fires at want: the
// workflow computed its sleep from its clock a moment after want was fixed,
// so the timer may fire up to a few seconds later, never earlier.
func asleepUntil(t *testing.T, workflowID string, want time.Time) []*historypb.HistoryEvent {
	t.Helper()
	var events []*historypb.HistoryEvent
	var timers []time.Time
	eventually(t, 20*time.Second, workflowID+" asleep until "+want.String(), func() bool {
		events = runEvents(t, workflowID)
		timers = pendingTimers(events)
		return len(timers) > 0
	})
	if len(timers) != 1 || timers[0].Before(want.Add(-time.Millisecond)) || timers[0].After(want.Add(10*time.Second)) {
		t.Fatalf("%s sleeps until %v, want %s", workflowID, timers, want)
	}
	return events
}

// runResult waits for the run to complete and returns its result.
func runResult[T any](t *testing.T, workflowID string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out T
	if err := sys.temporal.GetWorkflow(ctx, workflowID, "").Get(ctx, &out); err != nil {
		t.Fatalf("result of %s: %v", workflowID, err)
	}
	return out
}

// monthBefore names the month before at's, in the centre's time zone: the
// month a monthly job run at at works on.
func monthBefore(at time.Time) string {
	at = at.In(sys.loc)
	return time.Date(at.Year(), at.Month(), 1, 0, 0, 0, 0, sys.loc).AddDate(0, -1, 0).Format("2006-01")
}
