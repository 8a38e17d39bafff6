package integration

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/concierge-pm/concierge/auth"
)

// TestCommunityScope: a supervisor who works only in community SCOPEB
// (staff_communities) asks for the cases, visits, emails, fees, units and
// figures of demo community A and of SCOPEB. What lies in A does not exist
// for them (404, not_found; a new case or visit there is 422 as for a
// community that does not exist) and is not in their lists (cases,
// visits, the email queue, notifications); SCOPEB's is. The auditor
// (every community) and a service token (no member of staff: every
// community) see both. Not parallel: it adds a member of staff and a
// community.
func TestCommunityScope(t *testing.T) {
	const member, handler, other = "scope_b_sup", "scope_b_hand", "SCOPEB"
	ctx := context.Background()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := sys.store.Pool().Exec(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`INSERT INTO communities (code, name) VALUES ($1, '范围小区')`, other)
	exec(`INSERT INTO buildings (community, code, name) VALUES ($1, '1', '1号楼')`, other)
	exec(`INSERT INTO units (community, building, code, floor_area) VALUES ($1, '1', '1-101', 80)`, other)
	exec(`INSERT INTO staff (code, name, department, role) VALUES ($1, '范围主管', 'customer_service', 'supervisor')`, member)
	exec(`INSERT INTO staff_communities (staff_code, community_code) VALUES ($1, $2)`, member, other)
	// An engineering handler of SCOPEB: the department scope lies within
	// the communities.
	exec(`INSERT INTO staff (code, name, department, role) VALUES ($1, '范围处理人', 'engineering', 'handler')`, handler)
	exec(`INSERT INTO staff_communities (staff_code, community_code) VALUES ($1, $2)`, handler, other)
	t.Cleanup(func() {
		// The handler leaves no record: the list of engineering's staff is
		// another test's. The member recorded cases and stays, inactive.
		for q, code := range map[string]string{
			`UPDATE staff SET active = false WHERE code = $1`: member,
			`WITH s AS (DELETE FROM sessions WHERE username IN (SELECT username FROM accounts WHERE staff_code = $1)),
				a AS (DELETE FROM accounts WHERE staff_code = $1),
				c AS (DELETE FROM staff_communities WHERE staff_code = $1)
			SELECT 1`: handler,
		} {
			if _, err := sys.store.Pool().Exec(context.Background(), q, code); err != nil {
				t.Errorf("%s: %v", q, err)
			}
		}
		if _, err := sys.store.Pool().Exec(context.Background(), `DELETE FROM staff WHERE code = $1`, handler); err != nil {
			t.Errorf("remove %s: %v", handler, err)
		}
	})
	pw, err := auth.HashPassword(testPassword, cheapHash())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sys.store.CreateMissingAccounts(ctx, pw); err != nil {
		t.Fatal(err)
	}

	// Who they are says where they work; the auditor's says nothing, as
	// they reach every community.
	for who, want := range map[string][]string{member: {other}, "auditor": nil} {
		var me struct{ Communities []string }
		if code := call(t, "GET", "/api/v1/auth/me", nil, &me, signedInAs, who); code != http.StatusOK || !slices.Equal(me.Communities, want) {
			t.Errorf("GET /auth/me as %s: HTTP %d %v, want %v", who, code, me.Communities, want)
		}
	}

	// A case and a visit in A (by the default member, who works in A), and
	// in SCOPEB by the member, which their own community allows.
	inA := create(t, "leak")
	bodyB := newComplaintBody("leak")
	bodyB["community"], bodyB["unit"] = other, "1-101"
	var inB complaint
	if code := call(t, "POST", "/api/v1/complaints", bodyB, &inB, signedInAs, member); code != http.StatusCreated {
		t.Fatalf("%s records a complaint in %s: HTTP %d", member, other, code)
	}
	// listed is a field of each item of a list, as who sees it.
	listed := func(who, path, field string) []string {
		t.Helper()
		var out struct{ Items []map[string]any }
		if code := call(t, "GET", path, nil, &out, signedInAs, who); code != http.StatusOK {
			t.Fatalf("GET %s as %s: HTTP %d", path, who, code)
		}
		var got []string
		for _, it := range out.Items {
			v := it[field]
			if f, ok := v.(float64); ok {
				v = int64(f)
			}
			got = append(got, fmt.Sprint(v))
		}
		return got
	}
	// Both are engineering's: the handler reaches SCOPEB's only.
	for number, want := range map[string]int{inA.Number: http.StatusNotFound, inB.Number: http.StatusOK} {
		if code := call(t, "GET", "/api/v1/complaints/"+number, nil, nil, signedInAs, handler); code != want {
			t.Errorf("GET complaint %s as %s: HTTP %d, want %d", number, handler, code, want)
		}
	}
	if got := listed(handler, "/api/v1/complaints?page_size=200", "number"); slices.Contains(got, inA.Number) || !slices.Contains(got, inB.Number) {
		t.Errorf("the complaints of %s: %v, want %s and not %s", handler, got, inB.Number, inA.Number)
	}
	visitIn := func(who, community, unit string) visit {
		t.Helper()
		var v visit
		body := map[string]any{"community": community, "unit": unit, "purpose": "inquiry", "visitor_name": "访客"}
		if code := call(t, "POST", "/api/v1/visits", body, &v, signedInAs, who); code != http.StatusCreated {
			t.Fatalf("%s records a visit in %s: HTTP %d", who, community, code)
		}
		return v
	}
	visitA, visitB := visitIn(defaultStaff, "A", "1-101"), visitIn(member, other, "1-101")
	itoaID := func(v visit) string { return itoa(v.ID) }

	// Every endpoint of one object, and the per-community endpoints.
	objects := []struct {
		method, pathA, pathB string
	}{
		{"GET", "/api/v1/complaints/" + inA.Number, "/api/v1/complaints/" + inB.Number},
		{"POST", "/api/v1/complaints/" + inA.Number + "/feedback", ""},
		{"GET", "/api/v1/complaints/" + inA.Number + "/tracking-link", "/api/v1/complaints/" + inB.Number + "/tracking-link"},
		{"POST", "/api/v1/complaints/" + inA.Number + "/reveal-phone", "/api/v1/complaints/" + inB.Number + "/reveal-phone"},
		{"GET", "/api/v1/visits/" + itoaID(visitA), "/api/v1/visits/" + itoaID(visitB)},
		{"POST", "/api/v1/visits/" + itoaID(visitA) + "/reveal-phone", "/api/v1/visits/" + itoaID(visitB) + "/reveal-phone"},
		{"POST", "/api/v1/visits/" + itoaID(visitA) + "/exit", ""},
		{"GET", "/api/v1/communities/A/units", "/api/v1/communities/" + other + "/units"},
		{"GET", "/api/v1/communities/A/fees", "/api/v1/communities/" + other + "/fees"},
		{"GET", "/api/v1/units/A/1-101/fees", ""},
		{"GET", "/api/v1/kpis?community=A", "/api/v1/kpis?community=" + other},
		{"GET", "/api/v1/reports/complaints?community=A", "/api/v1/reports/complaints?community=" + other},
	}
	for _, o := range objects {
		var e apiError
		var body any
		if o.method == "POST" {
			body = map[string]any{"score": 5}
		}
		if code := call(t, o.method, o.pathA, body, &e, signedInAs, member); code != http.StatusNotFound || e.Error.Code != "not_found" {
			t.Errorf("%s %s as %s (outside): HTTP %d %q, want 404 not_found", o.method, o.pathA, member, code, e.Error.Code)
		}
		for _, who := range []string{defaultStaff, "auditor", asService} {
			if o.method != "GET" {
				break
			}
			if who == "auditor" && strings.HasSuffix(o.pathA, "/tracking-link") {
				continue // the auditor may not see tracking links at all
			}
			if code := call(t, "GET", o.pathA, nil, nil, signedInAs, who); code != http.StatusOK {
				t.Errorf("GET %s as %s (A or every community): HTTP %d", o.pathA, who, code)
			}
		}
		if o.pathB == "" {
			continue
		}
		if code := call(t, o.method, o.pathB, body, nil, signedInAs, member); code != http.StatusOK {
			t.Errorf("%s %s as %s (inside): HTTP %d", o.method, o.pathB, member, code)
		}
	}

	// The lists: the member's shows SCOPEB's and not A's; every
	// community's shows both.
	lists := []struct{ path, field, a, b string }{
		{"/api/v1/complaints?page_size=200", "number", inA.Number, inB.Number},
		{"/api/v1/visits", "id", itoaID(visitA), itoaID(visitB)},
	}
	for _, l := range lists {
		got := listed(member, l.path, l.field)
		if slices.Contains(got, l.a) || !slices.Contains(got, l.b) {
			t.Errorf("GET %s as %s lists %v: want %s and not %s", l.path, member, got, l.b, l.a)
		}
		for _, who := range []string{"auditor", asService} {
			if got := listed(who, l.path, l.field); !slices.Contains(got, l.a) || !slices.Contains(got, l.b) {
				t.Errorf("GET %s as %s lists %v: want %s and %s", l.path, who, got, l.a, l.b)
			}
		}
	}

	// The email queue: a message from a household of A is not in the
	// member's queue and does not exist for them; one that matched nobody
	// is everyone's to triage.
	var mailA, mailNobody int64
	if err := sys.store.Pool().QueryRow(ctx, `INSERT INTO inbound_emails (dedupe_key, sender, subject, household_id, status)
		SELECT 'scope-a', 'scope-a@example.com', '范围测试', h.id, 'triage' FROM households h JOIN units u ON u.id = h.unit_id
		WHERE u.community = 'A' ORDER BY h.id LIMIT 1 RETURNING id`).Scan(&mailA); err != nil {
		t.Fatal(err)
	}
	if err := sys.store.Pool().QueryRow(ctx, `INSERT INTO inbound_emails (dedupe_key, sender, subject, status)
		VALUES ('scope-nobody', 'scope-nobody@example.com', '范围测试', 'triage') RETURNING id`).Scan(&mailNobody); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // out of the queue other tests read
		if _, err := sys.store.Pool().Exec(context.Background(), `UPDATE inbound_emails SET status = 'dismissed'
			WHERE dedupe_key IN ('scope-a', 'scope-nobody')`); err != nil {
			t.Errorf("dismiss the test emails: %v", err)
		}
	})
	for _, path := range []string{"/api/v1/intake/emails/" + itoa(mailA) + "/reveal-phone", "/api/v1/intake/emails/" + itoa(mailA) + "/dismiss"} {
		var e apiError
		if code := call(t, "POST", path, map[string]any{"reason": "范围"}, &e, signedInAs, member); code != http.StatusNotFound || e.Error.Code != "not_found" {
			t.Errorf("POST %s as %s (outside): HTTP %d %q, want 404 not_found", path, member, code, e.Error.Code)
		}
	}
	if code := call(t, "POST", "/api/v1/intake/emails/"+itoa(mailNobody)+"/reveal-phone", nil, nil, signedInAs, member); code != http.StatusOK {
		t.Errorf("reveal an email that matched nobody as %s: HTTP %d", member, code)
	}
	for who, want := range map[string][]string{member: {itoa(mailNobody)}, defaultStaff: {itoa(mailA), itoa(mailNobody)}} {
		got := listed(who, "/api/v1/intake/emails", "id")
		if slices.Contains(got, itoa(mailA)) != slices.Contains(want, itoa(mailA)) || !slices.Contains(got, itoa(mailNobody)) {
			t.Errorf("the email queue of %s: %v, want %v among them and no other of these", who, got, want)
		}
	}

	// Callback tasks: a task of a household of A, in a month long gone
	// (this month's campaign is the campaign test's), is not in the
	// member's list and does not exist for them.
	var task int64
	if err := sys.store.Pool().QueryRow(ctx, `WITH c AS (INSERT INTO callback_campaigns (month, target, active_households)
			VALUES ('2001-01', 0.2, 1) RETURNING month)
		INSERT INTO callback_tasks (month, household_id, assignee, reason)
		SELECT c.month, h.id, 'liu_fang', 'sample' FROM c, households h JOIN units u ON u.id = h.unit_id
		WHERE u.community = 'A' ORDER BY h.id LIMIT 1 RETURNING id`).Scan(&task); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, q := range []string{`DELETE FROM callback_tasks WHERE month = '2001-01'`, `DELETE FROM callback_campaigns WHERE month = '2001-01'`} {
			if _, err := sys.store.Pool().Exec(context.Background(), q); err != nil {
				t.Errorf("%s: %v", q, err)
			}
		}
	})
	for path, body := range map[string]any{
		"/api/v1/callbacks/" + itoa(task) + "/reveal-phone": nil,
		"/api/v1/callbacks/" + itoa(task) + "/result":       map[string]any{"reached": false},
	} {
		var e apiError
		if code := call(t, "POST", path, body, &e, signedInAs, member); code != http.StatusNotFound || e.Error.Code != "not_found" {
			t.Errorf("POST %s as %s (outside): HTTP %d %q, want 404 not_found", path, member, code, e.Error.Code)
		}
	}
	for who, want := range map[string]bool{member: false, defaultStaff: true} {
		if got := listed(who, "/api/v1/callbacks?month=2001-01", "id"); slices.Contains(got, itoa(task)) != want {
			t.Errorf("the callback tasks of 2001-01 as %s: %v, want %d among them: %t", who, got, task, want)
		}
	}

	// The campaign's coverage counts the tasks of the caller's communities.
	for who, want := range map[string]int64{member: 0, defaultStaff: 1, "auditor": 1} {
		var cov struct{ Tasks int64 }
		if code := call(t, "GET", "/api/v1/callbacks/coverage?month=2001-01", nil, &cov, signedInAs, who); code != http.StatusOK || cov.Tasks != want {
			t.Errorf("the coverage of 2001-01 as %s: HTTP %d, %d tasks, want %d", who, code, cov.Tasks, want)
		}
	}

	// Notifications: those of A's case are not the member's.
	for who, want := range map[string]bool{member: false, defaultStaff: true} {
		if got := listed(who, "/api/v1/notifications?number="+inA.Number, "number"); (len(got) > 0) != want {
			t.Errorf("the notifications of %s as %s: %v, want some: %t", inA.Number, who, got, want)
		}
	}

	// The KPIs and the analysis asked without a community are those of the
	// caller's communities: the member's are SCOPEB's, the auditor's the
	// whole centre's, which holds A's complaint besides.
	type figures struct {
		Community     string
		Communities   []string
		ComplaintRate struct{ Numerator, Denominator int64 } `json:"complaint_rate"`
		Coverage      struct{ Numerator, Denominator int64 } `json:"callback_coverage"`
		Complaints    int64
	}
	get := func(who, path string) figures {
		t.Helper()
		var f figures
		if code := call(t, "GET", path, nil, &f, signedInAs, who); code != http.StatusOK {
			t.Fatalf("GET %s as %s: HTTP %d", path, who, code)
		}
		return f
	}
	// The days A's and SCOPEB's complaints were recorded on, whenever the
	// test runs.
	first, recorded := inA.RecordedAt.In(sys.loc), inB.RecordedAt.In(sys.loc)
	month := recorded.Format("2006-01")
	kpis := "/api/v1/kpis?from=" + first.Format(time.DateOnly) + "&to=" + recorded.Format(time.DateOnly)
	const report = "/api/v1/reports/complaints?month="
	mine, onlyB, centre := get(member, kpis), get("auditor", kpis+"&community="+other), get("auditor", kpis)
	if !slices.Equal(mine.Communities, []string{other}) || mine.Community != "" || mine.ComplaintRate != onlyB.ComplaintRate ||
		mine.Coverage != onlyB.Coverage || mine.ComplaintRate.Numerator < 1 {
		t.Errorf("the KPIs of %s: %+v, want those of %s: %+v", member, mine, other, onlyB)
	}
	if centre.Communities != nil || centre.ComplaintRate.Numerator <= mine.ComplaintRate.Numerator {
		t.Errorf("the whole centre's KPIs: %+v, want more complaints than %s's %+v and no communities", centre, other, mine)
	}
	mineR, onlyBR := get(member, report+month), get("auditor", report+month+"&community="+other)
	if mineR.Community != other || mineR.Complaints != onlyBR.Complaints || mineR.Complaints < 1 {
		t.Errorf("the analysis of %s as %s: %+v, want that of %s: %+v", month, member, mineR, other, onlyBR)
	}

	// Recording in a community outside: 422, as for one that does not
	// exist, and nothing recorded.
	for path, body := range map[string]any{
		"/api/v1/complaints": newComplaintBody("leak"),
		"/api/v1/visits":     map[string]any{"community": "A", "unit": "1-101", "purpose": "inquiry", "visitor_name": "访客"},
	} {
		var e apiError
		if code := call(t, "POST", path, body, &e, signedInAs, member); code != http.StatusUnprocessableEntity || !strings.Contains(e.Error.Message, "does not exist") {
			t.Errorf("POST %s in A as %s: HTTP %d %+v, want 422: does not exist", path, member, code, e.Error)
		}
	}
}

