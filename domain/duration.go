package domain

import (
	"encoding/json"
	"fmt"
	"time"
)

// Duration is a time.Duration as JSON carries it in workflow payloads and
// stored workflow inputs: a string a person reads the way the handbook
// writes it ("24h", "1h30m"), where time.Duration gives nanoseconds
// (86400000000000) that the Temporal Web UI shows as they are. It reads
// both, so histories and stored inputs written before keep decoding.
type Duration time.Duration

// MarshalJSON writes the duration as the handbook does, e.g. "24h".
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(FormatDuration(time.Duration(d)))
}

// UnmarshalJSON reads a duration string ("24h0m0s", "90m") or, as written
// before, a whole number of nanoseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("duration %s: %w", b, err)
		}
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("duration %q: %w", s, err)
		}
		*d = Duration(v)
		return nil
	}
	var ns int64
	if err := json.Unmarshal(b, &ns); err != nil {
		return fmt.Errorf("duration %s: want a string such as \"24h\" or whole nanoseconds: %w", b, err)
	}
	*d = Duration(ns)
	return nil
}

// policyJSON is a Policy as it travels: each limit a Duration.
type policyJSON struct {
	DispatchWithin      Duration `json:"dispatch_within"`
	FeedbackWithin      Duration `json:"feedback_within"`
	ResolveWithin       Duration `json:"resolve_within"`
	UrgentResolveWithin Duration `json:"urgent_resolve_within"`
	CallbackWithin      Duration `json:"callback_within"`
	EscalateEvery       Duration `json:"escalate_every"`
}

func (p Policy) encoded() policyJSON {
	return policyJSON{
		DispatchWithin: Duration(p.DispatchWithin), FeedbackWithin: Duration(p.FeedbackWithin),
		ResolveWithin: Duration(p.ResolveWithin), UrgentResolveWithin: Duration(p.UrgentResolveWithin),
		CallbackWithin: Duration(p.CallbackWithin), EscalateEvery: Duration(p.EscalateEvery),
	}
}

// MarshalJSON writes the limits as duration strings, so a case's workflow
// input reads "dispatch_within": "24h" in the Web UI.
func (p Policy) MarshalJSON() ([]byte, error) { return json.Marshal(p.encoded()) }

// UnmarshalJSON reads limits written either way (see Duration); a limit
// the JSON leaves out keeps its value, as encoding/json does.
func (p *Policy) UnmarshalJSON(b []byte) error {
	j := p.encoded()
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("policy: %w", err)
	}
	*p = Policy{
		DispatchWithin: time.Duration(j.DispatchWithin), FeedbackWithin: time.Duration(j.FeedbackWithin),
		ResolveWithin: time.Duration(j.ResolveWithin), UrgentResolveWithin: time.Duration(j.UrgentResolveWithin),
		CallbackWithin: time.Duration(j.CallbackWithin), EscalateEvery: time.Duration(j.EscalateEvery),
	}
	return nil
}

// trainingCycleJSON shadows TrainingCycle's retake window with a Duration.
type trainingCycleJSON struct {
	*plainTrainingCycle
	RetakeWindow Duration `json:"retake_window"`
}

type plainTrainingCycle TrainingCycle

// MarshalJSON writes the retake window as a duration string ("168h").
func (c TrainingCycle) MarshalJSON() ([]byte, error) {
	p := plainTrainingCycle(c)
	return json.Marshal(trainingCycleJSON{plainTrainingCycle: &p, RetakeWindow: Duration(c.RetakeWindow)})
}

// UnmarshalJSON reads a retake window written either way (see Duration).
func (c *TrainingCycle) UnmarshalJSON(b []byte) error {
	j := trainingCycleJSON{plainTrainingCycle: (*plainTrainingCycle)(c), RetakeWindow: Duration(c.RetakeWindow)}
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("training cycle: %w", err)
	}
	c.RetakeWindow = time.Duration(j.RetakeWindow)
	return nil
}
