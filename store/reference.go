package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/concierge-pm/concierge/domain"
)

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// Community is a residential estate (小区) served by the centre.
type Community struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	NameEn string `json:"name_en"`
	Units  int    `json:"units"`
}

// Unit is one dwelling or shop in a community.
type Unit struct {
	ID        int64  `json:"id"`
	Community string `json:"community"`
	Building  string `json:"building"`
	Code      string `json:"code"`
	UnitType  string `json:"unit_type"`
	FloorArea string `json:"floor_area"`
}

// Department is a responsible department (工程部, 客服部 …).
type Department struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	NameEn string `json:"name_en"`
}

// Staff is a member of staff.
type Staff struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	Department string `json:"department"`
	Role       string `json:"role"`
	Active     bool   `json:"active"`
	// Communities are those the member works in (docs/DESIGN.md §7.6).
	Communities []string `json:"communities"`
}

// staffColumns are a Staff's columns, in its fields' order.
const staffColumns = `code, name, department, role, active,
	array(SELECT sc.community_code FROM staff_communities sc WHERE sc.staff_code = staff.code ORDER BY 1)`

// Category is one handbook entry: who handles a kind of complaint and within
// which limits.
type Category struct {
	Code        string          `json:"code"`
	Kind        string          `json:"kind"`
	Name        string          `json:"name"`
	NameEn      string          `json:"name_en"`
	Department  string          `json:"department"`
	Responsible string          `json:"responsible"`
	Priority    domain.Priority `json:"priority"`
	Policy      domain.Policy   `json:"policy"`
	// Callback says when a completed repair needs a callback (repairs only).
	Callback domain.CallbackPolicy `json:"callback_policy"`
	// Keywords pick this category for a case that arrives by email.
	Keywords  []string  `json:"keywords"`
	UpdatedAt time.Time `json:"updated_at"`
}

