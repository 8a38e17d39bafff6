package domain

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestDurationJSON(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		want     time.Duration
		out      string // how it is written again
	}{
		{"a string", `"24h"`, 24 * time.Hour, `"24h"`},
		{"time.Duration's own form", `"24h0m0s"`, 24 * time.Hour, `"24h"`},
		{"minutes", `"90m"`, 90 * time.Minute, `"1h30m"`},
		{"seconds, as tests use", `"3s"`, 3 * time.Second, `"3s"`},
		{"nanoseconds, as histories before hold", `86400000000000`, 24 * time.Hour, `"24h"`},
		{"a week of nanoseconds", `604800000000000`, 7 * 24 * time.Hour, `"168h"`},
		{"zero", `0`, 0, `"0s"`},
	} {
		var d Duration
		if err := json.Unmarshal([]byte(tt.in), &d); err != nil || time.Duration(d) != tt.want {
			t.Errorf("%s: %s reads as %v (%v), want %v", tt.name, tt.in, time.Duration(d), err, tt.want)
			continue
		}
		if out, err := json.Marshal(d); err != nil || string(out) != tt.out {
			t.Errorf("%s: %v writes %s (%v), want %s", tt.name, tt.want, out, err, tt.out)
		}
	}
	for _, bad := range []string{`"a day"`, `1.5`, `true`, `"24"`} {
		var d Duration
		if err := json.Unmarshal([]byte(bad), &d); err == nil {
			t.Errorf("%s read as %v, want an error", bad, time.Duration(d))
		}
	}
}

func TestPolicyJSONRoundTrip(t *testing.T) {
	p := DefaultPolicy()
	p.UrgentResolveWithin = 90 * time.Minute
	raw, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"dispatch_within":"24h","feedback_within":"24h","resolve_within":"72h","urgent_resolve_within":"1h30m","callback_within":"48h","escalate_every":"24h"}`
	if string(raw) != want {
		t.Fatalf("policy writes\n %s\nwant\n %s", raw, want)
	}
	for name, in := range map[string]string{
		"new": want,
		// As workflow inputs held it before: time.Duration's nanoseconds.
		"old": `{"dispatch_within":86400000000000,"feedback_within":86400000000000,"resolve_within":259200000000000,` +
			`"urgent_resolve_within":5400000000000,"callback_within":172800000000000,"escalate_every":86400000000000}`,
	} {
		var got Policy
		if err := json.Unmarshal([]byte(in), &got); err != nil || got != p {
			t.Errorf("%s encoding reads as %+v (%v), want %+v", name, got, err, p)
		}
	}
	// Inside a workflow input, as the SDK's JSON converter writes it.
	type input struct {
		Number string `json:"number"`
		Policy Policy `json:"policy"`
	}
	raw, err = json.Marshal(input{"TS20261202-0001", p})
	if err != nil || !strings.Contains(string(raw), `"policy":{"dispatch_within":"24h",`) {
		t.Fatalf("input %s (%v)", raw, err)
	}
	var back input
	if err := json.Unmarshal(raw, &back); err != nil || back.Policy != p {
		t.Fatalf("input reads back as %+v (%v)", back, err)
	}
	var bad Policy
	if err := json.Unmarshal([]byte(`{"dispatch_within":"soon"}`), &bad); err == nil {
		t.Error("a limit that is no duration was read")
	}
}

func TestTrainingCycleJSONRoundTrip(t *testing.T) {
	opens := time.Date(2026, 10, 9, 9, 0, 0, 0, time.UTC)
	c := TrainingCycle{ID: "2026-Q4", WorkflowID: "w", RunID: "r", PassMark: 80, ExamOpens: opens, ExamCloses: opens.Add(14 * 24 * time.Hour),
		RetakeWindow: DefaultRetakeWindow, Staff: []string{"liu_fang"}, Questions: []int64{4, 5}}
	raw, err := json.Marshal(c)
	if err != nil || !strings.Contains(string(raw), `"retake_window":"168h"`) || strings.Count(string(raw), "retake_window") != 1 {
		t.Fatalf("cycle writes %s (%v)", raw, err)
	}
	old := strings.Replace(string(raw), `"retake_window":"168h"`, `"retake_window":604800000000000`, 1)
	for name, in := range map[string]string{"new": string(raw), "old": old} {
		var got TrainingCycle
		if err := json.Unmarshal([]byte(in), &got); err != nil || got.RetakeWindow != c.RetakeWindow || got.ID != c.ID ||
			!got.ExamCloses.Equal(c.ExamCloses) || len(got.Questions) != 2 || got.Staff[0] != "liu_fang" {
			t.Errorf("%s encoding reads as %+v (%v), want %+v", name, got, err, c)
		}
	}
}
