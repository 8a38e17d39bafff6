package integration

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

type tracked struct {
	Number      string `json:"number"`
	Kind        string `json:"kind"`
	Status      string `json:"status"`
	StatusLabel string `json:"status_label"`
	CanRate     bool   `json:"can_rate"`
	Timeline    []struct {
		Kind    string `json:"kind"`
		Message string `json:"message"`
	} `json:"timeline"`
}

func token(t *testing.T, trackURL string) string {
	t.Helper()
	tok, ok := strings.CutPrefix(trackURL, "/t/")
	if !ok || tok == "" {
		t.Fatalf("track_url %q is not a tracking link", trackURL)
	}
	return tok
}

func getPage(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := staffClient().Get(sys.http.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestResidentTracksAndRatesComplaint(t *testing.T) {
	t.Parallel()
	var c struct {
		complaint
		TrackURL string `json:"track_url"`
	}
	if code := call(t, "POST", "/api/v1/complaints", newComplaintBody("hygiene"), &c); code != http.StatusCreated {
		t.Fatalf("create: HTTP %d", code)
	}
	tok := token(t, c.TrackURL)

	var v tracked
	if code := call(t, "GET", "/api/v1/track/"+tok, nil, &v); code != http.StatusOK || v.Number != c.Number || v.CanRate || v.StatusLabel == "" {
		t.Fatalf("track: HTTP %d %+v", code, v)
	}
	// Nothing of the resident or the staff in it.
	_, raw := getPage(t, "/api/v1/track/"+tok)
	for _, private := range []string{"测试住户", "13900000000", "feng_xia", "unit"} {
		if strings.Contains(raw, private) {
			t.Errorf("tracking JSON leaks %q: %s", private, raw)
		}
	}
	var e apiError
	if code := call(t, "POST", "/api/v1/track/"+tok+"/rating", map[string]any{"score": 5}, &e); code != http.StatusConflict {
		t.Fatalf("rating before resolution: HTTP %d %+v", code, e)
	}

	act(t, c.Number, "acknowledge", nil, http.StatusOK)
	act(t, c.Number, "feedback", map[string]any{"message": "保洁员今天下午清理"}, http.StatusOK)
	act(t, c.Number, "resolve", map[string]any{"resolution": "楼道已清理干净"}, http.StatusOK)
	code, page := getPage(t, "/t/"+tok)
	if code != http.StatusOK || !strings.Contains(page, c.Number) || !strings.Contains(page, "楼道已清理干净") ||
		!strings.Contains(page, `name="score"`) || !strings.Contains(page, "保洁员今天下午清理") {
		t.Fatalf("tracking page: HTTP %d\n%s", code, page)
	}

	// The resident rates through the page's form.
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(sys.http.URL+"/t/"+tok+"/rating", url.Values{"score": {"5"}, "comment": {"很干净"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("form post: HTTP %d", resp.StatusCode)
	}
	if got := get(t, c.Number); got.Status != "closed" {
		t.Fatalf("after the resident's rating: %s", got.Status)
	}
	if n := count(t, `SELECT count(*) FROM ratings WHERE number = $1 AND source = 'complaint_callback' AND rated_by = 'resident' AND score = 5`, c.Number); n != 1 {
		t.Fatalf("%d resident ratings", n)
	}
	if code, page := getPage(t, "/t/"+tok); code != http.StatusOK || strings.Contains(page, `name="score"`) {
		t.Fatalf("a closed case still offers the rating form (HTTP %d)", code)
	}
}

func TestResidentRatingReopensRepair(t *testing.T) {
	t.Parallel()
	var r struct {
		repairCase
		TrackURL string `json:"track_url"`
	}
	if code := call(t, "POST", "/api/v1/repairs", newRepairBody("plumbing"), &r); code != http.StatusCreated {
		t.Fatalf("create: HTTP %d", code)
	}
	tok := token(t, r.TrackURL)
	actRepair(t, r.Number, "complete", map[string]any{"resolution": "疏通下水道"}, http.StatusOK)
	var v tracked
	if code := call(t, "POST", "/api/v1/track/"+tok+"/rating", map[string]any{"score": 7}, &v); code != http.StatusUnprocessableEntity {
		t.Fatalf("score 7: HTTP %d", code)
	}
	if code := call(t, "POST", "/api/v1/track/"+tok+"/rating", map[string]any{"score": 2, "comment": "还是堵"}, &v); code != http.StatusOK || v.Status != "reopened" {
		t.Fatalf("a dissatisfied rating: HTTP %d %+v", code, v)
	}
}

func TestBadTrackingLinks(t *testing.T) {
	t.Parallel()
	c := create(t, "parking")
	good := sys.tracking.Token(c.Number, time.Now().Add(time.Hour))
	expired := sys.tracking.Token(c.Number, time.Now().Add(-time.Minute))
	other := strings.Replace(good, c.Number, c.Number+"1", 1) // another case, same signature
	for _, tc := range []struct {
		token string
		want  int
	}{
		{good, http.StatusOK},
		{expired, http.StatusGone},
		{other, http.StatusNotFound},
		{"nonsense", http.StatusNotFound},
	} {
		var e apiError
		if code := call(t, "GET", "/api/v1/track/"+tc.token, nil, &e); code != tc.want {
			t.Errorf("JSON %s: HTTP %d, want %d", tc.token, code, tc.want)
		}
		if code, _ := getPage(t, "/t/"+tc.token); code != tc.want {
			t.Errorf("page %s: HTTP %d, want %d", tc.token, code, tc.want)
		}
		if code := call(t, "POST", "/api/v1/track/"+tc.token+"/rating", map[string]any{"score": 1}, &e); tc.want != http.StatusOK && code != tc.want {
			t.Errorf("rating %s: HTTP %d, want %d", tc.token, code, tc.want)
		}
	}
}

// trackPromises is the tracking answer's view of what lies ahead.
type trackPromises struct {
	FeedbackBy *time.Time `json:"feedback_by"`
	ResolveBy  *time.Time `json:"resolve_by"`
	Rating     string     `json:"rating"`
	Status     string     `json:"status"`
	Timeline   []struct {
		Kind string `json:"kind"`
	} `json:"timeline"`
}

// TestTrackingShowsTheResidentOnlyTheirPromises: the resident sees the times
// the acknowledgement promised them (first news, resolution) while still to
// come, and never the centre's own deadlines (dispatch, the callback).
func TestTrackingShowsTheResidentOnlyTheirPromises(t *testing.T) {
	t.Parallel()
	// Every limit different, so each deadline has its own minute on the page.
	if code := call(t, "PUT", "/api/v1/handbook/categories/it_track_promises", map[string]any{
		"name": "测试类别 承诺", "department": "", "responsible": "", "dispatch_within": "2h", "feedback_within": "5h",
		"resolve_within": "50h", "urgent_resolve_within": "50h", "callback_within": "30h", "escalate_every": "1h",
	}, nil); code != http.StatusOK {
		t.Fatalf("put category: HTTP %d", code)
	}
	var c struct {
		complaint
		TrackURL string `json:"track_url"`
	}
	if code := call(t, "POST", "/api/v1/complaints", newComplaintBody("it_track_promises"), &c); code != http.StatusCreated || c.Status != "awaiting_triage" {
		t.Fatalf("create: HTTP %d %+v", code, c.complaint)
	}
	tok := token(t, c.TrackURL)
	page := func(t *testing.T) (trackPromises, string, string) {
		t.Helper()
		var p trackPromises
		if code := call(t, "GET", "/api/v1/track/"+tok, nil, &p); code != http.StatusOK {
			t.Fatalf("track: HTTP %d", code)
		}
		_, raw := getPage(t, "/api/v1/track/"+tok)
		code, html := getPage(t, "/t/"+tok)
		if code != http.StatusOK {
			t.Fatalf("page: HTTP %d", code)
		}
		return p, raw, html
	}
	minute := func(at time.Time) string { return at.In(sys.loc).Format("2006-01-02 15:04") }
	hidden := func(t *testing.T, raw, html string, what string, at time.Time) {
		t.Helper()
		if strings.Contains(html, minute(at)) || strings.Contains(raw, at.In(sys.loc).Format("2006-01-02T15:04:05")) {
			t.Errorf("the %s deadline %s is shown to the resident:\n%s\n%s", what, minute(at), raw, html)
		}
		if strings.Contains(raw, "next_deadline") {
			t.Errorf("the tracking answer still has next_deadline: %s", raw)
		}
	}

	// The read model keeps microseconds, the create answer (the workflow's) nanoseconds.
	same := func(a *time.Time, b time.Time) bool { return a != nil && a.Sub(b).Abs() < time.Millisecond }
	p, raw, html := page(t)
	d := c.Deadlines
	if !same(p.FeedbackBy, *d["first_feedback"]) || !same(p.ResolveBy, *d["resolution"]) {
		t.Fatalf("promises %+v, want feedback by %s and resolution by %s", p, d["first_feedback"], d["resolution"])
	}
	if !strings.Contains(html, minute(*d["first_feedback"])) || !strings.Contains(html, minute(*d["resolution"])) {
		t.Errorf("the page does not show the promised times:\n%s", html)
	}
	hidden(t, raw, html, "dispatch", *d["dispatch"])

	if code := call(t, "POST", "/api/v1/complaints/"+c.Number+"/route", map[string]any{"department": "cleaning"}, nil, signedInAs, "chen_jing"); code != http.StatusOK {
		t.Fatalf("route: HTTP %d", code)
	}
	act(t, c.Number, "acknowledge", nil, http.StatusOK)
	act(t, c.Number, "feedback", map[string]any{"message": "已安排保洁"}, http.StatusOK)
	if p, _, _ = page(t); p.FeedbackBy != nil || !same(p.ResolveBy, *d["resolution"]) {
		t.Fatalf("after the first feedback: %+v, want only the resolution promise", p)
	}

	resolved := act(t, c.Number, "resolve", map[string]any{"resolution": "已清理"}, http.StatusOK)
	p, raw, html = page(t)
	if p.FeedbackBy != nil || p.ResolveBy != nil {
		t.Fatalf("while waiting for the callback: %+v, want no times", p)
	}
	hidden(t, raw, html, "callback", *resolved.Deadlines["callback"])
}

// TestResidentRatesTwice: the same rating sent again is recorded, and the
// answer says so; a different one afterwards is refused clearly.
func TestResidentRatesTwice(t *testing.T) {
	t.Parallel()
	var c struct {
		complaint
		TrackURL string `json:"track_url"`
	}
	if code := call(t, "POST", "/api/v1/complaints", newComplaintBody("hygiene"), &c); code != http.StatusCreated {
		t.Fatalf("create: HTTP %d", code)
	}
	tok := token(t, c.TrackURL)
	act(t, c.Number, "acknowledge", nil, http.StatusOK)
	act(t, c.Number, "resolve", map[string]any{"resolution": "楼道已清理"}, http.StatusOK)

	rating := map[string]any{"score": 5, "comment": "很干净"}
	var first, second trackPromises
	if code := call(t, "POST", "/api/v1/track/"+tok+"/rating", rating, &first); code != http.StatusOK || first.Status != "closed" || first.Rating != "recorded" {
		t.Fatalf("rating: HTTP %d %+v", code, first)
	}
	if code := call(t, "POST", "/api/v1/track/"+tok+"/rating", rating, &second); code != http.StatusOK || second.Status != "closed" ||
		second.Rating != "already_recorded" || len(second.Timeline) != len(first.Timeline) {
		t.Fatalf("the same rating again: HTTP %d %+v, want 200 already_recorded", code, second)
	}
	var e apiError
	if code := call(t, "POST", "/api/v1/track/"+tok+"/rating", map[string]any{"score": 2}, &e); code != http.StatusConflict ||
		e.Error.Code != "already_rated" || !strings.Contains(e.Error.Message, "5") {
		t.Fatalf("a different rating: HTTP %d %+v, want 409 already_rated", code, e)
	}

	// The page's form, sent again and then changed.
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(sys.http.URL+"/t/"+tok+"/rating", url.Values{"score": {"5"}, "comment": {"很干净"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasSuffix(resp.Header.Get("Location"), "?rated=again") {
		t.Fatalf("the form sent again: HTTP %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if code, html := getPage(t, resp.Header.Get("Location")); code != http.StatusOK || !strings.Contains(html, "您的评价已记录") {
		t.Fatalf("after the form sent again: HTTP %d\n%s", code, html)
	}
	resp, err = client.PostForm(sys.http.URL+"/t/"+tok+"/rating", url.Values{"score": {"3"}})
	if err != nil {
		t.Fatal(err)
	}
	html, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict || !strings.Contains(string(html), "不能更改") || strings.Contains(string(html), "稍后再试") {
		t.Fatalf("a different rating by form: HTTP %d\n%s", resp.StatusCode, html)
	}
	if n := count(t, `SELECT count(*) FROM ratings WHERE number = $1`, c.Number); n != 1 {
		t.Fatalf("%d ratings, want 1", n)
	}
}

// TestStaffLookUpAndResendTrackingLink: staff get a working link for any
// case, and can send it to the resident again through the outbox.
func TestStaffLookUpAndResendTrackingLink(t *testing.T) {
	t.Parallel()
	const phone = "13955550042"
	body := newRepairBody("door_lock")
	// The message checked below is the Chinese one: a Chinese-speaking
	// household, not whichever unit the shared sequence hands out.
	body["unit"] = "2-101"
	body["resident"] = map[string]any{"name": "测试住户", "phone": phone}
	r := createRepair(t, body)
	settled(t, r.Number, 20*time.Second)

	var link struct {
		Number    string    `json:"number"`
		TrackURL  string    `json:"track_url"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	before := time.Now()
	if code := call(t, "GET", "/api/v1/repairs/"+r.Number+"/tracking-link", nil, &link); code != http.StatusOK || link.Number != r.Number {
		t.Fatalf("tracking link: HTTP %d %+v", code, link)
	}
	// The shared API signs links for the default 30 days.
	if ttl := 30 * 24 * time.Hour; link.ExpiresAt.Before(before.Add(ttl).Add(-time.Second)) || link.ExpiresAt.After(time.Now().Add(ttl)) {
		t.Errorf("expires_at %s, want 30 days from now", link.ExpiresAt)
	}
	var v tracked
	if code := call(t, "GET", "/api/v1/track/"+token(t, link.TrackURL), nil, &v); code != http.StatusOK || v.Number != r.Number {
		t.Fatalf("the looked-up link: HTTP %d %+v", code, v)
	}
	var e apiError
	for _, path := range []string{"/api/v1/repairs/BX20200101-9999/tracking-link", "/api/v1/complaints/" + r.Number + "/tracking-link"} {
		if code := call(t, "GET", path, nil, &e); code != http.StatusNotFound {
			t.Errorf("%s: HTTP %d, want 404", path, code)
		}
	}

	key := fmt.Sprintf("resend-%d", time.Now().UnixNano())
	var n struct {
		ID       int64  `json:"id"`
		Template string `json:"template"`
		Audience string `json:"audience"`
	}
	path := "/api/v1/repairs/" + r.Number + "/tracking-link/resend"
	if code := call(t, "POST", path, nil, &n, "Idempotency-Key", key, signedInAs, "liu_fang"); code != http.StatusAccepted ||
		n.Template != "tracking_link" || n.Audience != "resident" {
		t.Fatalf("resend: HTTP %d %+v", code, n)
	}
	first := n.ID
	if code := call(t, "POST", path, nil, &n, "Idempotency-Key", key, signedInAs, "liu_fang"); code != http.StatusOK || n.ID != first {
		t.Fatalf("resend retried: HTTP %d %+v, want 200 with notification %d", code, n, first)
	}
	for _, row := range settled(t, r.Number, 30*time.Second) {
		if row.Template == "tracking_link" && (row.Status != "sent" || row.Channel != "sms" || row.Address != phone) {
			t.Fatalf("the link message: %+v", row)
		}
	}
	var sent []string
	for _, m := range sys.sms.to(phone) {
		// The household's language picks the text: the unit comes from the
		// shared sequence, and every twelfth demo household reads English.
		zh := strings.Contains(m.Text, "查看进度") && strings.Contains(m.Text, "可通过下方链接")
		en := strings.Contains(m.Text, "Track progress:") && strings.Contains(m.Text, "with the address below")
		if zh || en {
			sent = append(sent, m.Text)
		}
	}
	if len(sent) != 1 {
		t.Fatalf("%d link messages to the resident, want 1: %q", len(sent), sent)
	}
	_, after, ok := strings.Cut(sent[0], "https://concierge.test/t/")
	if !ok {
		t.Fatalf("no link in %q", sent[0])
	}
	tok, _, _ := strings.Cut(after, "\n")
	if number, err := sys.tracking.Check(strings.TrimSpace(tok), time.Now()); err != nil || number != r.Number {
		t.Fatalf("the sent link opens %q (%v), want %s", number, err, r.Number)
	}
	// Temporal carried the outbox key only.
	var outboxKey string
	if err := sys.store.Pool().QueryRow(context.Background(), `SELECT idempotency_key FROM notifications WHERE id = $1`, first).Scan(&outboxKey); err != nil {
		t.Fatal(err)
	}
	hist := sys.temporal.GetWorkflowHistory(context.Background(), "notification/"+outboxKey, "", false, 0)
	started := false
	for hist.HasNext() {
		ev, err := hist.Next()
		if err != nil {
			t.Fatal(err)
		}
		if a := ev.GetWorkflowExecutionStartedEventAttributes(); a != nil {
			started = true
			decoded, err := sys.codec.Decode(a.GetInput().GetPayloads())
			if err != nil {
				t.Fatal(err)
			}
			var in string
			for _, p := range decoded {
				in += string(p.GetData())
			}
			if strings.Contains(in, phone) || strings.Contains(in, "测试住户") || !strings.Contains(in, r.Number) {
				t.Fatalf("delivery input %s", in)
			}
		}
	}
	if !started {
		t.Fatalf("no delivery workflow notification/%s", outboxKey)
	}
	if code := call(t, "POST", path, nil, &e, "X-Staff-Code", "nobody"); code != http.StatusUnauthorized {
		t.Fatalf("resend by an unknown member of staff: HTTP %d", code)
	}
}
