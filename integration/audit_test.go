package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// auditRow is one row of GET /api/v1/audit.
type auditRow struct {
	ID         int64           `json:"id"`
	At         time.Time       `json:"at"`
	Actor      string          `json:"actor"`
	ClientIP   string          `json:"client_ip"`
	UserAgent  string          `json:"user_agent"`
	Action     string          `json:"action"`
	ObjectType string          `json:"object_type"`
	ObjectKey  string          `json:"object_key"`
	Outcome    string          `json:"outcome"`
	Before     json.RawMessage `json:"before"`
	After      json.RawMessage `json:"after"`
}

type auditPage struct {
	Items         []auditRow `json:"items"`
	NextPageToken string     `json:"next_page_token"`
}

// auditOf lists the trail for a query, all pages.
func auditOf(t *testing.T, query string) []auditRow {
	t.Helper()
	var all []auditRow
	token := ""
	for range 100 {
		var p auditPage
		q := query
		if token != "" {
			q += "&page_token=" + token
		}
		if code := call(t, "GET", "/api/v1/audit?"+q, nil, &p, signedInAs, "auditor"); code != http.StatusOK {
			t.Fatalf("GET /api/v1/audit?%s: HTTP %d", q, code)
		}
		all = append(all, p.Items...)
		if token = p.NextPageToken; token == "" {
			return all
		}
	}
	t.Fatalf("the audit list of %q does not end", query)
	return nil
}

// rawGet answers a GET's body as text.
func rawGet(t *testing.T, path string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, sys.http.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(path, "/api/v1/audit") {
		req.Header.Set(signedInAs, "auditor") // the trail is the auditors' and admins'
	}
	resp, err := staffClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d %s", path, resp.StatusCode, raw)
	}
	return string(raw)
}

