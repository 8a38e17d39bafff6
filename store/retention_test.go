package store

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/concierge-pm/concierge/domain"
)

// retentionFixture is half a year of generated complaints (fixed past
// dates, so the test does not depend on today's) with resident personal
// data in every place it is kept: intakes, texts, ratings, timeline
// messages, notifications, visits with exit ratings, emails and a callback
// campaign with its calls.
func retentionFixture(t *testing.T) (*Store, *time.Location) {
	t.Helper()
	ctx := context.Background()
	st := scratchStore(t)
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st.LoadDemo(ctx); err != nil {
		t.Fatal(err)
	}
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, loc)
	if err := st.GenerateHistory(ctx, HistoryOptions{Complaints: 600, Communities: 2, Households: 60,
		From: from, To: from.AddDate(0, 6, 0), Seed: 0.3}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		// One name, phone and description for every intake, which the
		// checks below look for (and resetRetention puts back).
		`UPDATE case_intakes SET resident_name = '生成住户', resident_phone = '13900000000', description = '生成的投诉'`,
		`UPDATE ratings SET comment = '住户说：隔壁王先生太吵'`,
		`INSERT INTO case_events (number, seq, at, kind, actor, message, idempotency_key)
			SELECT number, 1, recorded_at, 'feedback', 'liu_fang', '已联系住户张三 13900000000', number || '/1' FROM cases`,
		`INSERT INTO case_events (number, seq, at, kind, actor, message, idempotency_key)
			SELECT number, 2, recorded_at, 'routed', 'system', '', number || '/2' FROM cases`,
		`INSERT INTO case_texts (number, body, digest)
			SELECT number, '楼上每晚跳绳', sha256(convert_to(number, 'UTF8')) FROM cases WHERE closed_at IS NOT NULL`,
		`INSERT INTO notifications (number, audience, recipient, template, params, status, channel, address, idempotency_key)
			SELECT number, 'resident', '', 'complaint_feedback', '{"message": "王先生已答应"}', 'sent', 'email', 'zhang@example.com', number || '/n'
			FROM cases`,
		`INSERT INTO notifications (number, audience, recipient, template, params, status, idempotency_key)
			SELECT number, 'staff', 'li_qiang', 'complaint_assigned', '{"number": "x"}', 'sent', number || '/s' FROM cases`,
		// A visit a month from January to June, two of which raised a case.
		`INSERT INTO visits (community, unit_id, household_id, visitor_name, visitor_phone, purpose, channel, receptionist,
				notes, arrived_at, exited_at, exit_score, exit_comment)
			SELECT u.community, u.id, h.id, '访客' || m, '1380000000' || m, 'inquiry', 'walk_in', 'zhao_min', '问停车位',
				'2024-01-10 10:00+08'::timestamptz + (m || ' months')::interval,
				'2024-01-10 10:30+08'::timestamptz + (m || ' months')::interval, 4, '很好'
			FROM generate_series(0, 5) m, (SELECT u.id, u.community FROM units u WHERE u.community LIKE 'G%' ORDER BY u.id LIMIT 1) u
				JOIN households h ON h.unit_id = u.id`,
		`UPDATE visits v SET case_kind = 'complaint', case_number = (SELECT number FROM cases c
			WHERE c.closed_at IS NOT NULL AND c.recorded_at > v.arrived_at ORDER BY c.recorded_at LIMIT 1)
			WHERE v.arrived_at < '2024-03-01'`,
		`INSERT INTO ratings (source, visit_id, household_id, score, comment, rated_by, receptionist, rated_at, idempotency_key, community)
			SELECT 'visit_exit', id, household_id, exit_score, exit_comment, 'visitor', receptionist, exited_at, 'visit/' || id, community FROM visits`,
		`INSERT INTO inbound_emails (dedupe_key, sender, sender_name, subject, body, status, case_kind, case_number, received_at)
			SELECT 'm/' || number, 'zhang@example.com', '张三', '噪音', '楼上每晚跳绳', 'opened', 'complaint', number, recorded_at
			FROM cases ORDER BY number LIMIT 40`,
		`INSERT INTO inbound_emails (dedupe_key, sender, sender_name, subject, body, status, note, received_at)
			SELECT 'd/' || m, 'li@example.com', '', '广告', '买房吗', 'dismissed', '垃圾邮件',
				'2024-01-15 10:00+08'::timestamptz + (m || ' months')::interval FROM generate_series(0, 5) m`,
		// February's callback campaign: calls to 30 households, reached.
		`INSERT INTO callback_campaigns (month, target, active_households, created_at) VALUES ('2024-02', 0.2, 120, '2024-02-01 08:00+08')`,
		`INSERT INTO callback_tasks (month, household_id, assignee, reason, status, attempts, score, comment, called_at)
			SELECT '2024-02', h.id, 'liu_fang', 'sample', 'reached', 1, 4, '住户反映电梯慢', '2024-02-10 10:00+08'::timestamptz + (h.id % 10) * interval '1 day'
			FROM households h JOIN units u ON u.id = h.unit_id WHERE u.community LIKE 'G%' ORDER BY h.id LIMIT 30`,
		`INSERT INTO ratings (source, household_id, score, comment, rated_by, rated_at, idempotency_key, community)
			SELECT 'campaign_call', t.household_id, t.score, t.comment, t.assignee, t.called_at, 'campaign/' || t.id, u.community
			FROM callback_tasks t JOIN households h ON h.id = t.household_id JOIN units u ON u.id = h.unit_id`,
	} {
		if _, err := st.Pool().Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return st, loc
}

