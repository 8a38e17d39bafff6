package workflows_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/workflows"
)

// recordCapture keeps the records a replayed case workflow asks to write.
type recordCapture struct {
	interceptor.WorkerInterceptorBase
	batches [][]domain.CaseRecord
}

func (r *recordCapture) InterceptWorkflow(_ workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	return &captureInbound{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}, r: r}
}

type captureInbound struct {
	interceptor.WorkflowInboundInterceptorBase
	r *recordCapture
}

func (i *captureInbound) Init(outbound interceptor.WorkflowOutboundInterceptor) error {
	return i.Next.Init(&captureOutbound{WorkflowOutboundInterceptorBase: interceptor.WorkflowOutboundInterceptorBase{Next: outbound}, r: i.r})
}

type captureOutbound struct {
	interceptor.WorkflowOutboundInterceptorBase
	r *recordCapture
}

func (o *captureOutbound) ExecuteActivity(ctx workflow.Context, activityType string, args ...any) workflow.Future {
	if recs, ok := args[0].([]domain.CaseRecord); ok && activityType == workflows.RecordActivity {
		o.r.batches = append(o.r.batches, slices.Clone(recs))
	}
	return o.Next.ExecuteActivity(ctx, activityType, args...)
}

func (o *captureOutbound) ExecuteLocalActivity(ctx workflow.Context, activityType string, args ...any) workflow.Future {
	if recs, ok := args[0].([]domain.CaseRecord); ok && activityType == workflows.RecordActivity {
		o.r.batches = append(o.r.batches, slices.Clone(recs))
	}
	return o.Next.ExecuteLocalActivity(ctx, activityType, args...)
}

// localRecords counts the record batches a history wrote in local
// activities, and the local attempts that failed and were handed to the
// regular activity: their markers keep the activity's type and result, not
// its input, so the records themselves cannot be compared.
func localRecords(t *testing.T, hist *historypb.History) (written, failed int) {
	for _, ev := range hist.GetEvents() {
		m := ev.GetMarkerRecordedEventAttributes()
		if m == nil || m.GetMarkerName() != "LocalActivity" {
			continue
		}
		var data struct{ ActivityType string }
		if err := converter.GetDefaultDataConverter().FromPayloads(m.GetDetails()["data"], &data); err != nil {
			t.Fatalf("decode the local activity marker of event %d: %v", ev.GetEventId(), err)
		}
		if data.ActivityType != workflows.RecordActivity {
			continue
		}
		if m.GetFailure() != nil {
			failed++
		} else {
			written++
		}
	}
	return written, failed
}

// recordLines sums up records as "seq kind at version status [templates]".
func recordLines(batches [][]domain.CaseRecord) []string {
	var out []string
	for _, b := range batches {
		for _, r := range b {
			var templates []string
			for _, n := range r.Notifications {
				templates = append(templates, n.Template)
			}
			out = append(out, fmt.Sprintf("%d %s %s v%d %s %v", r.Event.Seq, r.Event.Kind, r.Event.At.UTC().Format("15:04:05.000"),
				r.Snapshot.Version, r.Snapshot.Status, templates))
		}
	}
	return out
}

// TestReplayWritesTheRecordsOfTheHistory replays each committed case
// history and checks that the workflow asks to write the very records the
// history's record activities wrote. A change that keeps the commands but
// alters what is recorded (a reminder dropped, so every later event's
// sequence number moves) replays without a non-determinism error, yet the
// case would then write events under numbers already taken, which the
// idempotent writer drops; this catches it.
func TestReplayWritesTheRecordsOfTheHistory(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "histories", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, f := range files {
		name := filepath.Base(f)
		if !strings.HasPrefix(name, "complaint_") && !strings.HasPrefix(name, "repair_") {
			continue
		}
		checked++
		t.Run(name, func(t *testing.T) {
			raw, err := os.Open(f)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			hist, err := client.HistoryFromJSON(raw, client.HistoryJSONOptions{})
			if err != nil {
				t.Fatalf("read %s: %v", f, err)
			}
			var written [][]domain.CaseRecord
			for _, ev := range hist.GetEvents() {
				a := ev.GetActivityTaskScheduledEventAttributes()
				if a == nil || a.GetActivityType().GetName() != workflows.RecordActivity {
					continue
				}
				var recs []domain.CaseRecord
				if err := converter.GetDefaultDataConverter().FromPayloads(a.GetInput(), &recs); err != nil {
					t.Fatalf("decode the records of event %d: %v", ev.GetEventId(), err)
				}
				written = append(written, recs)
			}

			capture := &recordCapture{}
			r, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{Interceptors: []interceptor.WorkerInterceptor{capture}})
			if err != nil {
				t.Fatal(err)
			}
			workflows.Register(r)
			if err := r.ReplayWorkflowHistory(nil, hist); err != nil {
				t.Fatalf("replay: %v", err)
			}
			got, want := recordLines(capture.batches), recordLines(written)
			if local, failed := localRecords(t, hist); local+failed > 0 {
				// Written locally: one batch asked for each marker and each
				// record activity (a failed local attempt's batch is handed
				// to the activity), and the events follow each other with
				// no gap, a handed-over batch asked for twice in a row.
				if len(capture.batches) != local+failed+len(written) {
					t.Errorf("replay asked for %d batches; the history has %d local, %d failed local and %d activity writes",
						len(capture.batches), local, failed, len(written))
				}
				next := 1
				for i, b := range capture.batches {
					if i > 0 && slices.EqualFunc(b, capture.batches[i-1], func(x, y domain.CaseRecord) bool { return x.Event.Seq == y.Event.Seq }) {
						continue
					}
					for _, r := range b {
						if r.Event.Seq != next {
							t.Errorf("replay records\n %s", strings.Join(got, "\n "))
							return
						}
						next++
					}
				}
				return
			}
			if len(want) == 0 || !slices.Equal(got, want) {
				t.Errorf("replay records\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
			}
		})
	}
	if checked == 0 {
		t.Fatal("no case histories")
	}
}
