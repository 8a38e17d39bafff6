package notify

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/concierge-pm/concierge/domain"
)

// sample holds realistic values for every param a template may read.
var sample = map[string]string{
	"number":          "TS20261102-0001",
	"category":        "水管漏水",
	"feedback_within": "24h",
	"resolve_within":  "48h",
	"callback_within": "1h30m",
	"track_url":       "https://concierge.example.com/t/Ab3dEf9",
	"message":         "维修师傅已联系供应商，配件预计明天上午到货后上门更换",
	"resolution":      "已更换厨房下水管并做闭水试验，无渗漏",
	"kind":            "complaint",
	"deadline":        "resolution",
	"reference":       "M-20261102-7",
	"month":           "2026-11",
	"cycle":           "2026-Q4",
	"session":         "2026-10-08",
	"closes":          "2026-10-22 09:00",
	"pass_mark":       "80",
	"score":           "72.5",
	"due":             "2026-10-29 14:10",
	"open":            "7",
	"reached":         "12",
	"target":          "40",
}

func paramsOf(d def, drop ...string) map[string]string {
	p := map[string]string{}
	for _, k := range d.params {
		if !slices.Contains(drop, k) {
			p[k] = sample[k]
		}
	}
	return p
}

func TestTemplatesList(t *testing.T) {
	want := []string{
		"campaign_reminder", "complaint_assigned", "complaint_callback_request", "complaint_escalated", "complaint_feedback",
		"complaint_recorded", "complaint_reminder", "complaint_reopened", "complaint_resolved",
		"email_received", "email_triage",
		"repair_assigned", "repair_callback_request", "repair_completed", "repair_escalated", "repair_feedback",
		"repair_on_site", "repair_recorded", "repair_reminder", "repair_reopened",
		"tracking_link", "training_exam_open", "training_exam_reminder", "training_retake",
	}
	if got := Templates(); !slices.Equal(got, want) {
		t.Fatalf("Templates() = %v\nwant %v", got, want)
	}
}

func TestRenderEveryTemplate(t *testing.T) {
	for _, d := range defs {
		for _, lang := range []string{"zh", "en"} {
			t.Run(d.aud+"/"+d.name+"/"+lang, func(t *testing.T) {
				subject, body, err := Render(d.aud+"/"+d.name, lang, paramsOf(d))
				if err != nil {
					t.Fatal(err)
				}
				all := subject + "\n" + body
				if subject == "" || body == "" || strings.Contains(subject, "\n") {
					t.Fatalf("bad output: subject %q body %q", subject, body)
				}
				for _, bad := range []string{"<no value>", "{", "}", "  ", "..", "。。"} {
					if strings.Contains(all, bad) {
						t.Errorf("output contains %q:\n%s", bad, all)
					}
				}
				// Every declared param is used, so a typo in a template
				// cannot silently drop one. Machine values are shown as words.
				for _, k := range d.params {
					v := sample[k]
					switch k {
					case "kind", "deadline", "feedback_within", "resolve_within", "callback_within":
						v, _, _ = strings.Cut(prepare(map[string]string{k: v}, lang)[k], " ")
					}
					if !strings.Contains(all, v) {
						t.Errorf("param %s (%q) missing:\n%s", k, v, all)
					}
				}
				if lang == "zh" && utf8.RuneCountInString(all) == len(all) {
					t.Errorf("zh output has no Chinese:\n%s", all)
				}
				// Staff messages carry case numbers, deadline names, counts and the
				// recipient's own exam figures, nothing personal of anyone else.
				if d.aud == audStaff && slices.ContainsFunc(d.params, func(p string) bool {
					return !slices.Contains([]string{"number", "deadline", "month", "open", "reached", "target",
						"cycle", "session", "closes", "pass_mark", "score", "due"}, p)
				}) {
					t.Errorf("staff template reads personal params %v", d.params)
				}
			})
		}
	}
}

func TestRenderWithoutTrackURL(t *testing.T) {
	for _, d := range defs {
		if !slices.Contains(d.params, "track_url") {
			continue
		}
		for _, lang := range []string{"zh", "en"} {
			t.Run(d.name+"/"+lang, func(t *testing.T) {
				_, body, err := Render(d.name, lang, paramsOf(d, "track_url"))
				if err != nil {
					t.Fatal(err)
				}
				for _, bad := range []string{"查看进度", "评分链接", "链接", "Track progress", "Rate us", "link", "http"} {
					if strings.Contains(body, bad) {
						t.Errorf("body mentions %q without a URL:\n%s", bad, body)
					}
				}
				for _, line := range strings.Split(body, "\n") {
					if strings.HasSuffix(line, "：") || strings.HasSuffix(line, ":") || strings.TrimSpace(line) == "" {
						t.Errorf("dangling line %q in:\n%s", line, body)
					}
				}
			})
		}
	}
}

// TestResidentSMSLength keeps resident zh bodies within one SMS of 140
// characters, the link excluded.
func TestResidentSMSLength(t *testing.T) {
	for _, d := range defs {
		if d.aud != audResident {
			continue
		}
		_, body, err := Render(d.name, "zh", paramsOf(d, "track_url"))
		if err != nil {
			t.Fatal(err)
		}
		if n := utf8.RuneCountInString(body); n > 140 {
			t.Errorf("%s: %d runes > 140:\n%s", d.name, n, body)
		}
	}
}

