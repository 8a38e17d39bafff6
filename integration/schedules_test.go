package integration

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/concierge-pm/concierge/workflows"
)

type schedule struct {
	ID         string      `json:"id"`
	Paused     bool        `json:"paused"`
	Note       string      `json:"note"`
	NextRuns   []time.Time `json:"next_runs"`
	RecentRuns []struct {
		WorkflowID string `json:"workflow_id"`
	} `json:"recent_runs"`
}

// findSchedule lists the schedules and returns the one with the ID; every
// schedule of the standard must be listed.
func findSchedule(t *testing.T, id string) schedule {
	t.Helper()
	var list struct{ Items []schedule }
	if code := call(t, "GET", "/api/v1/schedules", nil, &list); code != http.StatusOK {
		t.Fatalf("schedules: HTTP %d %+v", code, list)
	}
	ids := map[string]bool{}
	var found schedule
	for _, s := range list.Items {
		ids[s.ID] = true
		if s.ID == id {
			found = s
		}
	}
	for _, want := range []string{"monthly-callback-campaign", "monthly-complaint-analysis", "monthly-staff-evaluation",
		"quarterly-training-cycle", "nightly-data-retention"} {
		if !ids[want] {
			t.Fatalf("schedule %s is not listed: %+v", want, list.Items)
		}
	}
	if found.ID == "" || len(list.Items) != 5 {
		t.Fatalf("no schedule %s, or not five, in %+v", id, list.Items)
	}
	return found
}

// Not parallel: it pauses and resumes the schedule.
func TestMonthlyAnalysisSchedule(t *testing.T) {
	before := time.Now()
	s := findSchedule(t, "monthly-complaint-analysis")
	if s.Paused || len(s.NextRuns) == 0 {
		t.Fatalf("schedule %+v", s)
	}
	// The next run is at 06:30 on the 1st of a month, Shanghai time.
	next := s.NextRuns[0].In(sys.loc)
	if next.Day() != 1 || next.Hour() != 6 || next.Minute() != 30 || !next.After(before) {
		t.Fatalf("next run %s, want 06:30 on the 1st of a coming month", next)
	}

	// A supervisor runs it now: the month before the run's own clock (in
	// the centre's time) is archived, and the run returns it.
	run := triggerSchedule(t, "monthly-complaint-analysis")
	lastMonth := monthBefore(runClock(t, run, workflows.ArchiveReportActivity))
	if got := runResult[string](t, run); got != lastMonth {
		t.Fatalf("the run archived %s, want %s", got, lastMonth)
	}
	if n := count(t, `SELECT count(*) FROM complaint_reports WHERE month = $1 AND community = ''`, lastMonth); n != 1 {
		t.Fatalf("%d archived analyses of %s, want 1", n, lastMonth)
	}
	var archive struct {
		Items []struct{ Month string }
	}
	call(t, "GET", "/api/v1/reports/complaints/archive", nil, &archive)
	if len(archive.Items) == 0 || archive.Items[0].Month != lastMonth {
		t.Fatalf("archive %+v, want %s first", archive.Items, lastMonth)
	}

	var got schedule
	if code := call(t, "POST", "/api/v1/schedules/monthly-complaint-analysis/pause", map[string]any{"note": "质量会议改期"}, &got, signedInAs, "chen_jing"); code != http.StatusOK || !got.Paused || got.Note != "质量会议改期" {
		t.Fatalf("pause: HTTP %d %+v", code, got)
	}
	if code := call(t, "POST", "/api/v1/schedules/monthly-complaint-analysis/resume", nil, &got, signedInAs, "chen_jing"); code != http.StatusOK || got.Paused {
		t.Fatalf("resume: HTTP %d %+v", code, got)
	}
	var e apiError
	for path, want := range map[string]int{
		"/api/v1/schedules/nope/trigger":                    http.StatusNotFound,
		"/api/v1/schedules/monthly-complaint-analysis/stop": http.StatusNotFound,
	} {
		if code := call(t, "POST", path, nil, &e); code != want {
			t.Errorf("%s: HTTP %d, want %d", path, code, want)
		}
	}
	if code := call(t, "POST", "/api/v1/schedules/monthly-complaint-analysis/pause", map[string]any{"note": "x"}, &e, "X-Staff-Code", "nobody"); code != http.StatusUnauthorized {
		t.Errorf("pause by a stranger: HTTP %d", code)
	}
}

