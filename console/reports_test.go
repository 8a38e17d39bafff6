package console

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/concierge-pm/concierge/domain"
)

// TestReportPagesEscape: the dashboard, the analysis and the evaluation
// write stored text (building and category names, staff names) as text,
// in the SVG charts as in the tables, in both languages.
func TestReportPagesEscape(t *testing.T) {
	pages := parsePages()
	const evil = `<script>alert(1)</script>`
	rows := []reportCount{{Key: "A/" + "1", Name: evil, Count: 3}, {Key: "A/2", Name: "2号楼", Count: 1}}
	score := 80.0
	for _, lang := range []string{langZh, langEn} {
		tr := translator{lang: lang, cat: messages()}
		ref := &reference{tr: tr}
		ref.Categories = append(ref.Categories, struct {
			Code   string `json:"code"`
			Kind   string `json:"kind"`
			Name   string `json:"name"`
			NameEn string `json:"name_en"`
		}{Code: "leak", Name: evil, NameEn: evil})
		p := &page{translator: tr, Me: &me{Name: evil, Role: "supervisor"}, loc: time.UTC, now: renderedAt}
		label := func(r reportCount) (string, []string) { return r.Name, []string{"building", r.Key} }
		link := func(more []string) string { return "/console/queue?x=" + more[1] }
		rep := complaintReportJSON{Month: "2026-03", Complaints: 4, ByCategory: []reportCount{{Key: "leak", Count: 4}}, ByBuilding: rows}
		ev := &evaluationsData{Month: "2026-03"}
		ev.Eval.Items = []domain.EvalResult{{Staff: "liu_fang", Name: evil, Score: &score}}
		for name, data := range map[string]any{
			"reports": &reportsData{Ref: ref, Month: "2026-03", Breakdowns: []breakdown{
				breakdownOf("reports.by_building", rows, label, link),
				breakdownOf("reports.by_category", rep.ByCategory, func(r reportCount) (string, []string) { return ref.Category(r.Key), nil }, func([]string) string { return "" }),
			}},
			"analysis":    &analysisData{Ref: ref, Month: "2026-03", Report: rep},
			"evaluations": ev,
		} {
			p.TitleKey, p.Data = name+".title", data
			if name == "reports" {
				p.TitleKey = "reports.title"
			}
			var buf bytes.Buffer
			if err := pages[name].Execute(&buf, p); err != nil {
				t.Fatalf("%s %s: %v", lang, name, err)
			}
			out := buf.String()
			if strings.Contains(out, evil) {
				t.Errorf("%s %s: stored text was written as markup", lang, name)
			}
			if !strings.Contains(out, "&lt;script&gt;alert(1)&lt;/script&gt;") {
				t.Errorf("%s %s: the stored text is not shown", lang, name)
			}
		}
	}
}

// TestMonthRange: the current month is read to today, a past one whole,
// one not begun not at all.
func TestMonthRange(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	today := time.Date(2026, 3, 17, 10, 0, 0, 0, loc)
	for _, tc := range []struct {
		month    time.Time
		from, to string
		ok       bool
	}{
		{time.Date(2026, 3, 1, 0, 0, 0, 0, loc), "2026-03-01", "2026-03-17", true},
		{time.Date(2026, 2, 1, 0, 0, 0, 0, loc), "2026-02-01", "2026-02-28", true},
		{time.Date(2026, 4, 1, 0, 0, 0, 0, loc), "2026-04-01", "2026-04-30", false},
	} {
		from, to, ok := monthRange(tc.month, today)
		if from.Format(time.DateOnly) != tc.from || to.Format(time.DateOnly) != tc.to || ok != tc.ok {
			t.Errorf("%s: %s–%s %v, want %s–%s %v", tc.month.Format("2006-01"), from.Format(time.DateOnly), to.Format(time.DateOnly), ok, tc.from, tc.to, tc.ok)
		}
	}
}
