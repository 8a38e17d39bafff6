package api

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/serviceerror"

	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/store"
	"github.com/concierge-pm/concierge/tracking"
	"github.com/concierge-pm/concierge/workflows"
)

// ActorResident marks what the resident did through a tracking link.
const ActorResident = "resident"

// statusLabels are the statuses as a resident reads them.
var statusLabels = map[domain.Status][2]string{
	domain.StatusRecorded:          {"已登记", "Recorded"},
	domain.StatusAwaitingTriage:    {"待分派", "Awaiting assignment"},
	domain.StatusRouted:            {"已派单", "Assigned to a department"},
	domain.StatusInProgress:        {"处理中", "In progress"},
	domain.StatusResolved:          {"已处理，待回访", "Resolved, awaiting your rating"},
	domain.StatusReopened:          {"重新处理中", "Reopened"},
	domain.StatusClosed:            {"已结案", "Closed"},
	domain.StatusWithdrawn:         {"已撤回", "Withdrawn"},
	domain.StatusClosedUnresolved:  {"已结案（未解决）", "Closed unresolved"},
	domain.StatusClosedUnreachable: {"已结案（未能联系）", "Closed, not reached"},
	domain.StatusDispatched:        {"已派工", "Technician assigned"},
	domain.StatusOnSite:            {"维修人员已到场", "Technician on site"},
	domain.StatusCompleted:         {"已完工，待评价", "Completed, awaiting your rating"},
	domain.StatusCancelled:         {"已取消", "Cancelled"},
}

// residentEvents are the timeline events a resident sees; reminders and
// escalations are the centre's internal business.
var residentEvents = map[string]bool{
	domain.EventRecorded: true, domain.EventAwaitingTriage: true, domain.EventRouted: true,
	domain.EventDispatched: true, domain.EventAcknowledged: true, domain.EventOnSite: true,
	domain.EventFeedback: true, domain.EventResolved: true, domain.EventCompleted: true,
	domain.EventCallback: true, domain.EventReopened: true, domain.EventClosed: true,
	domain.EventClosedUnresolved: true, domain.EventClosedUnreachable: true,
	domain.EventWithdrawn: true, domain.EventCancelled: true,
}

// trackedCase is all a tracking link shows: no names, phones, units or staff.
type trackedCase struct {
	Number       string        `json:"number"`
	Kind         domain.Kind   `json:"kind"`
	Category     string        `json:"category"`
	CategoryName string        `json:"category_name"`
	CategoryEn   string        `json:"category_name_en"`
	Status       domain.Status `json:"status"`
	StatusLabel  string        `json:"status_label"`
	StatusEn     string        `json:"status_label_en"`
	RecordedAt   time.Time     `json:"recorded_at"`
	// FeedbackBy and ResolveBy are what the acknowledgement promised the
	// resident, while still to come: first news of the case, and its
	// resolution (a repair's completion). The centre's own deadlines
	// (dispatch, the callback, escalations) are its business, not shown.
	FeedbackBy *time.Time     `json:"feedback_by"`
	ResolveBy  *time.Time     `json:"resolve_by"`
	CanRate    bool           `json:"can_rate"`
	Timeline   []trackedEvent `json:"timeline"`
	// RecordUnavailable: the rating was recorded but the timeline could not
	// be read just now.
	RecordUnavailable bool `json:"record_unavailable,omitempty"`
}

// withState fills in what a tracking answer shows of the case's state.
func (t trackedCase) withState(snap domain.CaseSnapshot, events []domain.TimelineEvent, loc *time.Location) trackedCase {
	snap = snap.In(loc)
	label := statusLabels[snap.Status]
	open := snap.OpenDeadlines()
	t.Status, t.StatusLabel, t.StatusEn, t.RecordedAt = snap.Status, label[0], label[1], snap.RecordedAt
	t.FeedbackBy, t.ResolveBy, t.CanRate = open.FirstFeedback, open.Resolution, snap.Status.AwaitingCallback()
	t.Timeline = []trackedEvent{}
	for _, e := range events {
		if residentEvents[e.Kind] {
			t.Timeline = append(t.Timeline, trackedEvent{At: e.At.In(loc), Kind: e.Kind, Message: e.Message})
		}
	}
	return t
}

type trackedEvent struct {
	At      time.Time `json:"at"`
	Kind    string    `json:"kind"`
	Message string    `json:"message"`
}

// trackURL is the link handed to the resident with the acknowledgement.
func (s *Server) trackURL(number string) string {
	if s.cfg.Tracking == nil {
		return ""
	}
	return s.newTrackLink(number).TrackURL
}

