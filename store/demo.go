package store

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
)

// demoDepartments are the service centre's departments (docs/DESIGN.md §1).
var demoDepartments = [][3]string{
	{"engineering", "工程部", "Engineering"},
	{"customer_service", "客服部", "Customer service"},
	{"security", "安保部", "Security"},
	{"cleaning", "保洁部", "Cleaning"},
	{"finance", "财务部", "Finance"},
}

// demoStaff: code, name, department, role.
var demoStaff = [][4]string{
	{"zhang_wei", "张伟", "engineering", "department_head"},
	{"li_qiang", "李强", "engineering", "handler"},
	{"wang_lei", "王磊", "engineering", "handler"},
	{"chen_jing", "陈静", "customer_service", "supervisor"},
	{"liu_fang", "刘芳", "customer_service", "receptionist"},
	{"zhao_min", "赵敏", "customer_service", "receptionist"},
	{"sun_li", "孙丽", "customer_service", "department_head"},
	{"zhou_jun", "周军", "security", "department_head"},
	{"wu_gang", "吴刚", "security", "handler"},
	{"zheng_hua", "郑华", "cleaning", "department_head"},
	{"feng_xia", "冯霞", "cleaning", "handler"},
	{"he_yan", "何燕", "finance", "department_head"},
	{"xu_ping", "徐平", "finance", "handler"},
	{"ma_lin", "马林", "customer_service", "centre_manager"},
	{"gao_feng", "高峰", "customer_service", "property_manager"},
}

// demoSystemStaff: code, name, department, role of the demo's admin and
// auditor.
var demoSystemStaff = [][4]string{
	{"admin", "系统管理员", "customer_service", "admin"},
	{"auditor", "审计员", "finance", "auditor"},
}

// demoCategories: code, name, name_en, department, responsible, priority.
// The common complaint categories of the handbook (投诉处理手册).
var demoCategories = [][6]string{
	{"noise", "噪音扰民", "Noise disturbance", "security", "wu_gang", "normal"},
	{"leak", "漏水渗水", "Water leak", "engineering", "li_qiang", "urgent"},
	{"elevator", "电梯故障", "Elevator fault", "engineering", "wang_lei", "urgent"},
	{"hygiene", "公共卫生", "Public hygiene", "cleaning", "feng_xia", "normal"},
	{"parking", "停车管理", "Parking management", "security", "wu_gang", "normal"},
	{"fee_dispute", "物业费争议", "Property fee dispute", "finance", "xu_ping", "normal"},
	{"safety", "安全隐患", "Safety hazard", "security", "zhou_jun", "urgent"},
	{"attitude", "服务态度", "Staff attitude", "customer_service", "sun_li", "normal"},
	{"other", "其他", "Other", "", "", "normal"},
}

// demoRepairCategories: code, name, name_en, responsible, priority,
// promised feedback, completion, callback policy. Burst pipes and power cuts
// get the 30-minute promise of the repair standard; ordinary repairs 24 h.
var demoRepairCategories = [][8]string{
	{"pipe_burst", "水管爆裂", "Burst pipe", "li_qiang", "urgent", "30 minutes", "4 hours", "unless_rated"},
	{"power_outage", "停电跳闸", "Power cut", "wang_lei", "urgent", "30 minutes", "4 hours", "unless_rated"},
	{"plumbing", "下水管道疏通", "Blocked drain", "li_qiang", "normal", "24 hours", "72 hours", "always"},
	{"electrical", "电路插座维修", "Electrical repair", "wang_lei", "normal", "24 hours", "72 hours", "unless_rated"},
	{"door_lock", "门锁门禁维修", "Door lock or access control", "wang_lei", "normal", "24 hours", "48 hours", "never"},
	{"general_repair", "一般维修", "General repair", "", "normal", "24 hours", "72 hours", "always"},
}

