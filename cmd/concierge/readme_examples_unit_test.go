package main

import (
	"reflect"
	"strings"
	"testing"
)

func TestReadmeSteps(t *testing.T) {
	md := "intro\n```sh\nAPI=http://x/api/v1\n\n# Record one.\ncurl -s -X POST $API/c -d '{\n  \"a\": 1}'\n" +
		"# → 201 {\"number\": \"TS…-0001\",\n#        \"status\": \"routed\"}\n# prose again\n" +
		"curl -s $API/c \\\n  -H 'X: y'   # trailing comment\ncat > f.csv <<'EOF'\na,b\n# not a comment\nEOF\n```\n" +
		"```sh norun\ngo run ./cmd/concierge dev\n```\n```\nnot a shell block\n```\n"
	got, err := readmeSteps([]byte(md))
	if err != nil {
		t.Fatal(err)
	}
	want := []exampleStep{
		{Line: 3, Command: "API=http://x/api/v1"},
		{Line: 6, Command: "curl -s -X POST $API/c -d '{\n  \"a\": 1}'", Expect: "201 {\"number\": \"TS…-0001\",\n\"status\": \"routed\"}"},
		{Line: 11, Command: "curl -s $API/c \\\n  -H 'X: y'   # trailing comment"},
		{Line: 13, Command: "cat > f.csv <<'EOF'\na,b\n# not a comment\nEOF"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("steps\n%#v\nwant\n%#v", got, want)
	}
	for _, bad := range []string{
		"```sh\ncurl -d '{\n```\n", // a quote left open
		"```sh\n# → 200 {}\n```\n", // an answer without a command
		"```sh\ncurl -s $API/c\n",  // a block never closed
	} {
		if _, err := readmeSteps([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestExpectationCheck(t *testing.T) {
	answer := `{"number": "TS20261202-0001", "status": "routed", "escalation_level": 0, "sla_breached": false,
		"allowed_actions": ["route", "acknowledge"], "timeline": [{"kind": "recorded"}, {"kind": "routed"}], "total": "502.61"}`
	for _, tc := range []struct {
		name, expect, out string
		statuses          []int
		problems          int
	}{
		{"all shown pairs agree", `201 {"number": "TS…-0001", "status": "routed", "escalation_level": 0, "sla_breached": false, "allowed_actions": ["route", "acknowledge"], "deadlines": {…}, "timeline": [{"kind": "routed"}, …]}`, answer, []int{201}, 0},
		{"another status", `201 {"status": "routed"}`, answer, []int{200}, 1},
		{"another value", `{"status": "closed"}`, answer, []int{200}, 1},
		{"a number by value", `{"escalation_level": 0.0}`, answer, []int{200}, 0},
		{"a missing key", `{"reopens": 1}`, answer, []int{200}, 1},
		{"another array", `{"allowed_actions": ["route"]}`, answer, []int{200}, 1},
		{"a decimal string is a string", `{"total": 502.61}`, answer, []int{200}, 1},
		{"an error shown", `409 {"error": {"code": "invalid_transition"}}`, `{"error": {"code": "invalid_transition", "message": "m"}}`, []int{409}, 0},
		{"an error not shown", ``, `{"error": {"code": "x"}}`, []int{422}, 1},
		{"no answer shown, success", ``, `anything`, []int{200, 201}, 0},
		{"an earlier request failed", `200 {"status": "routed"}`, answer, []int{500, 200}, 1},
		{"not JSON", `{"status": "routed"}`, `<html>`, []int{200}, 1},
		{"plain text with a wildcard", `http://h/t/TS…`, "x\nhttp://h/t/TS20261202-0004.abc\n", nil, 0},
		{"plain text missing", `http://h/t/TS…`, "http://h/x/TS1\n", nil, 1},
		{"status and prose", `201; a standard that overlaps → 409 overlapping_standard`, ``, []int{201}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := parseExpectation(tc.expect).check(tc.out, tc.statuses)
			if len(got) != tc.problems {
				t.Fatalf("problems %q, want %d", got, tc.problems)
			}
		})
	}
}

func TestGlobMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"TS…-0001", "TS20261202-0001", true},
		{"TS…-0001", "TS20261202-0002", false},
		{"a…b…c", "axxbyyc", true},
		{"a…b…c", "axxc", false},
		{"exact", "exact", true},
		{"…", "", true},
	} {
		if got := globMatch(tc.pattern, tc.s); got != tc.want {
			t.Errorf("globMatch(%q, %q) = %t", tc.pattern, tc.s, got)
		}
	}
	if !strings.Contains(parseExpectation("200 {\"a\": 1}").raw, "200") {
		t.Error("the raw expectation is kept")
	}
}