// trackedView checks the token and loads its case; it answers errors itself
// (as JSON or as a page) and returns ok false then.
func (s *Server) trackedView(c *gin.Context, page bool) (store.Case, trackedCase, bool) {
	bad := func(status int, code, zh, en string) {
		if page {
			s.trackPage(c, status, trackPageData{Error: zh + " / " + en})
			return
		}
		fail(c, status, code, en)
	}
	if s.cfg.Tracking == nil {
		bad(http.StatusServiceUnavailable, "not_configured", "查询功能未开启", "case tracking is not configured")
		return store.Case{}, trackedCase{}, false
	}
	number, err := s.cfg.Tracking.Check(c.Param("token"), time.Now())
	if errors.Is(err, tracking.ErrExpired) {
		bad(http.StatusGone, "expired", "链接已过期，请联系物业服务中心", "this link has expired; please contact the service centre")
		return store.Case{}, trackedCase{}, false
	}
	if err != nil {
		bad(http.StatusNotFound, "not_found", "链接无效", "this link is not valid")
		return store.Case{}, trackedCase{}, false
	}
	ctx := c.Request.Context()
	view, err := s.cfg.Store.CaseByNumber(ctx, number)
	if errors.Is(err, store.ErrNotFound) {
		// A genuine signature over a number with no case: a link signed
		// for another installation with the same secret, or a case whose
		// record is gone. The link leads nowhere, as a forged one does.
		bad(http.StatusNotFound, "not_found", "链接无效", "this link is not valid")
		return store.Case{}, trackedCase{}, false
	} else if err != nil {
		s.internal(c, err)
		return store.Case{}, trackedCase{}, false
	}
	events, err := s.cfg.Store.Timeline(ctx, number)
	if err != nil {
		s.internal(c, err)
		return store.Case{}, trackedCase{}, false
	}
	cat, err := s.cfg.Store.CategoryByCode(ctx, view.Category)
	if err != nil {
		s.internal(c, err)
		return store.Case{}, trackedCase{}, false
	}
	t := trackedCase{Number: view.Number, Kind: view.Kind, Category: cat.Code, CategoryName: cat.Name, CategoryEn: cat.NameEn}
	return view, t.withState(view.CaseSnapshot, events, s.cfg.Location), true
}

func (s *Server) trackJSON(c *gin.Context) {
	if _, t, ok := s.trackedView(c, false); ok {
		c.JSON(http.StatusOK, t)
	}
}

type trackRatingRequest struct {
	Score   int    `json:"score" form:"score" binding:"required,gte=1,lte=5"`
	Comment string `json:"comment" form:"comment" binding:"max=2000"`
}

// rate is the resident's own callback answer: a score of 4–5 closes the
// case, 1–3 reopens it, as a callback by phone would. It returns the state
// the rating produced, or nil and already true when the case already has
// this very rating from the resident (a form sent twice): that is not an
// error, the rating is recorded.
func (s *Server) rate(c *gin.Context, view store.Case, r trackRatingRequest) (state *workflows.CaseState, already bool, err error) {
	ctx := c.Request.Context()
	comment, err := optionalText("comment", r.Comment)
	if err != nil {
		return nil, false, invalidInputError{err}
	}
	if view.Status.AwaitingCallback() {
		// Two sends of one rating in the same round are one update: the
		// second attaches to the first and gets its outcome.
		id := updateID(view, "resident-rating", strconv.Itoa(view.Reopens), []any{r.Score, comment})
		// The resident's words stay in PostgreSQL; the workflow gets their id.
		arg, err := s.keepResidentWords(ctx, view, workflows.CallbackRequest{Reached: true, Score: r.Score, Comment: comment, Actor: ActorResident})
		if err != nil {
			return nil, false, err
		}
		st, err := s.update(ctx, view, domain.ActionCallback, arg, id)
		if err == nil {
			return &st, false, nil
		}
		if !workflows.IsApplicationError(err, workflows.ErrInvalidTransition) && !errors.As(err, new(*serviceerror.NotFound)) {
			return nil, false, err
		}
		// Another answer got there first; what it was decides this one.
	}
	prev, err := s.cfg.Store.LastRatingBy(ctx, view.Number, ActorResident)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, false, invalidTransitionError{}
	case err != nil:
		return nil, false, err
	case prev.Score == r.Score && prev.Comment == comment:
		return nil, true, nil
	}
	return nil, false, alreadyRatedError{prev.Score}
}

type invalidInputError struct{ error }
type invalidTransitionError struct{}

