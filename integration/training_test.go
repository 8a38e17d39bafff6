package integration

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"go.temporal.io/api/serviceerror"

	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/workflows"
)

type trainingKPI struct {
	Numerator   int64    `json:"numerator"`
	Denominator int64    `json:"denominator"`
	Value       *float64 `json:"value"`
	Target      float64  `json:"target"`
}

type trainingCycle struct {
	Cycle struct {
		ID            string      `json:"id"`
		Phase         string      `json:"phase"`
		PassMark      int         `json:"pass_mark"`
		SessionOn     string      `json:"session_on"`
		ExamOpens     time.Time   `json:"exam_opens"`
		ExamCloses    time.Time   `json:"exam_closes"`
		ClosedAt      *time.Time  `json:"closed_at"`
		Enrolled      int         `json:"enrolled"`
		Topics        []any       `json:"topics"`
		FirstPassRate trainingKPI `json:"first_pass_rate"`
		FinalPassRate trainingKPI `json:"final_pass_rate"`
	} `json:"cycle"`
	Staff []struct {
		Staff    string `json:"staff"`
		Result   string `json:"result"`
		Attempts []struct {
			Attempt int     `json:"attempt"`
			Score   float64 `json:"score"`
			Passed  bool    `json:"passed"`
			Method  string  `json:"method"`
		} `json:"attempts"`
		RetakeDue *time.Time `json:"retake_due"`
	} `json:"staff"`
	Questions []struct {
		ID     int64  `json:"id"`
		Answer string `json:"answer"`
	} `json:"questions"`
}

type examResult struct {
	Attempt   int       `json:"attempt"`
	Score     float64   `json:"score"`
	Passed    bool      `json:"passed"`
	Method    string    `json:"method"`
	RetakeDue time.Time `json:"retake_due"`
}

