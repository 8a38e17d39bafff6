package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/store"
	"github.com/concierge-pm/concierge/workflows"
)

type cycleJSON struct {
	store.CycleSummary
	Phase         string     `json:"phase"`
	FirstPassRate domain.KPI `json:"first_pass_rate"`
	FinalPassRate domain.KPI `json:"final_pass_rate"`
}

// cycleView adds what a reader wants to know at a glance: the phase by the
// clock, and both pass rates over everyone enrolled.
func cycleView(c store.CycleSummary, now time.Time, loc *time.Location) cycleJSON {
	c.ExamOpens, c.ExamCloses = c.ExamOpens.In(loc), c.ExamCloses.In(loc)
	c.RemindedAt, c.ClosedAt = inZone(c.RemindedAt, loc), inZone(c.ClosedAt, loc)
	phase := workflows.PhaseExamOpen
	switch {
	case c.ClosedAt != nil:
		phase = workflows.PhaseClosed
	case now.Before(c.ExamOpens):
		phase = workflows.PhaseScheduled
	case !now.Before(c.ExamCloses):
		phase = workflows.PhaseRetakes
	}
	return cycleJSON{CycleSummary: c, Phase: phase,
		FirstPassRate: domain.Ratio(int64(c.FirstPassed), int64(c.Enrolled), domain.TargetTrainingPass),
		FinalPassRate: domain.Ratio(int64(c.FinalPassed), int64(c.Enrolled), domain.TargetTrainingPass)}
}

// inZone shows an optional time in the centre's zone.
func inZone(t *time.Time, loc *time.Location) *time.Time {
	if t == nil {
		return nil
	}
	l := t.In(loc)
	return &l
}