func (invalidTransitionError) Error() string { return "this case is not waiting for a rating" }

// alreadyRatedError is a different rating after the resident's own: a
// rating is not changed once given.
type alreadyRatedError struct{ score int }

func (e alreadyRatedError) Error() string {
	return fmt.Sprintf("this case was already rated %d through this link; a rating cannot be changed once given", e.score)
}

// Rating outcomes in the JSON answer.
const (
	ratingRecorded        = "recorded"
	ratingAlreadyRecorded = "already_recorded"
)

// ratingAnswer is the case as the resident sees it after rating, and
// whether this request recorded the rating or found it recorded already.
type ratingAnswer struct {
	trackedCase
	Rating string `json:"rating"`
}

func (s *Server) trackRateJSON(c *gin.Context) {
	view, t, ok := s.trackedView(c, false)
	if !ok {
		return
	}
	var req trackRatingRequest
	if !bindJSON(c, &req) {
		return
	}
	var bad invalidInputError
	var rated alreadyRatedError
	state, already, err := s.rate(c, view, req)
	switch {
	case errors.As(err, &bad):
		fail(c, http.StatusUnprocessableEntity, "invalid_input", bad.Error())
		return
	case errors.As(err, &rated):
		fail(c, http.StatusConflict, "already_rated", rated.Error())
		return
	case errors.As(err, new(invalidTransitionError)):
		fail(c, http.StatusConflict, workflows.ErrInvalidTransition, err.Error())
		return
	case err != nil:
		s.workflowError(c, err)
		return
	case already:
		// The case as just read already shows the rating's outcome.
		c.JSON(http.StatusOK, ratingAnswer{t, ratingAlreadyRecorded})
		return
	}
	// The rating is applied: the answer is 200 with the state it produced,
	// even if the timeline cannot be read now.
	events, err := s.cfg.Store.Timeline(c.Request.Context(), view.Number)
	t = t.withState(state.CaseSnapshot, events, s.cfg.Location)
	if err != nil {
		s.cfg.Logger.Warn("the timeline of a rated case could not be read", "number", view.Number, "error", err)
		t.RecordUnavailable = true
	}
	c.JSON(http.StatusOK, ratingAnswer{t, ratingRecorded})
}

// trackPageHTML renders the page: Chinese first, English second, and the
// rating form when the case waits for the resident's rating.
func (s *Server) trackPageHTML(c *gin.Context) {
	if _, t, ok := s.trackedView(c, true); ok {
		s.trackPage(c, http.StatusOK, trackPageData{Case: &t, Token: c.Param("token"),
			Thanks: c.Query("rated") == "1", Again: c.Query("rated") == "again"})
	}
}

func (s *Server) trackRateForm(c *gin.Context) {
	view, t, ok := s.trackedView(c, true)
	if !ok {
		return
	}
	score, err := strconv.Atoi(c.PostForm("score"))
	req := trackRatingRequest{Score: score, Comment: c.PostForm("comment")}
	if err != nil || score < 1 || score > 5 {
		s.trackPage(c, http.StatusUnprocessableEntity, trackPageData{Case: &t, Token: c.Param("token"),
			Error: "请选择 1–5 分 / please choose a score from 1 to 5"})
		return
	}
	if _, err := optionalText("comment", req.Comment); err != nil || utf8.RuneCountInString(req.Comment) > 2000 {
		s.trackPage(c, http.StatusUnprocessableEntity, trackPageData{Case: &t, Token: c.Param("token"),
			Error: "意见最多 2000 字，且不能含无法识别的字符 / the comment may have at most 2,000 characters, and none that cannot be read"})
		return
	}
	_, already, err := s.rate(c, view, req)
	var rated alreadyRatedError
	page := trackPageData{Case: &t, Token: c.Param("token")}
	switch {
	case already:
		c.Redirect(http.StatusSeeOther, "/t/"+c.Param("token")+"?rated=again")
		return
	case err == nil:
		c.Redirect(http.StatusSeeOther, "/t/"+c.Param("token")+"?rated=1")
		return
	case errors.As(err, &rated):
		page.Error = fmt.Sprintf("您已评价过本案件（%d 分），评价提交后不能更改 / you already rated this case %d; a rating cannot be changed once given", rated.score, rated.score)
		s.trackPage(c, http.StatusConflict, page)
	case errors.As(err, new(invalidTransitionError)):
		page.Error = "本案件目前无需评价 / this case is not waiting for a rating"
		s.trackPage(c, http.StatusConflict, page)
	case errors.As(err, new(invalidInputError)):
		page.Error = "评价内容无效，请检查后重新提交 / the rating could not be accepted: " + err.Error()
		s.trackPage(c, http.StatusUnprocessableEntity, page)
	default:
		s.cfg.Logger.Warn("resident rating failed", "number", view.Number, "error", err)
		page.Error = "暂时无法提交评价，请稍后再试或致电物业服务中心 / the rating could not be recorded now; please try again later or call the service centre"
		s.trackPage(c, http.StatusServiceUnavailable, page)
	}
}