// Not parallel: the cycle enrols every receptionist there is, and the test
// gives each a result so the cycle closes.
//
// The run's own clock decides whether the quarter's session (09:00 on its
// first working day, centre time) is ahead or past, so the test reads it
// from the run and checks both on any day: a cycle whose session is ahead
// waits for it (asleep, nothing stored), and the whole cycle runs on one
// whose session has passed. When the schedule's run is for a quarter whose
// session is ahead, the whole cycle runs on the quarter before, started by
// hand as a supervisor would a missed quarter's; otherwise the schedule's run
// opens at once, and a run started by hand for the next quarter waits.
func TestTrainingCycleThroughSchedule(t *testing.T) {
	before := time.Now()
	s := findSchedule(t, "quarterly-training-cycle")
	next := s.NextRuns[0].In(sys.loc)
	if next.Day() != 1 || (next.Month()-1)%3 != 0 || next.Hour() != 0 || next.Minute() != 5 || !next.After(before) {
		t.Fatalf("next run %s, want 00:05 on the first day of a coming quarter", next)
	}
	run := triggerSchedule(t, "quarterly-training-cycle")
	at := runClock(t, run, workflows.PlanTrainingActivity)
	quarter, start := domain.Quarter(at)
	byHand := false
	var opening time.Duration // how long the run may still sleep before it opens
	if session := sessionOf(t, start); session.Sub(at) > dueSoon {
		t.Logf("run at %s, before %s's session at %s: it waits; the whole cycle runs on the quarter before", at, quarter, session)
		checkWaiting(t, run, quarter, session)
		quarter, _ = domain.Quarter(start.AddDate(0, -3, 0))
		run, byHand = startTraining(t, quarter), true
	} else {
		t.Logf("run at %s, %s's session at %s past or about to come: it opens; the next quarter's waits", at, quarter, session)
		opening = max(0, time.Until(session))
		nextQuarter, nextStart := domain.Quarter(start.AddDate(0, 3, 0))
		checkWaiting(t, startTraining(t, nextQuarter), nextQuarter, sessionOf(t, nextStart))
	}

	var cy trainingCycle
	// A run started in the last moments before its session opens when it
	// comes.
	eventually(t, 20*time.Second+opening, "training cycle "+quarter, func() bool {
		return call(t, "GET", "/api/v1/training/cycles/"+quarter, nil, &cy) == http.StatusOK
	})
	receptionists := count(t, `SELECT count(*) FROM staff WHERE active AND role = 'receptionist'`)
	if cy.Cycle.Phase != workflows.PhaseExamOpen || cy.Cycle.PassMark != 80 || cy.Cycle.Enrolled != receptionists ||
		len(cy.Staff) != receptionists || len(cy.Cycle.Topics) != 7 || len(cy.Questions) < 9 {
		t.Fatalf("cycle %+v, want open, pass mark 80, %d enrolled, 7 topics, the demo questions", cy, receptionists)
	}
	if got := cy.Cycle.ExamCloses.Sub(cy.Cycle.ExamOpens); got != domain.DefaultExamWindow {
		t.Errorf("exam window %s, want 14 days", got)
	}
	var raw struct {
		Cycle struct {
			ExamCloses string `json:"exam_closes"`
		} `json:"cycle"`
	}
	call(t, "GET", "/api/v1/training/cycles/"+quarter, nil, &raw)
	if !strings.HasSuffix(raw.Cycle.ExamCloses, "+08:00") {
		t.Errorf("exam_closes %q is not in the centre's time zone", raw.Cycle.ExamCloses)
	}
	for _, q := range cy.Questions {
		if q.Answer != "" {
			t.Fatalf("the exam page shows question %d's answer", q.ID)
		}
	}
	enrolled := map[string]bool{}
	for _, st := range cy.Staff {
		enrolled[st.Staff] = st.Result == "not_sat"
	}
	if !enrolled["liu_fang"] || !enrolled["zhao_min"] {
		t.Fatalf("liu_fang and zhao_min should be enrolled and yet to sit: %+v", cy.Staff)
	}

	// The trainers' view of the bank has the answers.
	var bank struct {
		Items []struct {
			ID     int64  `json:"id"`
			Answer string `json:"answer"`
		}
	}
	call(t, "GET", "/api/v1/training/questions", nil, &bank)
	answers := map[string]string{}
	for _, q := range bank.Items {
		for _, e := range cy.Questions {
			if e.ID == q.ID {
				answers[strconv.FormatInt(q.ID, 10)] = q.Answer
			}
		}
	}
	if len(answers) != len(cy.Questions) {
		t.Fatalf("answers for %d of %d questions", len(answers), len(cy.Questions))
	}

	results := "/api/v1/training/cycles/" + quarter + "/results"
	attempts := count(t, `SELECT count(*) FROM training_attempts`)
	var e apiError
	for _, tt := range []struct {
		name string
		path string
		body any
		hdr  []string
		want int
	}{
		{"neither score nor answers", results, map[string]any{"staff": "liu_fang"}, nil, http.StatusUnprocessableEntity},
		{"both", results, map[string]any{"staff": "liu_fang", "score": 90, "answers": answers}, nil, http.StatusUnprocessableEntity},
		{"score over 100", results, map[string]any{"staff": "liu_fang", "score": 120}, nil, http.StatusUnprocessableEntity},
		{"negative score", results, map[string]any{"staff": "liu_fang", "score": -1}, nil, http.StatusUnprocessableEntity},
		{"no staff", results, map[string]any{"score": 90}, nil, http.StatusUnprocessableEntity},
		{"score as text", results, map[string]any{"staff": "liu_fang", "score": "90"}, nil, http.StatusUnprocessableEntity},
		{"a question of another paper", results, map[string]any{"staff": "liu_fang", "answers": map[string]string{"99999999": "A"}}, nil, http.StatusUnprocessableEntity},
		{"not enrolled", results, map[string]any{"staff": "gao_feng", "score": 90}, nil, http.StatusUnprocessableEntity},
		{"one's own result", results, map[string]any{"staff": "chen_jing", "score": 100}, nil, http.StatusForbidden},
		{"recorded by a stranger", results, map[string]any{"staff": "liu_fang", "score": 90}, []string{"X-Staff-Code", "nobody"}, http.StatusUnauthorized},
		{"an unknown cycle", "/api/v1/training/cycles/2019-Q1/results", map[string]any{"staff": "liu_fang", "score": 90}, nil, http.StatusNotFound},
		{"a malformed cycle", "/api/v1/training/cycles/Q1/results", map[string]any{"staff": "liu_fang", "score": 90}, nil, http.StatusNotFound},
		{"not JSON", results, "staff=liu_fang", nil, http.StatusUnprocessableEntity},
	} {
		e = apiError{}
		if code := call(t, "POST", tt.path, tt.body, &e, tt.hdr...); code != tt.want || e.Error.Code == "" || e.Error.Message == "" {
			t.Errorf("%s: HTTP %d %+v, want %d with an error", tt.name, code, e, tt.want)
		}
	}
	if got := count(t, `SELECT count(*) FROM training_attempts`); got != attempts {
		t.Fatalf("rejected results wrote %d attempts", got-attempts)
	}

	// liu_fang answers every question right; a retry with the same key
	// gets the same answer, a second result is refused.
	var r examResult
	trainer := []string{signedInAs, "chen_jing", "Idempotency-Key", "exam-" + quarter + "-liu_fang"}
	if code := call(t, "POST", results, map[string]any{"staff": "liu_fang", "answers": answers}, &r, trainer...); code != http.StatusCreated ||
		r.Score != 100 || !r.Passed || r.Attempt != 1 || r.Method != "answers" {
		t.Fatalf("liu_fang: HTTP %d %+v", code, r)
	}
	var again examResult
	if code := call(t, "POST", results, map[string]any{"staff": "liu_fang", "answers": answers}, &again, trainer...); code != http.StatusCreated || again != r {
		t.Errorf("retry: HTTP %d %+v, want %+v", code, again, r)
	}
	if code := call(t, "POST", results, map[string]any{"staff": "liu_fang", "score": 99}, &e, signedInAs, "chen_jing"); code != http.StatusConflict {
		t.Errorf("a second result after a pass: HTTP %d %+v", code, e)
	}
	// zhao_min fails with the trainer's score and passes the retake.
	before = time.Now()
	if code := call(t, "POST", results, map[string]any{"staff": "zhao_min", "score": 61.5}, &r, signedInAs, "chen_jing"); code != http.StatusCreated ||
		r.Passed || r.Score != 61.5 || r.Method != "trainer" || r.RetakeDue.Before(before.Add(domain.DefaultRetakeWindow-time.Minute)) {
		t.Fatalf("zhao_min: HTTP %d %+v, want a fail with a retake due in 7 days", code, r)
	}
	call(t, "GET", "/api/v1/training/cycles/"+quarter, nil, &cy)
	for _, st := range cy.Staff {
		if st.Staff == "zhao_min" && (st.Result != "retake_due" || st.RetakeDue == nil) {
			t.Errorf("zhao_min after failing: %+v", st)
		}
	}
	if code := call(t, "POST", results, map[string]any{"staff": "zhao_min", "score": 85}, &r, signedInAs, "chen_jing"); code != http.StatusCreated ||
		!r.Passed || r.Attempt != 2 {
		t.Fatalf("zhao_min's retake: HTTP %d %+v", code, r)
	}
	// Everyone else enrolled passes, and the cycle closes early.
	others := 0
	for name := range enrolled {
		if name == "liu_fang" || name == "zhao_min" {
			continue
		}
		others++
		if code := call(t, "POST", results, map[string]any{"staff": name, "score": 90}, &r, signedInAs, "chen_jing"); code != http.StatusCreated || !r.Passed {
			t.Fatalf("%s: HTTP %d %+v", name, code, r)
		}
	}
	eventually(t, 20*time.Second, "the cycle closed", func() bool {
		return call(t, "GET", "/api/v1/training/cycles/"+quarter, nil, &cy) == http.StatusOK && cy.Cycle.ClosedAt != nil
	})
	n := int64(receptionists)
	if cy.Cycle.Phase != workflows.PhaseClosed || cy.Cycle.FirstPassRate.Numerator != n-1 || cy.Cycle.FirstPassRate.Denominator != n ||
		cy.Cycle.FinalPassRate.Numerator != n || *cy.Cycle.FinalPassRate.Value != 1 {
		t.Fatalf("closed cycle %+v, want %d/%d first and %d/%d final", cy.Cycle, n-1, n, n, n)
	}
	if code := call(t, "POST", results, map[string]any{"staff": "zhao_min", "score": 85}, &e, signedInAs, "chen_jing"); code != http.StatusConflict {
		t.Errorf("a result after the close: HTTP %d", code)
	}

	// The KPI shows both rates for the period the exam opened in (at the
	// run's session, which need not be today by now).
	today := cy.Cycle.ExamOpens.In(sys.loc).Format(time.DateOnly)
	var k struct {
		Pass   trainingKPI `json:"training_pass_rate"`
		First  trainingKPI `json:"training_first_pass_rate"`
		Cycles []string    `json:"training_cycles"`
	}
	call(t, "GET", "/api/v1/kpis?from="+today+"&to="+today, nil, &k)
	if k.Pass.Numerator != n || k.Pass.Denominator != n || k.First.Numerator != n-1 || k.Pass.Target != 0.9 || !slices.Equal(k.Cycles, []string{quarter}) {
		t.Errorf("training KPIs %+v", k)
	}
	// Announcements to all, and the retake notice to zhao_min, were queued.
	if got := count(t, `SELECT count(*) FROM notifications WHERE number = $1 AND template = 'training_exam_open'`, quarter); got != receptionists {
		t.Errorf("%d announcements, want %d", got, receptionists)
	}
	if got := count(t, `SELECT count(*) FROM notifications WHERE number = $1 AND template = 'training_retake' AND recipient = 'zhao_min'`, quarter); got != 1 {
		t.Errorf("%d retake notices to zhao_min, want 1", got)
	}

	// The run ends with the counts it recorded.
	if outcome := runResult[domain.TrainingOutcome](t, run); outcome != (domain.TrainingOutcome{Cycle: quarter, Enrolled: receptionists,
		Sat: receptionists, FirstPassed: receptionists - 1, FinalPassed: receptionists}) {
		t.Fatalf("outcome %+v", outcome)
	}

	// A second run of the same quarter, started the same way, leaves the
	// cycle to the first.
	var second string
	if byHand {
		second = startTraining(t, quarter)
	} else {
		second = triggerSchedule(t, "quarterly-training-cycle")
	}
	if out := runResult[domain.TrainingOutcome](t, second); !out.Duplicate || out.Cycle != quarter {
		t.Fatalf("second run %s: %+v, want a duplicate of %s", second, out, quarter)
	}
	if got := count(t, `SELECT count(*) FROM training_enrolments WHERE cycle_id = $1`, quarter); got != receptionists {
		t.Errorf("the duplicate run changed the enrolment: %d", got)
	}
}

