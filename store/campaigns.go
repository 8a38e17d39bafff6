package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/concierge-pm/concierge/domain"
)

// CampaignCandidates lists the active households for a campaign: which owe
// a callback (a case of theirs closed in [from, to) without a callback
// rating) and when each was last reached by a call.
func (s *Store) CampaignCandidates(ctx context.Context, from, to time.Time) ([]domain.CampaignHousehold, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT h.id, u.community || '/' || u.building,
			EXISTS (SELECT 1 FROM cases c JOIN case_intakes i ON i.number = c.number
				WHERE i.household_id = h.id AND c.closed_at >= $1 AND c.closed_at < $2
					AND NOT EXISTS (SELECT 1 FROM ratings r WHERE r.number = c.number
						AND r.source IN (`+caseCallbackSources()+`) AND r.rated_by <> 'resident')),
			(SELECT max(r.rated_at) FROM ratings r WHERE r.household_id = h.id
				AND r.source IN (`+caseCallbackSources()+`, 'campaign_call') AND r.rated_by <> 'resident')
		FROM households h JOIN units u ON u.id = h.unit_id
		WHERE h.active ORDER BY h.id`, from, to)
	if err != nil {
		return nil, fmt.Errorf("list campaign candidates: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[domain.CampaignHousehold])
}

// Receptionists lists the active front-desk staff, by code.
func (s *Store) Receptionists(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT code FROM staff WHERE active AND role = 'receptionist' ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("list receptionists: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// CreateCampaign stores a month's campaign and its tasks once; a repeated
// call (a retried activity, a second trigger) leaves the first in place.
func (s *Store) CreateCampaign(ctx context.Context, month string, target float64, active int, owed map[int64]bool, assigned map[string][]int64) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO callback_campaigns (month, target, active_households) VALUES ($1, $2, $3)
			ON CONFLICT (month) DO NOTHING`, month, target, active)
		if err != nil {
			return fmt.Errorf("create campaign %s: %w", month, err)
		}
		if tag.RowsAffected() == 0 {
			return nil
		}
		batch := &pgx.Batch{}
		for assignee, households := range assigned {
			for _, h := range households {
				reason := "sample"
				if owed[h] {
					reason = "owed"
				}
				batch.Queue(`INSERT INTO callback_tasks (month, household_id, assignee, reason) VALUES ($1, $2, $3, $4)`,
					month, h, assignee, reason)
			}
		}
		if err := tx.SendBatch(ctx, batch).Close(); err != nil {
			return fmt.Errorf("create callback tasks of %s: %w", month, err)
		}
		return nil
	})
}

// CallbackTask is one call of a campaign, with the household's unit (and
// the resident's phone, which the receptionist needs to dial).
type CallbackTask struct {
	ID           int64      `json:"id"`
	Month        string     `json:"month"`
	HouseholdID  int64      `json:"household_id"`
	Community    string     `json:"community"`
	Unit         string     `json:"unit"`
	Resident     string     `json:"resident"`
	Phone        string     `json:"phone"`
	Assignee     string     `json:"assignee"`
	Reason       string     `json:"reason"`
	Status       string     `json:"status"`
	Attempts     int        `json:"attempts"`
	Score        *int       `json:"score"`
	Comment      string     `json:"comment"`
	FollowUpCase *string    `json:"follow_up_case"`
	CalledAt     *time.Time `json:"called_at"`
}

const taskSelect = `SELECT t.id, t.month, t.household_id, u.community, u.code,
		coalesce((SELECT r.name FROM residents r WHERE r.household_id = t.household_id ORDER BY r.id LIMIT 1), ''),
		coalesce((SELECT r.phone FROM residents r WHERE r.household_id = t.household_id ORDER BY r.id LIMIT 1), ''),
		t.assignee, t.reason, t.status, t.attempts, t.score, t.comment, t.follow_up_case, t.called_at
	FROM callback_tasks t JOIN households h ON h.id = t.household_id JOIN units u ON u.id = h.unit_id`

