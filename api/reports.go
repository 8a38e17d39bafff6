package api

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/xuri/excelize/v2"

	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/store"
)

// trendMonths is how many months the satisfaction trend covers, the
// report's month included.
const trendMonths = 6

type complaintReportJSON struct {
	store.ComplaintReport
	Dispatch24h   domain.KPI `json:"dispatch_24h_rate"`
	Feedback24h   domain.KPI `json:"feedback_24h_rate"`
	ComplaintRate domain.KPI `json:"complaint_rate"`
	// Baseline and Change compare the complaint rate with the baseline
	// month; the plan expects -0.30.
	Baseline *string  `json:"baseline"`
	Change   *float64 `json:"change_vs_baseline"`
	// ArchivedAt is when an archived report was generated; absent from a
	// report computed on request.
	ArchivedAt *time.Time `json:"archived_at,omitempty"`
}

// reportFigures adds to a month's counts the figures computed from them,
// with the rules the KPIs use; now is when the counts were read.
func reportFigures(rep store.ComplaintReport, from, to, now time.Time, baseRate *float64) complaintReportJSON {
	out := complaintReportJSON{ComplaintReport: rep,
		Dispatch24h:   domain.Ratio(rep.Dispatched, rep.Windows, domain.TargetDispatch24h),
		Feedback24h:   domain.Ratio(rep.FedBack, rep.Windows, domain.TargetFeedback24h),
		ComplaintRate: domain.ComplaintRateOver(rep.Complaints, rep.Households, from, to, now, baseRate)}
	if baseRate != nil && *baseRate > 0 && out.ComplaintRate.Value != nil {
		ch := math.Round((*out.ComplaintRate.Value / *baseRate - 1)*10000) / 10000
		out.Change = &ch
	}
	return out
}

// reportMonth reads a month, and the format (json or xlsx); 422 for a bad
// one. The month runs [from, to) in the centre's zone.
func (s *Server) reportMonth(c *gin.Context, month string) (p domain.Period, from, to time.Time, format string, err error) {
	p, err = domain.ParsePeriod(month)
	if err != nil {
		return p, from, to, "", invalid("month: " + err.Error())
	}
	format = c.DefaultQuery("format", "json")
	if format != "json" && format != "xlsx" {
		return p, from, to, "", invalid("format must be json or xlsx")
	}
	from = time.Date(p.Year, time.Month(p.Month), 1, 0, 0, 0, 0, s.cfg.Location)
	return p, from, from.AddDate(0, 1, 0), format, nil
}

// complaintReport answers GET /api/v1/reports/complaints?month=YYYY-MM
// (default: last month) with the analysis for the quality meeting, as JSON
// or, with format=xlsx, as a workbook.
func (s *Server) complaintReport(c *gin.Context) error {
	ctx := c.Request.Context()
	now := time.Now().In(s.cfg.Location)
	lastMonth := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, s.cfg.Location).AddDate(0, -1, 0)
	_, from, to, format, err := s.reportMonth(c, c.DefaultQuery("month", lastMonth.Format("2006-01")))
	if err != nil {
		return err
	}
	_, set, err := s.communityFilter(c)
	if err != nil {
		return err
	}
	baseRate, err := s.baselineRate(c, set)
	if err != nil {
		return err
	}
	rep, err := s.cfg.Store.ComplaintReport(ctx, from, to, from.AddDate(0, 1-trendMonths, 0), now, s.cfg.Location.String(), set)
	if err != nil {
		return err
	}
	out := reportFigures(rep, from, to, now, baseRate)
	if baseRate != nil {
		b := c.Query("baseline")
		out.Baseline = &b
	}
	s.sendReport(c, out, format)
	return nil
}

// archivedReport answers GET /api/v1/reports/complaints/archive/{month}
// ?community=: the analysis the monthly schedule archived, as it stood
// then (later corrections to cases do not change it), with its figures
// computed from the archived counts; 404 for a month not archived. The
// figures of a live baseline month would not be as archived, so there is
// no baseline here. Archives are per community and for the whole centre,
// and medians do not add up, so a caller who reaches several communities
// but not all must name one (422); one who reaches one gets that one.
func (s *Server) archivedReport(c *gin.Context) error {
	p, from, to, format, err := s.reportMonth(c, c.Param("month"))
	if err != nil {
		return err
	}
	community, set, err := s.communityFilter(c)
	if err != nil {
		return err
	}
	if community == "" && set != nil {
		switch len(set) {
		case 0:
			return notFoundf("the analysis of %s is not archived for any community you serve", p)
		case 1:
			community = set[0]
		default:
			return &Problem{Status: http.StatusUnprocessableEntity, Code: "community_required",
				Message: fmt.Sprintf("name one community (community=): you serve %s, and each is archived apart",
					strings.Join(set, ", "))}
		}
	}
	rep, at, err := s.cfg.Store.ArchivedComplaintReport(c.Request.Context(), p.String(), community)
	if errors.Is(err, store.ErrNotFound) {
		msg := fmt.Sprintf("the analysis of %s was not archived", p)
		if community != "" {
			msg = fmt.Sprintf("the analysis of %s for community %q was not archived", p, community)
		}
		return notFound(msg)
	}
	if err != nil {
		return err
	}
	out := reportFigures(rep, from, to, at, nil)
	out.ArchivedAt = &at
	s.sendReport(c, out, format)
	return nil
}

