package domain

import "strings"

// MaskPhone hides a resident's phone number for lists and exports, so that
// a screen or a file seen over a shoulder does not give the number away,
// while staff can still tell two residents apart and read a number back to
// a caller who says it.
//
// The rule: spaces and dashes are dropped; a number of 11 characters or
// more keeps its first 3 and last 4 ("13800000000" → "138****0000",
// "+8613800000000" → "+86*******0000"); a shorter one (a landline without
// area code, an extension) keeps only its last 2, because 3 + 4 of 8
// characters would give nearly all of it away. An empty number stays
// empty. The full number is shown only by an explicit, audited reveal.
func MaskPhone(phone string) string {
	p := strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(phone))
	r := []rune(p)
	n := len(r)
	switch {
	case n == 0:
		return ""
	case n >= 11:
		return string(r[:3]) + strings.Repeat("*", n-7) + string(r[n-4:])
	case n > 2:
		return strings.Repeat("*", n-2) + string(r[n-2:])
	default:
		return strings.Repeat("*", n)
	}
}

// MaskPhonesIn masks, with MaskPhone, every number of phones that occurs in
// text (free text written by a resident, such as an email body).
func MaskPhonesIn(text string, phones []string) string {
	for _, p := range phones {
		if p != "" {
			text = strings.ReplaceAll(text, p, MaskPhone(p))
		}
	}
	return text
}

// MaskName hides a resident's name from those who do not need it: the
// first character stays (王秀英 → 王**, Li Wei → L*****), so two residents
// of a unit can still be told apart in a list.
func MaskName(name string) string {
	r := []rune(name)
	if len(r) == 0 {
		return ""
	}
	return string(r[0]) + strings.Repeat("*", len(r)-1)
}