// trainingState queries a training run's state.
func trainingState(t *testing.T, workflowID string) (workflows.TrainingState, bool) {
	t.Helper()
	v, err := sys.temporal.QueryWorkflow(context.Background(), workflowID, "", workflows.QueryState)
	var st workflows.TrainingState
	if err != nil || v.Get(&st) != nil {
		return st, false
	}
	return st, true
}

// sessionOf is when the session of the quarter starting at start is held:
// 09:00 on its first working day by the stored calendar, centre time.
func sessionOf(t *testing.T, start time.Time) time.Time {
	t.Helper()
	cal, err := sys.store.Calendar(context.Background(), start.Year())
	if err != nil {
		t.Fatal(err)
	}
	day := cal.FirstWorkingDay(start.In(sys.loc))
	return time.Date(day.Year(), day.Month(), day.Day(), domain.SessionHour, 0, 0, 0, sys.loc)
}

// startTraining starts a training cycle for the named quarter by hand, as a
// supervisor would for a quarter the schedule missed, and returns its
// workflow ID.
func startTraining(t *testing.T, quarter string) string {
	t.Helper()
	id := fmt.Sprintf("training-cycle-%s-by-hand-%d", quarter, unitSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := sys.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: taskQueue},
		workflows.TrainingWorkflow, workflows.TrainingInput{Quarter: quarter}); err != nil {
		t.Fatalf("start the %s cycle: %v", quarter, err)
	}
	return id
}

