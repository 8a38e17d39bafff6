package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/concierge-pm/concierge/domain"
)

// ErrConflict is returned when a write contradicts what is stored.
var ErrConflict = errors.New("conflict")

const feeColumns = `id, community, item, name, name_en, basis, unit_type, rate::text, effective_from, effective_to`

func scanFee(r pgx.CollectableRow) (domain.FeeStandard, error) {
	var f domain.FeeStandard
	var rate string
	if err := r.Scan(&f.ID, &f.Community, &f.Item, &f.Name, &f.NameEn, &f.Basis, &f.UnitType, &rate, &f.From, &f.To); err != nil {
		return f, err
	}
	var err error
	f.Rate, err = decimal.NewFromString(rate)
	return f, err
}

// FeeStandards lists a community's fee standards in display order, in
// force on day (or all of them when day is zero). ErrNotFound for an
// unknown community.
func (s *Store) FeeStandards(ctx context.Context, community string, day time.Time) ([]domain.FeeStandard, error) {
	if err := s.communityExists(ctx, s.pool, community); err != nil {
		return nil, err
	}
	var at *time.Time
	if !day.IsZero() {
		at = &day
	}
	rows, err := s.pool.Query(ctx, `SELECT `+feeColumns+` FROM fee_standards
		WHERE community = $1 AND ($2::date IS NULL OR (effective_from <= $2 AND (effective_to IS NULL OR effective_to > $2)))
		ORDER BY position, item, unit_type, effective_from`, community, at)
	if err != nil {
		return nil, fmt.Errorf("list fee standards: %w", err)
	}
	return pgx.CollectRows(rows, scanFee)
}

// CommunityExists returns ErrNotFound for an unknown community.
func (s *Store) CommunityExists(ctx context.Context, community string) error {
	return s.communityExists(ctx, s.pool, community)
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func (s *Store) communityExists(ctx context.Context, q querier, community string) error {
	var ok bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM communities WHERE code = $1)`, community).Scan(&ok); err != nil {
		return fmt.Errorf("look up community: %w", err)
	}
	if !ok {
		return fmt.Errorf("community %q: %w", community, ErrNotFound)
	}
	return nil
}

// AddFeeStandard stores a new standard. A price change is the usual case:
// when an open-ended standard for the same item and unit type started
// earlier, it ends where the new one starts. Any other overlap is
// ErrConflict, because two rates for one day would make the bill ambiguous.
func (s *Store) AddFeeStandard(ctx context.Context, f domain.FeeStandard, position int, by string) (domain.FeeStandard, error) {
	var id int64
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		// Serialise writers of one community's standards so the overlap check holds.
		if _, err := tx.Exec(ctx, `SELECT 1 FROM communities WHERE code = $1 FOR UPDATE`, f.Community); err != nil {
			return fmt.Errorf("lock community: %w", err)
		}
		if err := s.communityExists(ctx, tx, f.Community); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `
			UPDATE fee_standards SET effective_to = $4
			WHERE community = $1 AND item = $2 AND unit_type = $3 AND effective_to IS NULL AND effective_from < $4`,
			f.Community, f.Item, f.UnitType, f.From); err != nil {
			return fmt.Errorf("end previous standard: %w", err)
		}
		var clash int64
		err := tx.QueryRow(ctx, `
			SELECT id FROM fee_standards
			WHERE community = $1 AND item = $2 AND unit_type = $3
				AND daterange(effective_from, effective_to) && daterange($4::date, $5::date)
			LIMIT 1`, f.Community, f.Item, f.UnitType, f.From, f.To).Scan(&clash)
		if err == nil {
			return fmt.Errorf("fee standard %d already covers part of that period for %s: %w", clash, f.Item, ErrConflict)
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("check overlap: %w", err)
		}
		return tx.QueryRow(ctx, `
			INSERT INTO fee_standards (community, item, name, name_en, basis, unit_type, rate, effective_from, effective_to, position, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7::numeric, $8, $9, $10, $11) RETURNING id`,
			f.Community, f.Item, f.Name, f.NameEn, f.Basis, f.UnitType, f.Rate.String(), f.From, f.To, position, by).Scan(&id)
	})
	if err != nil {
		return domain.FeeStandard{}, err
	}
	return s.feeStandard(ctx, id)
}

func (s *Store) feeStandard(ctx context.Context, id int64) (domain.FeeStandard, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+feeColumns+` FROM fee_standards WHERE id = $1`, id)
	if err != nil {
		return domain.FeeStandard{}, fmt.Errorf("read fee standard: %w", err)
	}
	f, err := pgx.CollectExactlyOneRow(rows, scanFee)
	if errors.Is(err, pgx.ErrNoRows) {
		return f, fmt.Errorf("fee standard %d: %w", id, ErrNotFound)
	}
	return f, err
}

// DeleteFeeStandard removes a standard entered by mistake.
func (s *Store) DeleteFeeStandard(ctx context.Context, community string, id int64) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM fee_standards WHERE community = $1 AND id = $2`, community, id)
	if err != nil {
		return fmt.Errorf("delete fee standard: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("fee standard %d in community %q: %w", id, community, ErrNotFound)
	}
	return nil
}

// UnitFeeBasis is what the fee breakdown of one unit is computed from.
type UnitFeeBasis struct {
	Unit          Unit
	ParkingSpaces int
	Standards     []domain.FeeStandard
}

// UnitFees loads a unit and its community's standards in force on day.
func (s *Store) UnitFees(ctx context.Context, community, code string, day time.Time) (UnitFeeBasis, error) {
	var b UnitFeeBasis
	u := &b.Unit
	err := s.pool.QueryRow(ctx, `
		SELECT id, community, building, code, unit_type, floor_area::text, parking_spaces
		FROM units WHERE community = $1 AND code = $2`, community, code).
		Scan(&u.ID, &u.Community, &u.Building, &u.Code, &u.UnitType, &u.FloorArea, &b.ParkingSpaces)
	if errors.Is(err, pgx.ErrNoRows) {
		return b, fmt.Errorf("unit %q in community %q: %w", code, community, ErrNotFound)
	} else if err != nil {
		return b, fmt.Errorf("look up unit: %w", err)
	}
	b.Standards, err = s.FeeStandards(ctx, community, day)
	return b, err
}