// demoKeywords let the email intake choose a category; an email whose text
// matches none is left for triage.
var demoKeywords = map[string][]string{
	"noise":          {"噪音", "扰民", "太吵", "noise", "noisy"},
	"leak":           {"漏水", "渗水", "leak"},
	"elevator":       {"电梯", "elevator", "lift"},
	"hygiene":        {"垃圾", "卫生", "保洁", "rubbish", "dirty"},
	"parking":        {"停车", "车位", "parking"},
	"fee_dispute":    {"物业费", "收费", "账单", "fee", "bill"},
	"safety":         {"安全隐患", "消防", "隐患", "safety", "fire exit"},
	"attitude":       {"态度", "服务差", "rude"},
	"pipe_burst":     {"爆管", "水管爆裂", "水管破裂", "burst pipe"},
	"power_outage":   {"停电", "断电", "跳闸", "power cut", "no power"},
	"plumbing":       {"堵塞", "疏通", "下水道", "马桶堵", "blocked drain"},
	"electrical":     {"插座", "开关坏", "灯不亮", "socket", "switch"},
	"door_lock":      {"门锁", "门禁", "door lock"},
	"general_repair": {"维修", "报修", "坏了", "repair", "broken"},
}

var demoSurnames = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙"}
var demoGiven = []string{"秀英", "建国", "丽娟", "志强", "海燕", "文博", "桂兰", "子涵", "国华", "雨欣"}

// demoFees: item, name, name_en, basis, unit type, rate, from, to, position.
// Realistic for a mid-range estate: the management fee rose from 2.50 to
// 2.80 元/m² at the start of 2026; shops pay more; shared power and water
// are apportioned by floor area.
var demoFees = [][9]string{
	{"management", "物业服务费", "Property management fee", "area", "residential", "2.50", "2024-01-01", "2026-01-01", "10"},
	{"management", "物业服务费", "Property management fee", "area", "residential", "2.80", "2026-01-01", "", "10"},
	{"management", "物业服务费", "Property management fee", "area", "commercial", "4.50", "2024-01-01", "", "10"},
	{"shared_power", "公摊电费", "Shared electricity", "area", "", "0.1250", "2024-01-01", "", "20"},
	{"shared_water", "公摊水费", "Shared water", "area", "", "0.0600", "2024-01-01", "", "30"},
	{"elevator", "电梯运行费", "Elevator operation", "household", "residential", "15.00", "2024-01-01", "", "40"},
	{"garbage", "生活垃圾清运费", "Refuse collection", "household", "", "10.00", "2024-01-01", "", "50"},
	{"parking", "地下车位管理费", "Underground parking space", "parking_space", "", "150.00", "2024-01-01", "", "60"},
}