// checkWaiting checks that a run for a quarter whose session is ahead has
// planned it, sleeps until the session and has opened nothing: no cycle is
// stored and no result is taken.
func checkWaiting(t *testing.T, run, quarter string, session time.Time) {
	t.Helper()
	events := asleepUntil(t, run, session)
	if got := scheduled(events); !slices.Equal(got, []string{workflows.PlanTrainingActivity}) {
		t.Fatalf("%s before its session has scheduled %v, want only %s", run, got, workflows.PlanTrainingActivity)
	}
	if st, ok := trainingState(t, run); !ok || st.Phase != workflows.PhaseScheduled || st.Cycle != quarter || !st.SessionAt.Equal(session) {
		t.Fatalf("state of %s %+v (%t), want %s scheduled for %s", run, st, ok, quarter, session)
	}
	var e apiError
	if code := call(t, "GET", "/api/v1/training/cycles/"+quarter, nil, &e); code != http.StatusNotFound {
		t.Fatalf("cycle %s before its session: HTTP %d, want 404", quarter, code)
	}
	if code := call(t, "POST", "/api/v1/training/cycles/"+quarter+"/results", map[string]any{"staff": "liu_fang", "score": 90}, &e,
		signedInAs, "chen_jing"); code != http.StatusNotFound {
		t.Fatalf("a result for %s before its session: HTTP %d, want 404", quarter, code)
	}
}