// CallbackTasks lists a month's tasks, optionally of one receptionist.
func (s *Store) CallbackTasks(ctx context.Context, month, assignee string) ([]CallbackTask, error) {
	rows, err := s.pool.Query(ctx, taskSelect+` WHERE t.month = $1 AND ($2 = '' OR t.assignee = $2) ORDER BY t.assignee, t.id`, month, assignee)
	if err != nil {
		return nil, fmt.Errorf("list callback tasks: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[CallbackTask])
}

// CallbackTaskByID returns one task or ErrNotFound.
func (s *Store) CallbackTaskByID(ctx context.Context, id int64) (CallbackTask, error) {
	rows, err := s.pool.Query(ctx, taskSelect+` WHERE t.id = $1`, id)
	if err != nil {
		return CallbackTask{}, fmt.Errorf("read callback task: %w", err)
	}
	t, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[CallbackTask])
	if errors.Is(err, pgx.ErrNoRows) {
		return t, fmt.Errorf("callback task %d: %w", id, ErrNotFound)
	}
	return t, err
}

// RecordCall records one call of a task. A reached resident's score counts
// as a campaign rating; a task already reached is ErrConflict (its rating
// stands). An unreached call may be tried again.
func (s *Store) RecordCall(ctx context.Context, id int64, reached bool, score int, comment, followUp, by string, at time.Time) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var status string
		var household int64
		err := tx.QueryRow(ctx, `SELECT status, household_id FROM callback_tasks WHERE id = $1 FOR UPDATE`, id).Scan(&status, &household)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("callback task %d: %w", id, ErrNotFound)
		} else if err != nil {
			return fmt.Errorf("read callback task: %w", err)
		}
		if status == "reached" {
			return fmt.Errorf("callback task %d was already reached: %w", id, ErrConflict)
		}
		newStatus := "unreached"
		var sc *int
		if reached {
			newStatus, sc = "reached", &score
		}
		var fu *string
		if followUp != "" {
			fu = &followUp
		}
		if _, err := tx.Exec(ctx, `UPDATE callback_tasks SET status = $2, score = $3, comment = $4, follow_up_case = coalesce($5, follow_up_case),
				attempts = attempts + 1, called_at = $6 WHERE id = $1`, id, newStatus, sc, comment, fu, at); err != nil {
			return fmt.Errorf("record call: %w", err)
		}
		if reached {
			if _, err := tx.Exec(ctx, `INSERT INTO ratings (source, household_id, score, comment, rated_by, rated_at, idempotency_key)
				VALUES ('campaign_call', $1, $2, $3, $4, $5, $6)`, household, score, comment, by, at, fmt.Sprintf("campaign/%d", id)); err != nil {
				return fmt.Errorf("record campaign rating: %w", err)
			}
		}
		return nil
	})
}

// CampaignCoverage is a month's callback coverage against its target.
type CampaignCoverage struct {
	Month            string     `json:"month"`
	Tasks            int64      `json:"tasks"`
	Reached          int64      `json:"reached_households"`
	ActiveHouseholds int64      `json:"active_households"`
	Target           float64    `json:"target"`
	RemindedAt       *time.Time `json:"reminded_at"`
	ClosedAt         *time.Time `json:"closed_at"`
}

// Coverage counts a campaign's reached households; ErrNotFound for a month
// without a campaign.
func (s *Store) Coverage(ctx context.Context, month string) (CampaignCoverage, error) {
	c := CampaignCoverage{Month: month}
	err := s.pool.QueryRow(ctx, `
		SELECT (SELECT count(*) FROM callback_tasks t WHERE t.month = m.month),
			(SELECT count(DISTINCT household_id) FROM callback_tasks t WHERE t.month = m.month AND t.status = 'reached'),
			m.active_households, m.target::float8, m.reminded_at, m.closed_at
		FROM callback_campaigns m WHERE m.month = $1`, month).
		Scan(&c.Tasks, &c.Reached, &c.ActiveHouseholds, &c.Target, &c.RemindedAt, &c.ClosedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, fmt.Errorf("campaign %s: %w", month, ErrNotFound)
	} else if err != nil {
		return c, fmt.Errorf("read campaign %s: %w", month, err)
	}
	return c, nil
}

