package integration

import (
	"net/http"
	"strings"
	"testing"
)

// X-Staff-Code is resolved once, before any handler: a header that is sent
// must name an active member of staff on every API endpoint, reading or
// writing, including those that default to the front desk (a handbook
// category's PUT, a visit's exit rating); the endpoints that need a named
// person refuse a request without one. Nothing refused changes anything.
func TestActingStaffIsResolvedOnce(t *testing.T) {
	t.Parallel()
	if _, err := sys.store.Pool().Exec(t.Context(), `INSERT INTO staff (code, name, department, role, active)
		VALUES ('ac_gone', '离职甲', 'customer_service', 'receptionist', false)`); err != nil {
		t.Fatal(err)
	}
	var v struct {
		ID int64 `json:"id"`
	}
	if code := call(t, "POST", "/api/v1/visits", map[string]any{"community": "A", "unit": "1-101", "purpose": "inquiry"}, &v,
		"X-Staff-Code", "liu_fang"); code != http.StatusCreated {
		t.Fatalf("record a visit: HTTP %d", code)
	}
	exit := "/api/v1/visits/" + itoa(v.ID) + "/exit"
	category := map[string]any{"name": "演员测试", "department": "customer_service", "responsible": "chen_jing",
		"priority": "normal"}
	const categoryPath = "/api/v1/handbook/categories/it_actor"
	const refused = "actor-test-refused"
	visit := map[string]any{"community": "A", "unit": "1-101", "purpose": "inquiry", "notes": refused}
	complaint := newComplaintBody("noise")
	complaint["description"] = refused

	type refusal struct {
		name, method, path string
		body               any
		headers            []string
		says               string
	}
	var refusals []refusal
	for _, h := range []struct{ value, says string }{
		{"nobody", `X-Staff-Code "nobody" is not a member of staff`},
		{"ac_gone", `X-Staff-Code "ac_gone" is not an active member of staff`},
		{"no such code!", "X-Staff-Code must be a code"},
	} {
		for _, r := range []refusal{
			{"list complaints", "GET", "/api/v1/complaints", nil, nil, ""},
			{"record a visit", "POST", "/api/v1/visits", visit, nil, ""},
			{"the exit rating", "POST", exit, map[string]any{"score": 5}, nil, ""},
			{"a handbook category", "PUT", categoryPath, category, nil, ""},
			{"a complaint", "POST", "/api/v1/complaints", complaint, nil, ""},
		} {
			r.name += " as " + h.value
			r.headers, r.says = []string{"X-Staff-Code", h.value}, h.says
			refusals = append(refusals, r)
		}
	}
	refusals = append(refusals,
		refusal{"a visit without header", "POST", "/api/v1/visits", visit, nil,
			"X-Staff-Code is required: the receptionist who records the visit"},
		refusal{"a cycle without header", "POST", "/api/v1/training/cycles", map[string]any{}, nil,
			"X-Staff-Code is required: the trainer who starts the cycle"},
		refusal{"an import without header", "POST", "/api/v1/imports/staff", "code,name,department,role\n", []string{"Content-Type", "text/csv"},
			"X-Staff-Code is required: the member of staff who imports the file"},
	)
	for _, r := range refusals {
		var e apiError
		code := call(t, r.method, r.path, r.body, &e, r.headers...)
		if code != http.StatusUnprocessableEntity || e.Error.Code != "invalid_input" || !strings.Contains(e.Error.Message, r.says) {
			t.Errorf("%s: HTTP %d %+v, want 422 invalid_input saying %q", r.name, code, e.Error, r.says)
		}
	}
	if n := count(t, `SELECT count(*) FROM visits WHERE notes = $1`, refused); n != 0 {
		t.Errorf("%d refused visits were recorded", n)
	}
	if n := count(t, `SELECT count(*) FROM case_intakes WHERE description = $1`, refused); n != 0 {
		t.Errorf("%d refused complaints were recorded", n)
	}
	if n := count(t, `SELECT count(*) FROM visits WHERE id = $1 AND exited_at IS NOT NULL`, v.ID); n != 0 {
		t.Errorf("a refused exit rating was recorded")
	}
	if n := count(t, `SELECT count(*) FROM handbook_categories WHERE code = 'it_actor'`); n != 0 {
		t.Errorf("a refused category was saved")
	}

	// Named by an active member, or by nobody (the front desk), they work.
	if code := call(t, "PUT", categoryPath, category, nil, "X-Staff-Code", "chen_jing"); code != http.StatusOK {
		t.Errorf("PUT a category as chen_jing: HTTP %d", code)
	}
	if code := call(t, "POST", exit, map[string]any{"score": 5}, nil); code != http.StatusCreated {
		t.Errorf("the exit rating from the front desk: HTTP %d", code)
	}
}
