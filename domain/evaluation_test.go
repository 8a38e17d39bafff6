package domain

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// line renders a result compactly: staff, score, rank, flag, and each
// component as value@weight ("-" without data).
func line(r EvalResult) string {
	f := func(v *float64) string {
		if v == nil {
			return "-"
		}
		return fmt.Sprint(*v)
	}
	rank := "-"
	if r.Rank != nil {
		rank = fmt.Sprint(*r.Rank)
	}
	c := r.Components
	s := fmt.Sprintf("%s score=%s rank=%s", r.Staff, f(r.Score), rank)
	if r.Flagged {
		s += " flagged"
	}
	if r.NoData {
		s += " no_data"
	}
	for _, p := range []struct {
		n string
		c EvalComponent
	}{{"r", c.Ratings}, {"f", c.Feedback}, {"c", c.Callbacks}, {"e", c.Exam}} {
		s += fmt.Sprintf(" %s=%s@%g(%g/%d)", p.n, f(p.c.Value), p.c.Weight, p.c.Numerator, p.c.Denominator)
	}
	return s
}

func TestEvaluate(t *testing.T) {
	n := func(num float64, den int64) EvalCount { return EvalCount{Numerator: num, Denominator: den} }
	tests := []struct {
		name      string
		inputs    []EvalInput
		weights   EvalWeights
		threshold float64
		want      []string
	}{{
		name: "defaults: renormalised, ties, at the threshold, no data",
		inputs: []EvalInput{
			// No data: last whatever its code.
			{Staff: "aa"},
			// Feedback 1 of 3 = 33.33.
			{Staff: "ab", Feedback: n(1, 3)},
			// Ratings 5+4+5+3 = 17 of 4 → 4.25/5 = 85; feedback 3/4 = 75; callbacks 3/4 = 75; exam 90:
			// 0.35×85 + 0.25×75 + 0.20×75 + 0.20×90 = 29.75 + 18.75 + 15 + 18 = 81.5.
			{Staff: "an", Ratings: n(17, 4), Feedback: n(3, 4), Callbacks: n(3, 4), Exam: n(90, 1)},
			// Ratings 3+4 → 70, callbacks 1/2 → 50: (0.35×70 + 0.20×50) / 0.55 = 34.5/0.55 = 62.7272… → 62.73;
			// weights 0.35/0.55 = 0.6364 and 0.20/0.55 = 0.3636.
			{Staff: "bo", Ratings: n(7, 2), Callbacks: n(1, 2)},
			// Exam only: 80, exactly the threshold: not flagged. Ties with en.
			{Staff: "cui", Exam: n(80, 1)},
			// Ratings 4+4 → 80: the same score, the same rank, ordered by code.
			{Staff: "en", Ratings: n(8, 2)},
		},
		weights:   DefaultEvalWeights,
		threshold: 80,
		want: []string{
			"an score=81.5 rank=1 r=85@0.35(17/4) f=75@0.25(3/4) c=75@0.2(3/4) e=90@0.2(90/1)",
			"cui score=80 rank=2 r=-@0(0/0) f=-@0(0/0) c=-@0(0/0) e=80@1(80/1)",
			"en score=80 rank=2 r=80@1(8/2) f=-@0(0/0) c=-@0(0/0) e=-@0(0/0)",
			"bo score=62.73 rank=4 flagged r=70@0.6364(7/2) f=-@0(0/0) c=50@0.3636(1/2) e=-@0(0/0)",
			"ab score=33.33 rank=5 flagged r=-@0(0/0) f=33.33@1(1/3) c=-@0(0/0) e=-@0(0/0)",
			"aa score=- rank=- no_data r=-@0(0/0) f=-@0(0/0) c=-@0(0/0) e=-@0(0/0)",
		},
	}, {
		name: "a component weighted 0 does not count; zero is data",
		inputs: []EvalInput{
			// Feedback has data but no weight: no score.
			{Staff: "a", Feedback: n(1, 1)},
			// Callbacks 0 of 2 done is a value of 0, and counts: (0.5×80 + 0.5×0) / 1 = 40.
			{Staff: "b", Ratings: n(4, 1), Feedback: n(0, 2), Callbacks: n(0, 2)},
		},
		weights:   EvalWeights{Ratings: 0.5, Callbacks: 0.5},
		threshold: 40,
		want: []string{
			"b score=40 rank=1 r=80@0.5(4/1) f=0@0(0/2) c=0@0.5(0/2) e=-@0(0/0)",
			"a score=- rank=- no_data r=-@0(0/0) f=100@0(1/1) c=-@0(0/0) e=-@0(0/0)",
		},
	}, {
		name: "weights need not add up to 1; rounding half up",
		inputs: []EvalInput{
			// Exam 84.13 and 84.14 weighted 1:1 → 84.135 → 84.14 (half up), and 84.14 too: a tie at 1.
			{Staff: "x", Exam: n(84.13, 1), Ratings: n(4.207, 1)},
			// Ratings 4.207/5×100 = 84.14.
			{Staff: "y", Ratings: n(4.207, 1)},
			// 1 of 3 reached, 2 of 3: 33.333… and 66.666… weighted 3:3 → 50.
			{Staff: "z", Feedback: n(1, 3), Callbacks: n(2, 3)},
		},
		weights:   EvalWeights{Ratings: 3, Feedback: 3, Callbacks: 3, Exam: 3},
		threshold: 100,
		want: []string{
			"x score=84.14 rank=1 flagged r=84.14@0.5(4.207/1) f=-@0(0/0) c=-@0(0/0) e=84.13@0.5(84.13/1)",
			"y score=84.14 rank=1 flagged r=84.14@1(4.207/1) f=-@0(0/0) c=-@0(0/0) e=-@0(0/0)",
			"z score=50 rank=3 flagged r=-@0(0/0) f=33.33@0.5(1/3) c=66.67@0.5(2/3) e=-@0(0/0)",
		},
	}, {
		name:      "nobody",
		weights:   DefaultEvalWeights,
		threshold: 80,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Evaluate(tt.inputs, tt.weights, tt.threshold)
			var lines []string
			for _, r := range got {
				lines = append(lines, line(r))
			}
			if strings.Join(lines, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestRound2(t *testing.T) {
	for in, want := range map[float64]float64{
		84.135: 84.14, 1.005: 1.01, 2.675: 2.68, 62.72727272: 62.73, 80: 80, 79.994999: 79.99, 0: 0, 100: 100,
	} {
		if got := Round2(in); got != want {
			t.Errorf("Round2(%v) = %v, want %v", in, got, want)
		}
	}
}

func TestEvalSettingsValidate(t *testing.T) {
	w := DefaultEvalWeights
	tests := []struct {
		name string
		s    EvalSettings
		want string // "" for valid
	}{
		{"defaults", DefaultEvalSettings, ""},
		{"one weight only, threshold 0", EvalSettings{Weights: EvalWeights{Exam: 1}, Threshold: 0}, ""},
		{"threshold 100", EvalSettings{Weights: w, Threshold: 100}, ""},
		{"negative weight", EvalSettings{Weights: EvalWeights{Ratings: 0.5, Feedback: -0.1, Callbacks: 0.3, Exam: 0.3}, Threshold: 80},
			"weights.feedback must not be negative (got -0.1)"},
		{"all zero", EvalSettings{Threshold: 80}, "weights must not all be zero: give at least one component a weight above 0"},
		{"too large", EvalSettings{Weights: EvalWeights{Exam: 1e6}, Threshold: 80}, "weights.exam must be at most 1000 (got 1e+06)"},
		{"not a number", EvalSettings{Weights: EvalWeights{Ratings: math.NaN(), Exam: 1}, Threshold: 80}, "weights.ratings must be a number"},
		{"threshold over 100", EvalSettings{Weights: w, Threshold: 100.5}, "threshold must be between 0 and 100 (got 100.5)"},
		{"threshold negative", EvalSettings{Weights: w, Threshold: -1}, "threshold must be between 0 and 100 (got -1)"},
		{"both wrong", EvalSettings{Weights: EvalWeights{Callbacks: -1}, Threshold: 101},
			"weights.callbacks must not be negative (got -1); threshold must be between 0 and 100 (got 101)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.s.Validate()
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("Validate() = %q, want %q", got, tt.want)
			}
		})
	}
}
