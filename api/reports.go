package api

import (
	"bytes"
	"fmt"
	"math"
	"net/http"
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
}

// complaintReport answers GET /api/v1/reports/complaints?month=YYYY-MM
// (default: last month) with the analysis for the quality meeting, as JSON
// or, with format=xlsx, as a workbook.
func (s *Server) complaintReport(c *gin.Context) {
	ctx := c.Request.Context()
	now := time.Now().In(s.cfg.Location)
	month := c.DefaultQuery("month", now.AddDate(0, -1, 0).Format("2006-01"))
	p, err := domain.ParsePeriod(month)
	if err != nil {
		fail(c, http.StatusUnprocessableEntity, "invalid_input", "month: "+err.Error())
		return
	}
	community, ok := s.communityParam(c)
	if !ok {
		return
	}
	format := c.DefaultQuery("format", "json")
	if format != "json" && format != "xlsx" {
		fail(c, http.StatusUnprocessableEntity, "invalid_input", "format must be json or xlsx")
		return
	}
	from := time.Date(p.Year, time.Month(p.Month), 1, 0, 0, 0, 0, s.cfg.Location)
	to := from.AddDate(0, 1, 0)
	rep, err := s.cfg.Store.ComplaintReport(ctx, from, to, from.AddDate(0, 1-trendMonths, 0), time.Now(), s.cfg.Location.String(), community)
	if err != nil {
		s.internal(c, err)
		return
	}
	out := complaintReportJSON{ComplaintReport: rep,
		Dispatch24h: domain.Ratio(rep.Dispatched, rep.Windows, domain.TargetDispatch24h),
		Feedback24h: domain.Ratio(rep.FedBack, rep.Windows, domain.TargetFeedback24h)}
	baseRate, ok := s.baselineRate(c, community)
	if !ok {
		return
	}
	if baseRate != nil {
		b := c.Query("baseline")
		out.Baseline = &b
	}
	out.ComplaintRate = domain.ComplaintRate(rep.Complaints, rep.Households, 1, baseRate)
	if baseRate != nil && *baseRate > 0 && out.ComplaintRate.Value != nil {
		ch := math.Round((*out.ComplaintRate.Value / *baseRate - 1)*10000) / 10000
		out.Change = &ch
	}
	if format == "json" {
		c.JSON(http.StatusOK, out)
		return
	}
	raw, err := reportWorkbook(out)
	if err != nil {
		s.internal(c, err)
		return
	}
	attachment(c, fmt.Sprintf("complaint-report-%s.xlsx", rep.Month))
	c.Data(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", raw)
}

// reportWorkbook lays the report out on one sheet per table, headings in
// Chinese and English.
func reportWorkbook(r complaintReportJSON) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	sheets := []struct {
		name string
		rows [][]any
	}{
		{"概况 Summary", [][]any{
			{"月份 Month", r.Month}, {"小区 Community", r.Community}, {"投诉数 Complaints", r.Complaints},
			{"24小时派单率 Dispatched in 24 h", value(r.Dispatch24h)}, {"24小时反馈率 Fed back in 24 h", value(r.Feedback24h)},
			{"已解决 Resolved", r.Resolved}, {"解决时长中位数(小时) Median hours to resolve", ptrValue(r.MedianHours)},
			{"解决时长P90(小时) P90 hours to resolve", ptrValue(r.P90Hours)},
			{"每百户投诉率 Complaints per 100 households", value(r.ComplaintRate)}, {"较基准月 Change vs baseline", ptrValue(r.Change)},
		}},
		{"类别 Categories", countRows(r.ByCategory)},
		{"部门 Departments", countRows(r.ByDepartment)},
		{"楼栋 Buildings", countRows(r.ByBuilding)},
		{"重复投诉 Repeats", repeatRows(r.RepeatUnits, r.RepeatSpots)},
		{"满意度 Satisfaction", trendRows(r.Satisfaction)},
		{"突出问题 Top problems", topRows(r.TopProblems)},
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
			cell, _ := excelize.CoordinatesToCellName(1, j+1)
			if err := f.SetSheetRow(sh.name, cell, &row); err != nil {
				return nil, fmt.Errorf("write %s: %w", sh.name, err)
			}
		}
		if err := f.SetColWidth(sh.name, "A", "A", 36); err != nil {
			return nil, fmt.Errorf("widen %s: %w", sh.name, err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, fmt.Errorf("write workbook: %w", err)
	}
	return buf.Bytes(), nil
}

func value(k domain.KPI) any { return ptrValue(k.Value) }

func ptrValue(v *float64) any {
	if v == nil {
		return "—"
	}
	return *v
}

func countRows(cs []store.ReportCount) [][]any {
	rows := [][]any{{"代码 Code", "名称 Name", "数量 Count"}}
	for _, c := range cs {
		rows = append(rows, []any{c.Key, c.Name, c.Count})
	}
	return rows
}

func repeatRows(units, spots []store.ReportRepeat) [][]any {
	rows := [][]any{{"类型 Kind", "位置 Where", "数量 Count", "案件 Cases"}}
	for _, u := range units {
		rows = append(rows, []any{"同一房屋 Same unit", u.Key, u.Count, fmt.Sprint(u.Numbers)})
	}
	for _, s := range spots {
		rows = append(rows, []any{"同一楼栋同类 Same building and category", s.Key, s.Count, fmt.Sprint(s.Numbers)})
	}
	return rows
}

func trendRows(ms []store.ReportMonthly) [][]any {
	rows := [][]any{{"月份 Month", "满意 Satisfied", "评价数 Ratings", "满意率 Rate"}}
	for _, m := range ms {
		rows = append(rows, []any{m.Month, m.Satisfied, m.Ratings, value(domain.Ratio(m.Satisfied, m.Ratings, domain.TargetSatisfaction))})
	}
	return rows
}

func topRows(ts []store.ReportTop) [][]any {
	rows := [][]any{{"类别 Category", "名称 Name", "数量 Count", "案例 Examples"}}
	for _, t := range ts {
		rows = append(rows, []any{t.Category, t.Name, t.Count, fmt.Sprint(t.Examples)})
	}
	return rows
}
