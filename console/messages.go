package console

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// Languages of the console: Simplified Chinese first, English on request.
const (
	langZh = "zh"
	langEn = "en"
)

// langCookie keeps the language chosen with ?lang=.
const langCookie = "concierge_lang"

// msg is one message in both languages.
type msg struct{ zh, en string }

// messages is the console's one message catalogue: every label, message and
// error a page shows is here in both languages (TestCatalogue checks that
// each key a template or handler uses exists and has both). Codes of the
// domain (statuses, actions, roles, timeline events) are keyed by prefix:
// "status.routed", "action.acknowledge".
func messages() map[string]msg {
	return map[string]msg{
		"app.title":     {"物业服务中心 · 控制台", "Service Centre · Console"},
		"app.skip":      {"跳到主要内容", "Skip to main content"},
		"nav.home":      {"首页", "Home"},
		"nav.queue":     {"工单队列", "Queue"},
		"nav.signout":   {"退出", "Sign out"},
		"nav.reception": {"接待", "Reception"},
		"nav.training":  {"培训考核", "Training"},
		"nav.callbacks": {"回访", "Callbacks"},
		"nav.field":     {"现场", "Field"},
		"field.title":   {"现场工作（本部门未结工单）", "Field work (your department's open cases)"},

		"nav.reports":             {"报表", "Reports"},
		"reports.title":           {"指标看板", "KPI dashboard"},
		"reports.month":           {"月份", "Month"},
		"reports.show":            {"查看", "Show"},
		"reports.export":          {"导出 Excel", "Export to Excel"},
		"reports.period":          {"统计期间", "Period"},
		"reports.kpis":            {"本月指标与目标", "The month's KPIs against their targets"},
		"reports.complaints":      {"投诉数", "Complaints"},
		"reports.drill":           {"点击查看工单", "click to list the cases"},
		"reports.missed":          {"未达标工单", "Cases that missed"},
		"reports.trend":           {"近12个月趋势", "Trend of the last 12 months"},
		"reports.by_category":     {"按类别", "By category"},
		"reports.by_department":   {"按部门", "By department"},
		"reports.by_building":     {"按楼栋", "By building"},
		"reports.item":            {"项目", "Item"},
		"reports.count":           {"数量", "Count"},
		"reports.none":            {"本月无数据。", "Nothing this month."},
		"reports.unrouted":        {"待分派", "Not yet routed"},
		"analysis.title":          {"月度投诉分析", "Monthly complaint analysis"},
		"analysis.summary":        {"概况", "Summary"},
		"analysis.resolved":       {"已解决", "Resolved"},
		"analysis.median":         {"解决时长中位数（小时）", "Median hours to resolve"},
		"analysis.p90":            {"解决时长P90（小时）", "P90 hours to resolve"},
		"analysis.repeats":        {"重复投诉", "Repeat complaints"},
		"analysis.where":          {"位置", "Where"},
		"analysis.cases":          {"工单", "Cases"},
		"analysis.same_unit":      {"同一房屋", "Same unit"},
		"analysis.same_spot":      {"同楼栋同类", "Same building and category"},
		"analysis.top":            {"突出问题", "Top problems"},
		"analysis.satisfaction":   {"满意度趋势", "Satisfaction trend"},
		"analysis.satisfied":      {"满意", "Satisfied"},
		"analysis.ratings":        {"评价数", "Ratings"},
		"analysis.archive":        {"已归档的月度分析", "Archived monthly analyses"},
		"analysis.generated":      {"生成时间", "Generated"},
		"evaluations.title":       {"员工考评", "Staff evaluation"},
		"evaluations.stored":      {"已存档，生成于", "Stored, scored at"},
		"evaluations.live":        {"按当前设置实时计算", "Computed now with the settings in force"},
		"evaluations.threshold":   {"预警线", "Threshold"},
		"evaluations.rank":        {"排名", "Rank"},
		"evaluations.staff":       {"员工", "Staff"},
		"evaluations.score":       {"得分", "Score"},
		"evaluations.ratings":     {"评价", "Ratings"},
		"evaluations.feedback":    {"反馈", "Feedback"},
		"evaluations.callbacks":   {"回访", "Callbacks"},
		"evaluations.exam":        {"考试", "Exam"},
		"evaluations.flag":        {"预警", "Flag"},
		"evaluations.flagged":     {"低于预警线", "Below the threshold"},
		"queue.from":              {"登记日期自", "Recorded from"},
		"queue.to":                {"至", "to"},
		"queue.building":          {"楼栋", "Building"},
		"queue.late":              {"24小时时限", "24 h window"},
		"queue.late.dispatch_24h": {"24小时内未派单", "Not dispatched within 24 h"},
		"queue.late.feedback_24h": {"24小时内未反馈", "Not fed back within 24 h"},
		"queue.export":            {"导出 Excel（当前筛选）", "Export to Excel (these filters)"},
		"error.too_many_rows":     {"符合条件的工单太多，请缩小筛选范围（日期、小区、状态等）后再导出。", "Too many cases match: narrow the filters (dates, community, status …) and export again."},

		"callbacks.title":          {"回访工作", "Callback work"},
		"callbacks.tasks":          {"本月回访任务", "This month's campaign tasks"},
		"callbacks.script":         {"回访话术", "Call script"},
		"callbacks.script.task":    {"您好，请问是{unit}的{name}吗？我是物业服务中心的{me}，打扰您一分钟做个回访：您对我们这个月的物业服务满意吗？请从1到5分打个分，5分是非常满意。还有什么需要我们改进的吗？感谢您的支持！", "Hello, is that {name} of {unit}? This is {me} from the service centre, with a one-minute callback: how satisfied are you with our service this month, from 1 to 5, 5 being very satisfied? Is there anything we should do better? Thank you!"},
		"callbacks.script.case":    {"您好，我是物业服务中心的{me}，回访您反映的问题：问题是否已经解决？您对处理结果满意吗？请从1到5分打个分。若仍未解决，我们会重新安排处理。", "Hello, this is {me} from the service centre, calling back about the problem you reported: is it resolved, and how satisfied are you with how it was handled, from 1 to 5? If it is not resolved, we will take it up again."},
		"callbacks.reached":        {"已接通：满意度", "Reached: satisfaction"},
		"callbacks.record.reached": {"记录回访结果", "Record the result"},
		"callbacks.unreached":      {"未接通：记录本次尝试", "Not reached: record the attempt"},
		"callbacks.done.reached":   {"回访结果已记录。", "The callback is recorded."},
		"callbacks.done.attempt":   {"本次尝试已记录。", "The attempt is recorded."},
		"reason.sample":            {"随机抽样", "random sample"},
		"reason.owed":              {"应回访住户", "household owed a callback"},
		"call.no_answer":           {"无人接听", "No answer"},
		"call.refused":             {"拒绝回访", "Refused"},
		"call.wrong_number":        {"号码错误", "Wrong number"},
		"task.status.reached":      {"已回访", "reached"},
		"error.already_reached":    {"该任务已回访完成。", "This task was already reached."},

		"nav.emails":              {"邮件分拣", "Emails"},
		"emails.title":            {"邮件分拣队列", "Email triage queue"},
		"emails.status":           {"状态", "Status"},
		"emails.status.triage":    {"待分拣", "to triage"},
		"emails.status.opened":    {"已登记工单", "opened as a case"},
		"emails.status.dismissed": {"已忽略", "dismissed"},
		"emails.count":            {"邮件数：", "Emails:"},
		"emails.none":             {"没有邮件。", "No email."},
		"emails.nosubject":        {"（无主题）", "(no subject)"},
		"emails.handled_by":       {"处理人", "handled by"},
		"emails.open.as":          {"登记为", "Open as"},
		"emails.open":             {"登记工单", "Open the case"},
		"emails.phone.hint":       {"留空则以发件人为住户，通知发到其邮箱", "leave empty to keep the sender as the resident, notified by email"},
		"emails.reason":           {"忽略原因（可空）", "Reason to dismiss (optional)"},
		"emails.dismiss":          {"忽略此邮件", "Dismiss the email"},
		"emails.done.dismissed":   {"邮件已忽略。", "The email is dismissed."},
		"emails.done.opened":      {"邮件已登记为工单。", "The email is opened as a case."},
		"error.already_handled":   {"该邮件已被处理（已登记或已忽略）。", "The email was already handled (opened or dismissed)."},

		"nav.settings":                 {"资料维护", "Settings"},
		"settings.title":               {"资料维护", "Reference data"},
		"settings.none":                {"您的角色没有可维护的资料。", "Your role maintains no reference data."},
		"editor.save":                  {"保存", "Save"},
		"editor.show":                  {"查看", "Show"},
		"editor.saved":                 {"已保存。", "Saved."},
		"editor.readonly":              {"您的角色只能查看，不能修改。", "Your role may read this but not change it."},
		"handbook.title":               {"工单分类手册", "Handbook categories"},
		"handbook.about":               {"分类、责任部门、时限和邮件关键词", "categories, departments, time limits and email keywords"},
		"handbook.edit":                {"编辑分类", "Edit category"},
		"handbook.code":                {"编码", "Code"},
		"handbook.code.hint":           {"小写字母、数字或下划线，最多32位", "lower-case letters, digits or _, up to 32"},
		"handbook.new":                 {"新增分类的编码", "Code of a new category"},
		"handbook.new.go":              {"新增分类", "Add a category"},
		"handbook.new.badge":           {"（新分类）", "(new)"},
		"handbook.name":                {"名称", "Name"},
		"handbook.name_en":             {"英文名称（可空）", "English name (optional)"},
		"handbook.responsible":         {"默认负责人（员工编号，可空）", "Default assignee (staff code, optional)"},
		"handbook.limits":              {"时限", "Time limits"},
		"handbook.limits.hint":         {"如 24h、90m、72h；留空则保持不变", "such as 24h, 90m, 72h; empty keeps the present one"},
		"handbook.callback_policy":     {"完工回访规则（报修）", "Callback after completion (repairs)"},
		"handbook.keywords":            {"邮件关键词", "Email keywords"},
		"handbook.keywords.hint":       {"用逗号、顿号或换行分隔", "separated by commas or line breaks"},
		"limit.dispatch_within":        {"派单时限", "Dispatch within"},
		"limit.feedback_within":        {"首次反馈时限", "First feedback within"},
		"limit.resolve_within":         {"处理时限", "Resolve within"},
		"limit.urgent_resolve_within":  {"紧急处理时限", "Urgent: resolve within"},
		"limit.callback_within":        {"回访时限", "Call back within"},
		"limit.escalate_every":         {"升级间隔", "Escalate every"},
		"policy.always":                {"总是回访", "always"},
		"policy.unless_rated":          {"现场已评分则免回访", "unless rated on site"},
		"policy.never":                 {"不回访", "never"},
		"fees.editor":                  {"收费标准", "Fee standards"},
		"fees.about":                   {"各小区的收费项目、单价和生效日期", "each community's fee items, rates and dates"},
		"fees.add":                     {"新增收费标准", "Add a fee standard"},
		"fees.item.code":               {"项目编码", "Item code"},
		"fees.item.hint":               {"如 property_fee；同一项目新标准生效时旧标准自动截止", "such as property_fee; a new standard of an item ends the one before"},
		"fees.basis":                   {"计费方式", "Basis"},
		"fees.unit_type":               {"房屋类型", "Unit type"},
		"fees.any":                     {"全部类型", "any"},
		"fees.rate.hint":               {"元，最多4位小数，如 2.80", "yuan, up to 4 decimals, such as 2.80"},
		"fees.from":                    {"生效日期", "Effective from"},
		"fees.to":                      {"截止日期", "Effective to"},
		"fees.to.hint":                 {"可空", "optional"},
		"fees.delete":                  {"删除（录错时）", "Delete (entered by mistake)"},
		"fees.delete.confirm":          {"确定删除这条收费标准？删除后不能恢复（保留在历史中）。", "Delete this fee standard? It cannot be undone (it stays in the history)."},
		"fees.deleted":                 {"已删除", "deleted"},
		"fees.done.added":              {"收费标准已新增。", "The fee standard is added."},
		"fees.done.deleted":            {"收费标准已删除（保留在历史中）。", "The fee standard is deleted (kept in the history)."},
		"unit_type.residential":        {"住宅", "residential"},
		"unit_type.commercial":         {"商铺", "commercial"},
		"unit_type.office":             {"办公", "office"},
		"error.overlapping_standard":   {"该项目在这段日期已有收费标准。", "The item already has a standard for these dates."},
		"error.already_deleted":        {"该收费标准已被删除。", "The fee standard was already deleted."},
		"calendar.title":               {"节假日日历", "Holiday calendar"},
		"calendar.about":               {"法定节假日和调休上班日（影响时限计算）", "public holidays and exchanged working days (deadlines count them)"},
		"calendar.published":           {"已发布", "published"},
		"calendar.unpublished":         {"尚未发布（按周末计算）", "not published (weekends only)"},
		"calendar.day":                 {"日期", "Date"},
		"calendar.kind":                {"类型", "Kind"},
		"calendar.holiday":             {"休息", "holiday"},
		"calendar.working":             {"上班", "working day"},
		"calendar.lines":               {"全年安排（每行一天）", "The year's days (one a line)"},
		"calendar.lines.hint":          {"日期 休/班 名称，如：2026-10-01 休 国庆节；保存后替换全年", "date, 休 (off) or 班 (working), name; e.g. 2026-10-01 休 National Day; saving replaces the year"},
		"calendar.bad_line":            {"有一行无法识别（应为：日期 休/班 名称），行号：", "A line could not be read (date, 休 or 班, name); line number:"},
		"topic.property":               {"物业知识", "property"},
		"topic.communication":          {"沟通礼仪", "communication"},
		"topic.emergency":              {"应急处置", "emergency"},
		"feebasis.area":                {"按建筑面积", "by floor area"},
		"feebasis.household":           {"按户", "per household"},
		"feebasis.parking_space":       {"按车位", "per parking space"},
		"questions.title":              {"考试题库", "Question bank"},
		"questions.about":              {"季度考核的选择题和答案", "the quarterly exam's questions and answers"},
		"questions.add":                {"新增题目", "Add a question"},
		"questions.topic":              {"科目", "Topic"},
		"questions.question":           {"题目", "Question"},
		"questions.choices":            {"选项", "Choices"},
		"questions.choices.hint":       {"至少两个；空的选项不保存", "at least two; empty ones are left out"},
		"questions.answer":             {"正确答案", "Answer"},
		"questions.bank":               {"题库", "The bank"},
		"questions.deactivate.confirm": {"确定停用此题？停用后不能恢复。", "Retire this question? It cannot be undone."},
		"questions.inactive":           {"已停用", "retired"},
		"questions.deactivate":         {"停用此题", "Retire the question"},
		"questions.done.added":         {"题目已新增。", "The question is added."},
		"questions.done.deactivated":   {"题目已停用（已考试卷不受影响）。", "The question is retired (exams already set keep it)."},

		"hint.required":      {"请填写「{field}」。", "Fill in “{field}”."},
		"hint.too_long":      {"「{field}」太长了。", "“{field}” is too long."},
		"hint.choose":        {"请从列表中选择「{field}」。", "Choose “{field}” from the list."},
		"hint.rate":          {"单价须为不小于 0 的小数，最多 4 位小数，用英文句点，如 2.80。", "The rate must be a decimal of at least 0 with up to 4 places, with a point, such as 2.80."},
		"hint.date_order":    {"截止日期须晚于生效日期。", "The end date must come after the start date."},
		"hint.date":          {"「{field}」须为日期，如 2026-01-01。", "“{field}” must be a date such as 2026-01-01."},
		"hint.item":          {"项目编码只能用小写字母、数字和下划线，最多 32 位。", "The item code takes lower-case letters, digits and _, up to 32."},
		"hint.duration":      {"「{field}」须为时长，如 24h、90m。", "“{field}” must be a duration such as 24h or 90m."},
		"hint.answer":        {"正确答案须是已填写的选项之一。", "The answer must be one of the choices filled in."},
		"hint.choices":       {"请至少填写两个选项。", "Fill in at least two choices."},
		"hint.day":           {"有一个日期不存在或不在该年内。", "A date does not exist or is not in the year."},
		"hint.day_twice":     {"同一日期填写了两次。", "A date is listed twice."},
		"hint.category_kind": {"所选类别不属于该工单类型（投诉/报修）。", "The category is not one of the chosen kind (complaint or repair)."},
		"hint.unit":          {"该小区没有这个房号。", "The community has no such unit."},

		"training.title":      {"季度培训考核", "Quarterly training"},
		"training.cycle":      {"考核周期", "Cycle"},
		"training.phase":      {"阶段", "Phase"},
		"training.window":     {"考试时间", "Exam window"},
		"training.session":    {"培训日", "Session"},
		"training.sat":        {"已考 / 应考", "Sat / enrolled"},
		"training.first_pass": {"首考通过率", "First-attempt pass rate"},
		"training.final_pass": {"最终通过率", "Final pass rate"},
		"training.pass_mark":  {"及格分", "Pass mark"},
		"training.questions":  {"题目数", "Questions"},
		"training.results":    {"考核结果", "Results"},
		"training.staff":      {"员工", "Member of staff"},
		"training.result":     {"结果", "Result"},
		"training.attempts":   {"考试记录", "Sittings"},
		"training.retake_due": {"补考截止", "Retake due by"},
		"training.sit":        {"开始考试", "Sit the exam"},
		"training.exam":       {"在线考试", "Exam"},
		"training.exam.intro": {"请由考生本人作答，每题选择一个答案；提交后系统自动评分。", "The member answers every question themselves; the answers are marked on submission."},
		"training.points":     {"分", "points"},
		"training.submit":     {"交卷", "Hand in"},
		"training.result.for": {"考试成绩：", "Exam result:"},
		"phase.scheduled":     {"未开始", "scheduled"},
		"phase.exam_open":     {"考试中", "exam open"},
		"phase.retakes":       {"补考中", "retakes"},
		"phase.closed":        {"已结束", "closed"},
		"result.passed":       {"通过", "passed"},
		"result.retake_due":   {"未通过，待补考", "failed, retake due"},
		"result.failed":       {"未通过", "failed"},
		"result.not_sat":      {"未参加", "not sat yet"},
		"result.absent":       {"缺考", "absent"},
		"method.answers":      {"在线答题", "answers"},
		"method.score":        {"录入分数", "score entered"},
		"error.not_enrolled":  {"该员工不在本期考核名单中。", "This member of staff is not enrolled in the cycle."},

		"reception.title":        {"接待 · 来电来访查询", "Reception · look-up"},
		"reception.q":            {"电话、住户姓名或房号", "Phone, resident's name or unit"},
		"reception.q.hint":       {"手机号（可带 +86 或分隔符）、姓名开头或房号如 1-101", "mobile (+86 and separators allowed), start of a name, or a unit like 1-101"},
		"reception.search":       {"查询", "Look up"},
		"reception.found":        {"找到住户数：", "Households found:"},
		"reception.none":         {"没有找到住户。可换用电话、姓名或房号再查。", "No household found; try the phone, the name or the unit."},
		"reception.inactive":     {"已迁出", "moved out"},
		"reception.residents":    {"住户成员", "Residents"},
		"reception.open":         {"未结工单", "Open cases"},
		"reception.past":         {"历史工单（最近）", "Past cases (newest)"},
		"reception.visit":        {"登记来访/来电", "Record a visit or call"},
		"reception.visit.other":  {"登记非住户来访/来电", "Record a visitor or caller with no household"},
		"reception.visit.submit": {"登记", "Record"},
		"visit.title":            {"来访记录", "Visit"},
		"visit.notes":            {"备注", "Notes"},
		"visit.receptionist":     {"接待人", "Receptionist"},
		"visit.done.visit":       {"来访已登记。", "The visit is recorded."},
		"visit.done.exit":        {"离场评价已记录。", "The exit rating is recorded."},
		"visit.open.complaint":   {"由此登记投诉", "Open a complaint from this visit"},
		"visit.open.repair":      {"由此登记报修", "Open a repair from this visit"},
		"visit.exit":             {"离场评价", "Exit rating"},
		"visit.exit.score":       {"满意度", "Satisfaction"},
		"visit.exit.submit":      {"提交评价", "Record the rating"},
		"rating.5":               {"非常满意", "very satisfied"},
		"rating.4":               {"满意", "satisfied"},
		"rating.3":               {"一般", "neutral"},
		"rating.2":               {"不满意", "dissatisfied"},
		"rating.1":               {"非常不满意", "very dissatisfied"},
		"fees.title":             {"本户收费明细", "The unit's itemised fees"},
		"fees.item":              {"收费项目", "Item"},
		"fees.rate":              {"单价", "Rate"},
		"fees.quantity":          {"数量", "Quantity"},
		"fees.amount":            {"金额", "Amount"},
		"fees.total":             {"合计", "Total"},
		"basis.area":             {"平方米", "m²"},
		"basis.household":        {"户", "household"},
		"basis.parking_space":    {"车位", "parking space(s)"},
		"newcase.title":          {"登记工单", "New case"},
		"newcase.from_visit":     {"来自来访记录", "From visit"},
		"newcase.phone.visit":    {"留空则使用来访登记的电话", "leave empty for the visit's number"},
		"newcase.submit":         {"提交登记", "Record the case"},
		"action.created":         {"登记", "Recorded"},
		"nav.lang":               {"English", "中文"},
		"nav.lang.hint":          {"切换到英文", "Switch to Chinese"},
		"nav.signedin":           {"当前用户", "Signed in as"},

		"login.title":    {"员工登录", "Staff sign-in"},
		"login.username": {"用户名（员工编号）", "Username (staff code)"},
		"login.password": {"密码", "Password"},
		"login.submit":   {"登录", "Sign in"},
		"login.expired":  {"登录已过期，请重新登录。", "Your session has ended: please sign in again."},
		"login.out":      {"您已退出。", "You have signed out."},

		"home.title":          {"工作台", "Home"},
		"home.visits":         {"今日来访", "Today's visits"},
		"home.callbacks":      {"待回访", "Open callbacks"},
		"home.near":           {"临近时限的工单", "Cases near their deadline"},
		"home.queue":          {"本部门工单", "Your department's queue"},
		"home.breaches":       {"已超时工单", "Breached cases"},
		"home.escalations":    {"已升级工单", "Escalated cases"},
		"home.kpis":           {"本月关键指标", "This month's KPIs"},
		"home.none":           {"暂无。", "None."},
		"home.noaccess":       {"您的角色在控制台中暂无工作台内容。", "Your role has no home screen in the console yet."},
		"home.callbacks.case": {"待回访工单", "Cases awaiting callback"},
		"home.callbacks.task": {"本月回访任务（未完成）", "This month's callback tasks (open)"},
		"home.all":            {"查看全部", "See all"},

		"kpi.satisfaction_rate": {"满意率", "Satisfaction rate"},
		"kpi.feedback_24h_rate": {"24小时反馈率", "Feedback within 24 h"},
		"kpi.dispatch_24h_rate": {"24小时派单率", "Dispatched within 24 h"},
		"kpi.callback_coverage": {"回访覆盖率", "Callback coverage"},
		"kpi.complaint_rate":    {"投诉率", "Complaint rate"},
		"kpi.target":            {"目标", "target"},
		"kpi.count":             {"分子 / 分母", "numerator / denominator"},
		"kpi.met":               {"达标", "met"},
		"kpi.unmet":             {"未达标", "not met"},
		"kpi.nodata":            {"无数据", "no data"},
		"visit.time":            {"到访时间", "Arrived"},
		"visit.visitor":         {"来访人", "Visitor"},
		"visit.purpose":         {"事由", "Purpose"},
		"visit.case":            {"关联工单", "Case"},
		"task.reason":           {"原因", "Reason"},
		"task.status":           {"状态", "Status"},
		"task.attempts":         {"尝试次数", "Attempts"},
		"queue.title":           {"工单队列", "Case queue"},
		"queue.kind":            {"类型", "Kind"},
		"queue.filter":          {"筛选", "Filter"},
		"queue.reset":           {"清除", "Clear"},
		"queue.any":             {"全部", "Any"},
		"queue.breached":        {"是否超时", "Breached"},
		"queue.breached.true":   {"已超时", "Breached"},
		"queue.breached.false":  {"未超时", "Not breached"},
		"queue.q":               {"搜索（编号、房号、描述）", "Search (number, unit, description)"},
		"queue.next":            {"下一页", "Next page"},
		"queue.empty":           {"没有符合条件的工单。", "No case matches."},
		"queue.count":           {"本页工单数", "Cases on this page"},
		"field.number":          {"编号", "Number"},
		"field.status":          {"状态", "Status"},
		"field.category":        {"类别", "Category"},
		"field.department":      {"责任部门", "Department"},
		"field.community":       {"小区", "Community"},
		"field.unit":            {"房号", "Unit"},
		"field.assignee":        {"负责人", "Assignee"},
		"field.recorded":        {"登记时间", "Recorded"},
		"field.sla":             {"时限", "Deadline"},
		"field.resident":        {"住户", "Resident"},
		"field.phone":           {"电话", "Phone"},
		"field.description":     {"描述", "Description"},
		"field.channel":         {"渠道", "Channel"},
		"field.priority":        {"优先级", "Priority"},
		"field.escalation":      {"升级级别", "Escalation level"},
		"field.escalated_to":    {"升级至", "Escalated to"},
		"field.reopens":         {"重开次数", "Reopened"},
		"field.deadlines":       {"时限", "Deadlines"},
		"field.source":          {"状态来源", "State from"},
		"case.title":            {"工单详情", "Case"},
		"case.timeline":         {"处理记录", "Timeline"},
		"case.notifications":    {"通知", "Notifications"},
		"case.notifications.no": {"您的角色无权查看通知。", "Your role may not read notifications."},
		"case.actions":          {"可执行操作", "Actions"},
		"case.actions.none":     {"当前状态下您没有可执行的操作。", "There is nothing you may do to the case in its present state."},
		"case.temporal":         {"在 Temporal Web UI 中打开", "Open in the Temporal Web UI"},
		"case.done":             {"操作已完成：", "Done:"},
		"case.live":             {"实时（工作流）", "live (workflow)"},
		"case.snapshot":         {"快照（数据库，可能稍旧）", "snapshot (database, may lag)"},
		"case.back":             {"返回队列", "Back to the queue"},
		"case.link":             {"住户进度查询链接", "The resident's tracking link"},
		"case.link.url":         {"当前链接", "Link"},
		"case.link.expires":     {"有效期至", "valid until"},
		"case.link.hint":        {"按住户的联系方式（短信或邮件）重新发送链接；重复提交只发送一次。", "Sends the link again to the resident's phone or email; posting twice sends it once."},
		"case.link.off":         {"本中心未配置进度查询链接，无法发送。", "Tracking links are not configured at this centre: nothing can be sent."},
		"action.resend-link":    {"重新发送进度链接", "Re-send the tracking link"},
		"error.not_configured":  {"该功能在本中心未配置。", "This is not configured at this centre."},

		"notif.time":             {"时间", "Time"},
		"notif.recipient":        {"接收人", "Recipient"},
		"notif.channel":          {"渠道", "Channel"},
		"notif.text":             {"内容（按模板）", "Text (from its template)"},
		"notif.status":           {"状态", "Status"},
		"notif.status.pending":   {"待发送", "pending"},
		"notif.status.sent":      {"已发送", "sent"},
		"notif.status.failed":    {"发送失败", "failed"},
		"notif.status.skipped":   {"未发送（未配置渠道）", "skipped (no channel configured)"},
		"tl.time":                {"时间", "Time"},
		"tl.event":               {"事件", "Event"},
		"tl.actor":               {"操作人", "By"},
		"tl.message":             {"内容", "Message"},
		"form.department":        {"部门", "Department"},
		"form.assignee":          {"负责人（员工编号，可空）", "Assignee (staff code, optional)"},
		"form.assignee.required": {"负责人（员工编号）", "Assignee (staff code)"},
		"form.message":           {"反馈内容", "Feedback to the resident"},
		"form.resolution":        {"处理结果", "Resolution"},
		"form.reason":            {"原因（可空）", "Reason (optional)"},
		"form.reached":           {"是否联系到住户", "Resident reached"},
		"form.yes":               {"是", "Yes"},
		"form.no":                {"否", "No"},
		"form.score":             {"满意度评分（1–5，未联系到则留空）", "Satisfaction score (1–5; empty if not reached)"},
		"form.onsite_score":      {"现场评分（1–5，可空）", "On-site rating (1–5, optional)"},
		"form.comment":           {"备注（可空）", "Comment (optional)"},
		"form.reopen":            {"不满意时重新处理", "Reopen if dissatisfied"},
		"form.choose":            {"请选择", "Choose"},

		"sla.none":     {"无进行中的时限", "no open deadline"},
		"sla.left":     {"剩余", "left"},
		"sla.over":     {"已超时", "overdue"},
		"sla.units":    {"天,小时,分", "d,h,m"},
		"sla.breached": {"已超时", "breached"},
		"sla.warn":     {"临近时限", "near deadline"},
		"sla.ok":       {"正常", "on time"},

		"deadline.dispatch":       {"派单", "dispatch"},
		"deadline.first_feedback": {"首次反馈", "first feedback"},
		"deadline.resolution":     {"处理完毕", "resolution"},
		"deadline.callback":       {"回访", "callback"},

		"kind.complaint": {"投诉", "Complaint"},
		"kind.repair":    {"报修", "Repair"},

		"status.recorded":           {"已登记", "recorded"},
		"status.awaiting_triage":    {"待分派", "awaiting triage"},
		"status.routed":             {"已派单", "routed"},
		"status.in_progress":        {"处理中", "in progress"},
		"status.resolved":           {"已处理待回访", "resolved, awaiting callback"},
		"status.closed":             {"已结案", "closed"},
		"status.reopened":           {"重新处理", "reopened"},
		"status.withdrawn":          {"已撤回", "withdrawn"},
		"status.closed_unresolved":  {"未解决结案", "closed unresolved"},
		"status.closed_unreachable": {"无法联系结案", "closed, unreachable"},
		"status.dispatched":         {"已派工", "dispatched"},
		"status.on_site":            {"已到场", "on site"},
		"status.completed":          {"已完工待回访", "completed, awaiting callback"},
		"status.cancelled":          {"已取消", "cancelled"},

		"action.route":       {"分派", "Route"},
		"action.acknowledge": {"确认受理", "Acknowledge"},
		"action.feedback":    {"反馈住户", "Feed back"},
		"action.resolve":     {"处理完毕", "Resolve"},
		"action.callback":    {"回访", "Record callback"},
		"action.withdraw":    {"撤回", "Withdraw"},
		"action.dispatch":    {"派工", "Dispatch"},
		"action.arrive":      {"到场", "Arrive on site"},
		"action.complete":    {"完工", "Complete"},
		"action.cancel":      {"取消", "Cancel"},

		"role.receptionist":     {"前台接待", "receptionist"},
		"role.handler":          {"处理人", "handler"},
		"role.department_head":  {"部门负责人", "department head"},
		"role.supervisor":       {"客服主管", "supervisor"},
		"role.centre_manager":   {"服务中心经理", "centre manager"},
		"role.property_manager": {"物业经理", "property manager"},
		"role.admin":            {"系统管理员", "administrator"},
		"role.auditor":          {"审计", "auditor"},

		"channel.walk_in": {"来访", "walk-in"},
		"channel.phone":   {"电话", "phone"},
		"channel.email":   {"邮件", "email"},
		"channel.portal":  {"线上", "portal"},

		"priority.normal": {"普通", "normal"},
		"priority.urgent": {"紧急", "urgent"},

		"event.acknowledged":       {"已受理", "acknowledged"},
		"event.awaiting_triage":    {"待分派", "awaiting triage"},
		"event.callback":           {"回访", "callback"},
		"event.callback_unreached": {"回访未接通", "callback: not reached"},
		"event.cancelled":          {"已取消", "cancelled"},
		"event.closed":             {"结案", "closed"},
		"event.closed_unreachable": {"无法联系结案", "closed, unreachable"},
		"event.closed_unresolved":  {"未解决结案", "closed unresolved"},
		"event.completed":          {"完工", "completed"},
		"event.deadline_missed":    {"超过时限", "deadline missed"},
		"event.dispatched":         {"派工", "dispatched"},
		"event.escalated":          {"升级", "escalated"},
		"event.feedback":           {"反馈", "feedback"},
		"event.on_site":            {"到场", "on site"},
		"event.recorded":           {"登记", "recorded"},
		"event.reminder":           {"时限提醒", "reminder"},
		"event.reopened":           {"重新处理", "reopened"},
		"event.resolved":           {"处理完毕", "resolved"},
		"event.routed":             {"派单", "routed"},
		"event.withdrawn":          {"撤回", "withdrawn"},
		"task.status.open":         {"待回访", "open"},
		"task.status.unreached":    {"未接通", "not reached"},

		"purpose.inquiry":   {"咨询", "inquiry"},
		"purpose.repair":    {"报修", "repair"},
		"purpose.complaint": {"投诉", "complaint"},
		"purpose.other":     {"其他", "other"},

		"error.title":                {"出错了", "Something went wrong"},
		"error.not_found":            {"没有这个工单，或它不在您的管辖范围内。", "No such case, or it is outside your scope."},
		"error.page_not_found":       {"页面不存在。", "No such page."},
		"error.visit_not_found":      {"没有这条来访记录，或它不在您的管辖范围内。", "No such visit, or it is outside your scope."},
		"error.forbidden":            {"您的角色无权执行此操作。", "Your role may not do this."},
		"error.already_rated":        {"该来访已有不同的评价，评价不可修改。", "This visit already has a different rating; a rating is not changed."},
		"error.visit_already_linked": {"该来访已登记过工单。", "This visit has already opened a case."},
		"error.csrf":                 {"表单已过期，请刷新页面后重试。", "The form has expired: reload the page and try again."},
		"error.invalid_credentials":  {"用户名或密码错误。", "Wrong username or password."},
		"error.too_many_attempts":    {"登录失败次数过多，请稍后再试（秒）：", "Too many failed sign-ins; try again in (seconds):"},
		"error.invalid_input":        {"输入有误：", "The input is not valid:"},
		"error.invalid_transition":   {"工单当前状态不允许此操作（可能已被他人处理）。", "The case's present state does not allow this (someone may have acted on it already)."},
		"error.unavailable":          {"后台暂时无响应，操作可能稍后生效，请先刷新查看工单再重试。", "The back end did not answer in time; the action may still apply, so check the case before retrying."},
		"error.internal":             {"系统内部错误，请稍后再试。", "Internal error; try again later."},
		"error.unauthenticated":      {"请先登录。", "Please sign in first."},
		"error.required":             {"请填写用户名和密码。", "Enter your username and password."},
		"error.detail":               {"详情（英文）", "Details"},
	}
}