func TestTrainingQuestionsAndCalendar(t *testing.T) {
	t.Parallel()
	var e apiError
	questions := count(t, `SELECT count(*) FROM training_questions`)
	for name, body := range map[string]map[string]any{
		"unknown topic":      {"topic": "cooking", "question": "?", "choices": []map[string]string{{"key": "A", "text": "a"}, {"key": "B", "text": "b"}}, "answer": "A"},
		"one choice":         {"topic": "property", "question": "?", "choices": []map[string]string{{"key": "A", "text": "a"}}, "answer": "A"},
		"answer not offered": {"topic": "property", "question": "?", "choices": []map[string]string{{"key": "A", "text": "a"}, {"key": "B", "text": "b"}}, "answer": "C"},
		"same key twice":     {"topic": "property", "question": "?", "choices": []map[string]string{{"key": "A", "text": "a"}, {"key": "a", "text": "b"}}, "answer": "A"},
		"blank question":     {"topic": "property", "question": "  ", "choices": []map[string]string{{"key": "A", "text": "a"}, {"key": "B", "text": "b"}}, "answer": "A"},
	} {
		if code := call(t, "POST", "/api/v1/training/questions", body, &e, signedInAs, "chen_jing"); code != http.StatusUnprocessableEntity {
			t.Errorf("%s: HTTP %d %+v", name, code, e)
		}
	}
	if got := count(t, `SELECT count(*) FROM training_questions`); got != questions {
		t.Fatalf("rejected questions were stored: %d", got-questions)
	}
	var q struct {
		ID     int64  `json:"id"`
		Answer string `json:"answer"`
		Points int    `json:"points"`
	}
	body := map[string]any{"topic": "emergency", "question": "电梯困人时应首先：", "points": 2, "answer": "b",
		"choices": []map[string]string{{"key": "a", "text": "自行撬门"}, {"key": "b", "text": "安抚被困人员并通知电梯维保单位"}}}
	if code := call(t, "POST", "/api/v1/training/questions", body, &q, signedInAs, "chen_jing"); code != http.StatusCreated || q.Answer != "B" || q.Points != 2 {
		t.Fatalf("create question: HTTP %d %+v", code, q)
	}
	if code := call(t, "POST", fmt.Sprintf("/api/v1/training/questions/%d/deactivate", q.ID), nil, nil, signedInAs, "chen_jing"); code != http.StatusOK {
		t.Fatalf("deactivate: HTTP %d", code)
	}
	if code := call(t, "POST", "/api/v1/training/questions/99999999/deactivate", nil, &e, signedInAs, "chen_jing"); code != http.StatusNotFound {
		t.Errorf("deactivate unknown: HTTP %d", code)
	}

	// The 2026 calendar is seeded; a year is replaced by PUT.
	var cal struct {
		Published bool `json:"published"`
		Days      []struct {
			Day     string `json:"day"`
			Working bool   `json:"working"`
		} `json:"days"`
	}
	if code := call(t, "GET", "/api/v1/calendar/2026", nil, &cal); code != http.StatusOK || !cal.Published || len(cal.Days) != 39 {
		t.Fatalf("2026 calendar: HTTP %d, %d days, want 39 listed (33 days off, 6 worked in exchange)", code, len(cal.Days))
	}
	for name, body := range map[string]any{
		"another year": map[string]any{"days": []map[string]any{{"day": "2028-01-01", "working": false}}},
		"not a date":   map[string]any{"days": []map[string]any{{"day": "2030-02-30", "working": false}}},
		"no working":   map[string]any{"days": []map[string]any{{"day": "2030-01-01"}}},
		"twice":        map[string]any{"days": []map[string]any{{"day": "2030-01-01", "working": false}, {"day": "2030-01-01", "working": false}}},
		"empty":        map[string]any{"days": []map[string]any{}},
	} {
		if code := call(t, "PUT", "/api/v1/calendar/2030", body, &e, signedInAs, "chen_jing"); code != http.StatusUnprocessableEntity {
			t.Errorf("%s: HTTP %d %+v", name, code, e)
		}
	}
	if got := count(t, `SELECT count(*) FROM calendar_days WHERE day >= '2030-01-01' AND day < '2031-01-01'`); got != 0 {
		t.Fatalf("rejected calendars stored %d days", got)
	}
	put := map[string]any{"days": []map[string]any{{"day": "2030-01-01", "working": false, "name": "元旦"}, {"day": "2029-12-31", "working": true}}}
	if code := call(t, "PUT", "/api/v1/calendar/2030", put, &e, signedInAs, "chen_jing"); code != http.StatusUnprocessableEntity {
		t.Errorf("a day of 2029 in 2030's calendar: HTTP %d", code)
	}
	put = map[string]any{"days": []map[string]any{{"day": "2030-01-05", "working": true, "name": "元旦调休"}, {"day": "2030-01-01", "working": false, "name": "元旦"}}}
	if code := call(t, "PUT", "/api/v1/calendar/2030", put, &cal, signedInAs, "chen_jing"); code != http.StatusOK || len(cal.Days) != 2 || cal.Days[0].Day != "2030-01-01" {
		t.Fatalf("put 2030: HTTP %d %+v", code, cal)
	}
	c, err := sys.store.Calendar(context.Background(), 2030)
	if err != nil {
		t.Fatal(err)
	}
	// 1 January 2030 is a Tuesday and now a holiday: the quarter starts on the 2nd.
	if got := c.FirstWorkingDay(time.Date(2030, 1, 1, 0, 0, 0, 0, sys.loc)); got.Day() != 2 {
		t.Errorf("first working day of 2030 %s", got)
	}
	if code := call(t, "GET", "/api/v1/calendar/1999", nil, &e); code != http.StatusNotFound {
		t.Errorf("year 1999: HTTP %d", code)
	}
}

