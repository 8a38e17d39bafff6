package domain

import (
	"strings"
	"unicode/utf8"
)

// KeywordRule is one handbook category's email keywords.
type KeywordRule struct {
	Category string
	Kind     Kind
	Keywords []string
}

// MatchCategory picks the category whose keywords best match text: each
// keyword found scores its length in characters, so a specific phrase
// (水管爆裂) outweighs a generic one (报修). Matching ignores ASCII case. A tie
// for the best score, or no match, leaves the choice to a person (triage).
func MatchCategory(text string, rules []KeywordRule) (KeywordRule, bool) {
	text = strings.ToLower(text)
	var best KeywordRule
	bestScore, tie := 0, false
	for _, r := range rules {
		score := 0
		for _, k := range r.Keywords {
			if k = strings.ToLower(strings.TrimSpace(k)); k != "" && strings.Contains(text, k) {
				score += utf8.RuneCountInString(k)
			}
		}
		switch {
		case score > bestScore:
			best, bestScore, tie = r, score, false
		case score == bestScore && score > 0:
			tie = true
		}
	}
	return best, bestScore > 0 && !tie
}
