package store

import (
	"context"
	"testing"
)

// TestCommunityHouseholdsFollowEveryChange changes households every way the
// imports and the tests do and compares the trigger's counts (migration
// 00033) with a count of the households themselves after each step.
func TestCommunityHouseholdsFollowEveryChange(t *testing.T) {
	ctx := context.Background()
	st := scratchStore(t)
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st.LoadDemo(ctx); err != nil {
		t.Fatal(err)
	}
	counted := func() map[string]int64 {
		rows, err := st.Pool().Query(ctx, `SELECT u.community, count(*) FROM households h JOIN units u ON u.id = h.unit_id
			WHERE h.active GROUP BY u.community`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]int64{}
		for rows.Next() {
			var c string
			var n int64
			if err := rows.Scan(&c, &n); err != nil {
				t.Fatal(err)
			}
			out[c] = n
		}
		return out
	}
	otherUnit := `(SELECT id FROM units WHERE community = 'ZZ')`
	for _, step := range []struct{ name, sql string }{
		{"as loaded", `SELECT 1`},
		{"a second community", `WITH c AS (INSERT INTO communities (code, name) VALUES ('ZZ', '测试小区') RETURNING code),
			b AS (INSERT INTO buildings (community, code, name) SELECT code, '1', '1号楼' FROM c RETURNING community)
			INSERT INTO units (community, building, code, floor_area) SELECT community, '1', '1-101', 80 FROM b`},
		{"a new household", `INSERT INTO households (unit_id) SELECT min(id) FROM units`},
		{"a new household that has left", `INSERT INTO households (unit_id, active) SELECT max(id), false FROM units`},
		{"moving out", `UPDATE households SET active = false WHERE id = (SELECT min(id) FROM households WHERE active)`},
		{"moving back", `UPDATE households SET active = true WHERE id = (SELECT min(id) FROM households WHERE NOT active)`},
		{"the language only", `UPDATE households SET language = 'en' WHERE id IN (SELECT id FROM households LIMIT 3)`},
		{"to a unit of another community", `UPDATE households SET unit_id = ` + otherUnit + ` WHERE id = (SELECT min(id) FROM households WHERE active)`},
		{"a household of the new community", `INSERT INTO households (unit_id) SELECT id FROM units WHERE community = 'ZZ'`},
		{"deleted", `DELETE FROM households WHERE id IN (SELECT id FROM households WHERE active AND id NOT IN (SELECT household_id FROM residents WHERE household_id IS NOT NULL) LIMIT 2)`},
		{"many at once", `UPDATE households SET active = NOT active WHERE id % 3 = 0`},
	} {
		if _, err := st.Pool().Exec(ctx, step.sql); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		want := counted()
		if len(want) == 0 {
			t.Fatalf("%s: no households to count", step.name)
		}
		for community, n := range want {
			got, err := st.ActiveHouseholds(ctx, One(community))
			if err != nil {
				t.Fatal(err)
			}
			if got != n {
				t.Errorf("%s: community %s has %d active households, the counts say %d", step.name, community, n, got)
			}
		}
		var total int64
		for _, n := range want {
			total += n
		}
		if got, err := st.ActiveHouseholds(ctx, nil); err != nil || got != total {
			t.Errorf("%s: every community: %d (%v), want %d", step.name, got, err, total)
		}
	}
}