// LoadDemo fills an empty database with one community (3 buildings, 36 units
// and households), the five departments with staff, the handbook and the
// community's fee standards. Each part is loaded only where it is missing,
// so it is safe on every start and completes a demo database made by an
// older version.
func (s *Store) LoadDemo(ctx context.Context) (loaded bool, err error) {
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		// Serialise concurrent first starts.
		if _, err := tx.Exec(ctx, `LOCK TABLE communities IN EXCLUSIVE MODE`); err != nil {
			return fmt.Errorf("lock communities: %w", err)
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM communities`).Scan(&n); err != nil {
			return fmt.Errorf("count communities: %w", err)
		}
		if n > 0 {
			added, err := loadDemoExtras(ctx, tx)
			loaded = added
			return err
		}
		batch := &pgx.Batch{}
		batch.Queue(`INSERT INTO communities (code, name, name_en) VALUES ('A', '阳光花园', 'Sunshine Garden')`)
		for _, d := range demoDepartments {
			batch.Queue(`INSERT INTO departments (code, name, name_en) VALUES ($1, $2, $3)`, d[0], d[1], d[2])
		}
		for _, st := range demoStaff {
			batch.Queue(`INSERT INTO staff (code, name, department, role) VALUES ($1, $2, $3, $4)`, st[0], st[1], st[2], st[3])
		}
		for _, c := range demoCategories {
			batch.Queue(`INSERT INTO handbook_categories (code, name, name_en, department, responsible, priority)
				VALUES ($1, $2, $3, nullif($4, ''), nullif($5, ''), $6)`, c[0], c[1], c[2], c[3], c[4], c[5])
		}
		i := 0
		for b := 1; b <= 3; b++ {
			building := fmt.Sprint(b)
			batch.Queue(`INSERT INTO buildings (community, code, name) VALUES ('A', $1, $2)`, building, fmt.Sprintf("%d号楼", b))
			for floor := 1; floor <= 6; floor++ {
				for door := 1; door <= 2; door++ {
					code := fmt.Sprintf("%d-%d%02d", b, floor, door)
					area := 88.50 + float64((floor*door)%3)*21.25
					name := demoSurnames[i%len(demoSurnames)] + demoGiven[i%len(demoGiven)]
					phone := fmt.Sprintf("1380013%04d", i)
					lang := "zh"
					if i%12 == 11 {
						lang = "en"
					}
					batch.Queue(`WITH u AS (
							INSERT INTO units (community, building, code, floor_area) VALUES ('A', $1, $2, $3) RETURNING id),
						h AS (INSERT INTO households (unit_id, language) SELECT id, $6 FROM u RETURNING id)
						INSERT INTO residents (household_id, name, phone, email) SELECT id, $4, $5, $7 FROM h`,
						building, code, fmt.Sprintf("%.2f", area), name, phone, lang, fmt.Sprintf("resident%02d@example.com", i))
					i++
				}
			}
		}
		if err := tx.SendBatch(ctx, batch).Close(); err != nil {
			return fmt.Errorf("insert demo data: %w", err)
		}
		if _, err := loadDemoExtras(ctx, tx); err != nil {
			return err
		}
		loaded = true
		return nil
	})
	return loaded, err
}

// loadDemoExtras adds what later versions added to the demo: the repair
// categories, email keywords and the fee standards of community A.
func loadDemoExtras(ctx context.Context, tx pgx.Tx) (bool, error) {
	var demo bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM communities WHERE code = 'A')`).Scan(&demo); err != nil {
		return false, fmt.Errorf("look for the demo community: %w", err)
	}
	if !demo {
		return false, nil
	}
	batch := &pgx.Batch{}
	for _, c := range demoRepairCategories {
		batch.Queue(`INSERT INTO handbook_categories (code, kind, name, name_en, department, responsible, priority,
				feedback_within, resolve_within, urgent_resolve_within, callback_policy)
			VALUES ($1, 'repair', $2, $3, 'engineering', nullif($4, ''), $5, $6::interval, $7::interval, $7::interval, $8)
			ON CONFLICT (code) DO NOTHING`, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7])
	}
	// The accounts administrator and the auditor run the system rather
	// than the desk (docs/DESIGN.md §7.2); demo databases made before them
	// gain them here.
	for _, st := range demoSystemStaff {
		batch.Queue(`INSERT INTO staff (code, name, department, role) VALUES ($1, $2, $3, $4) ON CONFLICT (code) DO NOTHING`,
			st[0], st[1], st[2], st[3])
	}
	// Demo staff work in the demo community (docs/DESIGN.md §7.6); one who
	// has been given communities keeps them, so a restart undoes no change.
	var demoCodes []string
	for _, st := range slices.Concat(demoStaff, demoSystemStaff) {
		demoCodes = append(demoCodes, st[0])
	}
	batch.Queue(`INSERT INTO staff_communities (staff_code, community_code)
		SELECT st.code, 'A' FROM staff st WHERE st.code = ANY($1)
			AND NOT EXISTS (SELECT 1 FROM staff_communities x WHERE x.staff_code = st.code)`, demoCodes)
	// Demo staff get addresses, so notification delivery has somewhere to go.
	batch.Queue(`UPDATE staff SET email = code || '@staff.example.com' WHERE email = ''`)
	for code, words := range demoKeywords {
		batch.Queue(`UPDATE handbook_categories SET keywords = $2 WHERE code = $1 AND keywords = '{}'`, code, words)
	}
	// The training question bank, if it is empty.
	for _, q := range demoQuestions {
		batch.Queue(`INSERT INTO training_questions (topic, question, choices, answer)
			SELECT $1, $2, $3, $4 WHERE NOT EXISTS (SELECT 1 FROM training_questions WHERE question = $2)`,
			q.topic, q.question, demoChoices(q.choices), q.answer)
	}
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return false, fmt.Errorf("insert demo repair categories: %w", err)
	}
	return loadDemoFees(ctx, tx)
}

