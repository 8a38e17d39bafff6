package console

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/concierge-pm/concierge/domain"
)

// The reports (docs/DESIGN.md §11.17): the KPI dashboard of a month with
// its 12-month trend and the month's complaints by category, department
// and building; the monthly analysis; the staff evaluation. Every figure
// comes from the API (GET /kpis, /reports/complaints, /evaluations), which
// checks report:read and the caller's communities; the charts are SVG
// written by the templates from geometry computed here, so nothing but the
// page is loaded and the numbers are in the page as text too.

// trendMonths is how many months the dashboard's trend shows, the chosen
// month the last.
const trendMonths = 12

// reportKPI is one KPI of the dashboard: the figure, and the queue
// listing the cases it misses (empty for a KPI counted in ratings or
// households, which the queue does not list).
type reportKPI struct {
	kpiRow
	// DrillURL lists the cases that miss the target, DrillCount of them
	// (for satisfaction the dissatisfied ratings, for coverage the
	// households called); DrillKey names them.
	DrillURL   string
	DrillCount int
	DrillKey   string
}

// reportMonthJSON is what the dashboard reads of GET /kpis.
type reportKPIsJSON struct {
	Satisfaction kpiJSON `json:"satisfaction_rate"`
	Feedback     kpiJSON `json:"feedback_24h_rate"`
	Dispatch     kpiJSON `json:"dispatch_24h_rate"`
	Coverage     kpiJSON `json:"callback_coverage"`
	Complaints   kpiJSON `json:"complaint_rate"`
}

// rows are the KPIs with a target, in the standard's order.
func (k reportKPIsJSON) rows() []kpiRow {
	return []kpiRow{{"kpi.satisfaction_rate", k.Satisfaction}, {"kpi.feedback_24h_rate", k.Feedback},
		{"kpi.dispatch_24h_rate", k.Dispatch}, {"kpi.callback_coverage", k.Coverage}}
}

// reportCount is one line of a breakdown of GET /reports/complaints.
type reportCount struct {
	Key   string `json:"key"`
	Name  string `json:"name"`
	Count int64  `json:"count"`
}

// complaintReportJSON is what the pages read of GET /reports/complaints.
type complaintReportJSON struct {
	Month        string        `json:"month"`
	Complaints   int64         `json:"complaints"`
	ByCategory   []reportCount `json:"by_category"`
	ByDepartment []reportCount `json:"by_department"`
	ByBuilding   []reportCount `json:"by_building"`
	RepeatUnits  []struct {
		Key     string   `json:"key"`
		Count   int64    `json:"count"`
		Numbers []string `json:"numbers"`
	} `json:"repeat_units"`
	RepeatSpots []struct {
		Key     string   `json:"key"`
		Count   int64    `json:"count"`
		Numbers []string `json:"numbers"`
	} `json:"repeat_spots"`
	RepeatUnitsTotal int64    `json:"repeat_units_total"`
	RepeatSpotsTotal int64    `json:"repeat_spots_total"`
	Windows          int64    `json:"windows_closed"`
	Dispatched       int64    `json:"dispatched_24h"`
	FedBack          int64    `json:"fed_back_24h"`
	Resolved         int64    `json:"resolved"`
	MedianHours      *float64 `json:"resolution_median_hours"`
	P90Hours         *float64 `json:"resolution_p90_hours"`
	Households       int64    `json:"active_households"`
	Satisfaction     []struct {
		Month     string `json:"month"`
		Satisfied int64  `json:"satisfied"`
		Ratings   int64  `json:"ratings"`
	} `json:"satisfaction_trend"`
	TopProblems []struct {
		Category string   `json:"category"`
		Name     string   `json:"name"`
		Count    int64    `json:"count"`
		Examples []string `json:"examples"`
	} `json:"top_problems"`
	Dispatch24h   kpiJSON `json:"dispatch_24h_rate"`
	Feedback24h   kpiJSON `json:"feedback_24h_rate"`
	ComplaintRate kpiJSON `json:"complaint_rate"`
}

// chartBar is one bar of a chart, its geometry in the SVG's units.
type chartBar struct {
	X, Y, W, H float64
	// Class colours it: met, unmet or none (no data).
	Class, Label, Text string
	URL                string
}

// trendChart is one KPI over the months: a bar a month against the
// target's line.
type trendChart struct {
	Key     string
	Bars    []chartBar
	TargetY float64
	Target  string
}

