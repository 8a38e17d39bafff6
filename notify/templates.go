package notify

import (
	"fmt"
	"slices"
	"strings"
	"text/template"
	"time"
	"unicode"

	"github.com/concierge-pm/concierge/domain"
)

// Audiences a template is written for; the same values as
// domain.AudienceResident and domain.AudienceStaff.
const (
	audResident = "resident"
	audStaff    = "staff"
)

// def is one template in both languages. params lists what the template
// reads; it documents the contract and lets the tests prove each one is used.
type def struct {
	aud, name      string
	params         []string
	zhSubj, zhBody string
	enSubj, enBody string
}

// The link sentence sits on its own line at the end so an SMS client can
// recognise the URL, and disappears entirely when there is no URL.
const (
	trackZH = "{{with .track_url}}\n查看进度：{{.}}{{end}}"
	trackEN = "{{with .track_url}}\nTrack progress: {{.}}{{end}}"
)

// defs is the template table. Resident bodies stay within 140 Chinese
// characters (excluding the link) so that one SMS carries them.
var defs = []def{
	{audResident, "complaint_recorded", []string{"number", "category", "feedback_within", "resolve_within", "callback_within", "track_url"},
		"投诉受理通知（{{.number}}）",
		"您好！您的投诉已受理，编号{{.number}}{{with .category}}（{{.}}）{{end}}。我们将{{with .feedback_within}}在{{.}}内{{end}}向您反馈处理进展{{with .resolve_within}}，{{.}}内处理完毕{{end}}{{with .callback_within}}，处理完成后{{.}}内回访{{end}}。感谢您的监督！" + trackZH,
		"Complaint {{.number}} received",
		"Hello, we have recorded your complaint {{.number}}{{with .category}} ({{.}}){{end}}. We will update you on progress{{with .feedback_within}} within {{.}}{{end}}{{with .resolve_within}}, aim to resolve it within {{.}}{{end}}{{with .callback_within}} and call you back within {{.}} of resolving it{{end}}. Thank you for letting us know." + trackEN},
	{audResident, "complaint_feedback", []string{"number", "message", "track_url"},
		"投诉处理进展（{{.number}}）",
		"您好！您的投诉{{.number}}有新的处理进展{{with .message}}：{{.}}{{else}}。{{end}}" + trackZH,
		"Update on complaint {{.number}}",
		"Hello, there is an update on your complaint {{.number}}{{with .message}}: {{.}}{{else}}.{{end}}" + trackEN},
	{audResident, "complaint_resolved", []string{"number", "resolution", "track_url"},
		"投诉处理完毕（{{.number}}）",
		"您好！您的投诉{{.number}}已处理完毕，感谢您的耐心等待。{{with .resolution}}\n处理结果：{{.}}{{end}}" + trackZH,
		"Complaint {{.number}} resolved",
		"Hello, your complaint {{.number}} has been resolved. Thank you for your patience.{{with .resolution}}\nResolution: {{.}}{{end}}" + trackEN},
	{audResident, "complaint_callback_request", []string{"number", "track_url"},
		"服务评价邀请（{{.number}}）",
		"您好！您的投诉{{.number}}已处理完毕。" + rateZH,
		"How did we do? Complaint {{.number}}",
		"Hello, your complaint {{.number}} has been resolved. " + rateEN},
	{audResident, "complaint_reopened", []string{"number", "track_url"},
		"投诉重新处理通知（{{.number}}）",
		"您好！我们已收到您的意见，您的投诉{{.number}}已重新进入处理流程，我们将尽快跟进并向您反馈，给您带来不便敬请谅解。" + trackZH,
		"Complaint {{.number}} reopened",
		"Hello, following your feedback, complaint {{.number}} has been reopened. We will follow up promptly and keep you informed. We apologise for the inconvenience." + trackEN},
	{audResident, "repair_recorded", []string{"number", "category", "feedback_within", "resolve_within", "track_url"},
		"报修受理通知（{{.number}}）",
		"您好！您的报修已受理，编号{{.number}}{{with .category}}（{{.}}）{{end}}。我们将{{with .feedback_within}}在{{.}}内{{end}}与您联系安排上门{{with .resolve_within}}，{{.}}内完成维修{{end}}。感谢您的配合！" + trackZH,
		"Repair request {{.number}} received",
		"Hello, we have recorded your repair request {{.number}}{{with .category}} ({{.}}){{end}}. We will contact you{{with .feedback_within}} within {{.}}{{end}} to arrange a visit{{with .resolve_within}} and aim to complete the repair within {{.}}{{end}}. Thank you." + trackEN},
	{audResident, "repair_on_site", []string{"number", "track_url"},
		"维修人员已到场（{{.number}}）",
		"您好！维修人员已到达现场处理您的报修{{.number}}，请您配合。如需核实人员身份，请致电物业服务中心。" + trackZH,
		"Technician on site for {{.number}}",
		"Hello, our technician has arrived to handle your repair request {{.number}}. If you would like to confirm their identity, please call the service centre." + trackEN},
	{audResident, "repair_feedback", []string{"number", "message", "track_url"},
		"报修处理进展（{{.number}}）",
		"您好！您的报修{{.number}}有新的处理进展{{with .message}}：{{.}}{{else}}。{{end}}" + trackZH,
		"Update on repair request {{.number}}",
		"Hello, there is an update on your repair request {{.number}}{{with .message}}: {{.}}{{else}}.{{end}}" + trackEN},
	{audResident, "repair_completed", []string{"number", "resolution", "track_url"},
		"维修完成通知（{{.number}}）",
		"您好！您的报修{{.number}}已维修完成，如仍有问题请随时联系我们。{{with .resolution}}\n维修结果：{{.}}{{end}}" + trackZH,
		"Repair {{.number}} completed",
		"Hello, the repair for request {{.number}} has been completed. If anything is still not right, please contact us at any time.{{with .resolution}}\nWork done: {{.}}{{end}}" + trackEN},
	{audResident, "repair_callback_request", []string{"number", "track_url"},
		"服务评价邀请（{{.number}}）",
		"您好！您的报修{{.number}}已维修完成。" + rateZH,
		"How did we do? Repair {{.number}}",
		"Hello, the repair for request {{.number}} has been completed. " + rateEN},
	// The workflows also send repair_reopened to the resident.
	{audResident, "repair_reopened", []string{"number", "track_url"},
		"报修重新处理通知（{{.number}}）",
		"您好！我们已收到您的意见，您的报修{{.number}}已重新安排处理，我们将尽快跟进并向您反馈，给您带来不便敬请谅解。" + trackZH,
		"Repair request {{.number}} reopened",
		"Hello, following your feedback, repair request {{.number}} has been reopened. We will follow up promptly and keep you informed. We apologise for the inconvenience." + trackEN},
	{audResident, "email_received", []string{"number", "kind", "track_url"},
		"您的邮件已受理（{{.number}}）",
		"您好！我们已收到您的邮件，并已登记为{{with .kind}}{{.}}{{else}}服务{{end}}工单，编号{{.number}}。我们将尽快处理并向您反馈，感谢您的来信！" + trackZH,
		"Your email is registered as {{.number}}",
		"Hello, we have received your email and registered it as {{with .kind}}{{.}}{{else}}case{{end}} {{.number}}. We will handle it as soon as possible and keep you informed. Thank you for writing to us." + trackEN},
	{audResident, "email_triage", []string{"reference"},
		"已收到您的邮件{{with .reference}}（{{.}}）{{end}}",
		"您好！我们已收到您的邮件{{with .reference}}（参考号：{{.}}）{{end}}，客服主管将尽快处理并与您联系。感谢您的来信！",
		"We have received your email{{with .reference}} ({{.}}){{end}}",
		"Hello, we have received your email{{with .reference}} (reference {{.}}){{end}}. A customer service supervisor will look into it and get back to you shortly. Thank you for writing to us."},
	// The link again, when staff re-send it (a lost message, a new phone).
	{audResident, "tracking_link", []string{"number", "kind", "track_url"},
		"进度查询（{{.number}}）",
		"您好！{{if .track_url}}您的{{with .kind}}{{.}}{{else}}工单{{end}}{{.number}}可通过下方链接随时查看处理进度，处理完毕后也可在此评价。\n查看进度：{{.track_url}}" +
			"{{else}}如需了解您的{{with .kind}}{{.}}{{else}}工单{{end}}{{.number}}的处理进度，请致电物业服务中心。{{end}}",
		"Progress of {{.number}}",
		"Hello, {{if .track_url}}you can follow {{with .kind}}your {{.}}{{else}}case{{end}} {{.number}} at any time with the address below, and rate our service there once it is done.\nTrack progress: {{.track_url}}" +
			"{{else}}to hear how {{with .kind}}your {{.}}{{else}}case{{end}} {{.number}} is progressing, please call the service centre.{{end}}"},

	// Staff messages carry no personal data: only the case number and
	// the name of the deadline.
	{audStaff, "complaint_assigned", []string{"number"},
		"新投诉工单：{{.number}}",
		"您有一张新的投诉工单{{.number}}，请及时在系统中查看并跟进处理。",
		"New complaint assigned: {{.number}}",
		"Complaint {{.number}} has been assigned to you. Please review it in the system and follow up promptly."},
	{audStaff, "campaign_reminder", []string{"month", "open", "reached", "target"},
		"回访进度提醒：{{.month}}",
		"提醒：{{.month}}回访进度落后，已回访{{.reached}}户，目标{{.target}}户；您还有{{.open}}个回访任务未完成，请于月底前完成。",
		"Callback campaign behind: {{.month}}",
		"Reminder: the {{.month}} callback campaign is behind: {{.reached}} households reached of a target of {{.target}}. You have {{.open}} calls still to make before the month ends."},
	{audStaff, "training_exam_open", []string{"cycle", "session", "closes", "pass_mark"},
		"季度培训考核：{{.cycle}}",
		"{{.cycle}}季度培训于{{.session}}开始，考核窗口开放至{{.closes}}，合格分数为{{.pass_mark}}分。请按时参加培训并完成考核。",
		"Quarterly training and exam: {{.cycle}}",
		"The {{.cycle}} training starts on {{.session}}. The exam is open until {{.closes}}; the pass mark is {{.pass_mark}}. Please attend and sit the exam in time."},
	{audStaff, "training_exam_reminder", []string{"cycle", "closes"},
		"考核提醒：{{.cycle}}",
		"提醒：您尚未完成{{.cycle}}季度考核，请于{{.closes}}前完成。",
		"Exam reminder: {{.cycle}}",
		"Reminder: you have not yet completed the {{.cycle}} exam. Please sit it before {{.closes}}."},
	{audStaff, "training_retake", []string{"cycle", "score", "pass_mark", "due"},
		"补考安排：{{.cycle}}",
		"您本次{{.cycle}}季度考核成绩为{{.score}}分，未达到合格分数{{.pass_mark}}分。已为您安排一次补考，请于{{.due}}前完成。",
		"Retake scheduled: {{.cycle}}",
		"Your {{.cycle}} exam score was {{.score}}, under the pass mark of {{.pass_mark}}. One retake is scheduled for you; please sit it before {{.due}}."},
	{audStaff, "complaint_reminder", []string{"number", "deadline"},
		"时限提醒：投诉工单{{.number}}",
		"提醒：投诉工单{{.number}}{{with .deadline}}的{{.}}时限{{end}}即将到期，请尽快处理。",
		"Deadline approaching: complaint {{.number}}",
		"Reminder: complaint {{.number}} is approaching its {{with .deadline}}{{.}} {{end}}deadline. Please act on it promptly."},
	{audStaff, "complaint_escalated", []string{"number", "deadline"},
		"升级通知：投诉工单{{.number}}",
		"投诉工单{{.number}}{{with .deadline}}的{{.}}时限已过，{{end}}已升级至您处，请立即跟进处理。",
		"Escalated to you: complaint {{.number}}",
		"Complaint {{.number}} has been escalated to you{{with .deadline}} because its {{.}} deadline has passed{{end}}. Please follow up immediately."},
	{audStaff, "complaint_reopened", []string{"number"},
		"重新处理：投诉工单{{.number}}",
		"投诉工单{{.number}}已重新打开，请尽快跟进处理。",
		"Reopened: complaint {{.number}}",
		"Complaint {{.number}} has been reopened. Please follow up promptly."},
	{audStaff, "repair_assigned", []string{"number"},
		"新报修工单：{{.number}}",
		"您有一张新的报修工单{{.number}}，请及时在系统中查看并安排处理。",
		"New repair request assigned: {{.number}}",
		"Repair request {{.number}} has been assigned to you. Please review it in the system and arrange the work promptly."},
	{audStaff, "repair_reminder", []string{"number", "deadline"},
		"时限提醒：报修工单{{.number}}",
		"提醒：报修工单{{.number}}{{with .deadline}}的{{.}}时限{{end}}即将到期，请尽快处理。",
		"Deadline approaching: repair request {{.number}}",
		"Reminder: repair request {{.number}} is approaching its {{with .deadline}}{{.}} {{end}}deadline. Please act on it promptly."},
	{audStaff, "repair_escalated", []string{"number", "deadline"},
		"升级通知：报修工单{{.number}}",
		"报修工单{{.number}}{{with .deadline}}的{{.}}时限已过，{{end}}已升级至您处，请立即跟进处理。",
		"Escalated to you: repair request {{.number}}",
		"Repair request {{.number}} has been escalated to you{{with .deadline}} because its {{.}} deadline has passed{{end}}. Please follow up immediately."},
	{audStaff, "repair_reopened", []string{"number"},
		"重新处理：报修工单{{.number}}",
		"报修工单{{.number}}已重新打开，请尽快跟进处理。",
		"Reopened: repair request {{.number}}",
		"Repair request {{.number}} has been reopened. Please follow up promptly."},
}