// listTrainingCycles answers GET /api/v1/training/cycles.
func (s *Server) listTrainingCycles(c *gin.Context) error {
	cycles, err := s.cfg.Store.TrainingCycles(c.Request.Context())
	if err != nil {
		return err
	}
	items := make([]cycleJSON, 0, len(cycles))
	for _, cy := range cycles {
		items = append(items, cycleView(cy, time.Now(), s.cfg.Location))
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
	return nil
}

// findCycle loads the cycle named in the path, or is 404.
func (s *Server) findCycle(c *gin.Context) (store.CycleDetail, error) {
	id := c.Param("id")
	if _, err := domain.ParseQuarter(id, time.UTC); err != nil {
		return store.CycleDetail{}, notFoundf("no training cycle %q (cycles are named like 2026-Q4)", id)
	}
	d, err := s.cfg.Store.TrainingCycle(c.Request.Context(), id)
	return d, orNotFound(err, notFoundf("no training cycle %q", id))
}

type sitterJSON struct {
	store.Sitter
	// Result: passed, retake_due, failed, not_sat (window open) or absent.
	Result string `json:"result"`
}

// getTrainingCycle answers GET /api/v1/training/cycles/{id}: the cycle, each
// enrolled member of staff with their sittings and result, and the exam's
// questions without their answers.
func (s *Server) getTrainingCycle(c *gin.Context) error {
	d, err := s.findCycle(c)
	if err != nil {
		return err
	}
	now := time.Now()
	staff := make([]sitterJSON, 0, len(d.Sitters))
	for _, st := range d.Sitters {
		j := sitterJSON{Sitter: st}
		for i := range j.Attempts {
			j.Attempts[i].RecordedAt = j.Attempts[i].RecordedAt.In(s.cfg.Location)
		}
		j.RetakeDue = inZone(st.RetakeDue, s.cfg.Location)
		switch {
		case slices.ContainsFunc(st.Attempts, func(a store.Attempt) bool { return a.Passed }):
			j.Result = "passed"
		case len(st.Attempts) == 1 && st.RetakeDue != nil && now.Before(*st.RetakeDue) && d.ClosedAt == nil:
			j.Result = "retake_due"
		case len(st.Attempts) > 0:
			j.Result = "failed"
		case now.Before(d.ExamCloses) && d.ClosedAt == nil:
			j.Result = "not_sat"
		default:
			j.Result = "absent"
		}
		staff = append(staff, j)
	}
	c.JSON(http.StatusOK, gin.H{"cycle": cycleView(d.CycleSummary, now, s.cfg.Location), "staff": staff, "questions": d.Questions})
	return nil
}

type examResultBody struct {
	Staff   string            `json:"staff" binding:"required,max=32"`
	Score   *float64          `json:"score"`
	Answers map[string]string `json:"answers" binding:"omitempty,max=500"`
}

// bindExamResult reads a result body: a staff code and either a score of
// 0–100 or answers keyed by question ID (written canonically, so "+7" and
// "07" name question 7), each a short choice key without control
// characters. It answers 422 itself.
func bindExamResult(c *gin.Context) (examResultBody, bool) {
	var body examResultBody
	if !bindJSON(c, &body) {
		return body, false
	}
	invalid := func(msg string) (examResultBody, bool) {
		fail(c, http.StatusUnprocessableEntity, "invalid_input", msg)
		return body, false
	}
	if err := checkCodes([2]string{"staff", body.Staff}); err != nil {
		return invalid(err.Error())
	}
	if (body.Score == nil) == (len(body.Answers) == 0) {
		return invalid("send either score (0–100, entered by the trainer) or answers ({question id: choice})")
	}
	if body.Score != nil {
		if err := domain.CheckScore(*body.Score); err != nil {
			return invalid(err.Error())
		}
	}
	answers := make(map[string]string, len(body.Answers))
	for k, v := range body.Answers {
		id, err := strconv.ParseInt(k, 10, 64)
		choice, terr := optionalText("answer", v)
		key := strconv.FormatInt(id, 10)
		_, dup := answers[key]
		if err != nil || id <= 0 || terr != nil || choice == "" || len(choice) > 20 || dup {
			return invalid(fmt.Sprintf("answers must map question ids to choice keys of up to 20 characters; %q → %q is not one", k, v))
		}
		answers[key] = choice
	}
	if body.Answers != nil {
		body.Answers = answers
	}
	return body, true
}

// recordExamResult answers POST /api/v1/training/cycles/{id}/results: a
// score the trainer entered, or answers marked against the exam's
// questions. The cycle's workflow decides whether the sitting is allowed
// (first attempt within the window, one retake of a failed one within its
// window) and records it; an Idempotency-Key makes a retry safe.
func (s *Server) recordExamResult(c *gin.Context) error {
	body, ok := bindExamResult(c)
	if !ok {
		return nil
	}
	if id, _ := identity(c); id.StaffCode != "" && body.Staff == id.StaffCode {
		// A grade one gives oneself is no grade (docs/DESIGN.md §7.6).
		return &Problem{Status: http.StatusForbidden, Code: "forbidden",
			Message: "you may not record your own exam result: another trainer records it"}
	}
	key, err := idempotencyKeyOf(c)
	if err != nil {
		return err
	}
	actor := actor(c)
	d, err := s.findCycle(c)
	if err != nil {
		return err
	}
	if d.ClosedAt != nil {
		return conflict(workflows.ErrInvalidTransition, fmt.Sprintf("training cycle %s is closed", d.ID))
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.cfg.WorkflowTimeout)
	defer cancel()
	opts := client.UpdateWorkflowOptions{
		WorkflowID: d.WorkflowID, RunID: d.RunID, UpdateName: workflows.UpdateExamResult, WaitForStage: client.WorkflowUpdateStageCompleted,
		Args: []any{domain.ExamSubmission{Cycle: d.ID, Staff: body.Staff, Score: body.Score, Answers: body.Answers, RecordedBy: actor}},
	}
	if key != "" {
		opts.UpdateID = "exam-result/" + key
	}
	h, err := s.cfg.Temporal.UpdateWorkflow(ctx, opts)
	var r domain.ExamResult
	if err == nil {
		err = h.Get(ctx, &r)
	}
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &notFound):
		return conflict(workflows.ErrInvalidTransition, fmt.Sprintf("training cycle %s is no longer taking results", d.ID))
	case err != nil:
		return fromWorkflow(err)
	default:
		r.Notify = nil
		if !r.RetakeDue.IsZero() {
			r.RetakeDue = r.RetakeDue.In(s.cfg.Location)
		}
		c.JSON(http.StatusCreated, r)
	}
	return nil
}

// startCycleRequest is the body of POST /api/v1/training/cycles.
type startCycleRequest struct {
	// Quarter is the cycle to run, such as "2026-Q3"; empty: this quarter.
	Quarter string `json:"quarter" binding:"max=7"`
	// SessionNow holds the session at once rather than at 09:00 on the
	// quarter's first working day.
	SessionNow bool `json:"session_now"`
}