// breakdown is the month's complaints by one dimension: a bar and a link
// to the queue per line.
type breakdown struct {
	Key    string
	Height float64
	Rows   []chartBar
}

// Chart geometry (SVG units): the trend's plot area and the breakdown's
// rows.
const (
	trendW, trendH            = 480.0, 190.0
	trendLeft, trendRight     = 40.0, 470.0
	trendTop, trendBottom     = 12.0, 160.0
	breakLabelW, breakBarW    = 170.0, 250.0
	breakRowH, breakBarHeight = 24.0, 16.0
)

// TrendViewBox is the trend charts' viewBox.
func (p *page) TrendViewBox() string { return fmt.Sprintf("0 0 %g %g", trendW, trendH) }

// TrendAxis is the y of a share (0–1) on the trend's axis, for its lines.
func (p *page) TrendAxis(v float64) float64 { return trendBottom - v*(trendBottom-trendTop) }

// BreakViewBox is a breakdown chart's viewBox.
func (p *page) BreakViewBox(h float64) string {
	return fmt.Sprintf("0 0 %g %g", breakLabelW+breakBarW+50, h)
}

type reportsData struct {
	Ref         *reference
	Month       string
	Months      []string
	Community   string
	From, To    string
	Current     bool
	KPIs        []reportKPI
	Complaints  int64
	QueueURL    string
	Trend       []trendChart
	TrendMonths []trendMonth
	Breakdowns  []breakdown
	MayExport   bool
	ExportURL   string
}

// trendMonth is a row of the trend's table.
type trendMonth struct {
	Month string
	KPIs  []kpiRow
}

// monthRange is the month's first and last local day to read, the last
// being today for the current month (the KPIs of the month so far, as the
// home page shows them); false for a month not begun.
func monthRange(m, today time.Time) (from, to time.Time, ok bool) {
	from = time.Date(m.Year(), m.Month(), 1, 0, 0, 0, 0, m.Location())
	to = from.AddDate(0, 1, -1)
	if from.After(today) {
		return from, to, false
	}
	if to.After(today) {
		to = today
	}
	return from, to, true
}

// reportMonth reads ?month=YYYY-MM (default: the current month in the
// centre's zone); false with the error page sent for a bad one.
func (a *app) reportMonth(c *gin.Context, def time.Time) (time.Time, bool) {
	v := strings.TrimSpace(c.Query("month"))
	if v == "" {
		return time.Date(def.Year(), def.Month(), 1, 0, 0, 0, 0, a.cfg.Location), true
	}
	m, err := time.ParseInLocation("2006-01", v, a.cfg.Location)
	if err != nil || m.Year() < 2000 {
		a.errorPage(c, http.StatusUnprocessableEntity, "error.invalid_input", "month must be YYYY-MM")
		return m, false
	}
	return m, true
}

// reportCommunity reads ?community=, passed on to the API, which checks
// it against the caller's communities.
func reportCommunity(c *gin.Context) string { return strings.TrimSpace(c.Query("community")) }

// drillURL is the queue of the month's complaints with more filters.
func drillURL(from, to time.Time, community string, more ...string) string {
	q := url.Values{"kind": {string(domain.KindComplaint)}, "from": {from.Format(time.DateOnly)}, "to": {to.Format(time.DateOnly)}}
	if community != "" {
		q.Set("community", community)
	}
	for i := 0; i+1 < len(more); i += 2 {
		q.Set(more[i], more[i+1])
	}
	return Prefix + "/queue?" + q.Encode()
}

// ratingsURL is the drill-down of a figure counted over ratings: which
// ("dissatisfied" or "calls") of the period's ratings.
func ratingsURL(from, to time.Time, community, which string) string {
	q := url.Values{"from": {from.Format(time.DateOnly)}, "to": {to.Format(time.DateOnly)}, which: {"true"}}
	if community != "" {
		q.Set("community", community)
	}
	return Prefix + "/reports/ratings?" + q.Encode()
}

// ratingsList is GET /api/v1/ratings.
type ratingsList struct {
	From, To          string
	Total, Households int
	Items             []struct {
		ID        int64     `json:"id"`
		Source    string    `json:"source"`
		Number    *string   `json:"number"`
		VisitID   *int64    `json:"visit_id"`
		Community *string   `json:"community"`
		Unit      *string   `json:"unit"`
		Score     int       `json:"score"`
		RatedBy   string    `json:"rated_by"`
		RatedAt   time.Time `json:"rated_at"`
	}
}