// figures are every KPI and report figure of the first half of 2024, as
// the API and the monthly jobs compute them, by month and community.
func figures(t *testing.T, st *Store, loc *time.Location) map[string]any {
	t.Helper()
	ctx := context.Background()
	// "Now" is fixed after the period, so every 24 h window has closed
	// and every month is over whatever day the test runs.
	now := time.Date(2024, 9, 1, 0, 0, 0, 0, loc)
	out := map[string]any{}
	for m := 0; m < 6; m++ {
		from := time.Date(2024, time.Month(1+m), 1, 0, 0, 0, 0, loc)
		to := from.AddDate(0, 1, 0)
		month := from.Format("2006-01")
		for _, community := range []string{"", "G001", "G002"} {
			k, err := st.KPICounts(ctx, from, to, now, One(community))
			if err != nil {
				t.Fatal(err)
			}
			out[fmt.Sprintf("kpi %s %s", month, community)] = k
			r, err := st.ComplaintReport(ctx, from, to, from.AddDate(0, -5, 0), now, loc.String(), One(community))
			if err != nil {
				t.Fatal(err)
			}
			out[fmt.Sprintf("report %s %s", month, community)] = r
		}
		in, err := st.EvaluationInputs(ctx, from, to, now, month)
		if err != nil {
			t.Fatal(err)
		}
		out["evaluation "+month] = in
	}
	c, err := st.Coverage(ctx, "2024-02")
	if err != nil {
		t.Fatal(err)
	}
	out["coverage 2024-02"] = c
	return out
}

