package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/concierge-pm/concierge/workflows"
)

// EnsureSchedules creates the schedules of workflows.Schedules that do not
// exist yet, in the centre's time zone. Existing ones are left alone, so a
// supervisor's pause survives a worker restart.
func EnsureSchedules(ctx context.Context, c client.Client, taskQueue string, loc *time.Location) error {
	for _, s := range workflows.Schedules() {
		months := []client.ScheduleRange{{Start: 1, End: 12}}
		if len(s.Months) > 0 {
			months = nil
			for _, m := range s.Months {
				months = append(months, client.ScheduleRange{Start: m})
			}
		}
		days := []client.ScheduleRange{{Start: s.DayOfMonth}}
		if s.DayOfMonth == 0 {
			days = []client.ScheduleRange{{Start: 1, End: 31}}
		}
		_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
			ID: s.ID,
			Spec: client.ScheduleSpec{
				Calendars: []client.ScheduleCalendarSpec{{
					DayOfMonth: days,
					Hour:       []client.ScheduleRange{{Start: s.Hour}},
					Minute:     []client.ScheduleRange{{Start: s.Minute}},
					Month:      months,
					DayOfWeek:  []client.ScheduleRange{{Start: 0, End: 6}},
				}},
				TimeZoneName: loc.String(),
			},
			Action: &client.ScheduleWorkflowAction{ID: s.ID, Workflow: s.Workflow, TaskQueue: taskQueue},
			// A run that is still going when the next is due is not doubled,
			// and a run missed while the cluster was down is caught up within a day.
			Overlap:       enums.SCHEDULE_OVERLAP_POLICY_SKIP,
			CatchupWindow: 24 * time.Hour,
			Note:          s.Description,
		})
		if errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
			continue
		}
		if err != nil {
			return fmt.Errorf("create schedule %s: %w", s.ID, err)
		}
		slog.Info("created schedule", "id", s.ID)
	}
	return nil
}