// ratings is the drill-down of the satisfaction and callback coverage
// figures: the ratings they count (GET /api/v1/ratings, which checks the
// dates and the community).
func (a *app) ratings(c *gin.Context) {
	p := a.newPage(c, "ratings.title")
	p.Nav = "reports"
	q := url.Values{"limit": {"500"}}
	what := "ratings.all"
	for _, k := range []string{"from", "to", "community", "dissatisfied", "calls"} {
		if v := c.Query(k); v != "" {
			q.Set(k, v)
		}
	}
	switch {
	case c.Query("dissatisfied") == "true":
		what = "ratings.dissatisfied"
	case c.Query("calls") == "true":
		what = "ratings.calls"
	}
	d := struct {
		List      ratingsList
		What      string
		Community string
	}{What: what, Community: c.Query("community")}
	if err := a.api.get(c, "/api/v1/ratings?"+q.Encode(), &d.List); err != nil {
		a.fail(c, err)
		return
	}
	p.Data = d
	a.render(c, http.StatusOK, "ratings", p)
}

func kpiPath(from, to time.Time, community string) string {
	q := url.Values{"from": {from.Format(time.DateOnly)}, "to": {to.Format(time.DateOnly)}}
	if community != "" {
		q.Set("community", community)
	}
	return "/api/v1/kpis?" + q.Encode()
}

func (a *app) reports(c *gin.Context) {
	p := a.newPage(c, "reports.title")
	p.Nav = "reports"
	today := p.now.In(a.cfg.Location)
	month, ok := a.reportMonth(c, today)
	if !ok {
		return
	}
	community := reportCommunity(c)
	from, to, begun := monthRange(month, today)
	d := &reportsData{Month: month.Format("2006-01"), Community: community, Months: recentMonths(today, 24),
		From: from.Format(time.DateOnly), To: to.Format(time.DateOnly),
		MayExport: domain.Role(whoami(c).Role).Allows(domain.PermExport)}
	if !begun {
		a.errorPage(c, http.StatusUnprocessableEntity, "error.invalid_input", "the month has not begun")
		return
	}
	// The month's analysis takes longest on a large history (it reads the
	// month's complaints one by one): it is read while the KPIs are.
	q := url.Values{"month": {d.Month}}
	if community != "" {
		q.Set("community", community)
	}
	var rep complaintReportJSON
	repDone := make(chan error, 1)
	go func() { repDone <- a.api.get(c, "/api/v1/reports/complaints?"+q.Encode(), &rep) }()
	// The read uses the request's context: it ends before the handler
	// does, whichever way the handler leaves.
	awaitReport := sync.OnceValue(func() error { return <-repDone })
	defer awaitReport()
	var k reportKPIsJSON
	if err := a.api.get(c, kpiPath(from, to, community), &k); err != nil {
		a.fail(c, err)
		return
	}
	ref, err := a.loadReference(c, p.translator, string(domain.KindComplaint))
	if err != nil {
		a.fail(c, err)
		return
	}
	d.Ref = ref
	d.Complaints = int64(k.Complaints.Numerator)
	d.QueueURL = drillURL(from, to, community)
	for _, r := range k.rows() {
		rk := reportKPI{kpiRow: r}
		switch r.Key {
		case "kpi.feedback_24h_rate":
			rk.DrillURL, rk.DrillCount = drillURL(from, to, community, "late", "feedback_24h"), r.Denominator-r.Numerator
		case "kpi.dispatch_24h_rate":
			rk.DrillURL, rk.DrillCount = drillURL(from, to, community, "late", "dispatch_24h"), r.Denominator-r.Numerator
		case "kpi.satisfaction_rate":
			rk.DrillURL, rk.DrillCount, rk.DrillKey = ratingsURL(from, to, community, "dissatisfied"), r.Denominator-r.Numerator, "reports.dissatisfied"
		case "kpi.callback_coverage":
			rk.DrillURL, rk.DrillCount, rk.DrillKey = ratingsURL(from, to, community, "calls"), r.Numerator, "reports.households_called"
		}
		d.KPIs = append(d.KPIs, rk)
	}
	if err := a.trend(c, d, month, today, community); err != nil {
		a.fail(c, err)
		return
	}
	if err := awaitReport(); err != nil {
		a.fail(c, err)
		return
	}
	label := func(dim string) func(reportCount) (string, []string) {
		switch dim {
		case "category":
			return func(r reportCount) (string, []string) { return ref.Category(r.Key), []string{"category", r.Key} }
		case "department":
			return func(r reportCount) (string, []string) {
				if r.Key == "" {
					return p.T("reports.unrouted"), nil
				}
				return ref.Department(r.Key), []string{"department", r.Key}
			}
		}
		return func(r reportCount) (string, []string) {
			cm, b, _ := strings.Cut(r.Key, "/")
			name := r.Key
			if r.Name != "" {
				name = cm + " " + r.Name
			}
			return name, []string{"community", cm, "building", b}
		}
	}
	for _, b := range []struct {
		key, dim string
		rows     []reportCount
	}{
		{"reports.by_category", "category", rep.ByCategory},
		{"reports.by_department", "department", rep.ByDepartment},
		{"reports.by_building", "building", rep.ByBuilding},
	} {
		d.Breakdowns = append(d.Breakdowns, breakdownOf(b.key, b.rows, label(b.dim), func(more []string) string {
			if more == nil {
				return ""
			}
			return drillURL(from, to, community, more...)
		}))
	}
	if d.MayExport {
		d.ExportURL = Prefix + "/reports/export?" + q.Encode()
	}
	p.Data = d
	a.render(c, http.StatusOK, "reports", p)
}