// translator looks keys up in one language.
type translator struct {
	lang string
	cat  map[string]msg
}

// T is the message of key; a missing key shows as itself (and fails the
// catalogue test), never as an empty label.
func (t translator) T(key string) string {
	m, ok := t.cat[key]
	if !ok {
		return key
	}
	if t.lang == langEn {
		return m.en
	}
	return m.zh
}

// Code is the label of a domain code under prefix ("status", "routed"),
// or the code itself when the catalogue has none (a new code shows, if
// untranslated).
func (t translator) Code(prefix, code string) string {
	if code == "" {
		return "—"
	}
	if _, ok := t.cat[prefix+"."+code]; !ok {
		return code
	}
	return t.T(prefix + "." + code)
}

// Name picks the Chinese or English name of a reference item (category,
// department), falling back to the other and then to the code.
func (t translator) Name(code, zh, en string) string {
	switch {
	case t.lang == langEn && en != "":
		return en
	case zh != "":
		return zh
	case en != "":
		return en
	}
	return code
}

// langKey is where language keeps the request's language.
const langKey = "console.lang"

// language picks the page's language: ?lang=zh|en (kept in a cookie),
// else the cookie, else Chinese.
func (a *app) language(c *gin.Context) {
	a.pickLanguage(c)
	c.Next()
}

// pickLanguage sets the request's language (see language).
func (a *app) pickLanguage(c *gin.Context) {
	lang := langZh
	if v, err := c.Cookie(langCookie); err == nil && v == langEn {
		lang = langEn
	}
	if q := strings.ToLower(c.Query("lang")); q == langZh || q == langEn {
		lang = q
		http.SetCookie(c.Writer, &http.Cookie{Name: langCookie, Value: q, Path: Prefix + "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: c.Request.TLS != nil})
	}
	c.Set(langKey, lang)
}

// tr is the translator of the request's language.
func (a *app) tr(c *gin.Context) translator {
	return translator{lang: c.GetString(langKey), cat: a.cat}
}