// TestAnonymiseKeepsEveryFigure anonymises everything closed before May
// 2024 and checks that every KPI, report, evaluation input and callback
// coverage of January to June is what it was.
func TestAnonymiseKeepsEveryFigure(t *testing.T) {
	ctx := context.Background()
	st, loc := retentionFixture(t)
	before := figures(t, st, loc)
	cutoff := time.Date(2024, 5, 1, 0, 0, 0, 0, loc)
	counts, err := st.AnonymiseBefore(ctx, cutoff, 37)
	if err != nil {
		t.Fatal(err)
	}
	if counts.Cases == 0 || counts.Visits == 0 || counts.Emails == 0 || counts.CallbackTasks != 30 {
		t.Fatalf("anonymised %+v: want some of each and the 30 calls", counts)
	}
	after := figures(t, st, loc)
	for key, b := range before {
		if !reflect.DeepEqual(b, after[key]) {
			t.Errorf("%s changed:\nbefore %+v\nafter  %+v", key, b, after[key])
		}
	}
	// The personal data is gone where it was anonymised.
	var left int64
	err = st.Pool().QueryRow(ctx, `SELECT
		(SELECT count(*) FROM case_intakes i JOIN cases c ON c.number = i.number
			WHERE c.closed_at < $1 AND (i.resident_name <> $2 OR i.resident_phone <> '' OR i.description <> $2))
		+ (SELECT count(*) FROM ratings WHERE rated_at < $1 AND source <> 'complaint_callback' AND comment <> $2)
		+ (SELECT count(*) FROM ratings r JOIN cases c ON c.number = r.number WHERE c.closed_at < $1 AND r.comment <> $2)
		+ (SELECT count(*) FROM case_events e JOIN cases c ON c.number = e.number WHERE c.closed_at < $1 AND e.message NOT IN ('', $2))
		+ (SELECT count(*) FROM case_texts x JOIN cases c ON c.number = x.number WHERE c.closed_at < $1 AND x.body <> $2)
		+ (SELECT count(*) FROM notifications n JOIN cases c ON c.number = n.number
			WHERE c.closed_at < $1 AND n.audience = 'resident' AND (n.address <> '' OR n.params <> '{}'))
		+ (SELECT count(*) FROM callback_tasks WHERE called_at < $1 AND comment <> $2)
		+ (SELECT count(*) FROM visits v WHERE v.arrived_at < $1 AND (v.case_number IS NULL OR v.case_number IN
			(SELECT number FROM cases WHERE closed_at < $1)) AND (v.visitor_name <> $2 OR v.visitor_phone <> '' OR v.notes <> $2 OR v.exit_comment <> $2))
		+ (SELECT count(*) FROM inbound_emails m WHERE m.received_at < $1 AND (m.case_number IS NULL OR m.case_number IN
			(SELECT number FROM cases WHERE closed_at < $1)) AND (m.sender <> $2 OR m.body <> $2 OR m.subject <> $2))`, cutoff, Anonymised).Scan(&left)
	if err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("%d records closed before the cut-off still hold personal data", left)
	}
}