func TestRenderCases(t *testing.T) {
	tests := []struct {
		name, tmpl, lang string
		params           map[string]string
		wantSubj         string
		wantBody         string
	}{
		{"zh recorded with words for durations", "complaint_recorded", "zh", paramsOf(defs[0]),
			"投诉受理通知（TS20261102-0001）",
			"您好！您的投诉已受理，编号TS20261102-0001（水管漏水）。我们将在24小时内向您反馈处理进展，48小时内处理完毕，处理完成后1小时30分钟内回访。感谢您的监督！\n" +
				"查看进度：https://concierge.example.com/t/Ab3dEf9"},
		{"en recorded", "complaint_recorded", "en-GB", paramsOf(defs[0], "track_url"),
			"Complaint TS20261102-0001 received",
			"Hello, we have recorded your complaint TS20261102-0001 (水管漏水). We will update you on progress within 24 hours, " +
				"aim to resolve it within 48 hours and call you back within 1 hour 30 minutes of resolving it. Thank you for letting us know."},
		{"missing params leave clauses out", "complaint_recorded", "zh", map[string]string{"number": "TS1"},
			"投诉受理通知（TS1）", "您好！您的投诉已受理，编号TS1。我们将向您反馈处理进展。感谢您的监督！"},
		{"nil params", "repair_feedback", "en", nil,
			"Update on repair request", "Hello, there is an update on your repair request ."},
		{"unknown lang falls back to zh", "repair_assigned", "fr", map[string]string{"number": "BX1"},
			"新报修工单：BX1", "您有一张新的报修工单BX1，请及时在系统中查看并安排处理。"},
		{"empty lang is zh", "email_triage", "", map[string]string{"reference": "R7"},
			"已收到您的邮件（R7）", "您好！我们已收到您的邮件（参考号：R7），客服主管将尽快处理并与您联系。感谢您的来信！"},
		{"bare reopened is the resident text", "complaint_reopened", "zh", map[string]string{"number": "TS1"},
			"投诉重新处理通知（TS1）", "您好！我们已收到您的意见，您的投诉TS1已重新进入处理流程，我们将尽快跟进并向您反馈，给您带来不便敬请谅解。"},
		{"staff reopened by prefix", "staff/complaint_reopened", "zh", map[string]string{"number": "TS1"},
			"重新处理：投诉工单TS1", "投诉工单TS1已重新打开，请尽快跟进处理。"},
		{"deadline code in words", "complaint_reminder", "zh", map[string]string{"number": "TS1", "deadline": "first_feedback"},
			"时限提醒：投诉工单TS1", "提醒：投诉工单TS1的首次反馈时限即将到期，请尽快处理。"},
		{"escalated without deadline", "repair_escalated", "en", map[string]string{"number": "BX1"},
			"Escalated to you: repair request BX1", "Repair request BX1 has been escalated to you. Please follow up immediately."},
		{"unknown deadline shown as given", "repair_escalated", "en", map[string]string{"number": "BX1", "deadline": "on_site"},
			"Escalated to you: repair request BX1", "Repair request BX1 has been escalated to you because its on_site deadline has passed. Please follow up immediately."},
		{"kind in words", "email_received", "en", map[string]string{"number": "BX1", "kind": "repair"},
			"Your email is registered as BX1",
			"Hello, we have received your email and registered it as repair request BX1. We will handle it as soon as possible and keep you informed. Thank you for writing to us."},
		{"callback request without link", "complaint_callback_request", "zh", map[string]string{"number": "TS1"},
			"服务评价邀请（TS1）", "您好！您的投诉TS1已处理完毕。我们将致电回访，请您为本次服务评分（1–5分，5分为非常满意）。"},
		{"callback request with link", "repair_callback_request", "en", map[string]string{"number": "BX1", "track_url": "https://x.example/r"},
			"How did we do? Repair BX1",
			"Hello, the repair for request BX1 has been completed. Please rate our service from 1 to 5 (5 = very satisfied) using the link below, or wait for our call.\nRate us: https://x.example/r"},
		{"control characters stripped, subject one line", "complaint_feedback", "zh",
			map[string]string{"number": "TS1\r\nBcc: x@example.com", "message": "已派\x1b人\t处理\r\n明天完成"},
			"投诉处理进展（TS1 Bcc: x@example.com）", "您好！您的投诉TS1\nBcc: x@example.com有新的处理进展：已派人 处理\n明天完成"},
		{"params are not escaped", "complaint_feedback", "en", map[string]string{"number": "TS1", "message": "<b>&{{.x}}"},
			"Update on complaint TS1", "Hello, there is an update on your complaint TS1: <b>&{{.x}}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			subj, body, err := Render(tt.tmpl, tt.lang, tt.params)
			if err != nil {
				t.Fatal(err)
			}
			if subj != tt.wantSubj || body != tt.wantBody {
				t.Errorf("got\n  %q\n  %q\nwant\n  %q\n  %q", subj, body, tt.wantSubj, tt.wantBody)
			}
		})
	}
}

func TestRenderUnknownTemplate(t *testing.T) {
	for _, name := range []string{"", "nope", "staff/complaint_recorded", "resident/complaint_assigned", "admin/complaint_reopened", "complaint_recorded/"} {
		if _, _, err := Render(name, "zh", nil); err == nil {
			t.Errorf("Render(%q) succeeded", name)
		}
	}
}

// TestEveryKindHasItsTemplates checks the registry of case kinds against
// the templates: a kind whose workflow would send a template not written
// here fails, by name.
func TestEveryKindHasItsTemplates(t *testing.T) {
	have := map[string]bool{}
	for _, name := range Templates() {
		have[name] = true
	}
	for _, spec := range domain.Kinds() {
		for _, suffix := range spec.Templates {
			name := spec.Template(suffix)
			if !have[name] {
				t.Errorf("%s sends %s, which notify/templates.go does not have", spec.Kind, name)
			}
		}
	}
}
