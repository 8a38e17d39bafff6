package integration

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/concierge-pm/concierge/auth"
)

// consoleUser is a browser signed in to the console as one member of
// staff: it keeps the cookies and follows redirects, as a browser does.
type consoleUser struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
}

// signInConsole signs username in through the console's own form.
func signInConsole(t *testing.T, srv *httptest.Server, username string) *consoleUser {
	t.Helper()
	pw, err := auth.HashPassword(testPassword, cheapHash())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sys.store.CreateMissingAccounts(context.Background(), pw); err != nil {
		t.Fatal(err)
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	u := &consoleUser{t: t, base: srv.URL, c: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
	_, login := u.get("/console/login")
	code, home := u.post("/console/login", url.Values{"username": {username}, "password": {testPassword},
		"csrf": {formValue(t, login, "csrf")}, "next": {"/console/"}})
	if code != http.StatusOK || !strings.Contains(home, `action="/console/logout"`) {
		t.Fatalf("sign in %s: HTTP %d", username, code)
	}
	u.csrf = formValue(t, home, "csrf")
	return u
}

func formValue(t *testing.T, page, name string) string {
	t.Helper()
	m := regexp.MustCompile(`name="` + name + `" value="([^"]*)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no field %s in the page", name)
	}
	return m[1]
}

func (u *consoleUser) read(resp *http.Response, err error) (int, string) {
	u.t.Helper()
	if err != nil {
		u.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	if _, err := io.Copy(&b, resp.Body); err != nil {
		u.t.Fatal(err)
	}
	return resp.StatusCode, b.String()
}

func (u *consoleUser) get(path string) (int, string) {
	u.t.Helper()
	return u.read(u.c.Get(u.base + path))
}

// post sends a form with the session's CSRF token (unless it has one).
func (u *consoleUser) post(path string, form url.Values) (int, string) {
	u.t.Helper()
	sent := url.Values{}
	for k, v := range form {
		sent[k] = v
	}
	if u.csrf != "" && !sent.Has("csrf") {
		sent.Set("csrf", u.csrf)
	}
	return u.read(u.c.PostForm(u.base+path, sent))
}

// TestConsoleEmails: the email triage queue. A role without the triage
// permission sees no link and gets 403 pages; the receptionist sees the
// message's text escaped, a refused form keeps the input and changes
// nothing, and the email opens as a complaint and is no longer in triage.
func TestConsoleEmails(t *testing.T) {
	t.Parallel()
	srv := consoleServer(t)
	const evil = `<script>alert("mail")</script>`
	suffix := time.Now().UnixNano()
	code, a := postEmail(t, utf8Mail(fmt.Sprintf("console-evil-%d@mail.example", suffix), "stranger@elsewhere.example",
		"电梯 "+evil, "3号楼电梯又坏了 "+evil))
	if code != http.StatusAccepted || a.TriageID == nil {
		t.Fatalf("email: HTTP %d %+v", code, a)
	}
	code, b := postEmail(t, utf8Mail(fmt.Sprintf("console-thanks-%d@mail.example", suffix), "stranger2@elsewhere.example", "谢谢", "谢谢你们"))
	if code != http.StatusAccepted || b.TriageID == nil {
		t.Fatalf("email: HTTP %d %+v", code, b)
	}
	id, other := itoa(*a.TriageID), itoa(*b.TriageID)
	status := func(id string) string {
		var s string
		if err := sys.store.Pool().QueryRow(context.Background(), `SELECT status FROM inbound_emails WHERE id = $1`, id).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	open := url.Values{"kind": {"complaint"}, "community": {"A"}, "unit": {"3-101"}, "category": {"elevator"},
		"priority": {"normal"}, "resident_name": {"来信人"}, "resident_phone": {"13900000019"}}

	handler := signInConsole(t, srv, "li_qiang")
	if _, home := handler.get("/console/"); strings.Contains(home, `id="nav-emails"`) {
		t.Error("a handler's nav links to the email queue")
	}
	if code, _ := handler.get("/console/emails"); code != http.StatusForbidden {
		t.Errorf("a handler's email queue: HTTP %d, want 403", code)
	}
	if code, body := handler.post("/console/emails/"+id+"/open", open); code != http.StatusForbidden || !strings.Contains(body, `id="error-message"`) {
		t.Errorf("a handler opens an email: HTTP %d, want the 403 page", code)
	}
	if s := status(id); s != "triage" {
		t.Fatalf("after the handler's refused post the email is %s", s)
	}

	desk := signInConsole(t, srv, "liu_fang")
	code, queue := desk.get("/console/emails")
	if code != http.StatusOK || !strings.Contains(queue, `id="nav-emails"`) || !strings.Contains(queue, `id="email-`+id+`"`) {
		t.Fatalf("the receptionist's email queue: HTTP %d, or no link or no email %s", code, id)
	}
	if strings.Contains(queue, evil) || !strings.Contains(queue, `&lt;script&gt;alert(&#34;mail&#34;)&lt;/script&gt;`) {
		t.Error("the email's subject or body was not written as text")
	}

	// A repair category for a complaint: the API's 422, the input kept.
	bad := url.Values{}
	for k, v := range open {
		bad[k] = v
	}
	bad.Set("category", "pipe_burst")
	bad.Set("unit", "3-101")
	code, page := desk.post("/console/emails/"+id+"/open", bad)
	if code != http.StatusUnprocessableEntity || !strings.Contains(page, `id="email-error-`+id+`"`) ||
		!strings.Contains(page, `value="13900000019"`) || !strings.Contains(page, `<option value="pipe_burst" selected>`) {
		t.Errorf("a complaint in a repair category: HTTP %d, want 422 with the error next to the form and the input kept: %s", code, errorText(page))
	}
	if s := status(id); s != "triage" {
		t.Fatalf("after a refused open the email is %s", s)
	}

	code, casePage := desk.post("/console/emails/"+id+"/open", open)
	if code != http.StatusOK || !strings.Contains(casePage, `id="case-done"`) {
		t.Fatalf("open the email: HTTP %d, want the new case's page", code)
	}
	if s := status(id); s != "opened" {
		t.Errorf("the opened email is %s", s)
	}
	if _, queue := desk.get("/console/emails"); strings.Contains(queue, `id="email-`+id+`"`) {
		t.Error("the opened email is still in the triage queue")
	}
	if _, done := desk.get("/console/emails?status=opened"); !strings.Contains(done, `id="email-`+id+`"`) {
		t.Error("the opened email is not under opened")
	}

	code, page = desk.post("/console/emails/"+other+"/dismiss", url.Values{"reason": {"感谢信"}})
	if code != http.StatusOK || !strings.Contains(page, `id="emails-done"`) || status(other) != "dismissed" {
		t.Errorf("dismiss: HTTP %d, email %s", code, status(other))
	}
	// A dismissed email is not opened: the API's 409, said in the page.
	if code, page := desk.post("/console/emails/"+other+"/open", open); code != http.StatusConflict || !strings.Contains(page, `id="emails-error"`) {
		t.Errorf("open a dismissed email: HTTP %d, want 409 with the reason", code)
	}
}

// TestConsoleTrackingLink: the case page offers the re-send of the
// resident's tracking link to a role that may send it, and only to it; the
// form posted twice queues one message.
func TestConsoleTrackingLink(t *testing.T) {
	t.Parallel()
	srv := consoleServer(t)
	c := create(t, "leak") // community A, engineering (li_qiang)
	links := func() int {
		return count(t, `SELECT count(*) FROM notifications WHERE number = $1 AND template = 'tracking_link'`, c.Number)
	}
	handler := signInConsole(t, srv, "li_qiang")
	code, page := handler.get("/console/cases/" + c.Number)
	if code != http.StatusOK || strings.Contains(page, `id="do-resend-link"`) {
		t.Errorf("the handler's case page: HTTP %d, or it offers the re-send", code)
	}
	if code, _ := handler.post("/console/cases/"+c.Number+"/resend-link", url.Values{"idempotency_key": {"console-test-" + c.Number}}); code != http.StatusForbidden {
		t.Errorf("the handler re-sends the link: HTTP %d, want 403", code)
	}
	if n := links(); n != 0 {
		t.Fatalf("a refused re-send queued %d messages", n)
	}
	desk := signInConsole(t, srv, "liu_fang")
	code, page = desk.get("/console/cases/" + c.Number)
	if code != http.StatusOK || !strings.Contains(page, `id="do-resend-link"`) || !strings.Contains(page, `id="tracking-url"`) {
		t.Fatalf("the receptionist's case page: HTTP %d, or no re-send", code)
	}
	form := url.Values{"idempotency_key": {formValue(t, page[strings.Index(page, `id="resend-form"`):], "idempotency_key")}}
	for i := range 2 {
		code, done := desk.post("/console/cases/"+c.Number+"/resend-link", form)
		if code != http.StatusOK || !strings.Contains(done, `id="case-done"`) {
			t.Fatalf("re-send #%d: HTTP %d, want the case page saying it is done", i+1, code)
		}
	}
	if n := links(); n != 1 {
		t.Errorf("the form posted twice queued %d messages, want 1", n)
	}
}

// TestConsoleNotFound: a console path no route serves, a case and a visit
// that do not exist are the console's 404 page (HTML, both languages);
// the API's own unknown paths still answer its JSON.
func TestConsoleNotFound(t *testing.T) {
	t.Parallel()
	srv := consoleServer(t)
	u := signInConsole(t, srv, "liu_fang")
	for _, tc := range []struct{ path, zh, en string }{
		{"/console/no-such-screen", "页面不存在", "No such page"},
		{"/console/cases/TS20990101-9999", "没有这个工单", "No such case"},
		{"/console/visits/999999999", "没有这条来访记录", "No such visit"},
		{"/console/calendar/1999", "页面不存在", "No such page"},
		{"/console/fees/NOSUCHCOMMUNITY", "页面不存在", "No such page"},
	} {
		resp, err := u.c.Get(srv.URL + tc.path)
		code, page := u.read(resp, err)
		if code != http.StatusNotFound || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
			!strings.Contains(page, tc.zh) || !strings.Contains(page, tc.en) || !strings.Contains(page, `id="nav-reception"`) {
			t.Errorf("%s: HTTP %d %s, want the console's 404 page in both languages with its navigation", tc.path, code, resp.Header.Get("Content-Type"))
		}
	}
	// Signed out: still the page, not the sign-in form.
	resp, err := http.Get(srv.URL + "/console/no-such-screen?lang=en")
	code, page := u.read(resp, err)
	if code != http.StatusNotFound || !strings.Contains(page, `<html lang="en">`) || !strings.Contains(page, "No such page") {
		t.Errorf("signed out: HTTP %d, want the 404 page in English", code)
	}
	var e apiError
	if code, err := requestAt(srv.URL, "GET", "/api/v1/no-such-endpoint", "application/json", nil, &e); err != nil ||
		code != http.StatusNotFound || e.Error.Code != "not_found" {
		t.Errorf("the API's unknown path: HTTP %d %+v (%v), want its JSON 404", code, e, err)
	}
}

// TestConsoleEditors: the reference data editors. A role without the
// write permission sees no link and no form and gets the 403 page on a
// post, which changes nothing; a bad input is the API's 422 said next to
// the form with the input kept, and changes nothing; a good one is saved
// through the API. Each writes only what no other test reads: a community
// of its own, a new category, a year far ahead, a question it retires.
func TestConsoleEditors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := consoleServer(t)
	const community, year = "CONSOLEF", "2093"
	if _, err := sys.store.Pool().Exec(ctx, `INSERT INTO communities (code, name) VALUES ($1, '收费测试小区') ON CONFLICT DO NOTHING`, community); err != nil {
		t.Fatal(err)
	}
	fees := func() int {
		return count(t, `SELECT count(*) FROM fee_standards WHERE community = $1 AND deleted_at IS NULL`, community)
	}
	days := func() int {
		return count(t, `SELECT count(*) FROM calendar_days WHERE day >= make_date($1, 1, 1) AND day < make_date($1 + 1, 1, 1)`, 2093)
	}
	category := fmt.Sprintf("console_cat_%d", time.Now().UnixNano()%1_000_000)
	// What the editors saved goes, so that no other test meets a year or a
	// category it did not make.
	t.Cleanup(func() {
		ctx := context.Background()
		if _, err := sys.store.Pool().Exec(ctx, `DELETE FROM calendar_days WHERE day >= make_date($1, 1, 1) AND day < make_date($1 + 1, 1, 1)`, 2093); err != nil {
			t.Errorf("remove the %s calendar: %v", year, err)
		}
		if _, err := sys.store.Pool().Exec(ctx, `DELETE FROM handbook_categories WHERE code = $1`, category); err != nil {
			t.Errorf("remove category %s: %v", category, err)
		}
	})
	fee := url.Values{"item": {"console_fee"}, "name": {"测试费"}, "basis": {"household"}, "rate": {"12.50"}, "effective_from": {"2026-01-01"}}
	question := url.Values{"topic": {"property"}, "question": {"控制台测试题：物业费按什么计算？"}, "choice_A": {"建筑面积"},
		"choice_B": {"户数"}, "answer": {"A"}, "points": {"10"}}

	// A handler edits nothing: no link, no form, 403 on every post.
	handler := signInConsole(t, srv, "li_qiang")
	if _, home := handler.get("/console/"); strings.Contains(home, `id="nav-settings"`) {
		t.Error("a handler's nav links to the editors")
	}
	if code, page := handler.get("/console/fees/A"); code != http.StatusOK || strings.Contains(page, `id="fee-form"`) ||
		!strings.Contains(page, `id="editor-readonly"`) {
		t.Errorf("a handler's fee standards: HTTP %d, want them read only", code)
	}
	if code, page := handler.get("/console/handbook/leak"); code != http.StatusOK || strings.Contains(page, `id="category-form"`) {
		t.Errorf("a handler's handbook entry: HTTP %d, want it read only", code)
	}
	if code, _ := handler.get("/console/questions"); code != http.StatusForbidden {
		t.Errorf("a handler's question bank: HTTP %d, want 403", code)
	}
	questions := count(t, `SELECT count(*) FROM training_questions`)
	for path, form := range map[string]url.Values{
		"/console/fees/" + community:    fee,
		"/console/handbook/" + category: {"name": {"测试"}},
		"/console/calendar/" + year:     {"days": {year + "-10-01 休 国庆节"}},
		"/console/questions":            question,
	} {
		if code, page := handler.post(path, form); code != http.StatusForbidden || !strings.Contains(page, `id="error-message"`) {
			t.Errorf("a handler posts %s: HTTP %d, want the 403 page", path, code)
		}
	}
	if fees() != 0 || days() != 0 || count(t, `SELECT count(*) FROM training_questions`) != questions ||
		count(t, `SELECT count(*) FROM handbook_categories WHERE code = $1`, category) != 0 {
		t.Fatal("a handler's refused posts changed something")
	}
	// A supervisor keeps the handbook but not the fees.
	sup := signInConsole(t, srv, "chen_jing")
	if _, home := sup.get("/console/settings"); !strings.Contains(home, `id="go-handbook"`) || strings.Contains(home, `id="go-fees"`) {
		t.Error("the supervisor's settings: want the handbook and not the fees")
	}
	if code, _ := sup.post("/console/fees/"+community, fee); code != http.StatusForbidden || fees() != 0 {
		t.Errorf("a supervisor adds a fee standard: HTTP %d, want 403 and nothing added", code)
	}

	// The property manager keeps the handbook and the fees.
	pm := signInConsole(t, srv, "gao_feng")
	if _, home := pm.get("/console/"); !strings.Contains(home, `id="nav-settings"`) {
		t.Error("the property manager's nav has no editors' link")
	}

	// Fees: a rate that is not a decimal, then a good one, then deleted.
	bad := url.Values{}
	for k, v := range fee {
		bad[k] = v
	}
	bad.Set("rate", "十二块")
	code, page := pm.post("/console/fees/"+community, bad)
	if code != http.StatusUnprocessableEntity || !strings.Contains(page, `id="editor-error"`) || !strings.Contains(page, `value="十二块"`) ||
		!strings.Contains(page, "单价须为不小于 0 的小数") ||
		!strings.Contains(page, `value="console_fee"`) || fees() != 0 {
		t.Errorf("a bad rate: HTTP %d, want 422 with the error and the input kept, nothing added (%d): %s", code, fees(), errorText(page))
	}
	code, page = pm.post("/console/fees/"+community, fee)
	if code != http.StatusOK || !strings.Contains(page, `id="editor-done"`) || fees() != 1 {
		t.Fatalf("add a fee standard: HTTP %d, %d standards", code, fees())
	}
	var feeID int64
	if err := sys.store.Pool().QueryRow(ctx, `SELECT id FROM fee_standards WHERE community = $1`, community).Scan(&feeID); err != nil {
		t.Fatal(err)
	}
	// The same item from the same day again overlaps: 409, said.
	if code, page := pm.post("/console/fees/"+community, fee); code != http.StatusConflict || !strings.Contains(page, `id="editor-error"`) || fees() != 1 {
		t.Errorf("an overlapping standard: HTTP %d, want 409 with the reason", code)
	}
	if code, _ := handler.post(fmt.Sprintf("/console/fees/%s/%d/delete", community, feeID), url.Values{}); code != http.StatusForbidden || fees() != 1 {
		t.Errorf("a handler deletes a standard: HTTP %d, want 403", code)
	}
	if code, _ := pm.post(fmt.Sprintf("/console/fees/%s/%d/delete", community, feeID), url.Values{}); code != http.StatusOK || fees() != 0 {
		t.Errorf("delete the standard: HTTP %d, %d left", code, fees())
	}

	// Handbook: a limit that is not a duration, then the new category.
	entry := url.Values{"name": {"控制台测试分类"}, "kind": {"complaint"}, "department": {"engineering"}, "priority": {"normal"},
		"resolve_within": {"soon"}, "keywords": {"控制台测试甲，控制台测试乙"}}
	code, page = pm.post("/console/handbook/"+category, entry)
	if code != http.StatusUnprocessableEntity || !strings.Contains(page, `id="editor-error"`) || !strings.Contains(page, `value="soon"`) ||
		count(t, `SELECT count(*) FROM handbook_categories WHERE code = $1`, category) != 0 {
		t.Errorf("a bad limit: HTTP %d, want 422 with the input kept and no category", code)
	}
	entry.Set("resolve_within", "48h")
	if code, page := pm.post("/console/handbook/"+category, entry); code != http.StatusOK || !strings.Contains(page, `id="editor-done"`) {
		t.Fatalf("save the category: HTTP %d", code)
	}
	var cat struct {
		Name          string   `json:"name"`
		ResolveWithin string   `json:"resolve_within"`
		Keywords      []string `json:"keywords"`
	}
	if code := call(t, "GET", "/api/v1/handbook/categories/"+category, nil, &cat); code != http.StatusOK || cat.Name != "控制台测试分类" ||
		cat.ResolveWithin != "48h" || len(cat.Keywords) != 2 {
		t.Errorf("the saved category: HTTP %d %+v", code, cat)
	}

	// The calendar and the question bank are the trainers': the centre
	// manager's (the property manager holds no training:manage).
	cm := signInConsole(t, srv, "ma_lin")
	// Calendar: a date that does not exist, then the year saved.
	code, page = cm.post("/console/calendar/"+year, url.Values{"days": {year + "-02-30 休 不存在\n" + year + "-10-01 休 国庆节"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(page, `id="editor-error"`) || !strings.Contains(page, year+"-02-30") || days() != 0 {
		t.Errorf("a date that does not exist: HTTP %d, want 422 with the input kept, nothing saved (%d)", code, days())
	}
	code, page = cm.post("/console/calendar/"+year, url.Values{"days": {year + "-10-01 休\n" + year + "-10-02 maybe"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(page, `id="editor-error"`) || !strings.Contains(page, "行号： 2") || days() != 0 {
		t.Errorf("a line the console cannot read: HTTP %d, want 422, nothing saved", code)
	}
	code, page = cm.post("/console/calendar/"+year, url.Values{"days": {year + "-10-01 休 国庆节\n" + year + "-10-10 班 调休上班"}})
	if code != http.StatusOK || !strings.Contains(page, `id="editor-done"`) || days() != 2 {
		t.Errorf("save the calendar: HTTP %d, %d days", code, days())
	}

	// Question bank: an answer that is no choice's, then the question,
	// then retired (the bank is as it was for the other tests).
	wrong := url.Values{}
	for k, v := range question {
		wrong[k] = v
	}
	wrong.Set("answer", "D")
	code, page = cm.post("/console/questions", wrong)
	if code != http.StatusUnprocessableEntity || !strings.Contains(page, `id="editor-error"`) || !strings.Contains(page, "控制台测试题") ||
		count(t, `SELECT count(*) FROM training_questions`) != questions {
		t.Errorf("an answer that is no choice: HTTP %d, want 422 with the input kept, nothing added", code)
	}
	if code, page := cm.post("/console/questions", question); code != http.StatusOK || !strings.Contains(page, `id="editor-done"`) {
		t.Fatalf("add the question: HTTP %d", code)
	}
	var qid int64
	if err := sys.store.Pool().QueryRow(ctx, `SELECT id FROM training_questions WHERE question = $1 AND active ORDER BY id DESC LIMIT 1`,
		question.Get("question")).Scan(&qid); err != nil {
		t.Fatal(err)
	}
	if code, _ := cm.post(fmt.Sprintf("/console/questions/%d/deactivate", qid), url.Values{}); code != http.StatusOK ||
		count(t, `SELECT count(*) FROM training_questions WHERE id = $1 AND active`, qid) != 0 {
		t.Errorf("retire the question: HTTP %d", code)
	}
}

// errorText is the error a console page says, for a test's message.
func errorText(page string) string {
	m := regexp.MustCompile(`(?s)role="alert"[^>]*>(.*?)</p>`).FindStringSubmatch(page)
	if m == nil {
		return "(no error shown)"
	}
	return m[1]
}
