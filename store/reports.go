package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ComplaintReport is the monthly complaint analysis for the quality meeting.
// It names cases, units and categories; no resident.
type ComplaintReport struct {
	Month     string `json:"month"`
	Community string `json:"community"`
	// Communities is the set a report covers when it is neither one
	// community nor every one (a member of staff serving several).
	Communities  []string      `json:"communities,omitempty"`
	Complaints   int64         `json:"complaints"`
	ByCategory   []ReportCount `json:"by_category"`
	ByDepartment []ReportCount `json:"by_department"`
	ByBuilding   []ReportCount `json:"by_building"`
	// RepeatUnits and RepeatSpots are the RepeatLimit units and spots
	// complained of most often; the totals count every one that complained
	// more than once.
	RepeatUnits      []ReportRepeat  `json:"repeat_units"`
	RepeatSpots      []ReportRepeat  `json:"repeat_spots"`
	RepeatUnitsTotal int64           `json:"repeat_units_total"`
	RepeatSpotsTotal int64           `json:"repeat_spots_total"`
	Windows          int64           `json:"windows_closed"`
	Dispatched       int64           `json:"dispatched_24h"`
	FedBack          int64           `json:"fed_back_24h"`
	Resolved         int64           `json:"resolved"`
	MedianHours      *float64        `json:"resolution_median_hours"`
	P90Hours         *float64        `json:"resolution_p90_hours"`
	Satisfaction     []ReportMonthly `json:"satisfaction_trend"`
	Households       int64           `json:"active_households"`
	TopProblems      []ReportTop     `json:"top_problems"`
}

// ReportCount is one line of a breakdown.
type ReportCount struct {
	Key   string `json:"key"`
	Name  string `json:"name"`
	Count int64  `json:"count"`
}

// ReportRepeat is a unit, or a spot (building and category), that
// complained more than once in the month.
type ReportRepeat struct {
	Key     string   `json:"key"`
	Count   int64    `json:"count"`
	Numbers []string `json:"numbers"`
}

// RepeatLimit is how many repeated units, and as many spots, a report
// lists. A large estate has thousands of each in a month (a unit with two
// complaints is a repeat); the meeting looks at the worst, the totals say
// how many there were, and the case list finds the rest (q, building).
const RepeatLimit = 50

// ReportMonthly is one month of the satisfaction trend.
type ReportMonthly struct {
	Month     string `json:"month"`
	Satisfied int64  `json:"satisfied"`
	Ratings   int64  `json:"ratings"`
}

// ReportTop is one of the most frequent problems, with example cases.
type ReportTop struct {
	Category string   `json:"category"`
	Name     string   `json:"name"`
	Count    int64    `json:"count"`
	Examples []string `json:"examples"`
}

// ComplaintReport computes the analysis of the complaints recorded in
// [from, to) (a month in the centre's zone) in a set of communities (nil:
// every community). trendFrom starts the satisfaction trend; tz names the
// zone months are cut in.
func (s *Store) ComplaintReport(ctx context.Context, from, to, trendFrom, now time.Time, tz string, communities []string) (ComplaintReport, error) {
	r := ComplaintReport{Month: from.Format("2006-01")}
	if len(communities) == 1 {
		r.Community = communities[0]
	} else if communities != nil {
		r.Communities = communities
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		r, err = complaintReport(ctx, tx, r, from, to, trendFrom, now, tz, communities)
		return err
	})
	if err != nil {
		return r, err
	}
	r.Households, err = s.ActiveHouseholds(ctx, communities)
	return r, err
}