// breakdownOf lays out a breakdown's bars, the longest the largest count.
func breakdownOf(key string, rows []reportCount, label func(reportCount) (string, []string), link func([]string) string) breakdown {
	b := breakdown{Key: key, Height: breakRowH*float64(len(rows)) + 4}
	var most int64 = 1
	for _, r := range rows {
		most = max(most, r.Count)
	}
	for i, r := range rows {
		name, more := label(r)
		b.Rows = append(b.Rows, chartBar{X: breakLabelW, Y: 2 + breakRowH*float64(i), H: breakBarHeight,
			W: max(1, breakBarW*float64(r.Count)/float64(most)), Label: name, Text: strconv.FormatInt(r.Count, 10),
			URL: link(more), Class: "count"})
	}
	return b
}

// trend reads the KPIs of the 12 months to the chosen one (the current
// month so far) and lays out a chart per KPI.
func (a *app) trend(c *gin.Context, d *reportsData, month, today time.Time, community string) error {
	keys := []string{"kpi.satisfaction_rate", "kpi.feedback_24h_rate", "kpi.dispatch_24h_rate", "kpi.callback_coverage"}
	charts := make([]trendChart, len(keys))
	for i, k := range keys {
		charts[i].Key = k
	}
	slot := (trendRight - trendLeft) / trendMonths
	// The months are read side by side (a few at a time): each is a few
	// counting queries, and one after the other they add up on a large
	// history.
	got := make([]reportKPIsJSON, trendMonths)
	errs := make([]error, trendMonths)
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i := range trendMonths {
		from, to, _ := monthRange(month.AddDate(0, i-trendMonths+1, 0), today)
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = a.api.get(c, kpiPath(from, to, community), &got[i])
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for i := range trendMonths {
		m := month.AddDate(0, i-trendMonths+1, 0)
		k := got[i]
		rows := k.rows()
		d.TrendMonths = append(d.TrendMonths, trendMonth{Month: m.Format("2006-01"), KPIs: rows})
		for j, r := range rows {
			bar := chartBar{X: trendLeft + slot*float64(i) + slot*0.15, W: slot * 0.7, Label: m.Format("01"),
				Text: r.Figure(r.Value), Class: "none", Y: trendBottom, H: 0}
			if r.Value != nil {
				v := min(max(*r.Value, 0), 1)
				bar.Y = trendBottom - v*(trendBottom-trendTop)
				bar.H = trendBottom - bar.Y
				bar.Class = "unmet"
				if r.Met != nil && *r.Met {
					bar.Class = "met"
				}
			}
			charts[j].Bars = append(charts[j].Bars, bar)
			if r.Target != nil {
				charts[j].TargetY = trendBottom - *r.Target*(trendBottom-trendTop)
				charts[j].Target = r.Figure(r.Target)
			}
		}
	}
	d.Trend = charts
	return nil
}

// recentMonths are the n months to the current one, newest first, for the
// month picker.
func recentMonths(today time.Time, n int) []string {
	first := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, today.Location())
	out := make([]string, n)
	for i := range out {
		out[i] = first.AddDate(0, -i, 0).Format("2006-01")
	}
	return out
}

