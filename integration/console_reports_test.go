package integration

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestConsoleReports: the KPI dashboard shows the API's figures for a
// month and a community, and each of its drill-down links opens the queue
// listing exactly as many cases as the figure counts: the month's
// complaints, those not routed and not fed back within 24 h, a category
// and a building. A receptionist (no report:read) has no link to the
// reports and is refused the page. The complaints are recorded now and
// moved, in the read model, to a month long past that no other test uses,
// so that the month holds them alone.
func TestConsoleReports(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const month = "2019-04"
	var cs []complaint
	for range 3 {
		cs = append(cs, create(t, "noise"))
	}
	// Recorded on 10 April 2019 in the centre's zone; the first two routed
	// within the hour, the third after 30 hours; none fed back.
	for i, c := range cs {
		routedAfter := "1 hour"
		if i == 2 {
			routedAfter = "30 hours"
		}
		if _, err := sys.store.Pool().Exec(ctx, `UPDATE cases SET recorded_at = $2, routed_at = $2::timestamptz + $3::interval,
				first_feedback_at = NULL WHERE number = $1`,
			c.Number, time.Date(2019, 4, 10, 9+i, 0, 0, 0, sys.loc), routedAfter); err != nil {
			t.Fatal(err)
		}
	}
	var building string
	if err := sys.store.Pool().QueryRow(ctx, `SELECT u.building FROM cases c JOIN units u ON u.id = c.unit_id WHERE c.number = $1`,
		cs[0].Number).Scan(&building); err != nil {
		t.Fatal(err)
	}
	var k struct {
		D struct{ Numerator, Denominator int } `json:"dispatch_24h_rate"`
		F struct{ Numerator, Denominator int } `json:"feedback_24h_rate"`
		R struct{ Numerator int }              `json:"complaint_rate"`
	}
	if code := call(t, "GET", "/api/v1/kpis?from=2019-04-01&to=2019-04-30&community=A", nil, &k); code != http.StatusOK {
		t.Fatalf("kpis: HTTP %d", code)
	}
	if k.R.Numerator != 3 || k.D.Numerator != 2 || k.D.Denominator != 3 || k.F.Numerator != 0 || k.F.Denominator != 3 {
		t.Fatalf("the API's KPIs of %s: %+v, want 3 complaints, 2/3 routed and 0/3 fed back within 24 h", month, k)
	}

	// The drill-down filters refuse what they cannot read, in the list and
	// the export alike.
	for _, q := range []string{"late=soon", "from=2019-13-01", "from=2019-04-30&to=2019-04-01", "building=a%20b", "breached=maybe"} {
		for _, path := range []string{"/api/v1/complaints?", "/api/v1/exports/cases.xlsx?"} {
			var e apiError
			if code := call(t, "GET", path+q, nil, &e); code != http.StatusUnprocessableEntity {
				t.Errorf("%s%s: HTTP %d, want 422", path, q, code)
			}
		}
	}

	srv := consoleServer(t)
	signIn := func(username string) *http.Client { return consoleBrowser(t, srv, username) }

	sup := signIn("chen_jing")
	code, dash := fetchPage(t, sup, srv.URL+"/console/reports?month="+month+"&community=A")
	if code != http.StatusOK {
		t.Fatalf("dashboard: HTTP %d", code)
	}
	// The figures as the API gives them.
	for what, want := range map[string]string{
		"dispatch": fmt.Sprintf("%d / %d", k.D.Numerator, k.D.Denominator),
		"feedback": fmt.Sprintf("%d / %d", k.F.Numerator, k.F.Denominator),
	} {
		key := map[string]string{"dispatch": "kpi.dispatch_24h_rate", "feedback": "kpi.feedback_24h_rate"}[what]
		re := regexp.MustCompile(`(?s)data-kpi="` + regexp.QuoteMeta(key) + `">.*?class="kpi-count"[^>]*>([^<]*)<`)
		if m := re.FindStringSubmatch(dash); m == nil || m[1] != want {
			t.Errorf("the dashboard's %s figure: %v, want %s", what, m, want)
		}
	}
	// Each drill-down lists as many cases as its figure counts.
	links := regexp.MustCompile(`<a[^>]*href="(/console/queue\?[^"]*)"[^>]*data-count="(\d+)"`).FindAllStringSubmatch(dash, -1)
	want := map[string]bool{"complaints": false, "late=dispatch_24h": false, "late=feedback_24h": false, "category=noise": false, "building=" + building: false}
	for _, l := range links {
		href := html.UnescapeString(l[1])
		_, queue := fetchPage(t, sup, srv.URL+href)
		rows := regexp.MustCompile(`<tr class="sla-[a-z]+" data-number="([^"]+)"`).FindAllStringSubmatch(queue, -1)
		if fmt.Sprint(len(rows)) != l[2] {
			t.Errorf("%s lists %d cases, its figure counts %s", href, len(rows), l[2])
		}
		for _, r := range rows {
			if !isOneOf(r[1], cs) {
				t.Errorf("%s lists %s, which is not one of the month's", href, r[1])
			}
		}
		for k := range want {
			if strings.Contains(href, k) || k == "complaints" && strings.Contains(l[0], `id="drill-complaints"`) {
				want[k] = true
			}
		}
	}
	for k, seen := range want {
		if !seen {
			t.Errorf("the dashboard has no drill-down for %s", k)
		}
	}
	if !strings.Contains(dash, `data-count="1" id="drill-kpi.dispatch_24h_rate"`) {
		t.Error("the dispatch KPI does not link its one late case")
	}
	// The queue exports its filters: the link is the export's, with them,
	// and answers the workbook to the browser's session.
	_, queue := fetchPage(t, sup, srv.URL+"/console/queue?kind=complaint&community=A&from=2019-04-01&to=2019-04-30&late=dispatch_24h")
	m := regexp.MustCompile(`href="(/console/queue/export\?[^"]*)"[^>]*id="queue-export"`).FindStringSubmatch(queue)
	if m == nil {
		t.Fatal("the queue has no export link")
	}
	export := html.UnescapeString(m[1])
	for _, f := range []string{"community=A", "from=2019-04-01", "to=2019-04-30", "late=dispatch_24h", "kind=complaint"} {
		if !strings.Contains(export, f) {
			t.Errorf("the export link %s lacks %s", export, f)
		}
	}
	resp, err := sup.Get(srv.URL + export)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), "spreadsheetml") {
		t.Errorf("the queue's export: HTTP %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	m = regexp.MustCompile(`href="(/console/reports/export\?[^"]*)"[^>]*id="report-export"`).FindStringSubmatch(dash)
	if m == nil {
		t.Fatal("the dashboard has no export of the month")
	}
	resp, err = sup.Get(srv.URL + html.UnescapeString(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Disposition"), "complaint-report-2019-04") {
		t.Errorf("the dashboard's export: HTTP %d %s", resp.StatusCode, resp.Header.Get("Content-Disposition"))
	}
	// A filter the API refuses stays on the queue page, with the reason.
	if code, body := fetchPage(t, sup, srv.URL+"/console/queue?late=soon"); code != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "late must be") {
		t.Errorf("the queue with a bad lateness filter: HTTP %d, want 422 with the reason", code)
	}
	// The analysis and the evaluation are tables.
	if code, body := fetchPage(t, sup, srv.URL+"/console/reports/analysis?month="+month+"&community=A"); code != http.StatusOK ||
		!strings.Contains(body, `id="analysis-summary"`) {
		t.Errorf("analysis: HTTP %d", code)
	}
	if code, _ := fetchPage(t, sup, srv.URL+"/console/reports/evaluations?month="+month); code != http.StatusOK {
		t.Errorf("evaluations: HTTP %d", code)
	}

	// A receptionist reads no reports: no link, and the page is refused.
	rec := signIn("liu_fang")
	if _, home := fetchPage(t, rec, srv.URL+"/console/"); strings.Contains(home, `id="nav-reports"`) || !strings.Contains(home, `id="nav-reception"`) {
		t.Error("the receptionist's navigation links the reports (or is not the receptionist's)")
	}
	if code, _ := fetchPage(t, rec, srv.URL+"/console/reports"); code != http.StatusForbidden {
		t.Errorf("the receptionist's dashboard: HTTP %d, want 403", code)
	}
	if _, home := fetchPage(t, sup, srv.URL+"/console/"); !strings.Contains(home, `id="nav-reports"`) {
		t.Error("the supervisor's navigation does not link the reports")
	}
}

func isOneOf(number string, cs []complaint) bool {
	for _, c := range cs {
		if c.Number == number {
			return true
		}
	}
	return false
}

// fetchPage GETs a page with a browser's client and returns its status
// and body.
func fetchPage(t *testing.T, b *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := b.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(raw)
}

// consoleBrowser is a client with its own cookies, signed in to the
// console through its form as a browser would be.
func consoleBrowser(t *testing.T, srv *httptest.Server, username string) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	b := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	_, login := fetchPage(t, b, srv.URL+"/console/login")
	m := regexp.MustCompile(`name="csrf" value="([^"]*)"`).FindStringSubmatch(login)
	if m == nil {
		t.Fatal("no token in the sign-in form")
	}
	resp, err := b.PostForm(srv.URL+"/console/login", url.Values{"username": {username}, "password": {testPassword}, "csrf": {m[1]}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return b
}
