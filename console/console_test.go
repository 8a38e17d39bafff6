package console

import (
	"bytes"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/concierge-pm/concierge/domain"
)

// TestCatalogue: every message has both languages, every key a template
// names exists, and every code the pages label (statuses, actions, roles,
// deadlines, kinds) has its message.
func TestCatalogue(t *testing.T) {
	cat := messages()
	for k, m := range cat {
		if strings.TrimSpace(m.zh) == "" || strings.TrimSpace(m.en) == "" {
			t.Errorf("message %q lacks a language: %+v", k, m)
		}
	}
	used := regexp.MustCompile(`\.T "([a-z0-9_.]+)"`)
	err := fs.WalkDir(templateFS, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := fs.ReadFile(templateFS, path)
		if err != nil {
			return err
		}
		for _, m := range used.FindAllStringSubmatch(string(raw), -1) {
			if _, ok := cat[m[1]]; !ok {
				t.Errorf("%s uses %q, which the catalogue lacks", path, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, s := range domain.AllStatuses {
		want = append(want, "status."+string(s))
	}
	for _, k := range domain.Kinds() {
		want = append(want, "kind."+string(k.Kind))
		for _, tr := range k.Actions {
			want = append(want, "action."+string(tr.Action))
			for _, f := range actionFields(tr.Action) {
				want = append(want, f.Label)
			}
		}
		for _, d := range k.Deadlines {
			want = append(want, "deadline."+string(d))
		}
	}
	for _, r := range domain.Roles() {
		want = append(want, "role."+string(r))
	}
	for _, k := range []string{"kpi.satisfaction_rate", "kpi.feedback_24h_rate", "kpi.dispatch_24h_rate", "kpi.callback_coverage",
		"kpi.complaint_rate", "deadline.callback", "error.not_found", "error.forbidden", "error.csrf", "error.invalid_credentials",
		"error.too_many_attempts", "error.invalid_input", "error.invalid_transition", "error.unavailable", "error.internal"} {
		want = append(want, k)
	}
	for _, k := range want {
		if _, ok := cat[k]; !ok {
			t.Errorf("the catalogue lacks %q", k)
		}
	}
}

// TestSLA: the countdown's colour by the share of the current window
// elapsed, for each window, computed from a fixed recording time.
func TestSLA(t *testing.T) {
	rec := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	at := func(h float64) time.Time { return rec.Add(time.Duration(h * float64(time.Hour))) }
	ptr := func(t time.Time) *time.Time { return &t }
	routed := ptr(at(1))
	open := func() caseJSON {
		return caseJSON{Status: domain.StatusRouted, RecordedAt: rec, RoutedAt: routed,
			Deadlines: domain.Deadlines{Dispatch: ptr(at(24)), FirstFeedback: ptr(at(24)), Resolution: ptr(at(72))}, NextDeadline: ptr(at(24))}
	}
	resolved := func() caseJSON {
		c := open()
		c.Status, c.FirstFeedbackAt, c.ResolvedAt = domain.StatusResolved, ptr(at(2)), ptr(at(10))
		c.Deadlines.Callback, c.NextDeadline = ptr(at(58)), ptr(at(58))
		return c
	}
	for _, tc := range []struct {
		name      string
		cs        caseJSON
		now       time.Time
		reopened  time.Time
		state     string
		which     domain.Deadline
		windowEnd time.Time
	}{
		{"first feedback, 79 % elapsed", open(), at(24 * 0.79), time.Time{}, slaOK, domain.DeadlineFirstFeedback, at(24)},
		{"first feedback, 80 % elapsed", open(), at(24 * 0.8), time.Time{}, slaWarn, domain.DeadlineFirstFeedback, at(24)},
		{"first feedback, at the deadline", open(), at(24), time.Time{}, slaBreached, domain.DeadlineFirstFeedback, at(24)},
		{"breached flag stays red", func() caseJSON { c := open(); c.SLABreached = true; return c }(), at(1), time.Time{}, slaBreached, domain.DeadlineFirstFeedback, at(24)},
		// The callback window runs from the resolution (10 h) to 58 h: 80 % is at 48.4 h.
		{"callback, 48 h", resolved(), at(48), time.Time{}, slaOK, domain.DeadlineCallback, at(58)},
		{"callback, 48.5 h", resolved(), at(48.5), time.Time{}, slaWarn, domain.DeadlineCallback, at(58)},
		// Reopened at 60 h with a new 72 h window to 132 h: 80 % is at 117.6 h.
		{"reopened, counted from the reopening", func() caseJSON {
			c := open()
			c.Status, c.FirstFeedbackAt = domain.StatusReopened, ptr(at(2))
			c.Deadlines.Resolution, c.NextDeadline = ptr(at(132)), ptr(at(132))
			return c
		}(), at(117), at(60), slaOK, domain.DeadlineResolution, at(132)},
		{"closed: none", func() caseJSON { c := open(); c.Status, c.NextDeadline = domain.StatusClosed, nil; return c }(), at(30), time.Time{}, slaNone, "", time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := slaOf(tc.cs, tc.now, tc.reopened)
			if got.State != tc.state || got.Which != tc.which {
				t.Errorf("state %s, window %s; want %s, %s", got.State, got.Which, tc.state, tc.which)
			}
			if !tc.windowEnd.IsZero() && (got.Deadline == nil || !got.Deadline.Equal(tc.windowEnd)) {
				t.Errorf("deadline %v, want %v", got.Deadline, tc.windowEnd)
			}
		})
	}
}

func TestRemaining(t *testing.T) {
	for _, tc := range []struct {
		d           time.Duration
		units, want string
	}{
		{26*time.Hour + 5*time.Minute, "天,小时,分", "1天2小时5分"},
		{26*time.Hour + 5*time.Minute, "d,h,m", "1d 2h 5m"},
		{-(3*time.Hour + 59*time.Second), "d,h,m", "3h 0m"},
		{30 * time.Second, "d,h,m", "0m"},
	} {
		if got := remaining(tc.d, tc.units); got != tc.want {
			t.Errorf("remaining(%s, %s) = %q, want %q", tc.d, tc.units, got, tc.want)
		}
	}
}

// TestActionBody: the form of each action becomes the API's body; values
// the API refuses are passed on for it to refuse.
func TestActionBody(t *testing.T) {
	for _, tc := range []struct {
		action domain.Action
		form   url.Values
		want   map[string]any
	}{
		{domain.ActionAcknowledge, url.Values{"csrf": {"x"}}, map[string]any{}},
		{domain.ActionRoute, url.Values{"department": {"engineering"}, "assignee": {""}}, map[string]any{"department": "engineering", "assignee": ""}},
		{domain.ActionFeedback, url.Values{"message": {" 已安排 "}}, map[string]any{"message": "已安排"}},
		{domain.ActionCallback, url.Values{"reached": {"true"}, "score": {"5"}, "reopen": {"true"}}, map[string]any{"reached": true, "score": 5, "comment": "", "reopen": true}},
		{domain.ActionCallback, url.Values{"reached": {"false"}}, map[string]any{"reached": false, "comment": "", "reopen": false}},
		{domain.ActionComplete, url.Values{"resolution": {"换阀门"}, "score": {"five"}}, map[string]any{"resolution": "换阀门", "score": "five", "comment": ""}},
		{domain.ActionWithdraw, url.Values{}, map[string]any{"reason": ""}},
	} {
		got := actionBody(tc.action, tc.form)
		if len(got) != len(tc.want) {
			t.Errorf("%s: %v, want %v", tc.action, got, tc.want)
			continue
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("%s: %s = %#v, want %#v", tc.action, k, got[k], v)
			}
		}
	}
}

// TestCasePageEscapes: stored text is written as text, in both languages.
func TestCasePageEscapes(t *testing.T) {
	pages := parsePages()
	const evil = `<script>alert(1)</script><img src=x onerror=alert(2)>`
	for _, lang := range []string{langZh, langEn} {
		cs := caseJSON{Number: "TS20260301-0001", Kind: domain.KindComplaint, Status: domain.StatusRouted, Description: evil, Category: evil}
		cs.Resident.Name = evil
		cs.Timeline = append(cs.Timeline, struct {
			At      time.Time `json:"at"`
			Kind    string    `json:"kind"`
			Actor   string    `json:"actor"`
			Message string    `json:"message"`
		}{Kind: "feedback", Actor: evil, Message: evil})
		tr := translator{lang: lang, cat: messages()}
		p := &page{translator: tr, TitleKey: "case.title", Me: &me{Name: evil, Role: "handler"}, loc: time.UTC, now: renderedAt}
		p.Data = &caseData{Ref: &reference{tr: tr}, Case: cs, Countdown: p.countdown(slaOf(cs, p.now, time.Time{}))}
		var buf bytes.Buffer
		if err := pages["case"].Execute(&buf, p); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if strings.Contains(out, "<script>alert") || strings.Contains(out, "<img src=x") {
			t.Errorf("%s: stored text was written as markup", lang)
		}
		if !strings.Contains(out, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s: the description is not shown as text", lang)
		}
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/console/queue?status=routed":  "/console/queue?status=routed",
		"":                              "/console/",
		"https://evil.example/console/": "/console/",
		"//evil.example/console/":       "/console/",
		"/api/v1/complaints":            "/console/",
		"/console/../api/v1/users":      "/console/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestPageURL: the language link of a form's answer leads to a page a GET
// can show, never to the form's action.
func TestPageURL(t *testing.T) {
	r := gin.New()
	var got string
	h := func(c *gin.Context) { u := pageURL(c); got = u.RequestURI() }
	r.GET(Prefix+"/queue", h)
	r.POST(Prefix+"/login", h)
	r.POST(Prefix+"/cases/:number/:action", h)
	r.POST(Prefix+"/logout", h)
	r.POST(Prefix+"/visits", h)
	r.POST(Prefix+"/visits/:id/exit", h)
	r.POST(Prefix+"/training/:id/exam", h)
	r.POST(Prefix+"/callbacks/:id/result", h)
	r.POST(Prefix+"/emails/:id/open", h)
	r.POST(Prefix+"/handbook/:code", h)
	r.POST(Prefix+"/fees/:community/:id/delete", h)
	r.POST(Prefix+"/calendar/:year", h)
	r.POST(Prefix+"/questions/:id/deactivate", h)
	for _, tc := range []struct{ method, path, want string }{
		{http.MethodGet, "/console/queue?status=routed", "/console/queue?status=routed"},
		{http.MethodPost, "/console/login", "/console/login"},
		{http.MethodPost, "/console/cases/TS20260301-0001/acknowledge", "/console/cases/TS20260301-0001"},
		{http.MethodPost, "/console/logout", "/console/"},
		{http.MethodPost, "/console/visits", "/console/reception?q="},
		{http.MethodPost, "/console/visits/3/exit", "/console/visits/3"},
		{http.MethodPost, "/console/training/2026-Q1/exam", "/console/training/2026-Q1/exam?staff="},
		{http.MethodPost, "/console/callbacks/5/result", "/console/callbacks?month="},
		{http.MethodPost, "/console/emails/5/open", "/console/emails"},
		{http.MethodPost, "/console/handbook/leak", "/console/handbook/leak"},
		{http.MethodPost, "/console/fees/A/3/delete", "/console/fees/A"},
		{http.MethodPost, "/console/calendar/2026", "/console/calendar/2026"},
		{http.MethodPost, "/console/questions/4/deactivate", "/console/questions"},
	} {
		got = ""
		r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(tc.method, tc.path, nil))
		if got != tc.want {
			t.Errorf("%s %s: %q, want %q", tc.method, tc.path, got, tc.want)
		}
	}
}

// TestPhoneDigits: the visit form takes the looked-up number as the
// database compares it.
func TestPhoneDigits(t *testing.T) {
	for in, want := range map[string]string{
		"13800130000": "13800130000", "+86 138-0013-0000": "13800130000", "(138) 0013.0000": "13800130000",
		"8613800130000": "13800130000", "010-6512 3456": "01065123456",
	} {
		if got := phoneDigits(in); got != want {
			t.Errorf("phoneDigits(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestPhase2PagesEscape: the reception, visit, new case, exam, callback
// and field pages write stored text (names, notes, questions, comments)
// as text, in both languages.
func TestPhase2PagesEscape(t *testing.T) {
	pages := parsePages()
	const evil = `<script>alert(1)</script>`
	score := 4
	hh := householdJSON{ID: 7, Community: "A", CommunityName: evil, Unit: "1-101", Active: true,
		OpenCases: []householdCaseJSON{{Number: "TS20260301-0001", Kind: "complaint", Status: domain.StatusRouted, Category: evil}}}
	hh.Residents = append(hh.Residents, struct {
		Name  string `json:"name"`
		Phone string `json:"phone"`
	}{evil, "138****0000"})
	visit := visitFull{visitJSON: visitJSON{ID: 3, Unit: "1-101", VisitorName: evil, Purpose: "complaint"}, Community: "A",
		Notes: evil, ExitScore: &score, ExitComment: evil}
	cs := caseJSON{Number: "TS20260301-0002", Kind: domain.KindComplaint, Status: domain.StatusRouted, Description: evil}
	cs.Resident.Name = evil
	cycle := &cycleDetailJSON{Cycle: cycleSummaryJSON{ID: "2026-Q1", Phase: "exam_open"},
		Staff: []sitterJSON{{Staff: "liu_fang", Name: evil, Result: "not_sat"}}}
	cycle.Questions = append(cycle.Questions, questionJSON{ID: 1, Topic: "property", Question: evil, Points: 10})
	cycle.Questions[0].Choices = append(cycle.Questions[0].Choices, struct {
		Key  string `json:"key"`
		Text string `json:"text"`
	}{"A", evil})
	for _, lang := range []string{langZh, langEn} {
		tr := translator{lang: lang, cat: messages()}
		ref := &reference{tr: tr}
		for name, data := range map[string]any{
			"reception": &receptionData{Ref: ref, Q: evil, Searched: true, Households: []householdJSON{hh}, Purpose: visitPurposes},
			"visit":     &visitData{Visit: visit, CanCase: true},
			"newcase":   &newCaseData{Ref: ref, Kind: domain.MustSpec(domain.KindComplaint), Form: map[string]string{"resident_name": evil, "description": evil}},
			"exam":      &trainingData{Cycle: cycle, Sitter: &cycle.Staff[0]},
			"cycle":     &trainingData{Cycle: cycle, Trainer: true},
			"callbacks": &callbacksData{Ref: ref, Month: "2026-03", Outcomes: callOutcomes, Tasks: []callbackTaskJSON{{ID: 1, Resident: evil, Comment: evil, Status: "open"}}},
			"field":     &fieldData{Ref: ref, Cases: []fieldCase{{caseJSON: cs}}},
		} {
			p := &page{translator: tr, TitleKey: "app.title", Me: &me{Name: evil, Role: "supervisor"}, loc: time.UTC, now: renderedAt, Data: data}
			var buf bytes.Buffer
			if err := pages[name].Execute(&buf, p); err != nil {
				t.Fatalf("%s %s: %v", lang, name, err)
			}
			out := buf.String()
			if strings.Contains(out, evil) {
				t.Errorf("%s %s: stored text was written as markup", lang, name)
			}
			if !strings.Contains(out, "&lt;script&gt;alert(1)&lt;/script&gt;") {
				t.Errorf("%s %s: the stored text is not shown", lang, name)
			}
		}
	}
}

// renderedAt is the clock of the escaping tests: what they check does not
// depend on it, and a fixed one (a month's last minute) keeps it so.
var renderedAt = time.Date(2026, 3, 31, 23, 59, 0, 0, time.UTC)

// TestEditorPagesEscape: the email queue, the case page's tracking link,
// the error page and the editors write stored text (a sender, a subject
// and body, a fee's name, a question, a category, a holiday's name, the
// input kept after a refusal) as text, in both languages, for a role that
// edits and one that reads only.
func TestEditorPagesEscape(t *testing.T) {
	pages := parsePages()
	const evil = `<script>alert(1)</script>`
	mail := emailJSON{ID: 9, Sender: "x@example.com", SenderName: evil, Subject: evil, Body: "正文\n" + evil, Status: "triage"}
	q := bankQuestionJSON{ID: 4, Topic: "property", Question: evil, Answer: "A", Points: 10, Active: true}
	q.Choices = append(q.Choices, struct {
		Key  string `json:"key"`
		Text string `json:"text"`
	}{"A", evil})
	kept := map[string]string{"name": evil, "days": evil, "question": evil, "unit": evil}
	for _, lang := range []string{langZh, langEn} {
		tr := translator{lang: lang, cat: messages()}
		ref := &reference{tr: tr}
		for _, role := range []string{"centre_manager", "handler"} {
			for name, data := range map[string]any{
				"emails":    &emailsData{Ref: ref, Status: "triage", Statuses: emailStatuses, Emails: []emailJSON{mail}, FormID: 9, Form: kept, Error: "error.invalid_input", Detail: evil},
				"handbook":  &handbookData{editorData: editorData{May: true}, Categories: []categoryFull{{Code: "leak", Name: evil, Keywords: []string{evil}}}},
				"category":  &handbookData{editorData: editorData{May: role != "handler", Form: kept, Error: "error.invalid_input", Detail: evil}, Ref: ref, Code: "leak", Limits: categoryLimits},
				"fees":      &feesData{editorData: editorData{May: role != "handler", Form: kept}, Ref: ref, Community: "A", Bases: feeBases, UnitTypes: unitTypes, Fees: []feeStandardJSON{{ID: 1, Item: "x", Name: evil}}},
				"calendar":  &calendarData{editorData: editorData{May: role != "handler", Form: kept}, Year: 2026, Days: []calendarDayJSON{{Day: "2026-10-01", Name: evil}}},
				"questions": &questionsData{editorData: editorData{May: true, Form: kept}, Topics: trainingTopics, ChoiceKeys: choiceKeys, Questions: []bankQuestionJSON{q}},
				"case": &caseData{Ref: ref, Case: caseJSON{Number: "TS20260301-0001", Kind: domain.KindComplaint, Status: domain.StatusRouted, Description: evil},
					LinkAllowed: true, Link: &trackLinkJSON{TrackURL: "https://concierge.test/t/abc"}},
				"error":    errorInfo{Key: "error.page_not_found", Detail: evil, Status: 404},
				"settings": nil,
			} {
				p := &page{translator: tr, TitleKey: "app.title", Me: &me{Name: evil, Role: role}, loc: time.UTC, now: renderedAt, Data: data}
				var buf bytes.Buffer
				if err := pages[name].Execute(&buf, p); err != nil {
					t.Fatalf("%s %s %s: %v", lang, role, name, err)
				}
				out := buf.String()
				if strings.Contains(out, evil) {
					t.Errorf("%s %s %s: stored text was written as markup", lang, role, name)
				}
				if !strings.Contains(out, "&lt;script&gt;alert(1)&lt;/script&gt;") {
					t.Errorf("%s %s %s: the stored text is not shown", lang, role, name)
				}
			}
		}
	}
}

// TestCalendarLines: the calendar's textarea, one day a line, becomes the
// API's days; a line it cannot read is named by its number.
func TestCalendarLines(t *testing.T) {
	for _, tc := range []struct {
		in   string
		days int
		bad  int
	}{
		{"2026-10-01 休 国庆节\n\n2026-10-11 班 调休上班\n", 2, 0},
		{"2026-10-01 off National Day", 1, 0},
		{"2026-10-01 休\n2026-10-02", 0, 2},
		{"2026-10-01 maybe 国庆", 0, 1},
		{"", 0, 0},
	} {
		days, bad := calendarLines(tc.in)
		if len(days) != tc.days || bad != tc.bad {
			t.Errorf("%q: %d days, bad line %d; want %d, %d", tc.in, len(days), bad, tc.days, tc.bad)
		}
	}
	days, _ := calendarLines("2026-10-11 班 调休 上班")
	if days[0]["working"] != true || days[0]["name"] != "调休 上班" || days[0]["day"] != "2026-10-11" {
		t.Errorf("a working day: %v", days[0])
	}
}

// TestHint: the API's 422 messages the forms meet most are said in the
// page's language with the field's label; others get no hint.
func TestHint(t *testing.T) {
	cat := messages()
	for _, r := range hintRules {
		if _, ok := cat[r.key]; !ok {
			t.Errorf("the catalogue lacks the hint %q", r.key)
		}
	}
	for field, key := range fieldLabels {
		if _, ok := cat[key]; !ok {
			t.Errorf("the catalogue lacks %q, the label of %s", key, field)
		}
	}
	for _, tc := range []struct{ lang, detail, want string }{
		{langZh, `rate "2,80" must be a decimal string such as "2.80"`, "单价须为不小于 0 的小数"},
		{langEn, `rate "2,80" must be a decimal string such as "2.80"`, "The rate must be a decimal"},
		{langZh, "name is required", "请填写「名称」。"},
		{langEn, "effective_from must be a date YYYY-MM-DD", "“Effective from” must be a date"},
		{langZh, `resolve_within "soon" is not a duration such as "24h", "90m" or "3s"`, "「处理时限」须为时长"},
		{langEn, `answer "D" is not one of the choices' keys`, "The answer must be one of the choices"},
		{langZh, `category "pipe_burst" is not a complaint category of the handbook`, "所选类别不属于该工单类型"},
		{langEn, `days[0].day "2093-02-30" is not a date YYYY-MM-DD in 2093`, "A date does not exist"},
		{langEn, "something the console has not seen", ""},
	} {
		p := &page{translator: translator{lang: tc.lang, cat: messages()}}
		if got := p.Hint(tc.detail); (tc.want == "" && got != "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s %q: %q, want %q", tc.lang, tc.detail, got, tc.want)
		}
	}
}
