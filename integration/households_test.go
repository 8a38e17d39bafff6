package integration

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/concierge-pm/concierge/auth"
)

// household is an answer of GET /api/v1/households.
type household struct {
	ID        int64  `json:"id"`
	Community string `json:"community"`
	Unit      string `json:"unit"`
	Active    bool   `json:"active"`
	Residents []struct {
		Name  string `json:"name"`
		Phone string `json:"phone"`
	} `json:"residents"`
	OpenCases []householdCase `json:"open_cases"`
	PastCases []householdCase `json:"past_cases"`
}

type householdCase struct {
	Number string `json:"number"`
	Status string `json:"status"`
}

func findHouseholds(t *testing.T, who, q string) (int, []household) {
	t.Helper()
	var out struct{ Items []household }
	code := call(t, "GET", "/api/v1/households?q="+url.QueryEscape(q), nil, &out, signedInAs, who)
	return code, out.Items
}

// TestHouseholdLookup: the front desk finds demo household A 1-101 (王秀英,
// 13800130000) by the phone as people type it, by the name and its
// beginning, and by the unit; the answer masks the phone and lists the
// household's open case and its closed one. A member of another community
// finds nothing in A, and the demo member nothing in theirs; input that is
// no phone, name or unit is 422. Not parallel: it adds a community and a
// member of staff.
func TestHouseholdLookup(t *testing.T) {
	ctx := context.Background()
	const member, other, otherPhone = "hh_out_sup", "HHB", "13912340077"
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := sys.store.Pool().Exec(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`INSERT INTO communities (code, name) VALUES ($1, '查询测试小区') ON CONFLICT DO NOTHING`, other)
	exec(`INSERT INTO buildings (community, code, name) VALUES ($1, '9', '9号楼') ON CONFLICT DO NOTHING`, other)
	exec(`WITH u AS (INSERT INTO units (community, building, code, floor_area) VALUES ($1, '9', '9-901', 80)
			ON CONFLICT DO NOTHING RETURNING id),
		h AS (INSERT INTO households (unit_id) SELECT id FROM u RETURNING id)
		INSERT INTO residents (household_id, name, phone) SELECT id, '查询外区', $2 FROM h`, other, otherPhone)
	exec(`INSERT INTO staff (code, name, department, role) VALUES ($1, '查询外区主管', 'customer_service', 'supervisor') ON CONFLICT DO NOTHING`, member)
	exec(`INSERT INTO staff_communities (staff_code, community_code) VALUES ($1, $2) ON CONFLICT DO NOTHING`, member, other)
	t.Cleanup(func() {
		// The household moves out: the callback campaign counts the
		// active households, and another test expects the demo's.
		if _, err := sys.store.Pool().Exec(context.Background(), `UPDATE households SET active = false
			WHERE unit_id IN (SELECT id FROM units WHERE community = $1)`, other); err != nil {
			t.Errorf("retire the %s household: %v", other, err)
		}
		if _, err := sys.store.Pool().Exec(context.Background(), `
			WITH s AS (DELETE FROM sessions WHERE username IN (SELECT username FROM accounts WHERE staff_code = $1)),
				a AS (DELETE FROM accounts WHERE staff_code = $1),
				c AS (DELETE FROM staff_communities WHERE staff_code = $1)
			UPDATE staff SET active = false WHERE code = $1`, member); err != nil {
			t.Errorf("retire %s: %v", member, err)
		}
	})
	pw, err := auth.HashPassword(testPassword, cheapHash())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sys.store.CreateMissingAccounts(ctx, pw); err != nil {
		t.Fatal(err)
	}

	// An open complaint and a withdrawn one of A 1-101.
	body := newComplaintBody("leak")
	body["unit"] = "1-101"
	var open, gone complaint
	if code := call(t, "POST", "/api/v1/complaints", body, &open); code != http.StatusCreated {
		t.Fatalf("create: HTTP %d", code)
	}
	body = newComplaintBody("leak")
	body["unit"] = "1-101"
	if code := call(t, "POST", "/api/v1/complaints", body, &gone); code != http.StatusCreated {
		t.Fatalf("create: HTTP %d", code)
	}
	act(t, gone.Number, "withdraw", map[string]any{"reason": "住户撤回"}, http.StatusOK)

	isDemo := func(h household) bool { return h.Community == "A" && h.Unit == "1-101" }
	for _, tc := range []struct {
		name, who, q string
		want         bool // the demo household is among the answers
		only         func(household) bool
	}{
		{"phone as stored", defaultStaff, "13800130000", true, isDemo},
		{"phone with spaces", defaultStaff, "138 0013 0000", true, isDemo},
		{"phone with +86 and dashes", defaultStaff, "+86 138-0013-0000", true, isDemo},
		{"phone with +86 and no separator", defaultStaff, "+8613800130000", true, isDemo},
		{"phone with brackets", defaultStaff, "(138) 0013.0000", true, isDemo},
		{"another phone", defaultStaff, "13800130001", false, func(h household) bool { return h.Unit == "1-102" }},
		{"a phone nobody has", defaultStaff, "13899999999", false, nil},
		{"name", defaultStaff, "王秀英", true, nil},
		{"beginning of the name", defaultStaff, "王秀", true, nil},
		// The name is matched by LIKE: its wildcards are plain characters.
		{"a percent sign is no wildcard", defaultStaff, "王%", false, func(household) bool { return false }},
		{"an underscore is no wildcard", defaultStaff, "_秀英", false, func(household) bool { return false }},
		{"unit", defaultStaff, "1-101", true, func(h household) bool { return h.Unit == "1-101" }},
		{"receptionist too", "liu_fang", "13800130000", true, isDemo},
		{"out of scope: A's phone", member, "13800130000", false, nil},
		{"out of scope: A's unit", member, "1-101", false, func(h household) bool { return h.Community == other }},
		{"in their own scope", member, otherPhone, false, func(h household) bool { return h.Community == other }},
		{"A's member does not see HHB", defaultStaff, otherPhone, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, items := findHouseholds(t, tc.who, tc.q)
			if code != http.StatusOK {
				t.Fatalf("HTTP %d", code)
			}
			i := slices.IndexFunc(items, isDemo)
			if (i >= 0) != tc.want {
				t.Fatalf("demo household A 1-101 found %v, want %v (%+v)", i >= 0, tc.want, items)
			}
			for _, h := range items {
				if tc.only != nil && !tc.only(h) {
					t.Errorf("unexpected household %s %s", h.Community, h.Unit)
				}
				for _, r := range h.Residents {
					if strings.Count(r.Phone, "*") == 0 && r.Phone != "" {
						t.Errorf("phone not masked: %q", r.Phone)
					}
				}
			}
			if strings.HasPrefix(tc.name, "in their own scope") && len(items) != 1 {
				t.Errorf("the member finds %d households of their community, want 1", len(items))
			}
			if !tc.want {
				return
			}
			h := items[i]
			if len(h.Residents) == 0 || h.Residents[0].Name != "王秀英" || h.Residents[0].Phone != "138****0000" {
				t.Errorf("residents %+v, want 王秀英 138****0000", h.Residents)
			}
			if !slices.ContainsFunc(h.OpenCases, func(c householdCase) bool {
				return c.Number == open.Number
			}) {
				t.Errorf("open case %s not in %+v", open.Number, h.OpenCases)
			}
			if slices.ContainsFunc(h.OpenCases, func(c householdCase) bool { return c.Number == gone.Number }) ||
				!slices.ContainsFunc(h.PastCases, func(c householdCase) bool {
					return c.Number == gone.Number && c.Status == "withdrawn"
				}) {
				t.Errorf("withdrawn case %s not among the past cases %+v (open %+v)", gone.Number, h.PastCases, h.OpenCases)
			}
		})
	}

	for _, q := range []string{"", " ", "( )", "12 34", "a\tb", strings.Repeat("王", 65)} {
		var e apiError
		params := "?q=" + url.QueryEscape(q)
		if q == "" {
			params = ""
		}
		if code := call(t, "GET", "/api/v1/households"+params, nil, &e); code != http.StatusUnprocessableEntity || e.Error.Code != "invalid_input" {
			t.Errorf("q %q: HTTP %d %+v, want 422 invalid_input", q, code, e)
		}
	}
	var e apiError
	if code := call(t, "GET", "/api/v1/households?q=1-101&limit=0", nil, &e); code != http.StatusUnprocessableEntity {
		t.Errorf("limit 0: HTTP %d, want 422", code)
	}
}