func complaintReport(ctx context.Context, tx pgx.Tx, r ComplaintReport, from, to, trendFrom, now time.Time, tz string, communities []string) (ComplaintReport, error) {
	// The month's complaints with their unit are read once into a temporary
	// table that every breakdown then reads.
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE m ON COMMIT DROP AS
		SELECT c.number, c.category, c.department, c.recorded_at, c.routed_at, c.first_feedback_at, c.resolved_at,
			c.community, u.building, u.code AS unit, c.unit_id
		FROM cases c JOIN units u ON u.id = c.unit_id
		WHERE c.kind = 'complaint' AND c.recorded_at >= $1 AND c.recorded_at < $2 AND `+inSet("c.community", 3),
		from, to, communities); err != nil {
		return r, fmt.Errorf("select the month's complaints: %w", err)
	}
	err := tx.QueryRow(ctx, `
		SELECT count(*),
			count(*) FILTER (WHERE recorded_at + interval '24 hours' <= $1),
			count(*) FILTER (WHERE recorded_at + interval '24 hours' <= $1 AND routed_at <= recorded_at + interval '24 hours'),
			count(*) FILTER (WHERE recorded_at + interval '24 hours' <= $1 AND first_feedback_at <= recorded_at + interval '24 hours'),
			count(resolved_at),
			percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - recorded_at) / 3600) FILTER (WHERE resolved_at IS NOT NULL),
			percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - recorded_at) / 3600) FILTER (WHERE resolved_at IS NOT NULL)
		FROM m`, now).
		Scan(&r.Complaints, &r.Windows, &r.Dispatched, &r.FedBack, &r.Resolved, &r.MedianHours, &r.P90Hours)
	if err != nil {
		return r, fmt.Errorf("summarise complaints: %w", err)
	}
	counts := func(q string) ([]ReportCount, error) {
		rows, err := tx.Query(ctx, q)
		if err != nil {
			return nil, err
		}
		return pgx.CollectRows(rows, pgx.RowToStructByPos[ReportCount])
	}
	if r.ByCategory, err = counts(`SELECT m.category, coalesce(hc.name, ''), count(*) FROM m
		LEFT JOIN handbook_categories hc ON hc.code = m.category GROUP BY 1, 2 ORDER BY 3 DESC, 1`); err != nil {
		return r, fmt.Errorf("count by category: %w", err)
	}
	if r.ByDepartment, err = counts(`SELECT m.department, coalesce(d.name, '待分派'), count(*) FROM m
		LEFT JOIN departments d ON d.code = m.department GROUP BY 1, 2 ORDER BY 3 DESC, 1`); err != nil {
		return r, fmt.Errorf("count by department: %w", err)
	}
	if r.ByBuilding, err = counts(`SELECT m.community || '/' || m.building, coalesce(b.name, ''), count(*) FROM m
		LEFT JOIN buildings b ON b.community = m.community AND b.code = m.building GROUP BY 1, 2 ORDER BY 3 DESC, 1`); err != nil {
		return r, fmt.Errorf("count by building: %w", err)
	}
	// The groups are counted first and numbered only for the listed ones:
	// gathering every repeat's numbers cost most of the report on a large
	// estate.
	repeats := func(key, cols string) ([]ReportRepeat, int64, error) {
		rows, err := tx.Query(ctx, `
			WITH g AS (SELECT `+key+` AS key, `+cols+`, count(*) AS n FROM m GROUP BY `+cols+` HAVING count(*) > 1),
			t AS (SELECT g.*, count(*) OVER () AS total FROM g ORDER BY n DESC, key LIMIT `+fmt.Sprint(RepeatLimit)+`)
			SELECT t.key, t.n, array_agg(m.number ORDER BY m.number), t.total
			FROM t JOIN m USING (`+cols+`) GROUP BY t.key, t.n, t.total ORDER BY 2 DESC, 1`)
		if err != nil {
			return nil, 0, err
		}
		var total int64
		out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ReportRepeat, error) {
			var r ReportRepeat
			err := row.Scan(&r.Key, &r.Count, &r.Numbers, &total)
			return r, err
		})
		return out, total, err
	}
	if r.RepeatUnits, r.RepeatUnitsTotal, err = repeats(`community || '/' || unit`, "community, unit"); err != nil {
		return r, fmt.Errorf("find repeated units: %w", err)
	}
	if r.RepeatSpots, r.RepeatSpotsTotal, err = repeats(`community || '/' || building || '/' || category`, "community, building, category"); err != nil {
		return r, fmt.Errorf("find repeated spots: %w", err)
	}
	rows, err := tx.Query(ctx, `SELECT m.category, coalesce(hc.name, ''), count(*),
			(array_agg(m.number ORDER BY m.recorded_at DESC, m.number))[1:3]
		FROM m LEFT JOIN handbook_categories hc ON hc.code = m.category
		GROUP BY 1, 2 ORDER BY 3 DESC, 1 LIMIT 5`)
	if err != nil {
		return r, fmt.Errorf("find top problems: %w", err)
	}
	if r.TopProblems, err = pgx.CollectRows(rows, pgx.RowToStructByPos[ReportTop]); err != nil {
		return r, fmt.Errorf("find top problems: %w", err)
	}
	if r.Satisfaction, err = satisfactionTrend(ctx, tx, trendFrom, to, tz, communities); err != nil {
		return r, err
	}
	return r, nil
}

// satisfactionTrend counts the ratings of each month of [from, to) in the
// zone tz. The months' bounds are computed here and each rating put in its
// month by comparison (width_bucket): formatting every rating's time in the
// zone took most of the query.
func satisfactionTrend(ctx context.Context, tx pgx.Tx, from, to time.Time, tz string, communities []string) ([]ReportMonthly, error) {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("satisfaction trend: zone %q: %w", tz, err)
	}
	var bounds []time.Time
	var months []string
	for at := from.In(loc); at.Before(to); {
		bounds, months = append(bounds, at), append(months, at.Format("2006-01"))
		at = time.Date(at.Year(), at.Month()+1, 1, 0, 0, 0, 0, loc)
	}
	rows, err := tx.Query(ctx, `
		SELECT width_bucket(rated_at, $4::timestamptz[]), count(*) FILTER (WHERE score >= 4), count(*)
		FROM ratings WHERE rated_at >= $1 AND rated_at < $2 AND `+inSet("community", 3)+`
		GROUP BY 1 ORDER BY 1`, from, to, communities, bounds)
	if err != nil {
		return nil, fmt.Errorf("satisfaction trend: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ReportMonthly, error) {
		var m ReportMonthly
		var bucket int
		if err := row.Scan(&bucket, &m.Satisfied, &m.Ratings); err != nil {
			return m, err
		}
		if bucket < 1 || bucket > len(months) {
			return m, fmt.Errorf("rating in bucket %d of %d months", bucket, len(months))
		}
		m.Month = months[bucket-1]
		return m, nil
	})
	if err != nil {
		return nil, fmt.Errorf("satisfaction trend: %w", err)
	}
	return out, nil
}

// ArchiveComplaintReport stores the report of a month, replacing an earlier
// run's (a schedule triggered twice writes once).
func (s *Store) ArchiveComplaintReport(ctx context.Context, r ComplaintReport) error {
	raw, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO complaint_reports (month, community, report) VALUES ($1, $2, $3)
		ON CONFLICT (month, community) DO UPDATE SET report = EXCLUDED.report, generated_at = now()`, r.Month, r.Community, raw)
	if err != nil {
		return fmt.Errorf("archive report %s: %w", r.Month, err)
	}
	return nil
}

