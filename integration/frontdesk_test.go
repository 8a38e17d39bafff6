package integration

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

type feeBreakdown struct {
	Period        string `json:"period"`
	UnitType      string `json:"unit_type"`
	FloorArea     string `json:"floor_area"`
	ParkingSpaces int    `json:"parking_spaces"`
	Items         []struct {
		Item     string `json:"item"`
		Basis    string `json:"basis"`
		Rate     string `json:"rate"`
		Quantity string `json:"quantity"`
		Amount   string `json:"amount"`
	} `json:"items"`
	Total string `json:"total"`
}

func (b feeBreakdown) amounts() map[string]string {
	out := map[string]string{}
	for _, it := range b.Items {
		out[it.Item] = it.Rate + "×" + it.Quantity + "=" + it.Amount
	}
	return out
}

// The demo standards and unit 1-202 (109.75 m², one parking space), computed
// by hand: 2.80 × 109.75 = 307.30; 0.125 × 109.75 = 13.71875 → 13.72;
// 0.06 × 109.75 = 6.585 → 6.59 (half up); 15.00; 10.00; 150.00 × 1.
// Before 2026 the management fee was 2.50: 274.375 → 274.38.
func TestDemoFeeBreakdown(t *testing.T) {
	t.Parallel()
	tests := []struct {
		period string
		want   map[string]string
		total  string
	}{
		{"2026-11", map[string]string{
			"management": "2.80×109.75=307.30", "shared_power": "0.125×109.75=13.72", "shared_water": "0.06×109.75=6.59",
			"elevator": "15.00×1=15.00", "garbage": "10.00×1=10.00", "parking": "150.00×1=150.00"}, "502.61"},
		{"2025-12", map[string]string{
			"management": "2.50×109.75=274.38", "shared_power": "0.125×109.75=13.72", "shared_water": "0.06×109.75=6.59",
			"elevator": "15.00×1=15.00", "garbage": "10.00×1=10.00", "parking": "150.00×1=150.00"}, "469.69"},
		{"2023-06", map[string]string{}, "0.00"},
	}
	for _, tt := range tests {
		var b feeBreakdown
		if code := call(t, "GET", "/api/v1/units/A/1-202/fees?period="+tt.period, nil, &b); code != http.StatusOK {
			t.Fatalf("fees %s: HTTP %d", tt.period, code)
		}
		got := b.amounts()
		if len(got) != len(tt.want) || b.Total != tt.total {
			t.Fatalf("%s: got %v total %s, want %v total %s", tt.period, got, b.Total, tt.want, tt.total)
		}
		for k, v := range tt.want {
			if got[k] != v {
				t.Errorf("%s %s: got %s, want %s", tt.period, k, got[k], v)
			}
		}
	}
	var e apiError
	for path, want := range map[string]int{
		"/api/v1/units/A/1-202/fees?period=2026-13": http.StatusUnprocessableEntity,
		"/api/v1/units/A/1-202/fees?period=202611":  http.StatusUnprocessableEntity,
		"/api/v1/units/A/9-999/fees":                http.StatusNotFound,
		"/api/v1/units/ZZ/1-202/fees":               http.StatusNotFound,
	} {
		if code := call(t, "GET", path, nil, &e); code != want || e.Error.Code == "" {
			t.Errorf("GET %s: HTTP %d %+v, want %d", path, code, e, want)
		}
	}
}