// MayReport says whether the signed-in member reads the reports.
func (p *page) MayReport() bool {
	return p.Me != nil && domain.Role(p.Me.Role).Allows(domain.PermReportRead)
}

type analysisData struct {
	Ref       *reference
	Month     string
	Months    []string
	Community string
	Report    complaintReportJSON
	Archive   []struct {
		Month       string    `json:"month"`
		Community   string    `json:"community"`
		GeneratedAt time.Time `json:"generated_at"`
	}
	ExportURL string
}

// analysis is the monthly complaint analysis for the quality meeting
// (default: last month, as the API's), with the archived months.
func (a *app) analysis(c *gin.Context) {
	p := a.newPage(c, "analysis.title")
	p.Nav = "reports"
	today := p.now.In(a.cfg.Location)
	month, ok := a.reportMonth(c, time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, a.cfg.Location).AddDate(0, -1, 0))
	if !ok {
		return
	}
	d := &analysisData{Month: month.Format("2006-01"), Months: recentMonths(today, 24), Community: reportCommunity(c)}
	q := url.Values{"month": {d.Month}}
	if d.Community != "" {
		q.Set("community", d.Community)
	}
	if err := a.api.get(c, "/api/v1/reports/complaints?"+q.Encode(), &d.Report); err != nil {
		a.fail(c, err)
		return
	}
	var arch struct{ Items any }
	arch.Items = &d.Archive
	if err := a.api.get(c, "/api/v1/reports/complaints/archive", &arch); err != nil {
		a.fail(c, err)
		return
	}
	ref, err := a.loadReference(c, p.translator, string(domain.KindComplaint))
	if err != nil {
		a.fail(c, err)
		return
	}
	d.Ref = ref
	if domain.Role(whoami(c).Role).Allows(domain.PermExport) {
		d.ExportURL = Prefix + "/reports/export?" + q.Encode()
	}
	p.Data = d
	a.render(c, http.StatusOK, "analysis", p)
}

// Hours writes a number of hours with one decimal, or "—".
func (p *page) Hours(v *float64) string {
	if v == nil {
		return "—"
	}
	return strconv.FormatFloat(*v, 'f', 1, 64)
}

// Score writes a score 0–100 with one decimal, or "—".
func (p *page) Score(v *float64) string { return p.Hours(v) }

type evaluationsData struct {
	Month  string
	Months []string
	Eval   struct {
		Month       string              `json:"month"`
		Stored      bool                `json:"stored"`
		GeneratedAt *time.Time          `json:"generated_at"`
		Threshold   float64             `json:"threshold"`
		Items       []domain.EvalResult `json:"items"`
	}
}

// evaluations is the receptionists' evaluation of a month (default: last
// month, as the API's).
func (a *app) evaluations(c *gin.Context) {
	p := a.newPage(c, "evaluations.title")
	p.Nav = "reports"
	today := p.now.In(a.cfg.Location)
	month, ok := a.reportMonth(c, time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, a.cfg.Location).AddDate(0, -1, 0))
	if !ok {
		return
	}
	d := &evaluationsData{Month: month.Format("2006-01"), Months: recentMonths(today, 24)}
	if err := a.api.get(c, "/api/v1/evaluations?month="+d.Month, &d.Eval); err != nil {
		a.fail(c, err)
		return
	}
	p.Data = d
	a.render(c, http.StatusOK, "evaluations", p)
}

// Pct writes a share as a percentage, or "—".
func (p *page) Pct(v *float64) string {
	if v == nil {
		return "—"
	}
	return formatPct(*v)
}

// analysisTable is one table of the monthly analysis: its title, the
// catalogue keys of its columns and its cells as text.
type analysisTable struct {
	Key  string
	Head []string
	Rows [][]string
	// Note, when not empty, says what the rows leave out.
	Note string
}

