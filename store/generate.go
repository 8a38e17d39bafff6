package store

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

// HistoryOptions shape a generated history for measuring reports and KPIs.
type HistoryOptions struct {
	Complaints  int       // complaints to generate
	Communities int       // communities, 10 buildings each
	Households  int       // households per community
	From, To    time.Time // complaints are recorded in [From, To)
	Seed        float64   // PostgreSQL setseed, -1..1: the same seed gives the same history
}

// GenerateHistory loads a synthetic but realistic history into the read
// model, in SQL, so a million complaints take a minute rather than an hour:
// communities G001… with buildings, units and households; complaints spread
// over the period, categories weighted as a centre sees them (noise and
// hygiene most, safety least), about 90 % routed and 94 % fed back within
// 24 h, 85 % resolved after an exponentially distributed time, and a
// callback rating for 70 % of the resolved ones, mostly satisfied. Rows go
// in in time order, as a live system writes them, so a month's cases lie
// together on disk as they would in production. It needs
// the handbook (LoadDemo) and is meant for an empty scratch database.
func (s *Store) GenerateHistory(ctx context.Context, o HistoryOptions) error {
	steps := []struct {
		what string
		sql  string
		args []any
	}{
		{"seed", `SELECT setseed($1)`, []any{o.Seed}},
		{"communities", `INSERT INTO communities (code, name, name_en)
			SELECT 'G' || lpad(c::text, 3, '0'), '生成小区' || c, 'Generated ' || c FROM generate_series(1, $1) c`, []any{o.Communities}},
		{"buildings", `INSERT INTO buildings (community, code, name)
			SELECT 'G' || lpad(c::text, 3, '0'), b::text, b || '号楼' FROM generate_series(1, $1) c, generate_series(1, 10) b`, []any{o.Communities}},
		{"units", `INSERT INTO units (community, building, code, floor_area)
			SELECT 'G' || lpad(c::text, 3, '0'), (1 + u % 10)::text, (1 + u % 10) || '-' || (100 + u / 10), 60 + (u % 7) * 15
			FROM generate_series(1, $1) c, generate_series(0, $2 - 1) u ORDER BY 1, 3`, []any{o.Communities, o.Households}},
		{"households", `INSERT INTO households (unit_id, language)
			SELECT id, CASE WHEN id % 25 = 0 THEN 'en' ELSE 'zh' END FROM units WHERE community LIKE 'G%' ORDER BY id`, nil},
		// Units of the generated communities have consecutive ids (one
		// statement inserted them), so a unit is drawn as an offset.
		{"draw", `CREATE TEMP TABLE gen ON COMMIT DROP AS
			WITH r AS (SELECT min(id) AS lo, count(*) AS units FROM units WHERE community LIKE 'G%')
			SELECT g.n, u.id AS unit_id, h.id AS household_id, u.community, g.recorded_at, g.category,
				g.r_route, g.r_feedback, g.r_resolve, g.r_rate, g.r_score
			FROM (SELECT n, r.lo + floor(random() * r.units)::bigint AS unit_id,
					$2::timestamptz + random() * ($3::timestamptz - $2::timestamptz) AS recorded_at,
					(ARRAY['noise','noise','noise','hygiene','hygiene','hygiene','leak','leak','elevator','parking','parking',
						'fee_dispute','attitude','safety','other'])[1 + floor(random() * 15)::int] AS category,
					random() AS r_route, random() AS r_feedback, random() AS r_resolve, random() AS r_rate, random() AS r_score
				FROM generate_series(1, $1) n, r) g
			JOIN units u ON u.id = g.unit_id JOIN households h ON h.unit_id = u.id`, []any{o.Complaints, o.From, o.To}},
		{"intakes", `INSERT INTO case_intakes (number, kind, idempotency_key, request_hash, community, unit_id, household_id,
				resident_name, resident_phone, channel, category, description, priority, workflow_input, created_at, created_by)
			SELECT 'TS' || to_char(g.recorded_at AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || '-' || lpad(g.n::text, 7, '0'),
				'complaint', 'gen:' || g.n, 'gen', g.community, g.unit_id, g.household_id,
				` + genName + `, '1' || (ARRAY['3','5','7','8','9'])[1 + floor(random() * 5)::int] || lpad(floor(random() * 1e9)::bigint::text, 9, '0'),
				(ARRAY['walk_in','phone','phone','email'])[1 + (g.n % 4)], g.category, ` + genDescription + `, hc.priority, '{}', g.recorded_at,
				(ARRAY['liu_fang','zhao_min'])[1 + (g.n % 2)]
			FROM gen g JOIN handbook_categories hc ON hc.code = g.category ORDER BY g.recorded_at`, nil},
		{"cases", `INSERT INTO cases (number, kind, unit_id, status, category, community, channel, priority, department, assignee,
				recorded_at, routed_at, first_feedback_at, resolved_at, closed_at, sla_breached, version)
			SELECT i.number, 'complaint', g.unit_id,
				CASE WHEN g.r_resolve < 0.85 THEN (CASE WHEN g.r_rate < 0.7 THEN 'closed' ELSE 'resolved' END) ELSE 'in_progress' END,
				i.category, i.community, i.channel, i.priority, coalesce(hc.department, 'customer_service'), coalesce(hc.responsible, ''),
				g.recorded_at,
				g.recorded_at + CASE WHEN g.r_route < 0.9 THEN g.r_route * interval '20 hours' ELSE interval '25 hours' + g.r_route * interval '48 hours' END,
				g.recorded_at + CASE WHEN g.r_feedback < 0.94 THEN g.r_feedback * interval '22 hours' ELSE interval '26 hours' + g.r_feedback * interval '24 hours' END,
				CASE WHEN g.r_resolve < 0.85 THEN g.recorded_at + interval '2 hours' - ln(1 - g.r_resolve / 0.85 * 0.999) * interval '30 hours' END,
				CASE WHEN g.r_resolve < 0.85 AND g.r_rate < 0.7 THEN g.recorded_at + interval '80 hours' END,
				g.r_route >= 0.9 OR g.r_feedback >= 0.94, 6
			FROM gen g JOIN case_intakes i ON i.idempotency_key = 'gen:' || g.n JOIN handbook_categories hc ON hc.code = g.category
			ORDER BY g.recorded_at`, nil},
		{"ratings", `INSERT INTO ratings (source, number, household_id, score, rated_by, rated_at, idempotency_key, community)
			SELECT 'complaint_callback', c.number, g.household_id,
				CASE WHEN g.r_score < 0.5 THEN 5 WHEN g.r_score < 0.85 THEN 4 WHEN g.r_score < 0.93 THEN 3 WHEN g.r_score < 0.97 THEN 2 ELSE 1 END,
				i.created_by, c.closed_at, c.number || '/gen-rating', c.community
			FROM gen g JOIN case_intakes i ON i.idempotency_key = 'gen:' || g.n JOIN cases c ON c.number = i.number
			WHERE c.closed_at IS NOT NULL ORDER BY c.closed_at`, nil},
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		// Building an index once over millions of rows is several times
		// faster than growing it a row at a time (the word index most):
		// the cases' indexes that no constraint needs are dropped for the
		// load and built again from their own definitions.
		rows, err := tx.Query(ctx, `SELECT indexname, indexdef FROM pg_indexes i
			WHERE schemaname = current_schema() AND tablename IN ('case_intakes', 'cases')
				AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = format('%I.%I', i.schemaname, i.indexname)::regclass)`)
		if err != nil {
			return fmt.Errorf("generate: read indexes: %w", err)
		}
		indexes, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct{ Name, Def string }])
		if err != nil {
			return fmt.Errorf("generate: read indexes: %w", err)
		}
		for _, ix := range indexes {
			if _, err := tx.Exec(ctx, "DROP INDEX "+pgx.Identifier{ix.Name}.Sanitize()); err != nil {
				return fmt.Errorf("generate: drop index %s: %w", ix.Name, err)
			}
		}
		if _, err := tx.Exec(ctx, "SET LOCAL maintenance_work_mem = '1GB'"); err != nil {
			return fmt.Errorf("generate: %w", err)
		}
		for _, st := range steps {
			start := time.Now()
			if _, err := tx.Exec(ctx, st.sql, st.args...); err != nil {
				return fmt.Errorf("generate %s: %w", st.what, err)
			}
			slog.Info("generated", "step", st.what, "duration", time.Since(start).Round(time.Millisecond))
		}
		start := time.Now()
		for _, ix := range indexes {
			if _, err := tx.Exec(ctx, ix.Def); err != nil {
				return fmt.Errorf("generate: build index %s: %w", ix.Name, err)
			}
		}
		slog.Info("generated", "step", "indexes", "count", len(indexes), "duration", time.Since(start).Round(time.Millisecond))
		return nil
	})
	if err != nil {
		return err
	}
	// As autovacuum would in time: statistics for the planner, and the
	// visibility map that lets the covering indexes answer on their own.
	if _, err := s.pool.Exec(ctx, `VACUUM ANALYZE`); err != nil {
		return fmt.Errorf("vacuum: %w", err)
	}
	return nil
}

