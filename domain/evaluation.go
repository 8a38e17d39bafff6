package domain

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// The monthly staff evaluation (每月员工考评) scores each receptionist from
// four components, each 0–100:
//
//   - ratings: the mean of the month's ratings of their work (exit ratings
//     of the visits they received, callbacks and campaign calls they made),
//     as mean ÷ 5 × 100;
//   - feedback: the share of the complaints they recorded whose first
//     feedback reached the resident within 24 h (of those whose window has
//     closed);
//   - callbacks: the share of their callback tasks of the month that are
//     done (reached or unreached);
//   - exam: the score of their latest training exam before the month's end.
//
// The score is the weighted mean of the components that have data, the
// weights renormalised over those, rounded to 2 decimals.

// EvalWeights are the weights of the four components. They need not add up
// to 1: the score divides by the sum of the weights of the components that
// have data.
type EvalWeights struct {
	Ratings   float64 `json:"ratings"`
	Feedback  float64 `json:"feedback"`
	Callbacks float64 `json:"callbacks"`
	Exam      float64 `json:"exam"`
}

// DefaultEvalWeights weigh satisfaction most, as the service standard does.
var DefaultEvalWeights = EvalWeights{Ratings: 0.35, Feedback: 0.25, Callbacks: 0.20, Exam: 0.20}

// DefaultEvalThreshold is the score under which a receptionist is flagged
// for coaching.
const DefaultEvalThreshold = 80.0

// maxEvalWeight bounds a weight so that sums and products stay exact enough
// to be checked by hand; weights are relative, so nothing needs more.
const maxEvalWeight = 1000.0

type namedWeight struct {
	name string
	v    float64
}

func (w EvalWeights) named() []namedWeight {
	return []namedWeight{{"ratings", w.Ratings}, {"feedback", w.Feedback}, {"callbacks", w.Callbacks}, {"exam", w.Exam}}
}