// TestStaffImportCommunities: the staff import's optional communities
// column gives a member the communities they work in, replaces them when
// it names others, keeps them when blank, and refuses a community that
// does not exist, changing nothing. Not parallel: it adds a member of
// staff (a supervisor, whom no campaign or exam enrols).
func TestStaffImportCommunities(t *testing.T) {
	const member = "scope_import"
	ctx := context.Background()
	t.Cleanup(func() {
		if _, err := sys.store.Pool().Exec(context.Background(), `UPDATE staff SET active = false WHERE code = $1`, member); err != nil {
			t.Errorf("deactivate %s: %v", member, err)
		}
	})
	if _, err := sys.store.Pool().Exec(ctx, `INSERT INTO communities (code, name) VALUES ('SCOPEIMP', '导入小区')
		ON CONFLICT DO NOTHING`); err != nil {
		t.Fatal(err)
	}
	held := func() string {
		t.Helper()
		var got string
		if err := sys.store.Pool().QueryRow(ctx, `SELECT coalesce(string_agg(community_code, ';' ORDER BY community_code), '')
			FROM staff_communities WHERE staff_code = $1`, member).Scan(&got); err != nil {
			t.Fatal(err)
		}
		return got
	}
	steps := []struct {
		name, communities string
		status            int
		created, updated  int
		unchanged         int
		want              string // the member's communities after the step
	}{
		{"new member with one community", "SCOPEIMP", http.StatusOK, 1, 0, 0, "SCOPEIMP"},
		{"a second community", "A；SCOPEIMP", http.StatusOK, 0, 1, 0, "A;SCOPEIMP"},
		{"the same again", "SCOPEIMP;A", http.StatusOK, 0, 0, 1, "A;SCOPEIMP"},
		{"blank keeps them", "", http.StatusOK, 0, 0, 1, "A;SCOPEIMP"},
		{"one taken away", "A", http.StatusOK, 0, 1, 0, "A"},
		{"an unknown community changes nothing", "A;NOSUCH", http.StatusUnprocessableEntity, 0, 0, 0, "A"},
	}
	for _, s := range steps {
		csv := "code,name,department,role,communities\n" + member + ",导入主管,customer_service,supervisor," + s.communities + "\n"
		code, out := postFile(t, "/api/v1/imports/staff", "text/csv", []byte(csv), signedInAs, "admin")
		if code != s.status || out.Created != s.created || out.Updated != s.updated || out.Unchanged != s.unchanged {
			t.Errorf("%s: HTTP %d %+v, want %d created %d updated %d unchanged %d", s.name, code, out, s.status, s.created, s.updated, s.unchanged)
		}
		if code == http.StatusUnprocessableEntity && (len(out.Problems) != 1 || out.Problems[0].Column != "communities") {
			t.Errorf("%s: problems %+v, want one in communities", s.name, out.Problems)
		}
		if got := held(); got != s.want {
			t.Errorf("%s: communities %q, want %q", s.name, got, s.want)
		}
	}
}

