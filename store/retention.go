package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/concierge-pm/concierge/domain"
)

// Anonymised replaces a resident's name and free text once the retention
// period is over. Phone numbers become empty instead, so that nothing that
// masks or dials a number mistakes the marker for one.
const Anonymised = "已匿名 / anonymised"

// RetentionActor is the audit trail's actor of the retention schedule.
const RetentionActor = "system:retention"

// DefaultRetentionBatch is how many records one transaction anonymises: small
// enough that a run never holds many locks for long beside the day's work.
const DefaultRetentionBatch = 500

// retentionStep anonymises one batch of one kind of record: at most $2 of
// those older than the cut-off $1 not yet anonymised, each in full, in one
// statement. It returns the number of records it marked.
type retentionStep struct {
	what string
	sql  string
}

// retentionSteps are run in this order: cases first, because a visit or an
// email that raised a case waits for its case (a case closed recently keeps
// the visit and the email that started it, whatever their age).
//
// What is kept, on purpose: every column a KPI, report, evaluation or
// coverage figure is computed from (statuses, times, scores, categories,
// departments, staff codes, communities, units and households), the case
// numbers and the audit trail (which never held personal data). What is
// not touched: households and residents. They are the reference data of
// the people who live there now, kept up to date by the reference-data
// import and needed to serve them; a resident who moves out leaves through
// that import, not through the age of a case. The link from an old case
// to the person (resident_id) is cut, so that the case no longer says who
// complained; the link to the household stays, as coverage counts
// households.
var retentionSteps = []retentionStep{{
	what: "cases",
	sql: `WITH batch AS (
			SELECT i.number FROM case_intakes i JOIN cases c ON c.number = i.number
			WHERE i.anonymised_at IS NULL AND c.closed_at < $1
			ORDER BY c.closed_at, i.number LIMIT $2
			FOR UPDATE OF i SKIP LOCKED
		), intakes AS (
			-- The request's hash was taken over the name, phone and
			-- description: a phone number can be found again from it.
			UPDATE case_intakes i SET resident_name = '` + Anonymised + `', resident_phone = '',
				description = '` + Anonymised + `', request_hash = '` + Anonymised + `',
				resident_id = NULL, anonymised_at = now()
			FROM batch b WHERE i.number = b.number RETURNING i.number
		), texts AS (
			-- The digest is of the words: it is replaced by one of the row,
			-- which keeps (number, digest) unique and says nothing.
			UPDATE case_texts t SET body = '` + Anonymised + `',
				digest = sha256(convert_to('anonymised/' || t.id, 'UTF8'))
			FROM batch b WHERE t.number = b.number AND t.body <> '` + Anonymised + `'
		), ratings AS (
			UPDATE ratings r SET comment = '` + Anonymised + `'
			FROM batch b WHERE r.number = b.number AND r.comment NOT IN ('', '` + Anonymised + `')
		), events AS (
			-- Staff write a timeline message in their words, often the
			-- resident's: none is kept, the kind, actor and time are.
			UPDATE case_events e SET message = '` + Anonymised + `'
			FROM batch b WHERE e.number = b.number AND e.message NOT IN ('', '` + Anonymised + `')
		), notes AS (
			-- What a resident was sent, and where; notes to staff name no
			-- resident and stay.
			UPDATE notifications n SET address = '', recipient = '', params = '{}'
			FROM batch b WHERE n.number = b.number AND n.audience = 'resident'
				AND (n.address <> '' OR n.recipient <> '' OR n.params <> '{}')
		)
		SELECT count(*) FROM intakes`,
}, {
	what: "visits",
	sql: `WITH batch AS (
			SELECT v.id FROM visits v
			WHERE v.anonymised_at IS NULL AND v.arrived_at < $1
				AND (v.case_number IS NULL OR EXISTS (SELECT 1 FROM case_intakes i
					WHERE i.number = v.case_number AND i.anonymised_at IS NOT NULL))
			ORDER BY v.arrived_at, v.id LIMIT $2
			FOR UPDATE OF v SKIP LOCKED
		), visits AS (
			UPDATE visits v SET
				visitor_name = CASE WHEN v.visitor_name = '' THEN '' ELSE '` + Anonymised + `' END,
				visitor_phone = '',
				notes = CASE WHEN v.notes = '' THEN '' ELSE '` + Anonymised + `' END,
				exit_comment = CASE WHEN v.exit_comment = '' THEN '' ELSE '` + Anonymised + `' END,
				anonymised_at = now()
			FROM batch b WHERE v.id = b.id RETURNING v.id
		), ratings AS (
			UPDATE ratings r SET comment = '` + Anonymised + `'
			FROM batch b WHERE r.visit_id = b.id AND r.comment NOT IN ('', '` + Anonymised + `')
		)
		SELECT count(*) FROM visits`,
}, {
	what: "emails",
	sql: `WITH batch AS (
			SELECT m.id FROM inbound_emails m
			WHERE m.anonymised_at IS NULL AND m.received_at < $1
				AND (m.case_number IS NULL OR EXISTS (SELECT 1 FROM case_intakes i
					WHERE i.number = m.case_number AND i.anonymised_at IS NOT NULL))
			ORDER BY m.received_at, m.id LIMIT $2
			FOR UPDATE OF m SKIP LOCKED
		), emails AS (
			-- The message ID may carry the sender's address; the dedupe
			-- key is a SHA-256 (of the ID or the message) and stays, so a
			-- webhook's late retry is still recognised.
			UPDATE inbound_emails m SET sender = '` + Anonymised + `', message_id = '',
				sender_name = CASE WHEN m.sender_name = '' THEN '' ELSE '` + Anonymised + `' END,
				subject = CASE WHEN m.subject = '' THEN '' ELSE '` + Anonymised + `' END,
				body = CASE WHEN m.body = '' THEN '' ELSE '` + Anonymised + `' END,
				note = CASE WHEN m.note = '' THEN '' ELSE '` + Anonymised + `' END,
				resident_id = NULL, anonymised_at = now()
			FROM batch b WHERE m.id = b.id RETURNING m.id
		)
		SELECT count(*) FROM emails`,
}, {
	what: "callback_tasks",
	sql: `WITH batch AS (
			SELECT t.id FROM callback_tasks t
			WHERE t.anonymised_at IS NULL AND t.called_at < $1
			ORDER BY t.called_at, t.id LIMIT $2
			FOR UPDATE OF t SKIP LOCKED
		), tasks AS (
			UPDATE callback_tasks t SET
				comment = CASE WHEN t.comment = '' THEN '' ELSE '` + Anonymised + `' END,
				anonymised_at = now()
			FROM batch b WHERE t.id = b.id RETURNING t.id
		), ratings AS (
			-- A reached call's rating is keyed by its task (store.RecordCall).
			UPDATE ratings r SET comment = '` + Anonymised + `'
			FROM batch b WHERE r.idempotency_key = 'campaign/' || b.id AND r.comment NOT IN ('', '` + Anonymised + `')
		)
		SELECT count(*) FROM tasks`,
}}