// TestAnonymiseBefore checks what one run anonymises and what it leaves,
// that a second run changes nothing, and that batch sizes do not change
// the outcome.
func TestAnonymiseBefore(t *testing.T) {
	ctx := context.Background()
	st, loc := retentionFixture(t)
	cutoff := time.Date(2024, 4, 1, 0, 0, 0, 0, loc)
	var closedBefore, visitsBefore int64
	if err := st.Pool().QueryRow(ctx, `SELECT (SELECT count(*) FROM cases WHERE closed_at < $1),
		(SELECT count(*) FROM visits WHERE arrived_at < $1)`, cutoff).Scan(&closedBefore, &visitsBefore); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name  string
		batch int
	}{
		{"one batch", 0},
		{"batches of 1", 1},
		{"batches of half the cases", int(closedBefore/2 + closedBefore%2)},
		{"a batch of exactly the cases", int(closedBefore)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// Each run starts from the same data: a transaction rolled back.
			snapshot := func() map[string]int64 {
				got := map[string]int64{}
				for key, q := range map[string]string{
					"anonymised intakes": `SELECT count(*) FROM case_intakes WHERE anonymised_at IS NOT NULL`,
					"named intakes":      `SELECT count(*) FROM case_intakes WHERE resident_name <> '` + Anonymised + `'`,
					"open or recent named": `SELECT count(*) FROM case_intakes i JOIN cases c ON c.number = i.number
						WHERE (c.closed_at IS NULL OR c.closed_at >= $1) AND i.resident_name = '生成住户' AND i.anonymised_at IS NULL`,
					"anonymised visits":  `SELECT count(*) FROM visits WHERE anonymised_at IS NOT NULL`,
					"named visits":       `SELECT count(*) FROM visits WHERE visitor_name LIKE '访客%'`,
					"texts kept":         `SELECT count(*) FROM case_texts WHERE body = '楼上每晚跳绳'`,
					"staff notes kept":   `SELECT count(*) FROM notifications WHERE audience = 'staff' AND recipient = 'li_qiang'`,
					"audit rows":         `SELECT count(*) FROM audit_log WHERE object_type = 'retention'`,
					"audit with a phone": `SELECT count(*) FROM audit_log WHERE after::text LIKE '%139%' OR after::text LIKE '%访客%'`,
				} {
					var n int64
					args := []any{}
					if key == "open or recent named" {
						args = append(args, cutoff)
					}
					if err := st.Pool().QueryRow(ctx, q, args...).Scan(&n); err != nil {
						t.Fatalf("%s: %v", key, err)
					}
					got[key] = n
				}
				return got
			}
			start := snapshot()
			t.Cleanup(func() { resetRetention(t, st) })
			counts, err := st.AnonymiseBefore(ctx, cutoff, tt.batch)
			if err != nil {
				t.Fatal(err)
			}
			if counts.Cases != closedBefore {
				t.Errorf("anonymised %d cases, want the %d closed before the cut-off", counts.Cases, closedBefore)
			}
			if counts.Visits == 0 || counts.Visits > visitsBefore {
				t.Errorf("anonymised %d visits, want 1 to %d", counts.Visits, visitsBefore)
			}
			once := snapshot()
			if got := once["anonymised intakes"] - start["anonymised intakes"]; got != closedBefore {
				t.Errorf("%d intakes marked, want %d", got, closedBefore)
			}
			if start["named intakes"]-once["named intakes"] != closedBefore {
				t.Errorf("names: %d before, %d after, want %d fewer", start["named intakes"], once["named intakes"], closedBefore)
			}
			if once["open or recent named"] != start["open or recent named"] || once["open or recent named"] == 0 {
				t.Errorf("open or recently closed cases with their names: %d, want all %d", once["open or recent named"], start["open or recent named"])
			}
			if once["anonymised visits"] != counts.Visits || once["named visits"] != start["named visits"]-counts.Visits {
				t.Errorf("visits: %v then %v after %+v", start, once, counts)
			}
			if once["texts kept"] == start["texts kept"] || once["texts kept"] == 0 {
				t.Errorf("texts of recent cases: %d of %d kept, want some and not all", once["texts kept"], start["texts kept"])
			}
			if once["staff notes kept"] != start["staff notes kept"] {
				t.Errorf("notifications to staff changed: %d, were %d", once["staff notes kept"], start["staff notes kept"])
			}
			if once["audit rows"] != start["audit rows"]+1 || once["audit with a phone"] != 0 {
				t.Errorf("audit: %d rows (was %d), %d with personal data; want one more, none", once["audit rows"], start["audit rows"], once["audit with a phone"])
			}
			again, err := st.AnonymiseBefore(ctx, cutoff, tt.batch)
			if err != nil {
				t.Fatal(err)
			}
			if again != (domain.RetentionRun{Cutoff: cutoff.UTC()}) {
				t.Errorf("a second run anonymised %+v, want nothing", again)
			}
			if twice := snapshot(); !reflect.DeepEqual(twice, once) {
				t.Errorf("a second run changed %v to %v", once, twice)
			}
		})
	}
}

// resetRetention undoes a run for the next subtest: the fixture's personal
// data is put back as retentionFixture wrote it.
func resetRetention(t *testing.T, st *Store) {
	t.Helper()
	ctx := context.Background()
	for _, q := range []string{
		`UPDATE case_intakes SET resident_name = '生成住户', resident_phone = '13900000000', description = '生成的投诉',
			request_hash = 'gen', anonymised_at = NULL`,
		`UPDATE case_texts SET body = '楼上每晚跳绳', digest = sha256(convert_to(number, 'UTF8'))`,
		`UPDATE visits SET visitor_name = '访客' || (id % 100), visitor_phone = '13800000000', notes = '问停车位',
			exit_comment = '很好', anonymised_at = NULL`,
		`UPDATE inbound_emails SET anonymised_at = NULL, sender = 'x@example.com'`,
		`UPDATE callback_tasks SET anonymised_at = NULL, comment = '住户反映电梯慢'`,
	} {
		if _, err := st.Pool().Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}
