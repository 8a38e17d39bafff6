package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/concierge-pm/concierge/domain"
)

// OpenCases is a count of open cases (not in a terminal status) of one
// kind, status, community and escalation level, with how many of them
// breached a deadline.
type OpenCases struct {
	Kind, Status, Community string
	Level                   int
	Count, Breached         int64
}

// NotificationCount is a count of notifications of one audience in one
// status.
type NotificationCount struct {
	Audience, Status string
	Count            int64
}

// Gauges are the read model's figures an operator watches: open cases,
// and notifications waiting or failed.
type Gauges struct {
	Open          []OpenCases
	Notifications []NotificationCount
}

// openStatuses are the statuses a case can be in before it ends, of every
// kind: the open-case count reads them through the status index, never the
// closed cases, which are nearly all of a long history.
func openStatuses() []string {
	var out []string
	seen := map[domain.Status]bool{}
	for _, k := range domain.Kinds() {
		for _, s := range k.Statuses() {
			if !s.Terminal() && !seen[s] {
				seen[s] = true
				out = append(out, string(s))
			}
		}
	}
	return out
}

// Gauges counts the open cases and the notifications pending or failed, in
// one snapshot.
func (s *Store) Gauges(ctx context.Context) (Gauges, error) {
	var g Gauges
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT kind, status, coalesce(community, ''), coalesce(escalation_level, 0), count(*), count(*) FILTER (WHERE sla_breached)
			FROM cases WHERE status = ANY($1) GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`, openStatuses())
		if err != nil {
			return fmt.Errorf("count open cases: %w", err)
		}
		if g.Open, err = pgx.CollectRows(rows, pgx.RowToStructByPos[OpenCases]); err != nil {
			return fmt.Errorf("count open cases: %w", err)
		}
		// Both statuses have partial indexes: the sent ones, nearly all,
		// are not read.
		rows, err = tx.Query(ctx, `SELECT audience, status, count(*) FROM notifications
			WHERE status IN ('pending', 'failed') GROUP BY 1, 2 ORDER BY 1, 2`)
		if err != nil {
			return fmt.Errorf("count notifications: %w", err)
		}
		if g.Notifications, err = pgx.CollectRows(rows, pgx.RowToStructByPos[NotificationCount]); err != nil {
			return fmt.Errorf("count notifications: %w", err)
		}
		return nil
	})
	return g, err
}