func demoChoices(texts []string) []Choice {
	out := make([]Choice, len(texts))
	for i, t := range texts {
		out[i] = Choice{Key: string(rune('A' + i)), Text: t}
	}
	return out
}

// demoQuestions are a starting question bank on the topics of the service
// standard; a centre adds its own through the API.
var demoQuestions = []struct {
	topic, question string
	choices         []string
	answer          string
}{
	{"property", "住户咨询物业费时，前台应如何答复？", []string{"凭印象告知大概金额", "按现行收费标准逐项说明并可出示公示", "请住户自行去财务室查询"}, "B"},
	{"property", "住户报修后，前台首先应做什么？", []string{"登记报修并派单给工程部", "告诉住户自己找师傅", "等工程部有空再说"}, "A"},
	{"property", "以下哪项属于物业服务中心的公共服务项目？", []string{"住户家中装修设计", "公共区域保洁与绿化养护", "代缴住户个人所得税"}, "B"},
	{"communication", "接待投诉时，第一步应当：", []string{"立即解释是住户的责任", "耐心倾听并复述确认住户诉求", "请住户写书面材料后再来"}, "B"},
	{"communication", "投诉须在多长时间内转交责任部门？", []string{"24小时内", "一周内", "月底统一处理"}, "A"},
	{"communication", "接听住户电话的规范用语是：", []string{"喂，什么事？", "您好，物业服务中心，请问有什么可以帮您？", "直接问房号"}, "B"},
	{"communication", "投诉处理完毕后，应当：", []string{"回访住户确认是否满意", "不再联系住户", "等住户再次投诉"}, "A"},
	{"emergency", "发现楼内水管爆裂，应首先：", []string{"关闭相关阀门并通知工程部抢修", "拍照发朋友圈", "等业主回家处理"}, "A"},
	{"emergency", "发生火警时，前台应：", []string{"拨打119并启动应急预案、引导疏散", "继续办理业务", "关闭监控室"}, "A"},
}

// loadDemoFees adds the fee standards of demo community A if it has none,
// and gives every fourth unit an underground parking space.
func loadDemoFees(ctx context.Context, tx pgx.Tx) (bool, error) {
	var missing bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM communities WHERE code = 'A')
		AND NOT EXISTS (SELECT 1 FROM fee_standards WHERE community = 'A')`).Scan(&missing); err != nil {
		return false, fmt.Errorf("look for demo fees: %w", err)
	}
	if !missing {
		return false, nil
	}
	batch := &pgx.Batch{}
	for _, f := range demoFees {
		batch.Queue(`INSERT INTO fee_standards (community, item, name, name_en, basis, unit_type, rate, effective_from, effective_to, position)
			VALUES ('A', $1, $2, $3, $4, $5, $6::numeric, $7::date, nullif($8, '')::date, $9::integer)`,
			f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8])
	}
	// The rise to 2.80 cut the open-ended 2.50 standard short, as a price
	// change entered through the API does: deleting it restores 2.50.
	batch.Queue(`UPDATE fee_standards n SET replaced_id = o.id
		FROM fee_standards o
		WHERE n.community = 'A' AND o.community = 'A' AND o.item = n.item AND o.unit_type = n.unit_type
			AND o.effective_to = n.effective_from`)
	batch.Queue(`UPDATE units SET parking_spaces = 1 WHERE community = 'A' AND id % 4 = 0`)
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return false, fmt.Errorf("insert demo fees: %w", err)
	}
	return true, nil
}
