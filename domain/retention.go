package domain

import "time"

// DefaultRetention is how long residents' personal data is kept after a
// case closes: three years (of 365 days), after which the nightly retention
// schedule anonymises it (docs/DESIGN.md §11.14).
const DefaultRetention = 3 * 365 * 24 * time.Hour

// RetentionRun is what one run of the retention schedule did: the cut-off
// and how many records of each kind it anonymised. It is the workflow's
// result and the audit row's content, so it holds counts only, never data.
type RetentionRun struct {
	// Off: no retention is configured, and nothing was looked at.
	Off           bool      `json:"off,omitempty"`
	Cutoff        time.Time `json:"cutoff"`
	Cases         int64     `json:"cases"`
	Visits        int64     `json:"visits"`
	Emails        int64     `json:"emails"`
	CallbackTasks int64     `json:"callback_tasks"`
}
