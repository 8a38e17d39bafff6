package domain

import (
	"testing"
	"time"
)

func TestDecideReminder(t *testing.T) {
	start := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	deadline := start.Add(24 * time.Hour)
	remindAt := ReminderAt(start, deadline) // 19h12m in
	for _, tt := range []struct {
		name string
		now  time.Time
		want ReminderOutcome
	}{
		{"before its time", remindAt.Add(-time.Second), ReminderWait},
		{"on time", remindAt, ReminderSend},
		{"late, the deadline still ahead", remindAt.Add(4 * time.Hour), ReminderSend},
		{"a second before the deadline", deadline.Add(-time.Second), ReminderSend},
		{"at the deadline, which is missed then", deadline, ReminderSkip},
		{"after downtime past both", deadline.Add(time.Hour), ReminderSkip},
		{"days later", deadline.Add(72 * time.Hour), ReminderSkip},
	} {
		if got := DecideReminder(remindAt, deadline, tt.now); got != tt.want {
			t.Errorf("%s (%s): %v, want %v", tt.name, tt.now.Sub(start), got, tt.want)
		}
	}
}