func (s *Store) Communities(ctx context.Context) ([]Community, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT c.code, c.name, c.name_en, count(u.id)
		FROM communities c LEFT JOIN units u ON u.community = c.code
		GROUP BY c.code ORDER BY c.code`)
	if err != nil {
		return nil, fmt.Errorf("list communities: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Community, error) {
		var c Community
		return c, r.Scan(&c.Code, &c.Name, &c.NameEn, &c.Units)
	})
}

// Units lists a community's units; ErrNotFound if the community is unknown.
func (s *Store) Units(ctx context.Context, community string) ([]Unit, error) {
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM communities WHERE code = $1)`, community).Scan(&exists); err != nil {
		return nil, fmt.Errorf("look up community: %w", err)
	}
	if !exists {
		return nil, fmt.Errorf("community %q: %w", community, ErrNotFound)
	}
	rows, err := s.pool.Query(ctx, `
		SELECT id, community, building, code, unit_type, floor_area::text
		FROM units WHERE community = $1 ORDER BY building, code`, community)
	if err != nil {
		return nil, fmt.Errorf("list units: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Unit])
}

func (s *Store) Departments(ctx context.Context) ([]Department, error) {
	rows, err := s.pool.Query(ctx, `SELECT code, name, name_en FROM departments ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("list departments: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Department])
}

// StaffList lists staff, optionally of one department.
func (s *Store) StaffList(ctx context.Context, department string) ([]Staff, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT `+staffColumns+` FROM staff
		WHERE $1 = '' OR department = $1 ORDER BY department, code`, department)
	if err != nil {
		return nil, fmt.Errorf("list staff: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Staff])
}

// StaffMember returns one member of staff or ErrNotFound.
func (s *Store) StaffMember(ctx context.Context, code string) (Staff, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+staffColumns+` FROM staff WHERE code = $1`, code)
	if err != nil {
		return Staff{}, fmt.Errorf("look up staff: %w", err)
	}
	st, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[Staff])
	if errors.Is(err, pgx.ErrNoRows) {
		return Staff{}, fmt.Errorf("staff %q: %w", code, ErrNotFound)
	}
	return st, err
}

// DepartmentExists reports whether code names a department.
func (s *Store) DepartmentExists(ctx context.Context, code string) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM departments WHERE code = $1)`, code).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("look up department: %w", err)
	}
	return ok, nil
}

const categoryColumns = `code, kind, name, name_en, coalesce(department, ''), coalesce(responsible, ''), priority,
	dispatch_within, feedback_within, resolve_within, urgent_resolve_within, callback_within, escalate_every, updated_at,
	callback_policy, keywords`

func scanCategory(r pgx.CollectableRow) (Category, error) {
	var c Category
	var iv [6]pgtype.Interval
	if err := r.Scan(&c.Code, &c.Kind, &c.Name, &c.NameEn, &c.Department, &c.Responsible, &c.Priority,
		&iv[0], &iv[1], &iv[2], &iv[3], &iv[4], &iv[5], &c.UpdatedAt, &c.Callback, &c.Keywords); err != nil {
		return c, err
	}
	c.Policy = domain.Policy{
		DispatchWithin: duration(iv[0]), FeedbackWithin: duration(iv[1]), ResolveWithin: duration(iv[2]),
		UrgentResolveWithin: duration(iv[3]), CallbackWithin: duration(iv[4]), EscalateEvery: duration(iv[5]),
	}
	return c, nil
}

// duration converts a PostgreSQL interval; days and months are taken as
// 24 h and 30 days, which is what a handbook limit means.
func duration(iv pgtype.Interval) time.Duration {
	return time.Duration(iv.Microseconds)*time.Microsecond +
		time.Duration(iv.Days)*24*time.Hour + time.Duration(iv.Months)*30*24*time.Hour
}

func interval(d time.Duration) pgtype.Interval {
	return pgtype.Interval{Microseconds: d.Microseconds(), Valid: true}
}

// Categories lists the handbook, optionally of one kind.
func (s *Store) Categories(ctx context.Context, kind string) ([]Category, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+categoryColumns+` FROM handbook_categories
		WHERE $1 = '' OR kind = $1 ORDER BY code`, kind)
	if err != nil {
		return nil, fmt.Errorf("list categories: %w", err)
	}
	return pgx.CollectRows(rows, scanCategory)
}

// CategoryByCode returns one handbook entry or ErrNotFound.
func (s *Store) CategoryByCode(ctx context.Context, code string) (Category, error) {
	return categoryByCode(ctx, s.pool, code, "")
}

// rowsQuerier is what a pool and a transaction have in common for reads.
type rowsQuerier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// categoryByCode reads one entry through q; lock is "" or a locking
// clause such as "FOR UPDATE".
func categoryByCode(ctx context.Context, q rowsQuerier, code, lock string) (Category, error) {
	rows, err := q.Query(ctx, `SELECT `+categoryColumns+` FROM handbook_categories WHERE code = $1 `+lock, code)
	if err != nil {
		return Category{}, fmt.Errorf("look up category: %w", err)
	}
	c, err := pgx.CollectExactlyOneRow(rows, scanCategory)
	if errors.Is(err, pgx.ErrNoRows) {
		return Category{}, fmt.Errorf("category %q: %w", code, ErrNotFound)
	}
	return c, err
}

// PutCategory creates or replaces a handbook entry, and records the
// change, with the entry before and after, in the audit trail. The caller
// has checked that the department and responsible person exist.
func (s *Store) PutCategory(ctx context.Context, who Who, c Category) (Category, error) {
	var saved Category
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		// FOR UPDATE cannot lock an entry that does not exist yet: the lock
		// on the code makes two racing first saves one create and one
		// update, each with the right "before".
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('handbook_categories'), hashtext($1))`, c.Code); err != nil {
			return fmt.Errorf("lock category %q: %w", c.Code, err)
		}
		var before any
		old, err := categoryByCode(ctx, tx, c.Code, "")
		switch {
		case err == nil:
			before = old
		case !errors.Is(err, ErrNotFound):
			return err
		}
		if err := putCategory(ctx, tx, c); err != nil {
			return err
		}
		if saved, err = categoryByCode(ctx, tx, c.Code, ""); err != nil {
			return err
		}
		action := "update"
		if before == nil {
			action = "create"
		}
		return WriteAudit(ctx, tx, who, AuditEntry{Action: action, ObjectType: "handbook_category", ObjectKey: c.Code,
			Before: before, After: saved})
	})
	return saved, err
}

