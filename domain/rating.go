package domain

// Satisfied reports whether a 1–5 rating counts as satisfied for the
// satisfaction KPI (docs/DESIGN.md §8).
func Satisfied(score int) bool { return score >= SatisfiedScore }

// ValidScore reports whether score is on the 1–5 scale.
func ValidScore(score int) bool { return score >= 1 && score <= 5 }
