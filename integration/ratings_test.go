package integration

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"testing"
	"time"
)

// TestRatingsDrillDown: the satisfaction and callback coverage figures
// drill down to the ratings they count. Ratings of every kind are written
// in a month long past that no other test uses; the API's list and the
// console's page then hold as many ratings and households as the KPIs
// count: all of them for satisfaction, the dissatisfied ones as its
// shortfall, and the households reached by calls from staff (not the
// tracking link's ratings) for coverage.
func TestRatingsDrillDown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var households []int64
	rows, err := sys.store.Pool().Query(ctx, `SELECT h.id FROM households h JOIN units u ON u.id = h.unit_id
		WHERE u.community = 'A' AND h.active ORDER BY h.id LIMIT 2`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		households = append(households, id)
	}
	if rows.Err() != nil || len(households) != 2 {
		t.Fatalf("households of A: %v %v", households, rows.Err())
	}
	key := fmt.Sprintf("ratings-drill-%d-", time.Now().UnixNano())
	at := func(day int) time.Time { return time.Date(2019, 3, day, 10, 0, 0, 0, sys.loc) }
	for i, r := range []struct {
		source, by string
		household  int64
		score      int
		at         time.Time
	}{
		{"visit_exit", "liu_fang", households[0], 5, at(3)},
		{"complaint_callback", "chen_jing", households[0], 2, at(5)},
		{"complaint_callback", "resident", households[0], 1, at(6)}, // the tracking link: no call
		{"campaign_call", "zhao_min", households[1], 3, at(9)},
		{"campaign_call", "zhao_min", households[1], 4, at(20)},                                     // the same household again
		{"campaign_call", "zhao_min", households[1], 5, time.Date(2019, 4, 1, 0, 0, 0, 0, sys.loc)}, // April
	} {
		if _, err := sys.store.Pool().Exec(ctx, `INSERT INTO ratings (source, household_id, community, score, rated_by, rated_at, idempotency_key)
			VALUES ($1, $2, 'A', $3, $4, $5, $6)`, r.source, r.household, r.score, r.by, r.at, key+fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	var k struct {
		S struct{ Numerator, Denominator int } `json:"satisfaction_rate"`
		C struct{ Numerator, Denominator int } `json:"callback_coverage"`
	}
	const period = "from=2019-03-01&to=2019-03-31&community=A"
	if code := call(t, "GET", "/api/v1/kpis?"+period, nil, &k); code != http.StatusOK {
		t.Fatalf("kpis: HTTP %d", code)
	}
	if k.S.Numerator != 2 || k.S.Denominator != 5 || k.C.Numerator != 2 {
		t.Fatalf("the KPIs of March 2019: %+v, want 2/5 satisfied and 2 households called", k)
	}
	type list struct {
		Total, Households int
		Items             []struct {
			Score   int    `json:"score"`
			RatedBy string `json:"rated_by"`
		}
	}
	for _, tc := range []struct {
		query             string
		total, households int
	}{
		{"", k.S.Denominator, 2},
		{"&dissatisfied=true", k.S.Denominator - k.S.Numerator, 2},
		{"&calls=true", 3, k.C.Numerator},
	} {
		var l list
		if code := call(t, "GET", "/api/v1/ratings?"+period+tc.query, nil, &l); code != http.StatusOK {
			t.Fatalf("ratings%s: HTTP %d", tc.query, code)
		}
		if l.Total != tc.total || l.Households != tc.households || len(l.Items) != tc.total {
			t.Errorf("ratings%s: %d ratings (%d listed) of %d households, want %d of %d", tc.query, l.Total, len(l.Items), l.Households, tc.total, tc.households)
		}
		for _, it := range l.Items {
			if tc.query == "&dissatisfied=true" && it.Score >= 4 || tc.query == "&calls=true" && it.RatedBy == "resident" {
				t.Errorf("ratings%s lists %+v", tc.query, it)
			}
		}
	}
	for _, q := range []string{"dissatisfied=maybe", "calls=1", "from=2019-02-30", "limit=0", "limit=501", "community=a%20b"} {
		var e apiError
		if code := call(t, "GET", "/api/v1/ratings?"+q, nil, &e); code != http.StatusUnprocessableEntity {
			t.Errorf("ratings?%s: HTTP %d, want 422", q, code)
		}
	}

	// The console: the dashboard's two figures link to these lists, which
	// show as many ratings and households; a receptionist is refused.
	srv := consoleServer(t)
	signIn := func(username string) *http.Client { return consoleBrowser(t, srv, username) }
	sup := signIn("chen_jing")
	code, dash := fetchPage(t, sup, srv.URL+"/console/reports?month=2019-03&community=A")
	if code != http.StatusOK {
		t.Fatalf("dashboard: HTTP %d", code)
	}
	for _, f := range []struct {
		kpi         string
		count       int
		summaryAttr string
	}{
		{"kpi.satisfaction_rate", k.S.Denominator - k.S.Numerator, "data-total"},
		{"kpi.callback_coverage", k.C.Numerator, "data-households"},
	} {
		m := regexp.MustCompile(`<a[^>]*href="(/console/reports/ratings\?[^"]*)"[^>]*data-count="(\d+)" id="drill-` + regexp.QuoteMeta(f.kpi) + `"`).FindStringSubmatch(dash)
		if m == nil || m[2] != fmt.Sprint(f.count) {
			t.Errorf("the dashboard's %s drill-down: %v, want a link counting %d", f.kpi, m, f.count)
			continue
		}
		code, page := fetchPage(t, sup, srv.URL+html.UnescapeString(m[1]))
		if code != http.StatusOK || !regexp.MustCompile(f.summaryAttr+`="`+fmt.Sprint(f.count)+`"`).MatchString(page) {
			t.Errorf("%s: HTTP %d, want the page to count %d (%s)", m[1], code, f.count, f.summaryAttr)
		}
	}
	if code, _ := fetchPage(t, signIn("liu_fang"), srv.URL+"/console/reports/ratings?"+period); code != http.StatusForbidden {
		t.Errorf("a receptionist's ratings page: HTTP %d, want 403", code)
	}
}