func (s *Server) sendReport(c *gin.Context, out complaintReportJSON, format string) {
	if format == "json" {
		c.JSON(http.StatusOK, out)
		return
	}
	raw, err := reportWorkbook(out)
	if err != nil {
		s.internal(c, err)
		return
	}
	attachment(c, fmt.Sprintf("complaint-report-%s.xlsx", out.Month))
	c.Data(http.StatusOK, contentTypeXLSX, raw)
}

// reportWorkbook lays the report out on one sheet per table, headings in
// Chinese and English, for a person to read: shares as percentages, hours
// and rates with two decimals (the cell holds the rounded number, so what
// is copied is what is shown), case numbers as a list joined with "、".
func reportWorkbook(r complaintReportJSON) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	st, err := newReportStyles(f)
	if err != nil {
		return nil, err
	}
	community := r.Community
	switch {
	case community == "" && r.Communities != nil:
		community = strings.Join(r.Communities, "、")
	case community == "":
		community = "全部 All"
	}
	sheets := []struct {
		name  string
		width []float64
		rows  [][]reportCell
	}{
		// The summary is a list of labelled figures, without a header row.
		{"概况 Summary", []float64{40, 16, 16}, [][]reportCell{
			{cellText("月份 Month"), cellText(r.Month)},
			{cellText("小区 Community"), cellText(community)},
			{cellText("投诉数 Complaints"), cellCount(r.Complaints)},
			{cellText("24小时派单率 Dispatched in 24 h"), cellNumber(r.Dispatch24h.Value, st.percent), cellRatio(r.Dispatch24h)},
			{cellText("24小时反馈率 Fed back in 24 h"), cellNumber(r.Feedback24h.Value, st.percent), cellRatio(r.Feedback24h)},
			{cellText("已解决 Resolved"), cellCount(r.Resolved)},
			{cellText("解决时长中位数(小时) Median hours to resolve"), cellNumber(round2(r.MedianHours), st.fixed2)},
			{cellText("解决时长P90(小时) P90 hours to resolve"), cellNumber(round2(r.P90Hours), st.fixed2)},
			{cellText("每百户投诉率 Complaints per 100 households"), cellNumber(r.ComplaintRate.Value, st.fixed2), cellRatio(r.ComplaintRate)},
			{cellText("较基准月 Change vs baseline"), cellNumber(r.Change, st.signedPercent)},
		}},
		{"类别 Categories", []float64{16, 20, 12}, countRows(r.ByCategory)},
		{"部门 Departments", []float64{16, 20, 12}, countRows(r.ByDepartment)},
		{"楼栋 Buildings", []float64{16, 20, 12}, countRows(r.ByBuilding)},
		{"重复投诉 Repeats", []float64{36, 24, 12, 60}, repeatRows(r.ComplaintReport)},
		{"满意度 Satisfaction", []float64{12, 14, 14, 14}, trendRows(r.Satisfaction, st.percent)},
		{"突出问题 Top problems", []float64{16, 20, 12, 60}, topRows(r.TopProblems)},
	}
	for i, sh := range sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", sh.name); err != nil {
				return nil, fmt.Errorf("name sheet: %w", err)
			}
		} else if _, err := f.NewSheet(sh.name); err != nil {
			return nil, fmt.Errorf("add sheet: %w", err)
		}
		for j, row := range sh.rows {
			for k, cell := range row {
				name, err := excelize.CoordinatesToCellName(k+1, j+1)
				if err != nil {
					return nil, err
				}
				if err := f.SetCellValue(sh.name, name, cell.value); err != nil {
					return nil, fmt.Errorf("write %s: %w", sh.name, err)
				}
				style := cell.style
				if j == 0 && i > 0 {
					style = st.header
				}
				if style != 0 {
					if err := f.SetCellStyle(sh.name, name, name, style); err != nil {
						return nil, fmt.Errorf("style %s: %w", sh.name, err)
					}
				}
			}
		}
		for k, w := range sh.width {
			col, err := excelize.ColumnNumberToName(k + 1)
			if err != nil {
				return nil, err
			}
			if err := f.SetColWidth(sh.name, col, col, w); err != nil {
				return nil, fmt.Errorf("widen %s: %w", sh.name, err)
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, fmt.Errorf("write workbook: %w", err)
	}
	return buf.Bytes(), nil
}