// startTrainingCycle answers POST /api/v1/training/cycles: a trainer starts
// a quarter's cycle by hand, for a quarter the schedule missed or to hold
// this quarter's session now. The cycle opens in a moment (or, without
// session_now, on its first working day), as the schedule's run would.
func (s *Server) startTrainingCycle(c *gin.Context) error {
	var body startCycleRequest
	if err := bindBody(c, &body); err != nil {
		return err
	}
	actor := actor(c)
	now := time.Now().In(s.cfg.Location)
	quarter, thisStart := domain.Quarter(now)
	if body.Quarter != "" {
		start, err := domain.ParseQuarter(body.Quarter, s.cfg.Location)
		if err != nil {
			return invalid("quarter: " + err.Error())
		}
		if start.After(thisStart) {
			return invalidf("quarter %s has not begun: the schedule starts it", body.Quarter)
		}
		quarter, _ = domain.Quarter(start)
	}
	switch _, err := s.cfg.Store.TrainingCycle(c.Request.Context(), quarter); {
	case err == nil:
		return conflict("already_open", fmt.Sprintf("training cycle %s is already open", quarter))
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	// Like a schedule action (Temporal, not PostgreSQL): audited as
	// requested before the call, and with its outcome after it.
	entry := store.AuditEntry{Action: "trigger", ObjectType: "training_cycle", ObjectKey: quarter,
		Outcome: store.OutcomeRequested, After: gin.H{"session_now": body.SessionNow}}
	if err := s.cfg.Store.RecordAudit(c.Request.Context(), who(c), entry); err != nil {
		return fmt.Errorf("training cycle %s not started, as it could not be audited: %w", quarter, err)
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.cfg.WorkflowTimeout)
	defer cancel()
	run, err := s.cfg.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		// One run started by hand per quarter at a time; the schedule's
		// runs have IDs of their own, and the quarter belongs to whichever
		// run opens it first (the other ends as a duplicate).
		ID: "training-cycle/" + quarter, TaskQueue: s.cfg.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	}, workflows.TrainingWorkflow, workflows.TrainingInput{Quarter: quarter, SessionNow: body.SessionNow})
	if err != nil {
		entry.Outcome = store.OutcomeFailed
		if aerr := s.cfg.Store.RecordAudit(c.Request.Context(), who(c), entry); aerr != nil {
			s.cfg.Logger.Error("training cycle start not audited", "cycle", quarter, "error", aerr)
		}
		var started *serviceerror.WorkflowExecutionAlreadyStarted
		if errors.As(err, &started) {
			return conflict("already_started", fmt.Sprintf("training cycle %s was already started by hand and is waiting for its session", quarter))
		}
		return fromWorkflow(err)
	}
	s.cfg.Logger.Info("training cycle started by hand", "cycle", quarter, "session_now", body.SessionNow, "by", actor)
	entry.Outcome, entry.After = store.OutcomeOK, gin.H{"session_now": body.SessionNow, "workflow_id": run.GetID()}
	if err := s.cfg.Store.RecordAudit(c.Request.Context(), who(c), entry); err != nil {
		return fmt.Errorf("training cycle %s was started but not audited: %w", quarter, err)
	}
	c.JSON(http.StatusAccepted, gin.H{"cycle": quarter, "session_now": body.SessionNow, "workflow_id": run.GetID(), "run_id": run.GetRunID()})
	return nil
}

// listQuestions answers GET /api/v1/training/questions (active ones;
// ?all=true for all), with their answers: it is the trainers' view.
func (s *Server) listQuestions(c *gin.Context) error {
	qs, err := s.cfg.Store.Questions(c.Request.Context(), c.Query("all") != "true")
	if err != nil {
		return err
	}
	if qs == nil {
		qs = []store.Question{}
	}
	c.JSON(http.StatusOK, gin.H{"items": qs})
	return nil
}

type questionBody struct {
	Topic    string `json:"topic" binding:"required,oneof=property communication emergency"`
	Question string `json:"question" binding:"required,max=1000"`
	Choices  []struct {
		Key  string `json:"key" binding:"required,max=4"`
		Text string `json:"text" binding:"required,max=500"`
	} `json:"choices" binding:"required,min=2,max=8,dive"`
	Answer string `json:"answer" binding:"required,max=4"`
	Points int    `json:"points" binding:"omitempty,min=1,max=100"`
}

// bindQuestion reads a question body: trimmed text without control
// characters, choice keys upper-cased and distinct, the answer one of them.
// It answers 422 itself.
func bindQuestion(c *gin.Context) (store.Question, bool) {
	var body questionBody
	if !bindJSON(c, &body) {
		return store.Question{}, false
	}
	invalid := func(msg string) (store.Question, bool) {
		fail(c, http.StatusUnprocessableEntity, "invalid_input", msg)
		return store.Question{}, false
	}
	text, err := cleanText("question", body.Question)
	if err != nil {
		return invalid(err.Error())
	}
	q := store.Question{Topic: body.Topic, Question: text, Answer: strings.ToUpper(strings.TrimSpace(body.Answer)), Points: max(body.Points, 1)}
	for _, ch := range body.Choices {
		k, kerr := cleanText("choice key", ch.Key)
		k = strings.ToUpper(k)
		t, err := cleanText("choice text", ch.Text)
		if err != nil || kerr != nil || slices.ContainsFunc(q.Choices, func(x store.Choice) bool { return x.Key == k }) {
			return invalid(fmt.Sprintf("choice %q needs a key of its own and a text", ch.Key))
		}
		q.Choices = append(q.Choices, store.Choice{Key: k, Text: t})
	}
	if !slices.ContainsFunc(q.Choices, func(x store.Choice) bool { return x.Key == q.Answer }) {
		return invalid(fmt.Sprintf("answer %q is not one of the choices' keys", body.Answer))
	}
	return q, true
}