type callbackTask struct {
	ID           int64   `json:"id"`
	Unit         string  `json:"unit"`
	Phone        string  `json:"phone"`
	Assignee     string  `json:"assignee"`
	Reason       string  `json:"reason"`
	Status       string  `json:"status"`
	Score        *int    `json:"score"`
	FollowUpCase *string `json:"follow_up_case"`
}

// Not parallel: the campaign draws from every household there is.
//
// The run's clock decides what it has done by now, so the test reads it
// from the run: before 09:00 on the 15th (centre time) the households are
// drawn and the run sleeps until then with nobody reminded; from then on,
// nobody having been called, the receptionists are reminded at once, and
// the run sleeps until the month closes at 23:00 on its last day (or has
// closed it, late that evening). TestCallbackCampaign in ./workflows runs
// both halves of the month, on track and behind, and the close. A sleep due
// to end within dueSoon of the run's start counts as over.
func TestCallbackCampaignThroughSchedule(t *testing.T) {
	households := count(t, `SELECT count(*) FROM households WHERE active`)
	run := triggerSchedule(t, "monthly-callback-campaign")
	at := runClock(t, run, workflows.OpenCampaignActivity)
	month := at.Format("2006-01")
	first := time.Date(at.Year(), at.Month(), 1, 0, 0, 0, 0, sys.loc)
	midMonth := time.Date(at.Year(), at.Month(), 15, 9, 0, 0, 0, sys.loc)
	monthEnd := first.AddDate(0, 1, 0).Add(-time.Hour)
	var cov struct {
		Tasks      int64      `json:"tasks"`
		Reached    int64      `json:"reached_households"`
		Active     int64      `json:"active_households"`
		Target     float64    `json:"target"`
		RemindedAt *time.Time `json:"reminded_at"`
		ClosedAt   *time.Time `json:"closed_at"`
	}
	eventually(t, 20*time.Second, "the campaign of "+month, func() bool {
		return call(t, "GET", "/api/v1/callbacks/coverage?month="+month, nil, &cov) == http.StatusOK && cov.Tasks > 0
	})
	reminders := func() int {
		return count(t, `SELECT count(*) FROM notifications WHERE template = 'campaign_reminder' AND number = $1`, month)
	}
	if midMonth.Sub(at) > dueSoon {
		t.Logf("run at %s, before mid-month: the reminder is not due", at)
		events := asleepUntil(t, run, midMonth)
		if got := scheduled(events); !slices.Equal(got, []string{workflows.OpenCampaignActivity}) {
			t.Fatalf("before mid-month the run has scheduled %v, want only %s", got, workflows.OpenCampaignActivity)
		}
		call(t, "GET", "/api/v1/callbacks/coverage?month="+month, nil, &cov)
		if cov.RemindedAt != nil || cov.ClosedAt != nil || reminders() != 0 {
			t.Fatalf("coverage %+v and %d reminders before mid-month, want none", cov, reminders())
		}
	} else {
		// A run started in the last moments before mid-month is at it
		// by the time the test looks: it is expected to remind too.
		t.Logf("run at %s, from mid-month (or moments before it) on: the campaign is behind", at)
		eventually(t, 20*time.Second+max(0, time.Until(midMonth)), "the campaign's reminder", func() bool {
			return call(t, "GET", "/api/v1/callbacks/coverage?month="+month, nil, &cov) == http.StatusOK && cov.RemindedAt != nil
		})
		eventually(t, 20*time.Second, "the reminders delivered", func() bool {
			return count(t, `SELECT count(*) FROM notifications WHERE template = 'campaign_reminder' AND number = $1 AND status = 'sent'`, month) == 2
		})
		if monthEnd.Sub(at) > dueSoon {
			asleepUntil(t, run, monthEnd)
			if call(t, "GET", "/api/v1/callbacks/coverage?month="+month, nil, &cov); cov.ClosedAt != nil {
				t.Fatalf("closed at %s, before the month's end %s", cov.ClosedAt, monthEnd)
			}
		} else {
			eventually(t, 20*time.Second+max(0, time.Until(monthEnd)), "the campaign closed", func() bool {
				return call(t, "GET", "/api/v1/callbacks/coverage?month="+month, nil, &cov) == http.StatusOK && cov.ClosedAt != nil
			})
		}
	}
	quota := (households*20 + 99) / 100
	if cov.Active != int64(households) || cov.Target != 0.2 || cov.Tasks < int64(quota) {
		t.Fatalf("coverage %+v: want %d active households and at least %d tasks", cov, households, quota)
	}
	var list struct{ Items []callbackTask }
	call(t, "GET", "/api/v1/callbacks?month="+month, nil, &list)
	per := map[string]int{}
	for _, task := range list.Items {
		per[task.Assignee]++
	}
	// The two demo receptionists share the calls evenly.
	if len(list.Items) != int(cov.Tasks) || len(per) != 2 || per["liu_fang"]-per["zhao_min"] > 1 || per["zhao_min"]-per["liu_fang"] > 1 {
		t.Fatalf("tasks per receptionist %v of %d", per, len(list.Items))
	}

	a, b := list.Items[0], list.Items[1]
	var got callbackTask
	var e apiError
	for _, bad := range []map[string]any{{"reached": true}, {"reached": true, "score": 6}, {"reached": false, "score": 3}, {"score": 3}} {
		if code := call(t, "POST", "/api/v1/callbacks/"+itoa(a.ID)+"/result", bad, &e); code != http.StatusUnprocessableEntity {
			t.Errorf("result %v: HTTP %d, want 422", bad, code)
		}
	}
	if code := call(t, "POST", "/api/v1/callbacks/"+itoa(a.ID)+"/result", map[string]any{"reached": true, "score": 5, "comment": "满意"}, &got, signedInAs, a.Assignee); code != http.StatusOK || got.Status != "reached" {
		t.Fatalf("reached: HTTP %d %+v", code, got)
	}
	if code := call(t, "POST", "/api/v1/callbacks/"+itoa(a.ID)+"/result", map[string]any{"reached": true, "score": 1}, &e); code != http.StatusConflict {
		t.Fatalf("second result: HTTP %d", code)
	}
	// Not reached, then reached with a new problem: a follow-up complaint is opened.
	if code := call(t, "POST", "/api/v1/callbacks/"+itoa(b.ID)+"/result", map[string]any{"reached": false}, &got); code != http.StatusOK || got.Status != "unreached" {
		t.Fatalf("unreached: HTTP %d %+v", code, got)
	}
	issue := map[string]any{"reached": true, "score": 3, "new_issue": map[string]any{"category": "parking", "description": "车位被占用"}}
	if code := call(t, "POST", "/api/v1/callbacks/"+itoa(b.ID)+"/result", issue, &got, signedInAs, b.Assignee); code != http.StatusOK || got.FollowUpCase == nil {
		t.Fatalf("reached with a new issue: HTTP %d %+v", code, got)
	}
	if c := get(t, *got.FollowUpCase); c.Category != "parking" || c.Channel != "phone" {
		t.Fatalf("follow-up case %+v", c)
	}
	call(t, "GET", "/api/v1/callbacks/coverage?month="+month, nil, &cov)
	if cov.Reached != 2 {
		t.Fatalf("reached households %d, want 2", cov.Reached)
	}
	if n := count(t, `SELECT count(*) FROM ratings WHERE source = 'campaign_call' AND household_id IN (
		SELECT household_id FROM callback_tasks WHERE id IN ($1, $2))`, a.ID, b.ID); n != 2 {
		t.Fatalf("%d campaign ratings, want 2", n)
	}
}