// The rating invitation offers the link only when there is one; without it
// the resident is told to expect the callback instead.
const (
	rateZH = "{{if .track_url}}诚邀您为本次服务评分（1–5分，5分为非常满意），可点击下方链接评分，也可等候我们的回访电话。\n评分链接：{{.track_url}}" +
		"{{else}}我们将致电回访，请您为本次服务评分（1–5分，5分为非常满意）。{{end}}"
	rateEN = "{{if .track_url}}Please rate our service from 1 to 5 (5 = very satisfied) using the link below, or wait for our call.\nRate us: {{.track_url}}" +
		"{{else}}We will call you to ask you to rate our service from 1 to 5 (5 = very satisfied).{{end}}"
)

// Words the workflows pass as codes, shown in the reader's language;
// anything else is shown as given.
var (
	deadlineWords = map[string][2]string{
		"dispatch":       {"派单", "dispatch"},
		"first_feedback": {"首次反馈", "first feedback"},
		"feedback":       {"反馈", "feedback"},
		"resolution":     {"处理", "resolution"},
		"callback":       {"回访", "callback"},
	}
)

// compiled holds every template, parsed once; executing a parsed
// template is safe for concurrent use. Keys are "aud/name/lang/part".
var compiled = compile()

func compile() *template.Template {
	// missingkey=zero renders an absent param as "" instead of "<no value>".
	root := template.New("").Option("missingkey=zero")
	for _, d := range defs {
		for part, text := range map[string]string{
			"zh/subject": d.zhSubj, "zh/body": d.zhBody, "en/subject": d.enSubj, "en/body": d.enBody,
		} {
			template.Must(root.New(d.aud + "/" + d.name + "/" + part).Parse(text))
		}
	}
	return root
}