// CoverageIn is a campaign's coverage within a set of communities (nil:
// the whole centre, as Coverage). The campaign's household count is a
// snapshot of the whole centre taken when it was planned, so within
// communities the denominator is their households living there now.
func (s *Store) CoverageIn(ctx context.Context, month string, communities []string) (CampaignCoverage, error) {
	c, err := s.Coverage(ctx, month)
	if err != nil || communities == nil {
		return c, err
	}
	err = s.pool.QueryRow(ctx, `
		SELECT count(*), count(DISTINCT t.household_id) FILTER (WHERE t.status = 'reached')
		FROM callback_tasks t JOIN households h ON h.id = t.household_id JOIN units u ON u.id = h.unit_id
		WHERE t.month = $1 AND `+inSet("u.community", 2), month, communities).Scan(&c.Tasks, &c.Reached)
	if err != nil {
		return c, fmt.Errorf("read campaign %s in communities: %w", month, err)
	}
	c.ActiveHouseholds, err = s.ActiveHouseholds(ctx, communities)
	return c, err
}

// RemindCampaign marks the mid-month reminder and queues one to each
// receptionist with open tasks; it returns the outbox keys, to deliver.
func (s *Store) RemindCampaign(ctx context.Context, c CampaignCoverage) ([]string, error) {
	var keys []string
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE callback_campaigns SET reminded_at = coalesce(reminded_at, now()) WHERE month = $1`, c.Month); err != nil {
			return fmt.Errorf("mark reminder: %w", err)
		}
		rows, err := tx.Query(ctx, `SELECT assignee, count(*) FROM callback_tasks WHERE month = $1 AND status <> 'reached'
			GROUP BY assignee ORDER BY assignee`, c.Month)
		if err != nil {
			return fmt.Errorf("find open tasks: %w", err)
		}
		type open struct {
			Assignee string
			Count    int64
		}
		opens, err := pgx.CollectRows(rows, pgx.RowToStructByPos[open])
		if err != nil {
			return fmt.Errorf("find open tasks: %w", err)
		}
		for _, o := range opens {
			key := fmt.Sprintf("campaign/%s/remind/%s", c.Month, o.Assignee)
			if _, err := tx.Exec(ctx, `INSERT INTO notifications (number, audience, recipient, template, params, idempotency_key)
				VALUES ($1, 'staff', $2, 'campaign_reminder', jsonb_build_object('month', $1::text, 'open', $3::text,
					'reached', $4::text, 'target', $5::text), $6) ON CONFLICT (idempotency_key) DO NOTHING`,
				c.Month, o.Assignee, fmt.Sprint(o.Count), fmt.Sprint(c.Reached),
				fmt.Sprint(int64(math.Ceil(c.Target*float64(c.ActiveHouseholds)))), key); err != nil {
				return fmt.Errorf("queue reminder: %w", err)
			}
			keys = append(keys, key)
		}
		return nil
	})
	return keys, err
}

// CloseCampaign records the month-end coverage.
func (s *Store) CloseCampaign(ctx context.Context, month string) (CampaignCoverage, error) {
	if _, err := s.pool.Exec(ctx, `UPDATE callback_campaigns m SET closed_at = coalesce(closed_at, now()),
			reached_households = (SELECT count(DISTINCT household_id) FROM callback_tasks t WHERE t.month = m.month AND t.status = 'reached')
		WHERE month = $1`, month); err != nil {
		return CampaignCoverage{}, fmt.Errorf("close campaign %s: %w", month, err)
	}
	return s.Coverage(ctx, month)
}