// Tables lays the analysis's breakdowns, repeats, top problems and
// satisfaction trend out as tables.
func (p *page) Tables(r complaintReportJSON, ref *reference) []analysisTable {
	counts := func(key string, rows []reportCount, name func(reportCount) string) analysisTable {
		t := analysisTable{Key: key, Head: []string{"reports.item", "reports.count"}}
		for _, c := range rows {
			t.Rows = append(t.Rows, []string{name(c), strconv.FormatInt(c.Count, 10)})
		}
		return t
	}
	out := []analysisTable{
		counts("reports.by_category", r.ByCategory, func(c reportCount) string { return ref.Category(c.Key) }),
		counts("reports.by_department", r.ByDepartment, func(c reportCount) string {
			if c.Key == "" {
				return p.T("reports.unrouted")
			}
			return ref.Department(c.Key)
		}),
		counts("reports.by_building", r.ByBuilding, func(c reportCount) string { return strings.TrimSpace(c.Key + " " + c.Name) }),
	}
	rep := analysisTable{Key: "analysis.repeats", Head: []string{"analysis.where", "reports.count", "analysis.cases"}}
	for _, u := range r.RepeatUnits {
		rep.Rows = append(rep.Rows, []string{p.T("analysis.same_unit") + " " + u.Key, strconv.FormatInt(u.Count, 10), strings.Join(u.Numbers, "、")})
	}
	for _, s := range r.RepeatSpots {
		rep.Rows = append(rep.Rows, []string{p.T("analysis.same_spot") + " " + s.Key, strconv.FormatInt(s.Count, 10), strings.Join(s.Numbers, "、")})
	}
	// The report lists the most repeated (store.RepeatLimit); the totals
	// say how many more there were.
	if r.RepeatUnitsTotal > int64(len(r.RepeatUnits)) || r.RepeatSpotsTotal > int64(len(r.RepeatSpots)) {
		rep.Note = strings.NewReplacer("{units}", strconv.FormatInt(r.RepeatUnitsTotal, 10),
			"{spots}", strconv.FormatInt(r.RepeatSpotsTotal, 10),
			"{listed}", strconv.Itoa(max(len(r.RepeatUnits), len(r.RepeatSpots)))).Replace(p.T("analysis.repeats_more"))
	}
	top := analysisTable{Key: "analysis.top", Head: []string{"field.category", "reports.count", "analysis.cases"}}
	for _, t := range r.TopProblems {
		top.Rows = append(top.Rows, []string{ref.Category(t.Category), strconv.FormatInt(t.Count, 10), strings.Join(t.Examples, "、")})
	}
	sat := analysisTable{Key: "analysis.satisfaction", Head: []string{"reports.month", "analysis.satisfied", "analysis.ratings", "kpi.satisfaction_rate"}}
	for _, m := range r.Satisfaction {
		v := "—"
		if m.Ratings > 0 {
			v = formatPct(float64(m.Satisfied) / float64(m.Ratings))
		}
		sat.Rows = append(sat.Rows, []string{m.Month, strconv.FormatInt(m.Satisfied, 10), strconv.FormatInt(m.Ratings, 10), v})
	}
	return append(out, rep, top, sat)
}

// download passes a file the API answers (a workbook) on to the browser:
// the browser's session cookie is the console's, scoped to its pages, so
// the console fetches the file in process as it fetches everything else.
func (a *app) download(c *gin.Context, apiPath string) {
	rec, err := a.api.do(c, call{method: http.MethodGet, path: apiPath}, nil)
	if err != nil {
		a.fail(c, err)
		return
	}
	if d := rec.header.Get("Content-Disposition"); d != "" {
		c.Header("Content-Disposition", d)
	}
	c.Data(http.StatusOK, rec.header.Get("Content-Type"), rec.body.Bytes())
}

// exportQueue downloads the case export of the queue's filters
// (GET /api/v1/exports/cases.xlsx), which checks them and the role.
func (a *app) exportQueue(c *gin.Context) {
	q := url.Values{}
	for _, f := range append([]string{"kind"}, exportFilters...) {
		if v := strings.TrimSpace(c.Query(f)); v != "" {
			q.Set(f, v)
		}
	}
	a.download(c, "/api/v1/exports/cases.xlsx?"+q.Encode())
}

// exportReport downloads the month's analysis as a workbook
// (GET /api/v1/reports/complaints?format=xlsx).
func (a *app) exportReport(c *gin.Context) {
	q := url.Values{"format": {"xlsx"}}
	for _, f := range []string{"month", "community"} {
		if v := strings.TrimSpace(c.Query(f)); v != "" {
			q.Set(f, v)
		}
	}
	a.download(c, "/api/v1/reports/complaints?"+q.Encode())
}