// AnonymiseBefore anonymises the residents' personal data of the cases
// closed before cutoff, and of the visits, emails and campaign calls older
// than it, in transactions of at most batch records (DefaultRetentionBatch
// when batch <= 0). A record is anonymised once and marked: a second run,
// or a run retried after a crash halfway, does the rest and changes
// nothing twice. A run that anonymised anything leaves one row in the
// audit trail with the cut-off and the counts.
func (s *Store) AnonymiseBefore(ctx context.Context, cutoff time.Time, batch int) (domain.RetentionRun, error) {
	if batch <= 0 {
		batch = DefaultRetentionBatch
	}
	cutoff = cutoff.UTC()
	counts := domain.RetentionRun{Cutoff: cutoff}
	targets := map[string]*int64{"cases": &counts.Cases, "visits": &counts.Visits,
		"emails": &counts.Emails, "callback_tasks": &counts.CallbackTasks}
	for _, step := range retentionSteps {
		for {
			var n int64
			err := s.inTx(ctx, func(tx pgx.Tx) error {
				return tx.QueryRow(ctx, step.sql, cutoff, batch).Scan(&n)
			})
			if err != nil {
				return counts, fmt.Errorf("anonymise %s closed before %s: %w", step.what, cutoff.Format(time.RFC3339), err)
			}
			*targets[step.what] += n
			if n < int64(batch) {
				break
			}
		}
	}
	if counts == (domain.RetentionRun{Cutoff: cutoff}) {
		return counts, nil
	}
	// After the batches, not in their transactions: a run is one row. A
	// crash between the two loses the row, not the work: the records are
	// marked with their time (anonymised_at).
	err := s.RecordAudit(ctx, Who{Actor: RetentionActor}, AuditEntry{
		Action: "anonymise", ObjectType: "retention", ObjectKey: cutoff.Format(time.RFC3339), After: counts,
	})
	if err != nil {
		return counts, fmt.Errorf("audit the retention run: %w", err)
	}
	return counts, nil
}