// ArchivedReport is a stored monthly report.
type ArchivedReport struct {
	Month       string    `json:"month"`
	Community   string    `json:"community"`
	GeneratedAt time.Time `json:"generated_at"`
}

// ArchivedReports lists the stored reports, newest month first, of a set
// of communities (nil: every report, the whole centre's among them; a set
// leaves out the whole centre's).
func (s *Store) ArchivedReports(ctx context.Context, communities []string) ([]ArchivedReport, error) {
	rows, err := s.pool.Query(ctx, `SELECT month, community, generated_at FROM complaint_reports
		WHERE `+inSet("community", 1)+` ORDER BY month DESC, community`, communities)
	if err != nil {
		return nil, fmt.Errorf("list archived reports: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[ArchivedReport])
}

// ArchivedComplaintReport reads the report archived for a month (community
// "" is all communities) as it was stored, with when it was generated;
// ErrNotFound when that month was not archived.
func (s *Store) ArchivedComplaintReport(ctx context.Context, month, community string) (ComplaintReport, time.Time, error) {
	var r ComplaintReport
	var at time.Time
	err := s.pool.QueryRow(ctx, `SELECT report, generated_at FROM complaint_reports WHERE month = $1 AND community = $2`,
		month, community).Scan(&r, &at)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, at, fmt.Errorf("archived report %s %q: %w", month, community, ErrNotFound)
	}
	if err != nil {
		return r, at, fmt.Errorf("read archived report %s: %w", month, err)
	}
	// A report archived before the repeats were listed has none: an empty
	// list, as the API's document says, not null.
	if r.RepeatUnits == nil {
		r.RepeatUnits = []ReportRepeat{}
	}
	if r.RepeatSpots == nil {
		r.RepeatSpots = []ReportRepeat{}
	}
	return r, at, nil
}
