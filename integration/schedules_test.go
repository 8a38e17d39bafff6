package integration

import (
	"net/http"
	"testing"
	"time"
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

// Not parallel: it pauses and resumes the schedule.
func TestMonthlyAnalysisSchedule(t *testing.T) {
	var list struct{ Items []schedule }
	if code := call(t, "GET", "/api/v1/schedules", nil, &list); code != http.StatusOK || len(list.Items) != 1 {
		t.Fatalf("schedules: HTTP %d %+v", code, list)
	}
	s := list.Items[0]
	if s.ID != "monthly-complaint-analysis" || s.Paused || len(s.NextRuns) == 0 {
		t.Fatalf("schedule %+v", s)
	}
	// The next run is at 06:30 on the 1st of a month, Shanghai time.
	next := s.NextRuns[0].In(sys.loc)
	if next.Day() != 1 || next.Hour() != 6 || next.Minute() != 30 || !next.After(time.Now()) {
		t.Fatalf("next run %s, want 06:30 on the 1st of a coming month", next)
	}

	// A supervisor runs it now: last month's analysis is archived.
	now := time.Now().In(sys.loc)
	lastMonth := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, sys.loc).AddDate(0, -1, 0).Format("2006-01")
	if code := call(t, "POST", "/api/v1/schedules/monthly-complaint-analysis/trigger", nil, nil, "X-Staff-Code", "chen_jing"); code != http.StatusOK {
		t.Fatalf("trigger: HTTP %d", code)
	}
	eventually(t, 20*time.Second, "the archived analysis of "+lastMonth, func() bool {
		return count(t, `SELECT count(*) FROM complaint_reports WHERE month = $1 AND community = ''`, lastMonth) == 1
	})
	var archive struct {
		Items []struct{ Month string }
	}
	call(t, "GET", "/api/v1/reports/complaints/archive", nil, &archive)
	if len(archive.Items) == 0 || archive.Items[0].Month != lastMonth {
		t.Fatalf("archive %+v, want %s first", archive.Items, lastMonth)
	}

	var got schedule
	if code := call(t, "POST", "/api/v1/schedules/monthly-complaint-analysis/pause", map[string]any{"note": "质量会议改期"}, &got, "X-Staff-Code", "chen_jing"); code != http.StatusOK || !got.Paused || got.Note != "质量会议改期" {
		t.Fatalf("pause: HTTP %d %+v", code, got)
	}
	if code := call(t, "POST", "/api/v1/schedules/monthly-complaint-analysis/resume", nil, &got, "X-Staff-Code", "chen_jing"); code != http.StatusOK || got.Paused {
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
	if code := call(t, "POST", "/api/v1/schedules/monthly-complaint-analysis/pause", map[string]any{"note": "x"}, &e, "X-Staff-Code", "nobody"); code != http.StatusUnprocessableEntity {
		t.Errorf("pause by a stranger: HTTP %d", code)
	}
}