// reportStyles are the workbook's number formats and its header style.
type reportStyles struct {
	header, percent, signedPercent, fixed2 int
}

func newReportStyles(f *excelize.File) (reportStyles, error) {
	var st reportStyles
	for _, s := range []struct {
		id    *int
		style excelize.Style
	}{
		{&st.header, excelize.Style{Font: &excelize.Font{Bold: true},
			Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}}},
		{&st.percent, excelize.Style{CustomNumFmt: ptr("0.0%")}},
		{&st.signedPercent, excelize.Style{CustomNumFmt: ptr("+0.0%;-0.0%;0.0%")}},
		{&st.fixed2, excelize.Style{CustomNumFmt: ptr("0.00")}},
	} {
		id, err := f.NewStyle(&s.style)
		if err != nil {
			return st, fmt.Errorf("report workbook style: %w", err)
		}
		*s.id = id
	}
	return st, nil
}

func ptr[T any](v T) *T { return &v }

// reportCell is one cell of the report workbook: a value and its style (0:
// none).
type reportCell struct {
	value any
	style int
}

func cellText(s string) reportCell   { return reportCell{value: s} }
func cellCount(n int64) reportCell   { return reportCell{value: n} }
func cellList(s []string) reportCell { return reportCell{value: strings.Join(s, "、")} }

// cellNumber is a number in the given format, or a dash when there is none.
func cellNumber(v *float64, style int) reportCell {
	if v == nil {
		return cellText("—")
	}
	return reportCell{value: *v, style: style}
}

// cellRatio shows what a KPI is computed from, "3 / 4".
func cellRatio(k domain.KPI) reportCell {
	return cellText(fmt.Sprintf("%d / %d", k.Numerator, k.Denominator))
}

func round2(v *float64) *float64 {
	if v == nil {
		return nil
	}
	r := math.Round(*v*100) / 100
	return &r
}

func countRows(cs []store.ReportCount) [][]reportCell {
	rows := [][]reportCell{{cellText("代码 Code"), cellText("名称 Name"), cellText("数量 Count")}}
	for _, c := range cs {
		rows = append(rows, []reportCell{cellText(c.Key), cellText(c.Name), cellCount(c.Count)})
	}
	return rows
}

func repeatRows(r store.ComplaintReport) [][]reportCell {
	rows := [][]reportCell{{cellText("类型 Kind"), cellText("位置 Where"), cellText("数量 Count"), cellText("案件 Cases")}}
	for _, u := range r.RepeatUnits {
		rows = append(rows, []reportCell{cellText("同一房屋 Same unit"), cellText(u.Key), cellCount(u.Count), cellList(u.Numbers)})
	}
	for _, s := range r.RepeatSpots {
		rows = append(rows, []reportCell{cellText("同一楼栋同类 Same building and category"), cellText(s.Key), cellCount(s.Count), cellList(s.Numbers)})
	}
	// The report lists the most repeated (store.RepeatLimit): say so when
	// there were more.
	if r.RepeatUnitsTotal > int64(len(r.RepeatUnits)) || r.RepeatSpotsTotal > int64(len(r.RepeatSpots)) {
		rows = append(rows,
			[]reportCell{cellText("重复房屋合计 Units repeated in all"), cellText(""), cellCount(r.RepeatUnitsTotal), cellText("")},
			[]reportCell{cellText("重复楼栋同类合计 Spots repeated in all"), cellText(""), cellCount(r.RepeatSpotsTotal), cellText("")})
	}
	return rows
}

func trendRows(ms []store.ReportMonthly, percent int) [][]reportCell {
	rows := [][]reportCell{{cellText("月份 Month"), cellText("满意 Satisfied"), cellText("评价数 Ratings"), cellText("满意率 Rate")}}
	for _, m := range ms {
		rate := domain.Ratio(m.Satisfied, m.Ratings, domain.TargetSatisfaction)
		rows = append(rows, []reportCell{cellText(m.Month), cellCount(m.Satisfied), cellCount(m.Ratings), cellNumber(rate.Value, percent)})
	}
	return rows
}

func topRows(ts []store.ReportTop) [][]reportCell {
	rows := [][]reportCell{{cellText("类别 Category"), cellText("名称 Name"), cellText("数量 Count"), cellText("案例 Examples")}}
	for _, t := range ts {
		rows = append(rows, []reportCell{cellText(t.Category), cellText(t.Name), cellCount(t.Count), cellList(t.Examples)})
	}
	return rows
}