// Validate says what is wrong with the weights: each must be a number from
// 0 to 1000 and at least one must be above 0.
func (w EvalWeights) Validate() error {
	var errs []string
	sum := 0.0
	for _, n := range w.named() {
		switch {
		case math.IsNaN(n.v) || math.IsInf(n.v, 0):
			errs = append(errs, fmt.Sprintf("weights.%s must be a number", n.name))
		case n.v < 0:
			errs = append(errs, fmt.Sprintf("weights.%s must not be negative (got %g)", n.name, n.v))
		case n.v > maxEvalWeight:
			errs = append(errs, fmt.Sprintf("weights.%s must be at most %g (got %g)", n.name, maxEvalWeight, n.v))
		default:
			sum += n.v
		}
	}
	if len(errs) == 0 && sum <= 0 {
		errs = append(errs, "weights must not all be zero: give at least one component a weight above 0")
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

// EvalSettings are the weights and the coaching threshold in force.
type EvalSettings struct {
	Weights   EvalWeights `json:"weights"`
	Threshold float64     `json:"threshold"`
}

// DefaultEvalSettings are the settings a new installation starts with.
var DefaultEvalSettings = EvalSettings{Weights: DefaultEvalWeights, Threshold: DefaultEvalThreshold}

// Validate checks the weights and that the threshold is a score, 0–100.
func (s EvalSettings) Validate() error {
	var errs []string
	if err := s.Weights.Validate(); err != nil {
		errs = append(errs, err.Error())
	}
	if math.IsNaN(s.Threshold) || s.Threshold < 0 || s.Threshold > 100 {
		errs = append(errs, fmt.Sprintf("threshold must be between 0 and 100 (got %g)", s.Threshold))
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

// EvalCount is what one component is computed from: a numerator over a
// denominator (0 when there is nothing to measure).
type EvalCount struct {
	Numerator   float64
	Denominator int64
}

// EvalInput is one receptionist's counts for the month.
type EvalInput struct {
	Staff, Name                        string
	Ratings, Feedback, Callbacks, Exam EvalCount
}

// EvalComponent is one component of a receptionist's score: the value 0–100
// (nil without data), what it is made of, and the weight it carried in this
// receptionist's score after renormalisation (0 when it did not count), so
// that score = Σ weight × value.
type EvalComponent struct {
	Value       *float64 `json:"value"`
	Numerator   float64  `json:"numerator"`
	Denominator int64    `json:"denominator"`
	Weight      float64  `json:"weight"`
}

// EvalComponents are the four components of a score.
type EvalComponents struct {
	Ratings   EvalComponent `json:"ratings"`
	Feedback  EvalComponent `json:"feedback"`
	Callbacks EvalComponent `json:"callbacks"`
	Exam      EvalComponent `json:"exam"`
}

// EvalResult is one receptionist's evaluation for the month. NoData marks
// one without a score: no component with data carries a weight (usually:
// no data at all). Without a score there is no rank and no flag.
type EvalResult struct {
	Staff      string         `json:"staff"`
	Name       string         `json:"name"`
	Score      *float64       `json:"score"`
	Rank       *int           `json:"rank"`
	Flagged    bool           `json:"flagged"`
	NoData     bool           `json:"no_data"`
	Components EvalComponents `json:"components"`
}

// Each component's scale to 0–100: a rating is out of 5, feedback and
// callbacks are shares, an exam score is already out of 100.
const (
	ratingScale = 100.0 / 5
	shareScale  = 100.0
	examScale   = 1.0
)

// Evaluate scores, ranks and flags the receptionists. A component counts
// when it has data (denominator > 0) and a weight above 0; the weights of
// the components that count are renormalised to add up to 1. Scores are
// rounded to 2 decimals, and ranks and flags use the rounded score: equal
// scores share a rank (1, 2, 2, 4) and a score equal to the threshold is not
// flagged. The results are ordered by rank, then staff code; those without
// a score come last, by code.
func Evaluate(inputs []EvalInput, weights EvalWeights, threshold float64) []EvalResult {
	out := make([]EvalResult, 0, len(inputs))
	for _, in := range inputs {
		r := EvalResult{Staff: in.Staff, Name: in.Name}
		parts := []struct {
			c     *EvalComponent
			n     EvalCount
			w     float64
			scale float64
		}{
			{&r.Components.Ratings, in.Ratings, weights.Ratings, ratingScale},
			{&r.Components.Feedback, in.Feedback, weights.Feedback, shareScale},
			{&r.Components.Callbacks, in.Callbacks, weights.Callbacks, shareScale},
			{&r.Components.Exam, in.Exam, weights.Exam, examScale},
		}
		sumW := 0.0
		for _, p := range parts {
			p.c.Numerator, p.c.Denominator = p.n.Numerator, p.n.Denominator
			if p.n.Denominator > 0 && p.w > 0 {
				sumW += p.w
			}
		}
		total := 0.0
		for _, p := range parts {
			if p.n.Denominator <= 0 {
				continue
			}
			v := p.n.Numerator / float64(p.n.Denominator) * p.scale
			shown := Round2(v)
			p.c.Value = &shown
			if p.w > 0 && sumW > 0 {
				p.c.Weight = round4(p.w / sumW)
				total += v * p.w
			}
		}
		if sumW > 0 {
			score := Round2(total / sumW)
			r.Score = &score
			r.Flagged = score < threshold
		} else {
			r.NoData = true
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b EvalResult) int {
		switch {
		case a.Score != nil && b.Score == nil:
			return -1
		case a.Score == nil && b.Score != nil:
			return 1
		case a.Score != nil && *a.Score != *b.Score:
			if *a.Score > *b.Score {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Staff, b.Staff)
	})
	for i := range out {
		if out[i].Score == nil {
			break
		}
		rank := i + 1
		if i > 0 && *out[i-1].Score == *out[i].Score {
			rank = *out[i-1].Rank
		}
		out[i].Rank = &rank
	}
	return out
}

// Round2 rounds half up to 2 decimals. It rounds to millionths first, so
// that a value like 84.135 that floating point holds as 84.13499999… still
// rounds up as a hand count does.
func Round2(v float64) float64 {
	return math.Round(math.Round(v*1e6)/1e4) / 100
}