// TestSetStaffCommunities: an admin replaces a member's communities
// through the API; the member's next request reaches the new ones, the
// change is audited once, the same list again changes nothing, and an
// unknown member or community is refused, changing nothing. Not parallel:
// it adds a member of staff (a supervisor, whom no campaign or exam
// enrols).
func TestSetStaffCommunities(t *testing.T) {
	const member, other = "scope_put", "SCOPEPUT"
	ctx := context.Background()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := sys.store.Pool().Exec(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`INSERT INTO communities (code, name) VALUES ($1, '设置小区') ON CONFLICT DO NOTHING`, other)
	exec(`INSERT INTO staff (code, name, department, role) VALUES ($1, '设置主管', 'customer_service', 'supervisor')
		ON CONFLICT (code) DO UPDATE SET active = true`, member)
	exec(`DELETE FROM staff_communities WHERE staff_code = $1`, member)
	exec(`INSERT INTO staff_communities (staff_code, community_code) VALUES ($1, 'A')`, member)
	t.Cleanup(func() {
		if _, err := sys.store.Pool().Exec(context.Background(), `UPDATE staff SET active = false WHERE code = $1`, member); err != nil {
			t.Errorf("deactivate %s: %v", member, err)
		}
	})
	pw, err := auth.HashPassword(testPassword, cheapHash())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sys.store.CreateMissingAccounts(ctx, pw); err != nil {
		t.Fatal(err)
	}
	path := "/api/v1/staff/" + member + "/communities"
	me := func() []string {
		t.Helper()
		var out struct{ Communities []string }
		if code := call(t, "GET", "/api/v1/auth/me", nil, &out, signedInAs, member); code != http.StatusOK {
			t.Fatalf("auth/me as %s: HTTP %d", member, code)
		}
		return out.Communities
	}
	if got := me(); !slices.Equal(got, []string{"A"}) {
		t.Fatalf("%s starts in %v, want [A]", member, got)
	}
	audited := func() int { return len(auditOf(t, "object_type=staff_communities&object_key="+member)) }
	before := audited()

	steps := []struct {
		name   string
		who    string
		body   any
		status int
		want   []string // the member's communities after the step
		rows   int      // audit rows the step adds
	}{
		{"a supervisor may not", "chen_jing", map[string]any{"communities": []string{other}}, http.StatusForbidden, []string{"A"}, 0},
		{"an unknown community changes nothing", "admin", map[string]any{"communities": []string{other, "NOPE"}}, http.StatusUnprocessableEntity, []string{"A"}, 0},
		{"a malformed code", "admin", map[string]any{"communities": []string{"a b"}}, http.StatusUnprocessableEntity, []string{"A"}, 0},
		{"no list", "admin", map[string]any{}, http.StatusUnprocessableEntity, []string{"A"}, 0},
		{"replaced", "admin", map[string]any{"communities": []string{other, "A", other}}, http.StatusOK, []string{"A", other}, 1},
		{"the same again", "admin", map[string]any{"communities": []string{"A", other}}, http.StatusOK, []string{"A", other}, 0},
		{"none", "admin", map[string]any{"communities": []string{}}, http.StatusOK, []string{}, 1},
		{"back to one", "admin", map[string]any{"communities": []string{other}}, http.StatusOK, []string{other}, 1},
	}
	for _, s := range steps {
		var e apiError
		code := call(t, "PUT", path, s.body, &e, signedInAs, s.who)
		if code != s.status {
			t.Errorf("%s: HTTP %d %+v, want %d", s.name, code, e, s.status)
		}
		if got := me(); !slices.Equal(got, s.want) && !(len(got) == 0 && len(s.want) == 0) {
			t.Errorf("%s: %s reaches %v, want %v", s.name, member, got, s.want)
		}
		after := audited()
		if after-before != s.rows {
			t.Errorf("%s: %d audit rows, want %d", s.name, after-before, s.rows)
		}
		before = after
	}
	var e apiError
	if code := call(t, "PUT", "/api/v1/staff/nobody_here/communities", map[string]any{"communities": []string{"A"}}, &e, signedInAs, "admin"); code != http.StatusNotFound || e.Error.Code != "not_found" {
		t.Errorf("an unknown member: HTTP %d %+v, want 404", code, e)
	}
	// The list of staff shows each member's communities.
	var list struct {
		Items []struct {
			Code        string
			Communities []string
		}
	}
	if code := call(t, "GET", "/api/v1/staff?department=customer_service", nil, &list, signedInAs, "admin"); code != http.StatusOK {
		t.Fatalf("list staff: HTTP %d", code)
	}
	i := slices.IndexFunc(list.Items, func(it struct {
		Code        string
		Communities []string
	}) bool {
		return it.Code == member
	})
	if i < 0 || !slices.Equal(list.Items[i].Communities, []string{other}) {
		t.Errorf("the staff list shows %s with %+v, want [%s]", member, list.Items, other)
	}
}
