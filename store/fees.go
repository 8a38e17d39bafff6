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

// ErrDeleted is returned when a fee standard has already been deleted;
// the error is a *FeeDeletedError that says by whom and when.
var ErrDeleted = errors.New("already deleted")

// FeeDeletedError says who deleted a fee standard, and when.
type FeeDeletedError struct {
	ID int64
	By string
	At time.Time
}

func (e *FeeDeletedError) Error() string {
	return fmt.Sprintf("fee standard %d was already deleted by %s at %s", e.ID, e.By, e.At.Format(time.RFC3339))
}

// Is makes errors.Is(err, ErrDeleted) hold.
func (e *FeeDeletedError) Is(target error) bool { return target == ErrDeleted }

const feeColumns = `id, community, item, name, name_en, basis, unit_type, rate::text, effective_from, effective_to,
	replaced_id, deleted_at, coalesce(deleted_by, '')`

func scanFee(r pgx.CollectableRow) (domain.FeeStandard, error) {
	var f domain.FeeStandard
	var rate string
	if err := r.Scan(&f.ID, &f.Community, &f.Item, &f.Name, &f.NameEn, &f.Basis, &f.UnitType, &rate, &f.From, &f.To,
		&f.Replaces, &f.DeletedAt, &f.DeletedBy); err != nil {
		return f, err
	}
	var err error
	f.Rate, err = decimal.NewFromString(rate)
	return f, err
}

// FeeStandards lists a community's fee standards in display order whose
// period covers day (or all of them when day is zero). Deleted standards
// are left out unless withDeleted: they are history, never in force.
// ErrNotFound for an unknown community.
func (s *Store) FeeStandards(ctx context.Context, community string, day time.Time, withDeleted bool) ([]domain.FeeStandard, error) {
	if err := s.communityExists(ctx, s.pool, community); err != nil {
		return nil, err
	}
	var at *time.Time
	if !day.IsZero() {
		at = &day
	}
	rows, err := s.pool.Query(ctx, `SELECT `+feeColumns+` FROM fee_standards
		WHERE community = $1 AND ($2::date IS NULL OR (effective_from <= $2 AND (effective_to IS NULL OR effective_to > $2)))
			AND ($3 OR deleted_at IS NULL)
		ORDER BY position, item, unit_type, effective_from, id`, community, at, withDeleted)
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
// earlier, it ends where the new one starts, and the new one records that
// it did so (DeleteFeeStandard undoes it). Any other overlap with a standard
// in force is ErrConflict, because two rates for one day would make the
// bill ambiguous.
//
// The addition, with the standard it cut short before and after, is
// recorded in the audit trail by who.
func (s *Store) AddFeeStandard(ctx context.Context, f domain.FeeStandard, position int, who Who) (domain.FeeStandard, error) {
	var saved domain.FeeStandard
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockFeeStandards(ctx, tx, f.Community); err != nil {
			return err
		}
		// Only an open-ended standard is cut, so the end it had before is
		// always open (replaced_to NULL). The overlap check below keeps
		// at most one open-ended standard per item and unit type.
		var replaced *int64
		var cutBefore *domain.FeeStandard
		err := tx.QueryRow(ctx, `
			SELECT id FROM fee_standards
			WHERE community = $1 AND item = $2 AND unit_type = $3 AND deleted_at IS NULL
				AND effective_to IS NULL AND effective_from < $4
			ORDER BY effective_from DESC LIMIT 1`, f.Community, f.Item, f.UnitType, f.From).Scan(&replaced)
		if err == nil {
			old, err := feeStandardIn(ctx, tx, *replaced)
			if err != nil {
				return err
			}
			cutBefore = &old
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("find previous standard: %w", err)
		}
		err = tx.QueryRow(ctx, `
			WITH cut AS (
				UPDATE fee_standards SET effective_to = $4
				WHERE community = $1 AND item = $2 AND unit_type = $3 AND deleted_at IS NULL
					AND effective_to IS NULL AND effective_from < $4
				RETURNING id, effective_from)
			SELECT id FROM cut ORDER BY effective_from DESC LIMIT 1`,
			f.Community, f.Item, f.UnitType, f.From).Scan(&replaced)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("end previous standard: %w", err)
		}
		var clash int64
		err = tx.QueryRow(ctx, `
			SELECT id FROM fee_standards
			WHERE community = $1 AND item = $2 AND unit_type = $3 AND deleted_at IS NULL
				AND daterange(effective_from, effective_to) && daterange($4::date, $5::date)
			LIMIT 1`, f.Community, f.Item, f.UnitType, f.From, f.To).Scan(&clash)
		if err == nil {
			return fmt.Errorf("fee standard %d already covers part of that period for %s: %w", clash, f.Item, ErrConflict)
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("check overlap: %w", err)
		}
		var id int64
		if err := tx.QueryRow(ctx, `
			INSERT INTO fee_standards (community, item, name, name_en, basis, unit_type, rate, effective_from, effective_to,
				position, created_by, replaced_id, replaced_to)
			VALUES ($1, $2, $3, $4, $5, $6, $7::numeric, $8, $9, $10, $11, $12, NULL) RETURNING id`,
			f.Community, f.Item, f.Name, f.NameEn, f.Basis, f.UnitType, f.Rate.String(), f.From, f.To, position, who.Actor,
			replaced).Scan(&id); err != nil {
			return fmt.Errorf("insert fee standard: %w", err)
		}
		if saved, err = feeStandardIn(ctx, tx, id); err != nil {
			return err
		}
		before, after := map[string]any{}, map[string]any{"standard": saved}
		if cutBefore != nil {
			cutAfter, err := feeStandardIn(ctx, tx, cutBefore.ID)
			if err != nil {
				return err
			}
			before["replaced"], after["replaced"] = cutBefore, cutAfter
		}
		return WriteAudit(ctx, tx, who, AuditEntry{Action: "create", ObjectType: "fee_standard",
			ObjectKey: fmt.Sprint(id), Before: before, After: after})
	})
	if err != nil {
		return domain.FeeStandard{}, err
	}
	return saved, nil
}