// Templates returns the template names, sorted. These are the names the
// workflows store; see Render for names used by both audiences.
func Templates() []string {
	var names []string
	for _, d := range defs {
		if !slices.Contains(names, d.name) {
			names = append(names, d.name)
		}
	}
	slices.Sort(names)
	return names
}

// Render fills in a template. lang is the household language, "zh" or
// "en" (regional forms such as "en-GB" count); anything else gets Chinese.
// Missing params render as empty and optional clauses that use them are
// left out. Values are plain text and are not escaped.
//
// complaint_reopened and repair_reopened exist for both audiences. A bare
// name means the resident text; prefix the audience ("staff/complaint_reopened",
// "resident/repair_recorded") to choose explicitly — any name accepts it.
func Render(name, lang string, params map[string]string) (subject, body string, err error) {
	d, ok := lookup(name)
	if !ok {
		return "", "", fmt.Errorf("notify: unknown template %q", name)
	}
	l := "zh"
	norm := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(lang)), "_", "-")
	if base, _, _ := strings.Cut(norm, "-"); base == "en" {
		l = "en"
	}
	data := prepare(params, l)
	var sb, bb strings.Builder
	key := d.aud + "/" + d.name + "/" + l
	if err := compiled.ExecuteTemplate(&sb, key+"/subject", data); err != nil {
		return "", "", fmt.Errorf("notify: render %s subject: %w", key, err)
	}
	if err := compiled.ExecuteTemplate(&bb, key+"/body", data); err != nil {
		return "", "", fmt.Errorf("notify: render %s body: %w", key, err)
	}
	// A subject is a single header line whatever the params contain.
	subject = strings.TrimSpace(strings.ReplaceAll(sb.String(), "\n", " "))
	return subject, strings.TrimSpace(bb.String()), nil
}