// The words of generated complaints: a complaint of its category, where and
// since when, and what the resident asks, so that a search meets common
// words (噪音) and rare ones (a name, a floor) as in a real history.
const genDescription = `(CASE g.category
	WHEN 'noise' THEN (ARRAY['楼上装修噪音太大','夜间广场舞噪音扰民','空调外机噪音','楼下商铺音响声音大','水泵房噪音','邻居家狗叫声扰民'])[1 + floor(random() * 6)::int]
	WHEN 'hygiene' THEN (ARRAY['楼道垃圾未及时清运','绿化带有垃圾','电梯间有异味','宠物粪便无人清理','垃圾桶满溢','地下室积水发臭'])[1 + floor(random() * 6)::int]
	WHEN 'leak' THEN (ARRAY['卫生间天花板渗水','厨房水管漏水','外墙渗水墙面发霉','楼上漏水到我家','阳台地漏反水'])[1 + floor(random() * 5)::int]
	WHEN 'elevator' THEN (ARRAY['电梯经常停运','电梯按钮失灵','电梯运行时有异响','电梯困人'])[1 + floor(random() * 4)::int]
	WHEN 'parking' THEN (ARRAY['车位被占用','消防通道停车','地下车库照明不足','访客车辆乱停'])[1 + floor(random() * 4)::int]
	WHEN 'fee_dispute' THEN (ARRAY['物业费计算有误','公摊水电费过高','停车费收费标准不清'])[1 + floor(random() * 3)::int]
	WHEN 'attitude' THEN (ARRAY['保安态度恶劣','客服电话无人接听','维修人员未按时上门'])[1 + floor(random() * 3)::int]
	WHEN 'safety' THEN (ARRAY['单元门禁损坏','消防栓缺少水带','夜间路灯不亮'])[1 + floor(random() * 3)::int]
	ELSE (ARRAY['快递柜不够用','健身器材损坏','希望增加休息座椅'])[1 + floor(random() * 3)::int] END)
	|| '，' || (1 + floor(random() * 33)::int) || '楼' || (ARRAY['东侧','西侧','楼道','门口','地下'])[1 + floor(random() * 5)::int]
	|| '，' || (ARRAY['已经一周了','每天晚上都这样','上周末开始','反映过两次','今天早上发现'])[1 + floor(random() * 5)::int]
	|| '，' || (ARRAY['请尽快处理','希望物业协调','要求上门查看','请给个答复'])[1 + floor(random() * 4)::int]`

// genName draws a resident's name from common surnames and given names.
const genName = `(ARRAY['王','李','张','刘','陈','杨','赵','黄','周','吴','徐','孙','胡','朱','高','林','何','郭','马','罗'])[1 + floor(random() * 20)::int]
	|| (ARRAY['伟','芳','娜','敏','静','丽','强','磊','军','洋','勇','艳','杰','娟','涛','明','超','秀','霞','平','刚','桂','英','华','玉','兰','建','国','志','红'])[1 + floor(random() * 30)::int]
	|| CASE WHEN random() < 0.6 THEN (ARRAY['文','斌','辉','鹏','宇','浩','凯','婷','雪','琳','慧','晨','阳','飞','峰'])[1 + floor(random() * 15)::int] ELSE '' END`