// lockFeeStandards serialises the writers of one community's standards, so
// that the overlap check and the restoring of a cut standard see every
// change committed before them. ErrNotFound for an unknown community.
func lockFeeStandards(ctx context.Context, tx pgx.Tx, community string) error {
	var found bool
	err := tx.QueryRow(ctx, `SELECT true FROM communities WHERE code = $1 FOR UPDATE`, community).Scan(&found)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("community %q: %w", community, ErrNotFound)
	} else if err != nil {
		return fmt.Errorf("lock community: %w", err)
	}
	return nil
}

func feeStandardIn(ctx context.Context, q rowsQuerier, id int64) (domain.FeeStandard, error) {
	rows, err := q.Query(ctx, `SELECT `+feeColumns+` FROM fee_standards WHERE id = $1`, id)
	if err != nil {
		return domain.FeeStandard{}, fmt.Errorf("read fee standard: %w", err)
	}
	f, err := pgx.CollectExactlyOneRow(rows, scanFee)
	if errors.Is(err, pgx.ErrNoRows) {
		return f, fmt.Errorf("fee standard %d: %w", id, ErrNotFound)
	}
	return f, err
}

// FeeDeletion is what deleting a standard did: the deleted standard, as
// the history now keeps it, and the one it had cut short, with its end
// given back (nil when it had replaced none, or that one cannot be
// restored because it was deleted too).
type FeeDeletion struct {
	Deleted  domain.FeeStandard
	Restored *domain.FeeStandard
}

