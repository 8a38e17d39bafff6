package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/concierge-pm/concierge/refdata"
)

// ImportResult says what an import did, counted in rows of the file: a row
// creates a record, updates one whose values differ, or leaves one that
// already holds exactly its values unchanged.
type ImportResult struct {
	Kind      string `json:"kind"`
	Rows      int    `json:"rows"`
	Created   int    `json:"created"`
	Updated   int    `json:"updated"`
	Unchanged int    `json:"unchanged"`
}

// maxImportProblems bounds the database-level problems listed for one file,
// like refdata bounds the parse-level ones.
const maxImportProblems = 200

// importChunk is how many rows go to PostgreSQL in one round trip.
const importChunk = 500

// importLocks are the tables an import of each kind writes. An import takes
// them in SHARE ROW EXCLUSIVE mode, which conflicts with itself and with
// writers but not with readers or with foreign-key checks from other tables
// (case intakes keep working): two imports of one kind run one after the
// other, and each sees the rows the previous one committed.
var importLocks = map[refdata.Kind][]string{
	refdata.Communities: {"communities"},
	refdata.Buildings:   {"buildings"},
	refdata.Units:       {"units"},
	refdata.Households:  {"households", "residents"},
	refdata.Staff:       {"staff"},
}

// ImportReference writes a parsed reference-data file in one transaction:
// every row is written or none is. References to other reference data
// (a building's community, a unit's building, a household's unit, a member
// of staff's department) are checked inside the transaction, and if any is
// missing the transaction is rolled back and every such problem is returned
// as refdata.Errors, with the rows of the file and the canonical English
// column names.
//
// Rows are upserted, so importing the same file again changes nothing:
//   - communities by code (name, name_en are updated);
//   - buildings by (community, code) (name);
//   - units by (community, code) (building, unit_type, floor_area);
//   - staff by code (name, department, role, active);
//   - households: see importHouseholds.
//
// An update whose values equal the stored ones is skipped and the row
// counts as unchanged.
//
// A committed import is recorded in the audit trail by who, with what it
// did (the counts, not the rows: a household file is residents' personal
// data, which the trail does not hold) and detail (the caller's
// description of the file, such as its digest).
func (s *Store) ImportReference(ctx context.Context, who Who, b refdata.Batch, detail map[string]any) (ImportResult, error) {
	res := ImportResult{Kind: string(b.Kind), Rows: b.Len()}
	locks, ok := importLocks[b.Kind]
	if !ok {
		return ImportResult{}, fmt.Errorf("import: unknown reference data kind %q", b.Kind)
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		for _, t := range locks {
			if _, err := tx.Exec(ctx, "LOCK TABLE "+t+" IN SHARE ROW EXCLUSIVE MODE"); err != nil {
				return fmt.Errorf("import %s: lock %s: %w", b.Kind, t, err)
			}
		}
		// A staff file can change who holds which role: the trail keeps
		// each changed member's role, department, communities and state
		// before and after (not their contact details).
		var staffBefore map[string]staffDuty
		if b.Kind == refdata.Staff {
			var err error
			if staffBefore, err = staffDuties(ctx, tx, b.Staff); err != nil {
				return err
			}
		}
		var err error
		switch b.Kind {
		case refdata.Communities:
			err = importCommunities(ctx, tx, b.Communities, &res)
		case refdata.Buildings:
			err = importBuildings(ctx, tx, b.Buildings, &res)
		case refdata.Units:
			err = importUnits(ctx, tx, b.Units, &res)
		case refdata.Households:
			err = importHouseholds(ctx, tx, b.Households, &res)
		default:
			err = importStaff(ctx, tx, b.Staff, &res)
		}
		if err != nil {
			return err
		}
		after := map[string]any{"result": res}
		for k, v := range detail {
			after[k] = v
		}
		if b.Kind == refdata.Staff {
			staffAfter, err := staffDuties(ctx, tx, b.Staff)
			if err != nil {
				return err
			}
			after["staff"] = staffChanges(b.Staff, staffBefore, staffAfter)
		}
		return WriteAudit(ctx, tx, who, AuditEntry{Action: "import", ObjectType: "reference_data",
			ObjectKey: string(b.Kind), After: after})
	})
	if err != nil {
		return ImportResult{}, err
	}
	return res, nil
}