func lookup(name string) (def, bool) {
	auds := []string{audResident, audStaff} // a bare name prefers the resident text
	if aud, bare, ok := strings.Cut(name, "/"); ok {
		auds, name = []string{aud}, bare
	}
	for _, aud := range auds {
		for _, d := range defs {
			if d.aud == aud && d.name == name {
				return d, true
			}
		}
	}
	return def{}, false
}

// prepare cleans the params and turns machine values (durations, deadline
// and case-kind codes) into words of the chosen language.
func prepare(params map[string]string, lang string) map[string]string {
	idx := 0
	if lang == "en" {
		idx = 1
	}
	data := make(map[string]string, len(params))
	for k, v := range params {
		v = clean(v)
		if w, ok := deadlineWords[v]; ok && k == "deadline" {
			v = w[idx]
		} else if spec, ok := domain.SpecOf(domain.Kind(v)); ok && k == "kind" {
			v = spec.Noun.Zh
			if lang == "en" {
				v = spec.Noun.En
			}
		} else if strings.HasSuffix(k, "_within") {
			v = humanDuration(v, lang)
		}
		data[k] = v
	}
	return data
}

// clean drops control characters other than newlines: a stray CR or ESC
// from a staff form must not reach an SMS or a mail header.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n':
			return r
		case r == '\t':
			return ' '
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// humanDuration turns a Go duration such as "1h30m" (how the workflows
// format policy limits) into "1小时30分钟" or "1 hour 30 minutes". Values
// that are not durations are returned unchanged.
func humanDuration(s, lang string) string {
	d, err := time.ParseDuration(s)
	if err != nil || d < time.Second {
		return s
	}
	d = d.Round(time.Second)
	units := []struct {
		n      int64
		zh, en string
	}{
		{int64(d / time.Hour), "小时", "hour"},
		{int64(d % time.Hour / time.Minute), "分钟", "minute"},
		{int64(d % time.Minute / time.Second), "秒", "second"},
	}
	var parts []string
	for _, u := range units {
		switch {
		case u.n == 0:
		case lang != "en":
			parts = append(parts, fmt.Sprintf("%d%s", u.n, u.zh))
		case u.n == 1:
			parts = append(parts, "1 "+u.en)
		default:
			parts = append(parts, fmt.Sprintf("%d %ss", u.n, u.en))
		}
	}
	if lang == "en" {
		return strings.Join(parts, " ")
	}
	return strings.Join(parts, "")
}