// DeleteFeeStandard deletes a standard entered by mistake. The row stays,
// marked with who deleted it and when, and no longer counts. If the
// standard had cut short the one it replaced, that one gets back the end it
// had before (open, as a rule), though never past the start of a later
// standard in force: the period the deleted standard covered falls back to
// the standard it had replaced, so the bill keeps its line. ErrNotFound for
// an unknown standard, ErrDeleted for one deleted before. The deletion is
// recorded in the audit trail by who, with both standards before and after.
func (s *Store) DeleteFeeStandard(ctx context.Context, community string, id int64, who Who) (FeeDeletion, error) {
	var d FeeDeletion
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var restored *int64
		if err := lockFeeStandards(ctx, tx, community); err != nil {
			if errors.Is(err, ErrNotFound) {
				return fmt.Errorf("fee standard %d in community %q: %w", id, community, ErrNotFound)
			}
			return err
		}
		var (
			item, unitType        string
			from                  time.Time
			replaced              *int64
			replacedTo, deletedAt *time.Time
			deletedBy             *string
		)
		err := tx.QueryRow(ctx, `
			SELECT item, unit_type, effective_from, replaced_id, replaced_to, deleted_at, deleted_by
			FROM fee_standards WHERE community = $1 AND id = $2`, community, id).
			Scan(&item, &unitType, &from, &replaced, &replacedTo, &deletedAt, &deletedBy)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("fee standard %d in community %q: %w", id, community, ErrNotFound)
		} else if err != nil {
			return fmt.Errorf("read fee standard: %w", err)
		}
		if deletedAt != nil {
			return &FeeDeletedError{ID: id, By: *deletedBy, At: *deletedAt}
		}
		before := map[string]any{}
		if before["standard"], err = feeStandardIn(ctx, tx, id); err != nil {
			return err
		}
		if replaced != nil {
			if before["replaced"], err = feeStandardIn(ctx, tx, *replaced); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE fee_standards SET deleted_at = now(), deleted_by = $2 WHERE id = $1`, id, who.Actor); err != nil {
			return fmt.Errorf("delete fee standard: %w", err)
		}
		if err := restoreReplaced(ctx, tx, community, id, from, replaced, replacedTo, &restored); err != nil {
			return err
		}
		if d.Deleted, err = feeStandardIn(ctx, tx, id); err != nil {
			return err
		}
		after := map[string]any{"standard": d.Deleted}
		if replaced != nil {
			r, err := feeStandardIn(ctx, tx, *replaced)
			if err != nil {
				return err
			}
			after["replaced"] = r
			if restored != nil {
				d.Restored = &r
			}
		}
		return WriteAudit(ctx, tx, who, AuditEntry{Action: "delete", ObjectType: "fee_standard",
			ObjectKey: fmt.Sprint(id), Before: before, After: after})
	})
	if err != nil {
		return FeeDeletion{}, err
	}
	return d, nil
}

// restoreReplaced gives the standard that id had replaced the end it had
// before id cut it; restored is set when it did.
func restoreReplaced(ctx context.Context, tx pgx.Tx, community string, id int64, from time.Time,
	replaced *int64, replacedTo *time.Time, restored **int64) error {
	if replaced == nil {
		return nil
	}
	// The replaced standard still ends where this one began unless it
	// was deleted itself. least() ignores NULL, so an open end stays
	// open unless a later standard in force starts first.
	err := tx.QueryRow(ctx, `
		UPDATE fee_standards p SET effective_to = least($4::date, (
			SELECT min(n.effective_from) FROM fee_standards n
			WHERE n.community = p.community AND n.item = p.item AND n.unit_type = p.unit_type
				AND n.deleted_at IS NULL AND n.effective_from >= $3))
		WHERE p.community = $1 AND p.id = $2 AND p.deleted_at IS NULL AND p.effective_to = $3
		RETURNING p.id`, community, *replaced, from, replacedTo).Scan(restored)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	} else if err != nil {
		return fmt.Errorf("restore fee standard %d: %w", *replaced, err)
	}
	// A standard that later cut this one short now follows the
	// restored one: deleting it too must restore that one, to the end
	// it had before this one cut it.
	if _, err := tx.Exec(ctx, `
		UPDATE fee_standards SET replaced_id = $2, replaced_to = $3
		WHERE replaced_id = $1 AND deleted_at IS NULL`, id, *replaced, replacedTo); err != nil {
		return fmt.Errorf("relink standards that replaced %d: %w", id, err)
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
	b.Standards, err = s.FeeStandards(ctx, community, day, false)
	return b, err
}