// CheckReferences lists the reference problems of a batch (a community,
// building, unit or department that does not exist; a responsible person
// the file would deactivate or move) without writing anything. An import
// refused for the problems of some rows' cells uses it on the other rows,
// so that one answer lists every problem of the file; ImportReference
// checks the same again inside its own transaction.
func (s *Store) CheckReferences(ctx context.Context, b refdata.Batch) (refdata.Errors, error) {
	var p problems
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var err error
		switch b.Kind {
		case refdata.Communities: // they refer to nothing
		case refdata.Buildings:
			p, err = checkBuildings(ctx, tx, b.Buildings)
		case refdata.Units:
			p, err = checkUnits(ctx, tx, b.Units)
		case refdata.Households:
			_, p, err = checkHouseholds(ctx, tx, b.Households)
		case refdata.Staff:
			p, err = checkStaff(ctx, tx, b.Staff)
		default:
			err = fmt.Errorf("unknown reference data kind %q", b.Kind)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("check references of %s: %w", b.Kind, err)
	}
	return p.errs, nil
}

// problems collects database-level problems of a file.
type problems struct {
	errs refdata.Errors
}

func (p *problems) add(row int, column, format string, args ...any) {
	switch {
	case len(p.errs) < maxImportProblems:
		p.errs = append(p.errs, refdata.RowError{Row: row, Column: column, Message: fmt.Sprintf(format, args...)})
	case len(p.errs) == maxImportProblems:
		p.errs = append(p.errs, refdata.RowError{Message: fmt.Sprintf("more than %d problems; the rest were not listed", maxImportProblems)})
	}
}

// err returns the problems as an error, or nil if there are none.
func (p *problems) err() error {
	if len(p.errs) == 0 {
		return nil
	}
	return p.errs
}

// pair is a two-part key such as (community, code).
type pair struct{ a, b string }

// existingCodes returns which of the codes are in column code of table.
// table is one of this file's constants, never input.
func existingCodes(ctx context.Context, tx pgx.Tx, table string, codes []string) (map[string]bool, error) {
	rows, err := tx.Query(ctx, "SELECT code FROM "+table+" WHERE code = ANY($1)", codes)
	if err != nil {
		return nil, fmt.Errorf("look up %s: %w", table, err)
	}
	found, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("look up %s: %w", table, err)
	}
	set := make(map[string]bool, len(found))
	for _, c := range found {
		set[c] = true
	}
	return set, nil
}