type trackPageData struct {
	Case  *trackedCase
	Token string
	Error string
	// Thanks follows a rating just recorded, Again one sent a second time.
	Thanks, Again bool
}

func (s *Server) trackPage(c *gin.Context, status int, d trackPageData) {
	c.Status(status)
	c.Header("Content-Type", "text/html; charset=utf-8")
	// The page is personal to the link holder: trackingHeaders keeps it out
	// of caches and its token from other sites.
	if err := trackTemplate.Execute(c.Writer, d); err != nil {
		s.cfg.Logger.Error("render tracking page", "error", err)
	}
	c.Abort()
}

// trackStyle is the page's one style sheet; the page's content policy
// allows it by its hash (trackPageCSP), so it must be the exact text inside
// <style>.
const trackStyle = `body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;max-width:40rem;margin:1rem auto;padding:0 1rem;color:#222}
h1{font-size:1.3rem}.en{color:#666;font-size:.9em}.status{font-size:1.2rem;font-weight:600;color:#0a5}
ol{padding-left:1.2rem}li{margin:.4rem 0}.err{color:#b00}.ok{color:#0a5}fieldset{border:1px solid #ccc;padding:.8rem}
textarea{width:100%;min-height:4rem}button{padding:.4rem 1.2rem}`

var trackTemplate = template.Must(template.New("track").Funcs(template.FuncMap{
	"time": func(t time.Time) string { return t.Format("2006-01-02 15:04") },
	"spec": domain.MustSpec,
	// sentence starts an English noun with a capital, for a heading.
	"sentence": func(s string) string {
		if s == "" {
			return s
		}
		return strings.ToUpper(s[:1]) + s[1:]
	},
}).Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>案件进度 Case status</title>
<style>` + trackStyle + `</style></head><body>
{{with .Error}}<p class="err" role="alert">{{.}}</p>{{end}}
{{with .Case}}
<h1>{{(spec .Kind).Noun.Zh}} {{.Number}} <span class="en">{{sentence (spec .Kind).Noun.En}}</span></h1>
<p>{{.CategoryName}} <span class="en">{{.CategoryEn}}</span> · 登记于 {{time .RecordedAt}}</p>
<p class="status">{{.StatusLabel}} <span class="en">{{.StatusEn}}</span></p>
{{with .FeedbackBy}}<p>我们将于此前向您反馈 <span class="en">We will update you by</span>: {{time .}}</p>{{end}}
{{with .ResolveBy}}<p>{{with (spec $.Case.Kind).DueLabel}}{{.Zh}} <span class="en">{{.En}}</span>{{end}}: {{time .}}</p>{{end}}
<h2>处理进度 <span class="en">Progress</span></h2>
<ol>{{range .Timeline}}<li>{{time .At}} — {{.Message}}</li>{{end}}</ol>
{{if .CanRate}}
<form method="post" action="/t/{{$.Token}}/rating"><fieldset><legend>请评价本次服务 <span class="en">Please rate our service</span></legend>
<label><input type="radio" name="score" value="5" required> 5 非常满意 <span class="en">very satisfied</span></label><br>
<label><input type="radio" name="score" value="4"> 4 满意 <span class="en">satisfied</span></label><br>
<label><input type="radio" name="score" value="3"> 3 一般 <span class="en">neutral</span></label><br>
<label><input type="radio" name="score" value="2"> 2 不满意 <span class="en">dissatisfied</span></label><br>
<label><input type="radio" name="score" value="1"> 1 非常不满意 <span class="en">very dissatisfied</span></label><br>
<label>意见 <span class="en">Comment</span><br><textarea name="comment" maxlength="2000"></textarea></label><br>
<p class="en">3 分及以下将重新处理 / a score of 3 or less reopens the case.</p>
<button type="submit">提交 Submit</button></fieldset></form>
{{end}}
{{end}}
{{if .Thanks}}<p class="ok">感谢您的评价！ <span class="en">Thank you for your rating!</span></p>{{end}}
{{if .Again}}<p class="ok">您的评价已记录，无需重复提交。 <span class="en">Your rating has already been recorded.</span></p>{{end}}
</body></html>`))