func putCategory(ctx context.Context, tx pgx.Tx, c Category) error {
	p := c.Policy
	_, err := tx.Exec(ctx, `
		INSERT INTO handbook_categories (code, kind, name, name_en, department, responsible, priority,
			dispatch_within, feedback_within, resolve_within, urgent_resolve_within, callback_within, escalate_every, updated_at,
			callback_policy, keywords)
		VALUES ($1, $2, $3, $4, nullif($5, ''), nullif($6, ''), $7, $8, $9, $10, $11, $12, $13, now(), $14, $15)
		ON CONFLICT (code) DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name, name_en = EXCLUDED.name_en,
			department = EXCLUDED.department, responsible = EXCLUDED.responsible, priority = EXCLUDED.priority,
			dispatch_within = EXCLUDED.dispatch_within, feedback_within = EXCLUDED.feedback_within,
			resolve_within = EXCLUDED.resolve_within, urgent_resolve_within = EXCLUDED.urgent_resolve_within,
			callback_within = EXCLUDED.callback_within, escalate_every = EXCLUDED.escalate_every, updated_at = now(),
			callback_policy = EXCLUDED.callback_policy, keywords = EXCLUDED.keywords`,
		c.Code, c.Kind, c.Name, c.NameEn, c.Department, c.Responsible, c.Priority,
		interval(p.DispatchWithin), interval(p.FeedbackWithin), interval(p.ResolveWithin),
		interval(p.UrgentResolveWithin), interval(p.CallbackWithin), interval(p.EscalateEvery), c.Callback, c.Keywords)
	if err != nil {
		return fmt.Errorf("save category %q: %w", c.Code, err)
	}
	return nil
}

// UnitByCode finds a unit of a community and its active household, if any.
func (s *Store) UnitByCode(ctx context.Context, community, code string) (Unit, *int64, error) {
	var u Unit
	var household *int64
	err := s.pool.QueryRow(ctx, `
		SELECT u.id, u.community, u.building, u.code, u.unit_type, u.floor_area::text,
			(SELECT h.id FROM households h WHERE h.unit_id = u.id AND h.active ORDER BY h.id LIMIT 1)
		FROM units u WHERE u.community = $1 AND u.code = $2`, community, code).
		Scan(&u.ID, &u.Community, &u.Building, &u.Code, &u.UnitType, &u.FloorArea, &household)
	if errors.Is(err, pgx.ErrNoRows) {
		return Unit{}, nil, fmt.Errorf("unit %q in community %q: %w", code, community, ErrNotFound)
	}
	if err != nil {
		return Unit{}, nil, fmt.Errorf("look up unit: %w", err)
	}
	return u, household, nil
}

// UnknownCommunitiesError names the communities of a request that do not
// exist.
type UnknownCommunitiesError struct{ Codes []string }

func (e *UnknownCommunitiesError) Error() string {
	return fmt.Sprintf("no such community: %s", strings.Join(e.Codes, ", "))
}

// SetStaffCommunities replaces the communities a member of staff works in
// and audits the change (action update, object staff_communities, before
// and after); it answers the member as they now are. Their sessions and
// tokens reach the new communities on their next request. Setting the
// same communities again changes and audits nothing. ErrNotFound for an
// unknown member; *UnknownCommunitiesError, changing nothing, for a
// community that does not exist.
func (s *Store) SetStaffCommunities(ctx context.Context, who Who, code string, communities []string) (Staff, error) {
	want := slices.Clone(communities)
	slices.Sort(want)
	// Never nil: a NULL array would match no row to remove.
	want = append(make([]string, 0, len(want)), slices.Compact(want)...)
	var out Staff
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		// The member's row is locked, so two changes at once apply in turn.
		rows, err := tx.Query(ctx, `SELECT `+staffColumns+` FROM staff WHERE code = $1 FOR UPDATE`, code)
		if err != nil {
			return fmt.Errorf("look up staff: %w", err)
		}
		before, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[Staff])
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("staff %q: %w", code, ErrNotFound)
		} else if err != nil {
			return fmt.Errorf("look up staff: %w", err)
		}
		found, err := existingCodes(ctx, tx, "communities", want)
		if err != nil {
			return err
		}
		var unknown []string
		for _, c := range want {
			if !found[c] {
				unknown = append(unknown, c)
			}
		}
		if unknown != nil {
			return &UnknownCommunitiesError{Codes: unknown}
		}
		out = before
		out.Communities = want
		if slices.Equal(before.Communities, want) {
			return nil
		}
		if _, err := tx.Exec(ctx, `DELETE FROM staff_communities WHERE staff_code = $1 AND community_code <> ALL($2::text[])`, code, want); err != nil {
			return fmt.Errorf("remove communities: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO staff_communities (staff_code, community_code)
			SELECT $1, c FROM unnest($2::text[]) AS c ON CONFLICT DO NOTHING`, code, want); err != nil {
			return fmt.Errorf("add communities: %w", err)
		}
		return WriteAudit(ctx, tx, who, AuditEntry{Action: "update", ObjectType: "staff_communities", ObjectKey: code,
			Before: map[string]any{"communities": before.Communities}, After: map[string]any{"communities": want}})
	})
	return out, err
}