// existingPairs returns the id (or 0 where the table has none) of each
// (community, code) of the keys that is in table.
func existingPairs(ctx context.Context, tx pgx.Tx, table, idColumn string, keys []pair) (map[pair]int64, error) {
	as, bs := make([]string, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		as[i], bs[i] = k.a, k.b
	}
	rows, err := tx.Query(ctx, `SELECT t.community, t.code, `+idColumn+` FROM `+table+` t
		JOIN unnest($1::text[], $2::text[]) AS k(community, code) ON t.community = k.community AND t.code = k.code`, as, bs)
	if err != nil {
		return nil, fmt.Errorf("look up %s: %w", table, err)
	}
	set := map[pair]int64{}
	var k pair
	var id int64
	_, err = pgx.ForEachRow(rows, []any{&k.a, &k.b, &id}, func() error {
		set[k] = id
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("look up %s: %w", table, err)
	}
	return set, nil
}

// rowStmt is the statement of one row of the file. Passed to runUpserts,
// it returns one boolean row, true for an insert and false for an update,
// or no row when nothing changed; passed to execAll, no rows.
type rowStmt struct {
	row  int
	sql  string
	args []any
}

// runUpserts sends the statements in chunks and counts their outcomes.
func runUpserts(ctx context.Context, tx pgx.Tx, kind refdata.Kind, stmts []rowStmt, res *ImportResult) error {
	for start := 0; start < len(stmts); start += importChunk {
		chunk := stmts[start:min(start+importChunk, len(stmts))]
		batch := &pgx.Batch{}
		for _, st := range chunk {
			batch.Queue(st.sql, st.args...)
		}
		br := tx.SendBatch(ctx, batch)
		for _, st := range chunk {
			var inserted bool
			err := br.QueryRow().Scan(&inserted)
			switch {
			case errors.Is(err, pgx.ErrNoRows):
				res.Unchanged++
			case err != nil:
				_ = br.Close()
				return rowError(kind, st.row, err)
			case inserted:
				res.Created++
			default:
				res.Updated++
			}
		}
		if err := br.Close(); err != nil {
			return fmt.Errorf("import %s: %w", kind, err)
		}
	}
	return nil
}

// rowError reports a row the database refused. The checks before writing
// should leave none, but a constraint added later must still come back as
// a problem of the file rather than as an internal error.
func rowError(kind refdata.Kind, row int, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (strings.HasPrefix(pgErr.Code, "22") || strings.HasPrefix(pgErr.Code, "23")) {
		return refdata.Errors{{Row: row, Message: "rejected by the database: " + pgErr.Message}}
	}
	return fmt.Errorf("import %s, row %d: %w", kind, row, err)
}

func importCommunities(ctx context.Context, tx pgx.Tx, rows []refdata.Community, res *ImportResult) error {
	stmts := make([]rowStmt, len(rows))
	for i, r := range rows {
		stmts[i] = rowStmt{row: r.Row, args: []any{r.Code, r.Name, r.NameEN}, sql: `
			INSERT INTO communities (code, name, name_en) VALUES ($1, $2, $3)
			ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, name_en = EXCLUDED.name_en
			WHERE (communities.name, communities.name_en) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.name_en)
			RETURNING xmax = 0`}
	}
	return runUpserts(ctx, tx, refdata.Communities, stmts, res)
}

func importBuildings(ctx context.Context, tx pgx.Tx, rows []refdata.Building, res *ImportResult) error {
	p, err := checkBuildings(ctx, tx, rows)
	if err != nil {
		return err
	}
	if err := p.err(); err != nil {
		return err
	}
	stmts := make([]rowStmt, 0, len(rows))
	for _, r := range rows {
		stmts = append(stmts, rowStmt{row: r.Row, args: []any{r.Community, r.Code, r.Name}, sql: `
			INSERT INTO buildings (community, code, name) VALUES ($1, $2, $3)
			ON CONFLICT (community, code) DO UPDATE SET name = EXCLUDED.name
			WHERE buildings.name IS DISTINCT FROM EXCLUDED.name
			RETURNING xmax = 0`})
	}
	return runUpserts(ctx, tx, refdata.Buildings, stmts, res)
}

// checkBuildings finds the buildings whose community does not exist.
func checkBuildings(ctx context.Context, tx pgx.Tx, rows []refdata.Building) (problems, error) {
	var p problems
	codes := make([]string, len(rows))
	for i, r := range rows {
		codes[i] = r.Community
	}
	communities, err := existingCodes(ctx, tx, "communities", codes)
	if err != nil {
		return p, err
	}
	for _, r := range rows {
		if !communities[r.Community] {
			p.add(r.Row, "community", "community %q does not exist; import it with a communities file first", r.Community)
		}
	}
	return p, nil
}

func importUnits(ctx context.Context, tx pgx.Tx, rows []refdata.Unit, res *ImportResult) error {
	p, err := checkUnits(ctx, tx, rows)
	if err != nil {
		return err
	}
	if err := p.err(); err != nil {
		return err
	}
	stmts := make([]rowStmt, 0, len(rows))
	for _, r := range rows {
		stmts = append(stmts, rowStmt{row: r.Row,
			args: []any{r.Community, r.Building, r.Code, r.UnitType, r.FloorArea.StringFixed(2)}, sql: `
			INSERT INTO units (community, building, code, unit_type, floor_area) VALUES ($1, $2, $3, $4, $5::numeric)
			ON CONFLICT (community, code) DO UPDATE SET building = EXCLUDED.building,
				unit_type = EXCLUDED.unit_type, floor_area = EXCLUDED.floor_area
			WHERE (units.building, units.unit_type, units.floor_area)
				IS DISTINCT FROM (EXCLUDED.building, EXCLUDED.unit_type, EXCLUDED.floor_area)
			RETURNING xmax = 0`})
	}
	return runUpserts(ctx, tx, refdata.Units, stmts, res)
}

// checkUnits finds the units whose community or building does not exist.
func checkUnits(ctx context.Context, tx pgx.Tx, rows []refdata.Unit) (problems, error) {
	var p problems
	codes := make([]string, len(rows))
	keys := make([]pair, len(rows))
	for i, r := range rows {
		codes[i] = r.Community
		keys[i] = pair{r.Community, r.Building}
	}
	communities, err := existingCodes(ctx, tx, "communities", codes)
	if err != nil {
		return p, err
	}
	buildings, err := existingPairs(ctx, tx, "buildings", "0::bigint", keys)
	if err != nil {
		return p, err
	}
	for _, r := range rows {
		if !communities[r.Community] {
			p.add(r.Row, "community", "community %q does not exist; import it with a communities file first", r.Community)
		} else if _, ok := buildings[pair{r.Community, r.Building}]; !ok {
			p.add(r.Row, "building", "building %q does not exist in community %q; import it with a buildings file first", r.Building, r.Community)
		}
	}
	return p, nil
}

// importStaff upserts staff. An empty email or phone keeps the one on
// record, so a file without those columns does not wipe them; so do blank
// communities. Communities given replace the member's (staff_communities,
// docs/DESIGN.md §7.6), and a change of them alone counts as an update.
func importStaff(ctx context.Context, tx pgx.Tx, rows []refdata.StaffMember, res *ImportResult) error {
	p, err := checkStaff(ctx, tx, rows)
	if err != nil {
		return err
	}
	if err := p.err(); err != nil {
		return err
	}
	stmts := make([]rowStmt, 0, len(rows))
	for _, r := range rows {
		// One statement per row, so the row's count covers its
		// communities too: the member's row first (the new communities'
		// foreign key needs it, which a CTE's insert satisfies), then the
		// communities removed and added when the file gives them ($8 not
		// NULL); unchanged only if none of the three changed anything.
		stmts = append(stmts, rowStmt{row: r.Row, args: []any{r.Code, r.Name, r.Department, r.Role, r.Active, r.Email, r.Phone,
			r.Communities}, sql: `
			WITH member AS (
				INSERT INTO staff (code, name, department, role, active, email, phone) VALUES ($1, $2, $3, $4, $5, $6, $7)
				ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, department = EXCLUDED.department,
					role = EXCLUDED.role, active = EXCLUDED.active,
					email = coalesce(nullif(EXCLUDED.email, ''), staff.email), phone = coalesce(nullif(EXCLUDED.phone, ''), staff.phone)
				WHERE (staff.name, staff.department, staff.role, staff.active, staff.email, staff.phone)
					IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.department, EXCLUDED.role, EXCLUDED.active,
						coalesce(nullif(EXCLUDED.email, ''), staff.email), coalesce(nullif(EXCLUDED.phone, ''), staff.phone))
				RETURNING xmax = 0 AS inserted),
			removed AS (
				DELETE FROM staff_communities WHERE $8::text[] IS NOT NULL AND staff_code = $1
					AND community_code <> ALL($8::text[]) RETURNING 1),
			added AS (
				INSERT INTO staff_communities (staff_code, community_code)
				SELECT $1, c FROM unnest($8::text[]) AS c ON CONFLICT DO NOTHING RETURNING 1)
			SELECT inserted FROM member
			UNION ALL
			SELECT false WHERE NOT EXISTS (SELECT 1 FROM member)
				AND (EXISTS (SELECT 1 FROM removed) OR EXISTS (SELECT 1 FROM added))`})
	}
	return runUpserts(ctx, tx, refdata.Staff, stmts, res)
}

// checkStaff finds the staff whose department does not exist, and those
// the file would deactivate or move away from the handbook categories they
// are responsible for.
func checkStaff(ctx context.Context, tx pgx.Tx, rows []refdata.StaffMember) (problems, error) {
	var p problems
	codes := make([]string, len(rows))
	for i, r := range rows {
		codes[i] = r.Department
	}
	departments, err := existingCodes(ctx, tx, "departments", codes)
	if err != nil {
		return p, err
	}
	staff := make([]string, len(rows))
	for i, r := range rows {
		staff[i] = r.Code
	}
	duties, err := handbookDuties(ctx, tx, staff)
	if err != nil {
		return p, err
	}
	var named []string
	for _, r := range rows {
		named = append(named, r.Communities...)
	}
	communities, err := existingCodes(ctx, tx, "communities", named)
	if err != nil {
		return p, err
	}
	for _, r := range rows {
		for _, c := range r.Communities {
			if !communities[c] {
				p.add(r.Row, "communities", "community %q does not exist", c)
			}
		}
		if !departments[r.Department] {
			p.add(r.Row, "department", "department %q does not exist", r.Department)
			continue
		}
		// New cases are routed to the handbook's responsible person: a file
		// must not leave a category with someone inactive or elsewhere.
		var held, elsewhere []string
		for _, d := range duties[r.Code] {
			held = append(held, d.category)
			if d.department != "" && d.department != r.Department {
				elsewhere = append(elsewhere, d.category)
			}
		}
		switch {
		case !r.Active && len(held) > 0:
			p.add(r.Row, "active", "%s is the responsible person of handbook categories %s; name another there before deactivating them",
				r.Code, strings.Join(held, ", "))
		case len(elsewhere) > 0:
			p.add(r.Row, "department", "%s is the responsible person of handbook categories %s of another department; name another there before moving them",
				r.Code, strings.Join(elsewhere, ", "))
		}
	}
	return p, nil
}

// duty is a handbook category a member of staff is responsible for.
type duty struct{ category, department string }

// handbookDuties maps each of the staff codes that is a handbook
// category's responsible person to those categories.
func handbookDuties(ctx context.Context, tx pgx.Tx, staff []string) (map[string][]duty, error) {
	rows, err := tx.Query(ctx, `SELECT responsible, code, coalesce(department, '') FROM handbook_categories
		WHERE responsible = ANY($1) ORDER BY responsible, code`, staff)
	if err != nil {
		return nil, fmt.Errorf("find handbook duties: %w", err)
	}
	out := map[string][]duty{}
	var who string
	var d duty
	_, err = pgx.ForEachRow(rows, []any{&who, &d.category, &d.department}, func() error {
		out[who] = append(out[who], d)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("find handbook duties: %w", err)
	}
	return out, nil
}

// householdState is a household as the import will leave it.
type householdState struct {
	id       int64 // 0 until created
	unit     int64
	language string
	active   bool
	dirty    bool // an existing household whose values change
	row      int  // the last row that set its values
}

// residentState is a resident as the import will leave it.
type residentState struct {
	id          int64 // 0 until created
	household   *householdState
	name, phone string
	email       string
	emailDirty  bool // an existing resident whose email changes
	row         int
}

type residentKey struct {
	unit        int64
	name, phone string
}

// importHouseholds applies households rows by this matching rule: a row
// names a resident (name and phone) of a unit. If a resident with exactly
// that name and phone (after the parser's trimming and phone
// normalisation; an empty phone matches an empty phone) already lives in
// any household of the unit, the row is about that resident: their email
// and their household's language and active flag are updated where they
// differ. Otherwise the row creates a new household with that one resident.
// Nothing is deleted or moved: residents missing from a file stay, and a
// changed name or phone makes a new household, which staff deactivate by
// hand (active = false). Rows apply in file order, so a later row about the
// same person finds the resident an earlier row created (and counts as an
// update or as unchanged).
//
// The matching is done here rather than row by row in SQL: the residents
// of the file's units are read once, so a large first import does not
// depend on table statistics that are stale until the import commits.
func importHouseholds(ctx context.Context, tx pgx.Tx, rows []refdata.Household, res *ImportResult) error {
	units, p, err := checkHouseholds(ctx, tx, rows)
	if err != nil {
		return err
	}
	if err := p.err(); err != nil {
		return err
	}

	residents, err := unitResidents(ctx, tx, units)
	if err != nil {
		return err
	}
	var created []*residentState
	var changedHouseholds []*householdState
	var changedResidents []*residentState
	for _, r := range rows {
		k := residentKey{units[pair{r.Community, r.Unit}], r.ResidentName, r.Phone}
		rs, ok := residents[k]
		if !ok {
			hh := &householdState{unit: k.unit, language: r.Language, active: r.Active, row: r.Row}
			rs = &residentState{household: hh, name: r.ResidentName, phone: r.Phone, email: r.Email, row: r.Row}
			residents[k] = rs
			created = append(created, rs)
			res.Created++
			continue
		}
		hh := rs.household
		if rs.email == r.Email && hh.language == r.Language && hh.active == r.Active {
			res.Unchanged++
			continue
		}
		res.Updated++
		if rs.email != r.Email {
			rs.email, rs.row = r.Email, r.Row
			if rs.id != 0 && !rs.emailDirty {
				rs.emailDirty = true
				changedResidents = append(changedResidents, rs)
			}
		}
		if hh.language != r.Language || hh.active != r.Active {
			hh.language, hh.active, hh.row = r.Language, r.Active, r.Row
			if hh.id != 0 && !hh.dirty {
				hh.dirty = true
				changedHouseholds = append(changedHouseholds, hh)
			}
		}
	}

	var stmts []rowStmt
	for _, rs := range created {
		hh := rs.household
		stmts = append(stmts, rowStmt{row: rs.row, args: []any{hh.unit, hh.language, hh.active, rs.name, rs.phone, rs.email}, sql: `
			WITH h AS (INSERT INTO households (unit_id, language, active) VALUES ($1, $2, $3) RETURNING id)
			INSERT INTO residents (household_id, name, phone, email) SELECT id, $4, $5, $6 FROM h`})
	}
	for _, rs := range changedResidents {
		stmts = append(stmts, rowStmt{row: rs.row, args: []any{rs.id, rs.email},
			sql: `UPDATE residents SET email = $2 WHERE id = $1`})
	}
	for _, hh := range changedHouseholds {
		stmts = append(stmts, rowStmt{row: hh.row, args: []any{hh.id, hh.language, hh.active},
			sql: `UPDATE households SET language = $2, active = $3 WHERE id = $1`})
	}
	return execAll(ctx, tx, refdata.Households, stmts)
}

// checkHouseholds finds the households whose community or unit does not
// exist, and returns the ids of the units that do.
func checkHouseholds(ctx context.Context, tx pgx.Tx, rows []refdata.Household) (map[pair]int64, problems, error) {
	var p problems
	codes := make([]string, len(rows))
	keys := make([]pair, len(rows))
	for i, r := range rows {
		codes[i] = r.Community
		keys[i] = pair{r.Community, r.Unit}
	}
	communities, err := existingCodes(ctx, tx, "communities", codes)
	if err != nil {
		return nil, p, err
	}
	units, err := existingPairs(ctx, tx, "units", "t.id", keys)
	if err != nil {
		return nil, p, err
	}
	for _, r := range rows {
		if !communities[r.Community] {
			p.add(r.Row, "community", "community %q does not exist; import it with a communities file first", r.Community)
		} else if _, ok := units[pair{r.Community, r.Unit}]; !ok {
			p.add(r.Row, "unit", "unit %q does not exist in community %q; import it with a units file first", r.Unit, r.Community)
		}
	}
	return units, p, nil
}

// unitResidents reads the residents of the given units with their
// households, keyed by unit, name and phone; of several residents with one
// key the oldest is the one that matches.
func unitResidents(ctx context.Context, tx pgx.Tx, units map[pair]int64) (map[residentKey]*residentState, error) {
	ids := make([]int64, 0, len(units))
	for _, id := range units {
		ids = append(ids, id)
	}
	rows, err := tx.Query(ctx, `
		SELECT r.id, r.name, r.phone, r.email, h.id, h.unit_id, h.language, h.active
		FROM residents r JOIN households h ON h.id = r.household_id
		WHERE h.unit_id = ANY($1) ORDER BY r.id`, ids)
	if err != nil {
		return nil, fmt.Errorf("read residents: %w", err)
	}
	residents := map[residentKey]*residentState{}
	households := map[int64]*householdState{}
	var rs residentState
	var hh householdState
	_, err = pgx.ForEachRow(rows, []any{&rs.id, &rs.name, &rs.phone, &rs.email, &hh.id, &hh.unit, &hh.language, &hh.active}, func() error {
		h, ok := households[hh.id]
		if !ok {
			h = &householdState{id: hh.id, unit: hh.unit, language: hh.language, active: hh.active}
			households[hh.id] = h
		}
		k := residentKey{hh.unit, rs.name, rs.phone}
		if _, dup := residents[k]; !dup {
			r := rs
			r.household = h
			residents[k] = &r
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read residents: %w", err)
	}
	return residents, nil
}

// execAll sends statements that return no rows in chunks.
func execAll(ctx context.Context, tx pgx.Tx, kind refdata.Kind, stmts []rowStmt) error {
	for start := 0; start < len(stmts); start += importChunk {
		chunk := stmts[start:min(start+importChunk, len(stmts))]
		batch := &pgx.Batch{}
		for _, st := range chunk {
			batch.Queue(st.sql, st.args...)
		}
		br := tx.SendBatch(ctx, batch)
		for _, st := range chunk {
			if _, err := br.Exec(); err != nil {
				_ = br.Close()
				return rowError(kind, st.row, err)
			}
		}
		if err := br.Close(); err != nil {
			return fmt.Errorf("import %s: %w", kind, err)
		}
	}
	return nil
}

// staffDuty is what the audit trail keeps of a member of staff an import
// touches.
type staffDuty struct {
	Name       string `json:"name"`
	Department string `json:"department"`
	Role       string `json:"role"`
	Active     bool   `json:"active"`
	// Communities are what the member reaches (docs/DESIGN.md §7.6),
	// sorted and joined by ";".
	Communities string `json:"communities"`
}

// staffDuties reads the stored duties of the staff a file names.
func staffDuties(ctx context.Context, tx pgx.Tx, rows []refdata.StaffMember) (map[string]staffDuty, error) {
	codes := make([]string, len(rows))
	for i, r := range rows {
		codes[i] = r.Code
	}
	out := map[string]staffDuty{}
	q, err := tx.Query(ctx, `SELECT code, name, department, role, active,
			coalesce((SELECT string_agg(sc.community_code, ';' ORDER BY sc.community_code)
				FROM staff_communities sc WHERE sc.staff_code = staff.code), '')
		FROM staff WHERE code = ANY($1)`, codes)
	if err != nil {
		return nil, fmt.Errorf("read staff for the audit trail: %w", err)
	}
	var code string
	var d staffDuty
	if _, err := pgx.ForEachRow(q, []any{&code, &d.Name, &d.Department, &d.Role, &d.Active, &d.Communities}, func() error {
		out[code] = d
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read staff for the audit trail: %w", err)
	}
	return out, nil
}

// staffChange is one member of staff an import created or changed.
type staffChange struct {
	Code   string     `json:"code"`
	Before *staffDuty `json:"before"`
	After  staffDuty  `json:"after"`
}

// staffChanges lists, in file order, the staff whose duties differ.
func staffChanges(rows []refdata.StaffMember, before, after map[string]staffDuty) []staffChange {
	out := []staffChange{}
	seen := map[string]bool{}
	for _, r := range rows {
		if seen[r.Code] {
			continue
		}
		seen[r.Code] = true
		a := after[r.Code]
		b, existed := before[r.Code]
		switch {
		case !existed:
			out = append(out, staffChange{Code: r.Code, After: a})
		case b != a:
			out = append(out, staffChange{Code: r.Code, Before: &b, After: a})
		}
	}
	return out
}
