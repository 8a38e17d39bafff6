package activities

import (
	"context"
	"testing"
	"time"
)

// With retention off the activity looks at nothing (its store is nil
// here: any use of it would panic) and says it is off.
func TestAnonymiseExpiredOff(t *testing.T) {
	a := &Retention{}
	run, err := a.AnonymiseExpired(context.Background(), time.Date(2026, 1, 1, 2, 30, 0, 0, time.UTC))
	if err != nil || !run.Off || run.Cases != 0 {
		t.Fatalf("run %+v, %v; want off", run, err)
	}
}