// createQuestion answers POST /api/v1/training/questions. Questions are not
// edited once created: exams keep marking with what they were set.
func (s *Server) createQuestion(c *gin.Context) error {
	q, ok := bindQuestion(c)
	if !ok {
		return nil
	}
	q, err := s.cfg.Store.CreateQuestion(c.Request.Context(), who(c), q)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, q)
	return nil
}

// deactivateQuestion answers POST /api/v1/training/questions/{id}/deactivate.
func (s *Server) deactivateQuestion(c *gin.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return notFoundf("no question %q", c.Param("id"))
	}
	if err := s.cfg.Store.DeactivateQuestion(c.Request.Context(), who(c), id); err != nil {
		return orNotFound(err, notFoundf("no question %d", id))
	}
	c.JSON(http.StatusOK, gin.H{"id": id, "active": false})
	return nil
}

// yearParam reads the calendar year in the path.
func yearParam(c *gin.Context) (int, error) {
	y, err := strconv.Atoi(c.Param("year"))
	if err != nil || y < 2000 || y > 2100 {
		return 0, notFoundf("no calendar year %q", c.Param("year"))
	}
	return y, nil
}

// getCalendar answers GET /api/v1/calendar/{year}: the listed holidays and
// exchanged working days (other weekdays work, weekends do not).
func (s *Server) getCalendar(c *gin.Context) error {
	year, err := yearParam(c)
	if err != nil {
		return err
	}
	days, err := s.cfg.Store.CalendarYear(c.Request.Context(), year)
	if err != nil {
		return err
	}
	if days == nil {
		days = []store.CalendarDay{}
	}
	c.JSON(http.StatusOK, gin.H{"year": year, "published": len(days) > 0, "days": days})
	return nil
}

type calendarBody struct {
	Days []struct {
		Day     string `json:"day" binding:"required"`
		Working *bool  `json:"working" binding:"required"`
		Name    string `json:"name" binding:"max=50"`
	} `json:"days" binding:"required,min=1,max=366,dive"`
}

// bindCalendar reads a year's calendar body: distinct dates of that year,
// each with working set, names without control characters. It answers 422
// itself.
func bindCalendar(c *gin.Context, year int) ([]store.CalendarDay, bool) {
	var body calendarBody
	if !bindJSON(c, &body) {
		return nil, false
	}
	seen := map[string]bool{}
	days := make([]store.CalendarDay, 0, len(body.Days))
	for i, d := range body.Days {
		t, err := time.Parse(time.DateOnly, d.Day)
		name, nerr := optionalText("name", d.Name)
		msg := ""
		switch {
		case err != nil || t.Year() != year:
			msg = fmt.Sprintf("days[%d].day %q is not a date YYYY-MM-DD in %d", i, d.Day, year)
		case seen[d.Day]:
			msg = fmt.Sprintf("days[%d].day %s is listed twice", i, d.Day)
		case nerr != nil:
			msg = fmt.Sprintf("days[%d]: %v", i, nerr)
		}
		if msg != "" {
			fail(c, http.StatusUnprocessableEntity, "invalid_input", msg)
			return nil, false
		}
		seen[d.Day] = true
		days = append(days, store.CalendarDay{Day: d.Day, Working: *d.Working, Name: name})
	}
	return days, true
}

// putCalendar answers PUT /api/v1/calendar/{year}: it replaces the year's
// listed days with the published calendar (国务院办公厅节假日安排).
func (s *Server) putCalendar(c *gin.Context) error {
	year, err := yearParam(c)
	if err != nil {
		return err
	}
	days, ok := bindCalendar(c, year)
	if !ok {
		return nil
	}
	if err := s.cfg.Store.SetCalendarYear(c.Request.Context(), who(c), year, days); err != nil {
		return err
	}
	slices.SortFunc(days, func(a, b store.CalendarDay) int { return strings.Compare(a.Day, b.Day) })
	c.JSON(http.StatusOK, gin.H{"year": year, "published": true, "days": days})
	return nil
}
