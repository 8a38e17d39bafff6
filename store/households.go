package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/concierge-pm/concierge/domain"
)

// Household is one household as the front desk looks it up (来电查询): where
// it lives, who lives there and its cases. Names and phones are personal
// data; the API masks the phones before answering.
type Household struct {
	ID            int64               `json:"id"`
	Community     string              `json:"community"`
	CommunityName string              `json:"community_name"`
	Building      string              `json:"building"`
	Unit          string              `json:"unit"`
	Active        bool                `json:"active"`
	Residents     []HouseholdResident `json:"residents"`
	OpenCases     []HouseholdCase     `json:"open_cases"`
	PastCases     []HouseholdCase     `json:"past_cases"`
}

// HouseholdResident is a resident of a household.
type HouseholdResident struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Phone string `json:"phone"`
}

// HouseholdCase is a case of a household, as its list shows it.
type HouseholdCase struct {
	Number     string     `json:"number"`
	Kind       string     `json:"kind"`
	Status     string     `json:"status"`
	Category   string     `json:"category"`
	RecordedAt time.Time  `json:"recorded_at"`
	ClosedAt   *time.Time `json:"closed_at"`
}

// HouseholdQuery is a look-up: households with a resident whose phone has
// the digits of Phone (when not empty; compared by phone_digits), or a resident whose name begins with
// Name (when not empty), or whose unit's code is Unit (when not empty,
// compared without case).
type HouseholdQuery struct {
	Phone, Name, Unit string
	// Community narrows the look-up to one community ("" for any).
	Community string
	// Communities is the caller's scope: nil for every community.
	Communities []string
	Limit       int
	// PastCases is how many of the newest closed cases each household
	// lists; its open cases are listed all.
	PastCases int
}

// FindHouseholds looks households up, active ones first, then by
// community and unit. A phone is matched by its digits (phone_digits: the
// separators and China's +86 do not count) through residents_phone_digits,
// a unit by units_code, a name by residents_name_prefix (a LIKE range,
// planned with the query's values).
func (s *Store) FindHouseholds(ctx context.Context, q HouseholdQuery) ([]Household, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT h.id, u.community, cm.name, u.building, u.code, h.active
		FROM households h
		JOIN units u ON u.id = h.unit_id
		JOIN communities cm ON cm.code = u.community
		WHERE ($4::text[] IS NULL OR u.community = ANY($4::text[]))
			AND ($5 = '' OR u.community = $5)
			AND (
				($1 <> '' AND h.id IN (SELECT r.household_id FROM residents r
					WHERE r.phone <> '' AND phone_digits(r.phone) = phone_digits($1)))
				OR ($2 <> '' AND h.id IN (SELECT r.household_id FROM residents r WHERE r.name LIKE $7))
				OR ($3 <> '' AND lower(u.code) = lower($3))
			)
		ORDER BY h.active DESC, u.community, u.code, h.id
		LIMIT $6`, pgx.QueryExecModeExec, q.Phone, q.Name, q.Unit, q.Communities, q.Community, q.Limit, likePattern(q.Name)+"%")
	if err != nil {
		return nil, fmt.Errorf("find households: %w", err)
	}
	found, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Household, error) {
		h := Household{Residents: []HouseholdResident{}, OpenCases: []HouseholdCase{}, PastCases: []HouseholdCase{}}
		return h, r.Scan(&h.ID, &h.Community, &h.CommunityName, &h.Building, &h.Unit, &h.Active)
	})
	if err != nil || len(found) == 0 {
		return found, err
	}
	ids := make([]int64, len(found))
	at := make(map[int64]*Household, len(found))
	for i := range found {
		ids[i] = found[i].ID
		at[found[i].ID] = &found[i]
	}
	if err := s.householdResidents(ctx, ids, at); err != nil {
		return nil, err
	}
	if err := s.householdCases(ctx, ids, at, q.PastCases); err != nil {
		return nil, err
	}
	return found, nil
}

func (s *Store) householdResidents(ctx context.Context, ids []int64, at map[int64]*Household) error {
	rows, err := s.pool.Query(ctx, `SELECT household_id, id, name, phone FROM residents
		WHERE household_id = ANY($1::bigint[]) ORDER BY household_id, id`, ids)
	if err != nil {
		return fmt.Errorf("household residents: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var hid int64
		var r HouseholdResident
		if err := rows.Scan(&hid, &r.ID, &r.Name, &r.Phone); err != nil {
			return fmt.Errorf("household residents: %w", err)
		}
		at[hid].Residents = append(at[hid].Residents, r)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("household residents: %w", err)
	}
	return nil
}

// householdCases lists each household's open cases and its newest past
// ones. A case belongs to the household it was recorded for, or, recorded
// with no household, to the unit's households (case_intakes_unit_recent finds
// them by the unit).
func (s *Store) householdCases(ctx context.Context, ids []int64, at map[int64]*Household, past int) error {
	var terminal []string
	for _, st := range domain.AllStatuses {
		if st.Terminal() {
			terminal = append(terminal, string(st))
		}
	}
	rows, err := s.pool.Query(ctx, `
		SELECT h.id, x.number, x.kind, x.status, x.category, x.recorded_at, x.closed_at, x.open
		FROM households h,
		LATERAL (
			(SELECT c.number, c.kind, c.status, c.category, c.recorded_at, c.closed_at, true AS open
			FROM case_intakes i JOIN cases c ON c.number = i.number
			WHERE i.unit_id = h.unit_id AND (i.household_id = h.id OR i.household_id IS NULL)
				AND c.status <> ALL($2::text[])
			ORDER BY c.recorded_at DESC, c.number DESC LIMIT 100)
			UNION ALL
			(SELECT c.number, c.kind, c.status, c.category, c.recorded_at, c.closed_at, false
			FROM case_intakes i JOIN cases c ON c.number = i.number
			WHERE i.unit_id = h.unit_id AND (i.household_id = h.id OR i.household_id IS NULL)
				AND c.status = ANY($2::text[])
			ORDER BY c.recorded_at DESC, c.number DESC LIMIT $3)
		) x
		WHERE h.id = ANY($1::bigint[])
		ORDER BY h.id, x.recorded_at DESC, x.number DESC`, ids, terminal, past)
	if err != nil {
		return fmt.Errorf("household cases: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var hid int64
		var c HouseholdCase
		var open bool
		if err := rows.Scan(&hid, &c.Number, &c.Kind, &c.Status, &c.Category, &c.RecordedAt, &c.ClosedAt, &open); err != nil {
			return fmt.Errorf("household cases: %w", err)
		}
		if open {
			at[hid].OpenCases = append(at[hid].OpenCases, c)
		} else {
			at[hid].PastCases = append(at[hid].PastCases, c)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("household cases: %w", err)
	}
	return nil
}