// Starting a cycle by hand refuses what it cannot do, and starts nothing then.
func TestStartTrainingCycleRefusals(t *testing.T) {
	now := time.Now().In(sys.loc)
	this, start := domain.Quarter(now)
	// The quarter after next: not begun even if a quarter ends during the test.
	next, _ := domain.Quarter(start.AddDate(0, 6, 0))
	runs := func() int {
		return count(t, `SELECT count(*) FROM training_cycles`)
	}
	before := runs()
	for _, tc := range []struct {
		name    string
		body    any
		headers []string
		code    int
	}{
		{"a quarter not yet begun", map[string]any{"quarter": next, "session_now": true}, []string{signedInAs, "chen_jing"}, http.StatusUnprocessableEntity},
		{"no such quarter", map[string]any{"quarter": "2026-Q5"}, []string{signedInAs, "chen_jing"}, http.StatusUnprocessableEntity},
		{"a quarter that is not text", map[string]any{"quarter": 2026}, []string{signedInAs, "chen_jing"}, http.StatusUnprocessableEntity},
		{"nobody named: a service token", map[string]any{"session_now": true}, []string{signedInAs, asService}, http.StatusUnprocessableEntity},
		{"a stranger", map[string]any{"session_now": true}, []string{"X-Staff-Code", "nobody"}, http.StatusUnauthorized},
	} {
		var e apiError
		if code := call(t, "POST", "/api/v1/training/cycles", tc.body, &e, tc.headers...); code != tc.code || e.Error.Code == "" {
			t.Errorf("%s: HTTP %d %+v, want %d with an error", tc.name, code, e, tc.code)
		}
	}
	for _, q := range []string{this, next} {
		_, err := sys.temporal.DescribeWorkflowExecution(context.Background(), "training-cycle/"+q, "")
		var notFound *serviceerror.NotFound
		if !errors.As(err, &notFound) {
			t.Errorf("a run started by hand for %s after the refusals: %v", q, err)
		}
	}
	if after := runs(); after != before {
		t.Fatalf("%d cycles after the refusals, %d before", after, before)
	}
	if n := count(t, `SELECT count(*) FROM audit_log WHERE object_type = 'training_cycle' AND object_key IN ($1, '2026-Q5')`, next); n != 0 {
		t.Errorf("%d audit rows for refused starts", n)
	}
}