// TestManageFeeStandards uses a community of its own, so the demo breakdown
// above is not disturbed.
func TestManageFeeStandards(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, q := range []string{
		`INSERT INTO communities (code, name) VALUES ('FEE', '收费测试小区')`,
		`INSERT INTO buildings (community, code, name) VALUES ('FEE', '1', '1号楼')`,
		`INSERT INTO units (community, building, code, unit_type, floor_area) VALUES ('FEE', '1', 'S-01', 'commercial', 33.33)`,
	} {
		if _, err := sys.store.Pool().Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sys.store.Pool().Exec(ctx, servedLikeA, "FEE"); err != nil {
		t.Fatal(err)
	}
	post := func(body map[string]any, want int) {
		t.Helper()
		var e apiError
		if code := call(t, "POST", "/api/v1/communities/FEE/fees", body, &e, signedInAs, "ma_lin"); code != want {
			t.Fatalf("post %v: HTTP %d, want %d (%+v)", body, code, want, e)
		}
	}
	std := func(rate, from, to string) map[string]any {
		b := map[string]any{"item": "management", "name": "物业服务费", "basis": "area", "unit_type": "commercial",
			"rate": rate, "effective_from": from}
		if to != "" {
			b["effective_to"] = to
		}
		return b
	}
	post(std("3.3333", "2025-01-01", ""), http.StatusCreated)
	// A price change ends the open-ended standard where the new one starts.
	post(std("4.00", "2026-07-01", ""), http.StatusCreated)
	before := count(t, `SELECT count(*) FROM fee_standards WHERE community = 'FEE'`)
	for _, bad := range []map[string]any{
		std("-1.00", "2026-01-01", ""),
		std("1.00001", "2026-01-01", ""),
		std("1e3", "2026-01-01", ""),
		std("abc", "2026-01-01", ""),
		std("2.00", "2026-02-30", ""),
		std("2.00", "2026-03-01", "2026-02-01"),
		{"item": "Bad Item", "name": "x", "basis": "area", "rate": "1", "effective_from": "2026-01-01"},
		{"item": "x", "name": "x", "basis": "per_floor", "rate": "1", "effective_from": "2026-01-01"},
		{"item": "x", "name": "x", "basis": "area", "rate": 1.5, "effective_from": "2026-01-01"},
	} {
		post(bad, http.StatusUnprocessableEntity)
	}
	// Inside a period already covered.
	post(std("5.00", "2026-03-01", "2026-05-01"), http.StatusConflict)
	if after := count(t, `SELECT count(*) FROM fee_standards WHERE community = 'FEE'`); after != before {
		t.Fatalf("rejected requests changed fee_standards: %d → %d", before, after)
	}
	// 33.33 × 3.3333 = 111.098889 → 111.10; 33.33 × 4.00 = 133.32.
	for period, want := range map[string]string{"2026-06": "111.10", "2026-07": "133.32", "2024-12": "0.00"} {
		var b feeBreakdown
		if code := call(t, "GET", "/api/v1/units/FEE/S-01/fees?period="+period, nil, &b); code != http.StatusOK || b.Total != want {
			t.Errorf("%s: HTTP %d total %s, want %s", period, code, b.Total, want)
		}
	}
	var list struct {
		Items []struct {
			ID            int64   `json:"id"`
			Rate          string  `json:"rate"`
			EffectiveFrom string  `json:"effective_from"`
			EffectiveTo   *string `json:"effective_to"`
		} `json:"items"`
	}
	if code := call(t, "GET", "/api/v1/communities/FEE/fees", nil, &list); code != http.StatusOK || len(list.Items) != 2 {
		t.Fatalf("list: HTTP %d %+v", code, list)
	}
	if first := list.Items[0]; first.Rate != "3.3333" || first.EffectiveTo == nil || *first.EffectiveTo != "2026-07-01" {
		t.Errorf("first standard %+v, want 3.3333 ending 2026-07-01", first)
	}
	if code := call(t, "DELETE", "/api/v1/communities/FEE/fees/"+itoa(list.Items[1].ID), nil, nil, signedInAs, "ma_lin"); code != http.StatusOK {
		t.Fatalf("delete: HTTP %d", code)
	}
	if code := call(t, "DELETE", "/api/v1/communities/FEE/fees/"+itoa(list.Items[1].ID), nil, nil, signedInAs, "ma_lin"); code != http.StatusConflict {
		t.Fatalf("second delete: HTTP %d", code)
	}
}

type feeStandardView struct {
	ID            int64      `json:"id"`
	Rate          string     `json:"rate"`
	EffectiveFrom string     `json:"effective_from"`
	EffectiveTo   *string    `json:"effective_to"`
	Replaces      *int64     `json:"replaces"`
	DeletedAt     *time.Time `json:"deleted_at"`
	DeletedBy     *string    `json:"deleted_by"`
}

// A price change entered by mistake and deleted: the standard it had cut
// short is open again, so the bill after the change date has its 物业服务费
// line at the old rate; the deleted one stays in the history.
func TestDeleteFeeStandardRestoresTheBill(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, q := range []string{
		`INSERT INTO communities (code, name) VALUES ('FEEDEL', '收费删除测试小区')`,
		`INSERT INTO buildings (community, code, name) VALUES ('FEEDEL', '1', '1号楼')`,
		`INSERT INTO units (community, building, code, unit_type, floor_area) VALUES ('FEEDEL', '1', '1-101', 'residential', 100.00)`,
	} {
		if _, err := sys.store.Pool().Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sys.store.Pool().Exec(ctx, servedLikeA, "FEEDEL"); err != nil {
		t.Fatal(err)
	}
	const fees = "/api/v1/communities/FEEDEL/fees"
	add := func(rate, from string) feeStandardView {
		t.Helper()
		var f feeStandardView
		body := map[string]any{"item": "management", "name": "物业服务费", "basis": "area", "unit_type": "residential",
			"rate": rate, "effective_from": from}
		if code := call(t, "POST", fees, body, &f, signedInAs, "ma_lin"); code != http.StatusCreated {
			t.Fatalf("add %s from %s: HTTP %d", rate, from, code)
		}
		return f
	}
	bill := func(period string) string {
		t.Helper()
		var b feeBreakdown
		if code := call(t, "GET", "/api/v1/units/FEEDEL/1-101/fees?period="+period, nil, &b); code != http.StatusOK {
			t.Fatalf("fees %s: HTTP %d", period, code)
		}
		return fmt.Sprint(b.amounts())
	}
	old := add("2.80", "2025-01-01")
	mistake := add("28.00", "2026-07-01")
	if mistake.Replaces == nil || *mistake.Replaces != old.ID {
		t.Fatalf("the change replaces %v, want %d", mistake.Replaces, old.ID)
	}
	if got, want := bill("2026-08"), "map[management:28.00×100.00=2800.00]"; got != want {
		t.Fatalf("bill with the mistake: %s, want %s", got, want)
	}

	// Refused deletions change nothing.
	var e apiError
	for _, tt := range []struct {
		path    string
		headers []string
		want    int
	}{
		{fees + "/abc", []string{signedInAs, "ma_lin"}, http.StatusNotFound},
		{fees + "/0", []string{signedInAs, "ma_lin"}, http.StatusNotFound},
		{fees + "/-1", []string{signedInAs, "ma_lin"}, http.StatusNotFound},
		{fees + "/99999999999999999999", []string{signedInAs, "ma_lin"}, http.StatusNotFound},
		{fees + "/" + itoa(mistake.ID+1_000_000), []string{signedInAs, "ma_lin"}, http.StatusNotFound},
		{"/api/v1/communities/A/fees/" + itoa(mistake.ID), []string{signedInAs, "ma_lin"}, http.StatusNotFound},
		{fees + "/" + itoa(mistake.ID), []string{signedInAs, asService}, http.StatusUnprocessableEntity},
		{fees + "/" + itoa(mistake.ID), []string{"X-Staff-Code", "nobody"}, http.StatusUnauthorized},
	} {
		e = apiError{}
		if code := call(t, "DELETE", tt.path, nil, &e, tt.headers...); code != tt.want || e.Error.Code == "" || e.Error.Message == "" {
			t.Errorf("DELETE %s %v: HTTP %d %+v, want %d with an error", tt.path, tt.headers, code, e, tt.want)
		}
	}
	if got, want := bill("2026-08"), "map[management:28.00×100.00=2800.00]"; got != want {
		t.Fatalf("refused deletions changed the bill: %s, want %s", got, want)
	}

	var del struct {
		Deleted  feeStandardView  `json:"deleted"`
		Restored *feeStandardView `json:"restored"`
	}
	before := time.Now().Add(-time.Second)
	if code := call(t, "DELETE", fees+"/"+itoa(mistake.ID), nil, &del, signedInAs, "ma_lin"); code != http.StatusOK {
		t.Fatalf("delete: HTTP %d", code)
	}
	if d := del.Deleted; d.ID != mistake.ID || d.DeletedBy == nil || *d.DeletedBy != "ma_lin" || d.DeletedAt == nil || d.DeletedAt.Before(before) {
		t.Fatalf("deleted %+v, want %d deleted by ma_lin now", d, mistake.ID)
	}
	if r := del.Restored; r == nil || r.ID != old.ID || r.EffectiveTo != nil {
		t.Fatalf("restored %+v, want %d open-ended again", r, old.ID)
	}
	// The month after the change date bills the old rate again, as the month before does.
	for _, period := range []string{"2026-08", "2026-06"} {
		if got, want := bill(period), "map[management:2.80×100.00=280.00]"; got != want {
			t.Errorf("bill %s after the deletion: %s, want %s", period, got, want)
		}
	}

	var list struct{ Items []feeStandardView }
	if code := call(t, "GET", fees, nil, &list); code != http.StatusOK || len(list.Items) != 1 || list.Items[0].ID != old.ID || list.Items[0].DeletedAt != nil {
		t.Fatalf("list: HTTP %d %+v, want only %d", code, list, old.ID)
	}
	if code := call(t, "GET", fees+"?at=2026-08-01", nil, &list); code != http.StatusOK || len(list.Items) != 1 || list.Items[0].ID != old.ID {
		t.Fatalf("in force on 2026-08-01: HTTP %d %+v, want only %d", code, list, old.ID)
	}
	if code := call(t, "GET", fees+"?deleted=true", nil, &list); code != http.StatusOK || len(list.Items) != 2 {
		t.Fatalf("history: HTTP %d %+v", code, list)
	}
	if h := list.Items[1]; h.ID != mistake.ID || h.DeletedBy == nil || *h.DeletedBy != "ma_lin" || h.DeletedAt == nil || h.Rate != "28.00" {
		t.Fatalf("history has %+v, want %d deleted by ma_lin", h, mistake.ID)
	}
	if code := call(t, "GET", fees+"?deleted=maybe", nil, &e); code != http.StatusUnprocessableEntity {
		t.Fatalf("?deleted=maybe: HTTP %d", code)
	}

	// Twice: 409, saying by whom; the bill stays.
	e = apiError{}
	if code := call(t, "DELETE", fees+"/"+itoa(mistake.ID), nil, &e, signedInAs, "ma_lin"); code != http.StatusConflict ||
		e.Error.Code != "already_deleted" || !strings.Contains(e.Error.Message, "ma_lin") {
		t.Fatalf("second delete: HTTP %d %+v, want 409 already_deleted naming ma_lin", code, e)
	}
	if got, want := bill("2026-08"), "map[management:2.80×100.00=280.00]"; got != want {
		t.Fatalf("bill after the second delete: %s, want %s", got, want)
	}
	// The deleted standard does not block the corrected change.
	if right := add("3.00", "2026-07-01"); right.Replaces == nil || *right.Replaces != old.ID {
		t.Fatalf("corrected change replaces %v, want %d", right.Replaces, old.ID)
	}
	if got, want := bill("2026-08"), "map[management:3.00×100.00=300.00]"; got != want {
		t.Fatalf("bill after the corrected change: %s, want %s", got, want)
	}
}

type visit struct {
	ID           int64      `json:"id"`
	Unit         string     `json:"unit"`
	HouseholdID  *int64     `json:"household_id"`
	Purpose      string     `json:"purpose"`
	Channel      string     `json:"channel"`
	CallRef      string     `json:"call_ref"`
	Receptionist string     `json:"receptionist"`
	CaseKind     *string    `json:"case_kind"`
	CaseNumber   *string    `json:"case_number"`
	ArrivedAt    time.Time  `json:"arrived_at"`
	ExitedAt     *time.Time `json:"exited_at"`
	ExitScore    *int       `json:"exit_score"`
}

func TestVisitExitRatingAndSpawnedComplaint(t *testing.T) {
	const desk = "liu_fang"
	var v visit
	body := map[string]any{"community": "A", "unit": "2-301", "purpose": "complaint", "notes": "楼上噪音"}
	if code := call(t, "POST", "/api/v1/visits", body, &v, signedInAs, desk, "Idempotency-Key", "visit-1"); code != http.StatusCreated {
		t.Fatalf("create visit: HTTP %d", code)
	}
	if v.HouseholdID == nil || v.Receptionist != desk || v.Channel != "walk_in" || v.Unit != "2-301" {
		t.Fatalf("visit %+v", v)
	}
	var again visit
	if code := call(t, "POST", "/api/v1/visits", body, &again, signedInAs, desk, "Idempotency-Key", "visit-1"); code != http.StatusOK || again.ID != v.ID {
		t.Fatalf("replay: HTTP %d id %d, want 200 id %d", code, again.ID, v.ID)
	}

	// The visit raises a complaint and is linked to it.
	cbody := newComplaintBody("noise")
	cbody["visit_id"] = v.ID
	var c complaint
	if code := call(t, "POST", "/api/v1/complaints", cbody, &c); code != http.StatusCreated {
		t.Fatalf("complaint from visit: HTTP %d", code)
	}
	var linked visit
	call(t, "GET", "/api/v1/visits/"+itoa(v.ID), nil, &linked)
	if linked.CaseNumber == nil || *linked.CaseNumber != c.Number || *linked.CaseKind != "complaint" {
		t.Fatalf("visit not linked to %s: %+v", c.Number, linked)
	}
	// A second case from the same visit is refused and leaves nothing behind.
	intakes := count(t, `SELECT count(*) FROM case_intakes`)
	var e apiError
	cbody2 := newComplaintBody("noise")
	cbody2["visit_id"] = v.ID
	if code := call(t, "POST", "/api/v1/complaints", cbody2, &e); code != http.StatusConflict {
		t.Fatalf("second link: HTTP %d %+v", code, e)
	}
	cbody2["visit_id"] = 999999
	if code := call(t, "POST", "/api/v1/complaints", cbody2, &e); code != http.StatusUnprocessableEntity {
		t.Fatalf("unknown visit: HTTP %d %+v", code, e)
	}
	if n := count(t, `SELECT count(*) FROM case_intakes`); n != intakes {
		t.Fatalf("refused links left %d intakes", n-intakes)
	}

	// Exit rating: recorded once, counted as a rating, not overwritten.
	ratings := count(t, `SELECT count(*) FROM ratings WHERE source = 'visit_exit'`)
	var exited visit
	if code := call(t, "POST", "/api/v1/visits/"+itoa(v.ID)+"/exit", map[string]any{"score": 4, "comment": "态度好"}, &exited); code != http.StatusCreated {
		t.Fatalf("exit: HTTP %d", code)
	}
	if exited.ExitScore == nil || *exited.ExitScore != 4 || exited.ExitedAt == nil {
		t.Fatalf("exit %+v", exited)
	}
	if code := call(t, "POST", "/api/v1/visits/"+itoa(v.ID)+"/exit", map[string]any{"score": 4, "comment": "态度好"}, nil); code != http.StatusOK {
		t.Fatalf("repeated exit: HTTP %d", code)
	}
	if code := call(t, "POST", "/api/v1/visits/"+itoa(v.ID)+"/exit", map[string]any{"score": 1}, &e); code != http.StatusConflict {
		t.Fatalf("changed exit: HTTP %d", code)
	}
	if n := count(t, `SELECT count(*) FROM ratings WHERE source = 'visit_exit' AND visit_id = $1 AND receptionist = $2 AND community = 'A'`, v.ID, desk); n != 1 {
		t.Fatalf("%d exit ratings for the visit, want 1", n)
	}
	if n := count(t, `SELECT count(*) FROM ratings WHERE source = 'visit_exit'`); n != ratings+1 {
		t.Fatalf("ratings grew by %d, want 1", n-ratings)
	}

	// A phone call from someone who is not a resident.
	var call2 visit
	if code := call(t, "POST", "/api/v1/visits", map[string]any{"community": "A", "visitor_name": "快递员", "visitor_phone": "13700000000",
		"purpose": "inquiry", "channel": "phone", "call_ref": "CALL-0001"}, &call2, signedInAs, "zhao_min"); code != http.StatusCreated {
		t.Fatalf("phone visit: HTTP %d", code)
	}
	if call2.CallRef != "CALL-0001" || call2.Channel != "phone" || call2.HouseholdID != nil {
		t.Fatalf("phone visit %+v", call2)
	}

	// The list of the day the visit arrived on (centre time), which need
	// not be today's by now.
	var list struct{ Items []visit }
	day := v.ArrivedAt.In(sys.loc).Format(time.DateOnly)
	if code := call(t, "GET", "/api/v1/visits?from="+day+"&to="+day+"&receptionist="+desk, nil, &list); code != http.StatusOK {
		t.Fatalf("list: HTTP %d", code)
	}
	found := false
	for _, it := range list.Items {
		found = found || it.ID == v.ID
		if it.Receptionist != desk {
			t.Errorf("list by receptionist returned %+v", it)
		}
	}
	if !found {
		t.Errorf("visit %d missing from the list of %s", v.ID, day)
	}
}

// Not parallel: it compares whole-table counts.
func TestRejectedVisitsWriteNothing(t *testing.T) {
	before := count(t, `SELECT count(*) FROM visits`) + count(t, `SELECT count(*) FROM ratings`)
	bad := []struct {
		body    any
		headers []string
		want    int
	}{
		{map[string]any{"community": "A", "unit": "1-101", "purpose": "inquiry"}, []string{signedInAs, asService}, http.StatusUnprocessableEntity}, // no receptionist
		{map[string]any{"community": "A", "purpose": "inquiry"}, []string{signedInAs, "liu_fang"}, http.StatusUnprocessableEntity},
		{map[string]any{"community": "A", "unit": "9-999", "purpose": "inquiry"}, []string{signedInAs, "liu_fang"}, http.StatusUnprocessableEntity},
		{map[string]any{"community": "ZZ", "unit": "1-101", "purpose": "inquiry"}, []string{signedInAs, "liu_fang"}, http.StatusUnprocessableEntity},
		{map[string]any{"community": "A", "unit": "1-101", "purpose": "chat"}, []string{signedInAs, "liu_fang"}, http.StatusUnprocessableEntity},
		{map[string]any{"community": "A", "unit": "1-101", "purpose": "inquiry", "call_ref": "X"}, []string{signedInAs, "liu_fang"}, http.StatusUnprocessableEntity},
		{map[string]any{"community": "A", "unit": "1-101", "purpose": "inquiry", "visitor_phone": "call me"}, []string{signedInAs, "liu_fang"}, http.StatusUnprocessableEntity},
		{map[string]any{"community": "A", "unit": "1-101", "purpose": "inquiry", "notes": "a\x00b"}, []string{signedInAs, "liu_fang"}, http.StatusUnprocessableEntity},
		{map[string]any{"community": "A", "unit": "1-101", "purpose": "inquiry"}, []string{"X-Staff-Code", "nobody"}, http.StatusUnauthorized},
		{`{"community": "A",`, []string{signedInAs, "liu_fang"}, http.StatusUnprocessableEntity},
	}
	for i, b := range bad {
		var e apiError
		if code := call(t, "POST", "/api/v1/visits", b.body, &e, b.headers...); code != b.want || e.Error.Code == "" {
			t.Errorf("case %d: HTTP %d %+v, want %d", i, code, e, b.want)
		}
	}
	for _, path := range []string{"/api/v1/visits/abc/exit", "/api/v1/visits/999999/exit"} {
		if code := call(t, "POST", path, map[string]any{"score": 5}, nil); code != http.StatusNotFound {
			t.Errorf("%s: HTTP %d, want 404", path, code)
		}
	}
	var v visit
	call(t, "POST", "/api/v1/visits", map[string]any{"community": "A", "unit": "1-101", "purpose": "inquiry"}, &v, signedInAs, "liu_fang")
	before++
	for _, body := range []any{map[string]any{"score": 0}, map[string]any{"score": 6}, map[string]any{"score": "5"}, nil} {
		if code := call(t, "POST", "/api/v1/visits/"+itoa(v.ID)+"/exit", body, nil); code != http.StatusUnprocessableEntity {
			t.Errorf("exit %v: HTTP %d, want 422", body, code)
		}
	}
	for _, q := range []string{"from=2026-13-01", "from=2026-11-02&to=2026-11-01", "from=2020-01-01&to=2026-01-01", "limit=0", "community=%27"} {
		if code := call(t, "GET", "/api/v1/visits?"+q, nil, nil); code != http.StatusUnprocessableEntity {
			t.Errorf("list %s: HTTP %d, want 422", q, code)
		}
	}
	if after := count(t, `SELECT count(*) FROM visits`) + count(t, `SELECT count(*) FROM ratings`); after != before {
		t.Fatalf("rejected requests wrote %d rows", after-before)
	}
}