// Residents' phone numbers are masked in every list, single answer and
// export; the full number is answered only by reveal-phone, which writes
// one audit row per reveal.
func TestPhonesAreMaskedAndRevealsAudited(t *testing.T) {
	t.Parallel()
	const (
		phone       = "13877770077" // a resident of this test's
		masked      = "138****0077"
		demoPhone   = "13800130000" // the demo resident of A 1-101, called back below
		demoMasked  = "138****0000"
		marker      = "审计掩码测试"
		month       = "2019-03" // a callback month no other test uses
		revealActor = "chen_jing"
	)
	// A complaint whose description repeats the number, a visit, an email
	// for triage with the number in its text, a callback task.
	body := newComplaintBody("hygiene")
	body["resident"] = map[string]any{"name": "掩码住户", "phone": phone}
	body["description"] = marker + "，请回电 " + phone
	var created struct {
		Number     string    `json:"number"`
		RecordedAt time.Time `json:"recorded_at"`
		Resident   struct{ Phone string }
	}
	if code := call(t, "POST", "/api/v1/complaints", body, &created); code != http.StatusCreated || created.Resident.Phone != masked {
		t.Fatalf("create: HTTP %d %+v, want the phone masked as %s", code, created, masked)
	}
	var visit struct {
		ID           int64     `json:"id"`
		VisitorPhone string    `json:"visitor_phone"`
		ArrivedAt    time.Time `json:"arrived_at"`
	}
	if code := call(t, "POST", "/api/v1/visits", map[string]any{"community": "A", "unit": "1-101", "purpose": "inquiry",
		"visitor_name": "掩码访客", "visitor_phone": phone, "notes": marker + " " + phone}, &visit, signedInAs, "liu_fang"); code != http.StatusCreated || visit.VisitorPhone != masked {
		t.Fatalf("visit: HTTP %d %+v", code, visit)
	}
	id := fmt.Sprintf("mask-%d@example.com", time.Now().UnixNano())
	status, mail := postEmail(t, utf8Mail(id, "stranger@example.org", "咨询 "+phone, "请问物业办公时间？我的电话 "+phone))
	if status != http.StatusAccepted || mail.TriageID == nil {
		t.Fatalf("email for triage: HTTP %d %+v", status, mail)
	}
	if _, err := sys.store.Pool().Exec(t.Context(), `INSERT INTO callback_campaigns (month, target, active_households) VALUES ($1, 0.2, 36)`, month); err != nil {
		t.Fatal(err)
	}
	var task int64
	if err := sys.store.Pool().QueryRow(t.Context(), `INSERT INTO callback_tasks (month, household_id, assignee, reason)
		SELECT $1, h.id, 'liu_fang', 'sample' FROM households h JOIN residents r ON r.household_id = h.id
		WHERE r.phone = $2 ORDER BY h.id LIMIT 1 RETURNING id`, month, demoPhone).Scan(&task); err != nil {
		t.Fatal(err)
	}

	// Every list, single answer and the audit trail itself: no full number.
	// The days the records were made, not today: the test may run over midnight.
	visitDay := visit.ArrivedAt.In(sys.loc).Format(time.DateOnly)
	caseDay := created.RecordedAt.In(sys.loc).Format(time.DateOnly)
	pages := map[string]string{}
	for _, path := range []string{
		"/api/v1/complaints?page_size=200&q=" + marker,
		"/api/v1/complaints/" + created.Number,
		"/api/v1/visits?community=A&limit=2000&from=" + visitDay + "&to=" + visitDay,
		fmt.Sprintf("/api/v1/visits/%d", visit.ID),
		"/api/v1/callbacks?month=" + month,
		"/api/v1/intake/emails",
		"/api/v1/audit?page_size=200",
	} {
		pages[path] = rawGet(t, path)
	}
	for path, page := range pages {
		for _, full := range []string{phone, demoPhone} {
			if strings.Contains(page, full) {
				t.Errorf("%s shows the full number %s", path, full)
			}
		}
	}
	for path, want := range map[string]string{
		"/api/v1/complaints?page_size=200&q=" + marker:                               masked,
		"/api/v1/complaints/" + created.Number:                                       masked,
		"/api/v1/visits?community=A&limit=2000&from=" + visitDay + "&to=" + visitDay: masked,
		fmt.Sprintf("/api/v1/visits/%d", visit.ID):                                   masked,
		"/api/v1/callbacks?month=" + month:                                           demoMasked,
		"/api/v1/intake/emails":                                                      masked,
	} {
		if !strings.Contains(pages[path], want) {
			t.Errorf("%s does not show the masked number %s", path, want)
		}
	}
	// The export carries no phone at all, masked or not.
	resp, err := staffClient().Get(sys.http.URL + "/api/v1/exports/cases.xlsx?kind=complaint&community=A&from=" + caseDay + "&to=" + caseDay)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("export: HTTP %d %v", resp.StatusCode, err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("案件 Cases")
	if err != nil {
		t.Fatal(err)
	}
	exported := false
	for _, r := range rows {
		exported = exported || r[0] == created.Number
		for _, cell := range r {
			if strings.Contains(cell, phone) || strings.Contains(cell, "0077") {
				t.Errorf("the export shows the phone in %q", r)
			}
		}
	}
	if !exported {
		t.Errorf("the export does not list %s", created.Number)
	}

	// Each reveal answers the full number and writes one audit row by the
	// member of staff who asked; an unknown object reveals nothing and
	// writes nothing.
	for _, r := range []struct {
		path, objectType, key, want string
	}{
		{"/api/v1/complaints/" + created.Number + "/reveal-phone", "complaint", created.Number, `"phone":"` + phone + `"`},
		{fmt.Sprintf("/api/v1/visits/%d/reveal-phone", visit.ID), "visit", itoa(visit.ID), `"phone":"` + phone + `"`},
		{fmt.Sprintf("/api/v1/callbacks/%d/reveal-phone", task), "callback_task", itoa(task), `"phone":"` + demoPhone + `"`},
		{fmt.Sprintf("/api/v1/intake/emails/%d/reveal-phone", *mail.TriageID), "inbound_email", itoa(*mail.TriageID), `"phones":["` + phone + `"]`},
	} {
		q := "action=reveal_phone&object_type=" + r.objectType + "&object_key=" + r.key
		if n := len(auditOf(t, q)); n != 0 {
			t.Fatalf("%s: %d audit rows before the reveal", r.path, n)
		}
		var answer json.RawMessage
		if code := call(t, "POST", r.path, nil, &answer, signedInAs, revealActor, "User-Agent", "mask-test/1"); code != http.StatusOK ||
			!strings.Contains(string(answer), r.want) {
			t.Errorf("%s: HTTP %d %s, want %s", r.path, code, answer, r.want)
		}
		rows := auditOf(t, q)
		if len(rows) != 1 || rows[0].Actor != revealActor || rows[0].UserAgent != "mask-test/1" || rows[0].ClientIP == "" ||
			rows[0].Outcome != "ok" || strings.Contains(string(rows[0].After)+string(rows[0].Before), "0077") {
			t.Errorf("%s: audit rows %+v, want one by %s without the number", r.path, rows, revealActor)
		}
	}
	for _, path := range []string{"/api/v1/complaints/TS20000101-9999/reveal-phone", "/api/v1/repairs/" + created.Number + "/reveal-phone",
		"/api/v1/visits/999999999/reveal-phone", "/api/v1/callbacks/999999999/reveal-phone", "/api/v1/intake/emails/999999999/reveal-phone"} {
		var e apiError
		if code := call(t, "POST", path, nil, &e, signedInAs, revealActor); code != http.StatusNotFound {
			t.Errorf("%s: HTTP %d, want 404", path, code)
		}
	}
	// A service token names no person: refused, unaudited.
	var e apiError
	if code := call(t, "POST", "/api/v1/complaints/"+created.Number+"/reveal-phone", nil, &e, signedInAs, asService); code != http.StatusUnprocessableEntity ||
		strings.Contains(fmt.Sprint(e), phone) {
		t.Errorf("a reveal by a service token: HTTP %d %+v, want 422", code, e)
	}
	if n := count(t, `SELECT count(*) FROM audit_log WHERE action = 'reveal_phone' AND object_key = $1`, created.Number); n != 1 {
		t.Errorf("%d reveal rows of %s after a refused reveal, want the one", n, created.Number)
	}
	if n := count(t, `SELECT count(*) FROM audit_log WHERE action = 'reveal_phone' AND object_key IN ('TS20000101-9999', '999999999')`); n != 0 {
		t.Errorf("%d audit rows for reveals of nothing", n)
	}
	if n := count(t, `SELECT count(*) FROM audit_log WHERE action = 'reveal_phone' AND object_type = 'repair' AND object_key = $1`, created.Number); n != 0 {
		t.Errorf("a complaint revealed as a repair was audited")
	}
}

// Changes made through the API are in the trail with who, from where and
// the record before and after; refused changes are not; the list filters,
// pages and refuses bad filters.
func TestAuditTrailOfChanges(t *testing.T) {
	const code = "it_audit"
	const path = "/api/v1/handbook/categories/" + code
	q := "object_type=handbook_category&object_key=" + code
	put := func(body map[string]any, want int) {
		t.Helper()
		var out json.RawMessage
		if got := call(t, "PUT", path, body, &out, signedInAs, "chen_jing", "User-Agent", "audit-it/1"); got != want {
			t.Fatalf("PUT %v: HTTP %d %s, want %d", body, got, out, want)
		}
	}
	put(map[string]any{"name": "审计测试", "department": "customer_service", "responsible": "sun_li"}, http.StatusOK)
	put(map[string]any{"name": "审计测试", "dispatch_within": "soon"}, http.StatusUnprocessableEntity)
	put(map[string]any{"name": "审计测试", "department": "nowhere"}, http.StatusUnprocessableEntity)
	put(map[string]any{"name": "审计测试二", "department": "customer_service", "responsible": "sun_li"}, http.StatusOK)
	rows := auditOf(t, q)
	if len(rows) != 2 {
		t.Fatalf("%d audit rows for two changes and two refusals: %+v", len(rows), rows)
	}
	name := func(raw json.RawMessage) string {
		var v struct{ Name string }
		_ = json.Unmarshal(raw, &v)
		return v.Name
	}
	upd, crt := rows[0], rows[1]
	if crt.Action != "create" || string(crt.Before) != "null" || name(crt.After) != "审计测试" ||
		upd.Action != "update" || name(upd.Before) != "审计测试" || name(upd.After) != "审计测试二" {
		t.Errorf("rows (newest first) %s %s→%s, %s %s→%s", upd.Action, upd.Before, name(upd.After), crt.Action, crt.Before, name(crt.After))
	}
	for _, r := range rows {
		if r.Actor != "chen_jing" || r.UserAgent != "audit-it/1" || r.ClientIP == "" || r.Outcome != "ok" {
			t.Errorf("row %d: who %q %q %q %s", r.ID, r.Actor, r.ClientIP, r.UserAgent, r.Outcome)
		}
	}

	// Pages of one, the time range, the other filters.
	var p auditPage
	call(t, "GET", "/api/v1/audit?page_size=1&"+q, nil, &p, signedInAs, "auditor")
	if len(p.Items) != 1 || p.Items[0].ID != upd.ID || p.NextPageToken == "" {
		t.Fatalf("first page %+v", p)
	}
	call(t, "GET", "/api/v1/audit?page_size=1&"+q+"&page_token="+p.NextPageToken, nil, &p, signedInAs, "auditor")
	if len(p.Items) != 1 || p.Items[0].ID != crt.ID {
		t.Fatalf("second page %+v", p)
	}
	for query, want := range map[string]int{
		q + "&actor=chen_jing": 2,
		q + "&actor=ma_lin":    0,
		q + "&action=create":   1,
		q + "&from=" + url.QueryEscape(upd.At.Add(time.Microsecond).Format(time.RFC3339Nano)):                       0,
		q + "&to=" + url.QueryEscape(crt.At.Add(-time.Second).Format(time.RFC3339)):                                 0,
		q + "&from=" + crt.At.In(sys.loc).Format(time.DateOnly) + "&to=" + upd.At.In(sys.loc).Format(time.DateOnly): 2,
	} {
		if got := len(auditOf(t, query)); got != want {
			t.Errorf("%s: %d rows, want %d", query, got, want)
		}
	}
	for _, bad := range []string{"actor=no%20body", "from=yesterday", "to=2026-13-01", "page_size=0", "page_size=201",
		"page_token=abc", "from=2026-02-02&to=2026-02-01", "object_key=" + strings.Repeat("k", 65)} {
		var e apiError
		if got := call(t, "GET", "/api/v1/audit?"+bad, nil, &e, signedInAs, "auditor"); got != http.StatusUnprocessableEntity || e.Error.Code != "invalid_input" {
			t.Errorf("%s: HTTP %d %+v, want 422", bad, got, e)
		}
	}

	// A schedule lives in Temporal: its pause and resume are audited as
	// requested before the call and with the outcome after it (a crash in
	// between leaves the request); an unknown schedule is refused
	// unaudited.
	const sched = "monthly-complaint-analysis"
	before := len(auditOf(t, "object_type=schedule&object_key="+sched))
	for _, action := range []string{"pause", "resume"} {
		if got := call(t, "POST", "/api/v1/schedules/"+sched+"/"+action, map[string]any{"note": "审计测试"}, nil, signedInAs, "chen_jing"); got != http.StatusOK {
			t.Fatalf("%s: HTTP %d", action, got)
		}
	}
	srows := auditOf(t, "object_type=schedule&object_key="+sched)
	if len(srows) != before+4 {
		t.Fatalf("%d new schedule rows, want 4: %+v", len(srows)-before, srows[:min(4, len(srows))])
	}
	for i, want := range []struct{ action, outcome, after string }{
		{"resume", "ok", `"paused":false`},
		{"resume", "requested", "null"},
		{"pause", "ok", `"paused":true`},
		{"pause", "requested", "null"},
	} {
		r := srows[i]
		after := string(r.After)
		if after == "" {
			after = "null"
		}
		if r.Action != want.action || r.Outcome != want.outcome || r.Actor != "chen_jing" || !strings.Contains(after, want.after) {
			t.Errorf("schedule row %d: %+v, want %s %s with after %s", i, r, want.action, want.outcome, want.after)
		}
	}
	if p := srows[3]; !strings.Contains(string(p.Before), `"paused":false`) {
		t.Errorf("the pause's request: before %s, want the schedule running", p.Before)
	}
	var e apiError
	if got := call(t, "POST", "/api/v1/schedules/nope/pause", nil, &e, signedInAs, "chen_jing"); got != http.StatusNotFound {
		t.Errorf("unknown schedule: HTTP %d", got)
	}
	if n := len(auditOf(t, "object_type=schedule&object_key=nope")); n != 0 {
		t.Errorf("%d audit rows for an unknown schedule", n)
	}

	// An export is audited with its filter and size.
	before = len(auditOf(t, "action=export&actor=ma_lin"))
	req, _ := http.NewRequestWithContext(t.Context(), "GET", sys.http.URL+"/api/v1/exports/cases.xlsx?kind=repair", nil)
	req.Header.Set(signedInAs, "ma_lin")
	resp, err := staffClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	erows := auditOf(t, "action=export&actor=ma_lin")
	if resp.StatusCode != http.StatusOK || len(erows) != before+1 || !strings.Contains(string(erows[0].After), `"kind":"repair"`) {
		t.Errorf("export: HTTP %d, rows %+v", resp.StatusCode, erows)
	}
}

// Residents' names are shown to the roles that work with residents and
// masked for the others: an auditor reads cases and visits without
// learning who raised them (domain.PermResidentName).
func TestResidentNamesOnlyForThoseWhoNeedThem(t *testing.T) {
	t.Parallel()
	body := newComplaintBody("hygiene")
	body["resident"] = map[string]any{"name": "姓名掩码住户", "phone": "13900990011"}
	body["description"] = "姓名掩码测试"
	var created struct {
		Number string `json:"number"`
	}
	if code := call(t, "POST", "/api/v1/complaints", body, &created, signedInAs, "liu_fang"); code != http.StatusCreated {
		t.Fatalf("create: HTTP %d", code)
	}
	var visit struct {
		ID int64 `json:"id"`
	}
	if code := call(t, "POST", "/api/v1/visits", map[string]any{"community": "A", "unit": "1-102", "purpose": "inquiry",
		"visitor_name": "姓名掩码访客"}, &visit, signedInAs, "liu_fang"); code != http.StatusCreated {
		t.Fatalf("visit: HTTP %d", code)
	}
	for _, tt := range []struct {
		who             string
		resident, guest string
	}{
		{"liu_fang", "姓名掩码住户", "姓名掩码访客"},
		{"feng_xia", "姓名掩码住户", ""}, // the handler of the case's department (保洁部); no visit access
		{"chen_jing", "姓名掩码住户", "姓名掩码访客"},
		{"auditor", "姓*****", "姓*****"},
	} {
		var one struct{ Resident struct{ Name string } }
		if code := call(t, "GET", "/api/v1/complaints/"+created.Number, nil, &one, signedInAs, tt.who); code != http.StatusOK || one.Resident.Name != tt.resident {
			t.Errorf("%s: case GET HTTP %d, name %q, want %q", tt.who, code, one.Resident.Name, tt.resident)
		}
		var list struct {
			Items []struct{ Resident struct{ Name string } }
		}
		if code := call(t, "GET", "/api/v1/complaints?q=姓名掩码测试", nil, &list, signedInAs, tt.who); code != http.StatusOK ||
			len(list.Items) != 1 || list.Items[0].Resident.Name != tt.resident {
			t.Errorf("%s: case list HTTP %d, %+v, want the name %q", tt.who, code, list.Items, tt.resident)
		}
		if tt.guest == "" {
			continue
		}
		var v struct {
			VisitorName string `json:"visitor_name"`
		}
		if code := call(t, "GET", fmt.Sprintf("/api/v1/visits/%d", visit.ID), nil, &v, signedInAs, tt.who); code != http.StatusOK || v.VisitorName != tt.guest {
			t.Errorf("%s: visit HTTP %d, name %q, want %q", tt.who, code, v.VisitorName, tt.guest)
		}
	}
}
