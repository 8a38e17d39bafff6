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

// TestAnalysisSaysWhatRepeatsLeaveOut: the analysis lists the most
// repeated units and spots; when the month had more, the page says how
// many in all, and says nothing when it lists them all.
func TestAnalysisSaysWhatRepeatsLeaveOut(t *testing.T) {
	pages := parsePages()
	type repeat = struct {
		Key     string   `json:"key"`
		Count   int64    `json:"count"`
		Numbers []string `json:"numbers"`
	}
	units := []repeat{{Key: "A/1-101", Count: 3, Numbers: []string{"TS1", "TS2", "TS3"}}}
	spots := []repeat{{Key: "A/1/noise", Count: 2, Numbers: []string{"TS1", "TS4"}}}
	for _, tc := range []struct {
		name         string
		units, spots int64
		lang         string
		want         []string // in the page; nil: no note
	}{
		{"all listed", 1, 1, langZh, nil},
		{"more units", 731, 1, langZh, []string{"共 731 户", "楼栋同类 1 处", "最多的 1 处"}},
		{"more spots", 1, 96, langEn, []string{"1 units and 96 building-and-category spots", "the 1 with the most"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := translator{lang: tc.lang, cat: messages()}
			p := &page{translator: tr, Me: &me{Name: "x", Role: "supervisor"}, loc: time.UTC, now: renderedAt}
			rep := complaintReportJSON{Month: "2026-03", Complaints: 4, RepeatUnits: units, RepeatSpots: spots,
				RepeatUnitsTotal: tc.units, RepeatSpotsTotal: tc.spots}
			p.TitleKey, p.Data = "analysis.title", &analysisData{Ref: &reference{tr: tr}, Month: "2026-03", Report: rep}
			var buf bytes.Buffer
			if err := pages["analysis"].Execute(&buf, p); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			if !strings.Contains(out, "TS1、TS2、TS3") {
				t.Errorf("the listed unit's cases are not shown")
			}
			note := strings.Contains(out, `class="hint"`)
			if note != (tc.want != nil) {
				t.Errorf("note shown %v, want %v", note, tc.want != nil)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("the page does not say %q", w)
				}
			}
		})
	}
}
