package console

import (
	"regexp"
	"strings"
)

// The API words its 422 in English for the programmer ("rate \"2,80\" must
// be a decimal string such as \"2.80\""). hintOf turns the messages the
// console's forms meet most into a sentence in the page's language, naming
// the field by its label; the API's own words stay as the detail. A
// message it does not know gets no hint: the catalogue's "the input is not
// valid" and the detail still say it.

// fieldLabels are the catalogue keys of the fields the API names.
var fieldLabels = map[string]string{
	"name": "handbook.name", "name_en": "handbook.name_en", "kind": "queue.kind", "department": "field.department",
	"responsible": "handbook.responsible", "priority": "field.priority", "keywords": "handbook.keywords",
	"dispatch_within": "limit.dispatch_within", "feedback_within": "limit.feedback_within", "resolve_within": "limit.resolve_within",
	"urgent_resolve_within": "limit.urgent_resolve_within", "callback_within": "limit.callback_within", "escalate_every": "limit.escalate_every",
	"item": "fees.item.code", "basis": "fees.basis", "unit_type": "fees.unit_type", "rate": "fees.rate",
	"effective_from": "fees.from", "effective_to": "fees.to",
	"community": "field.community", "unit": "field.unit", "category": "field.category",
	"resident.name": "field.resident", "resident.phone": "field.phone", "reason": "emails.reason",
	"topic": "questions.topic", "question": "questions.question", "choices": "questions.choices", "answer": "questions.answer",
	"points": "training.points", "days": "calendar.lines",
}

// hintRules match the API's message; $1, when the rule has it, is a field.
var hintRules = []struct {
	re  *regexp.Regexp
	key string
}{
	{regexp.MustCompile(`^([a-z_.]+) is required`), "hint.required"},
	{regexp.MustCompile(`^([a-z_.]+) must be at most`), "hint.too_long"},
	{regexp.MustCompile(`^([a-z_.]+) must be one of`), "hint.choose"},
	{regexp.MustCompile(`^rate .*(decimal|negative|decimal places|too large)`), "hint.rate"},
	{regexp.MustCompile(`^effective_to must be after effective_from`), "hint.date_order"},
	{regexp.MustCompile(`^(effective_from|effective_to) must be a date`), "hint.date"},
	{regexp.MustCompile(`^item must be a code`), "hint.item"},
	{regexp.MustCompile(`([a-z_]+) "[^"]*" is not a duration`), "hint.duration"},
	{regexp.MustCompile(`^answer .* is not one of the choices`), "hint.answer"},
	{regexp.MustCompile(`^choices must be at least`), "hint.choices"},
	{regexp.MustCompile(`^choice .* needs a key`), "hint.choices"},
	{regexp.MustCompile(`^days\[\d+\]\.day .* is not a date`), "hint.day"},
	{regexp.MustCompile(`^days\[\d+\]\.day .* is listed twice`), "hint.day_twice"},
	{regexp.MustCompile(`^category .* is not a .* category`), "hint.category_kind"},
	{regexp.MustCompile(`^unit .* does not exist in community`), "hint.unit"},
}

// Hint is the API's 422 message said in the page's language, or "".
func (p *page) Hint(detail string) string {
	for _, r := range hintRules {
		m := r.re.FindStringSubmatch(detail)
		if m == nil {
			continue
		}
		field := ""
		if len(m) > 1 {
			field = m[1]
			if key, ok := fieldLabels[field]; ok {
				field = p.T(key)
			}
		}
		return strings.ReplaceAll(p.T(r.key), "{field}", field)
	}
	return ""
}
