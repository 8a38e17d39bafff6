package domain

import "slices"

// Who may do what (docs/DESIGN.md §7.6). Every API route names the one
// permission it needs; a role holds the permissions listed for it here and
// nothing else, so a route or an action nobody listed is refused to all.
// Scopes narrow what a permission reaches: most staff work in their own
// communities, handlers and department heads on their department's cases.

// Role is what a member of staff does at the centre.
type Role string

const (
	RoleReceptionist    Role = "receptionist"     // 前台
	RoleHandler         Role = "handler"          // 处理人
	RoleDepartmentHead  Role = "department_head"  // 部门负责人
	RoleSupervisor      Role = "supervisor"       // 主管
	RoleCentreManager   Role = "centre_manager"   // 中心经理
	RolePropertyManager Role = "property_manager" // 物业经理
	RoleAdmin           Role = "admin"            // 系统管理员: accounts and reference data
	RoleAuditor         Role = "auditor"          // 审计: reads everything, changes nothing
)

// Roles lists every role, from the counter up, then admin and auditor.
func Roles() []Role {
	return []Role{RoleReceptionist, RoleHandler, RoleDepartmentHead, RoleSupervisor, RoleCentreManager,
		RolePropertyManager, RoleAdmin, RoleAuditor}
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles(), r) }

// Permission names one thing a role may be allowed to do.
type Permission string

const (
	PermCaseRead     Permission = "case:read"     // lists and single cases
	PermCaseCreate   Permission = "case:create"   // record a complaint or repair
	PermCaseTracking Permission = "case:tracking" // a resident's tracking link: show, resend
	PermPhoneReveal  Permission = "phone:reveal"  // a resident's full phone number (audited)
	PermResidentName Permission = "resident:name" // residents' names, which others see masked

	PermVisitRecord Permission = "visit:record" // record a visit and its exit rating
	PermVisitRead   Permission = "visit:read"

	PermCallbackWork  Permission = "callback:work" // the month's callback tasks and their results
	PermEmailTriage   Permission = "email:triage"  // the inbound email queue
	PermNotifications Permission = "notification:read"

	PermReferenceRead   Permission = "reference:read"   // communities, units, departments, staff, handbook, fees
	PermReferenceImport Permission = "reference:import" // spreadsheet imports, staff included
	PermHandbookWrite   Permission = "handbook:write"
	PermFeeWrite        Permission = "fee:write"

	PermReportRead         Permission = "report:read" // KPIs, monthly analysis, evaluations
	PermExport             Permission = "report:export"
	PermEvaluationSettings Permission = "evaluation:settings"
	PermScheduleRead       Permission = "schedule:read"
	PermScheduleManage     Permission = "schedule:manage" // pause, unpause, trigger

	PermTrainingRead   Permission = "training:read"   // cycles, own results, questions, calendar
	PermTrainingManage Permission = "training:manage" // start cycles, record results, questions, calendar

	PermAuditRead     Permission = "audit:read"
	PermAccountManage Permission = "account:manage" // accounts and API tokens
	// PermOwnAccount: one's own sign-in, session and tokens; every role
	// holds it.
	PermOwnAccount Permission = "account:own"
	// PermPayloadDecode: the Temporal Web UI's remote codec, which shows
	// workflow payloads in clear.
	PermPayloadDecode Permission = "payload:decode"
)

// ActPermission is the permission to apply one action to a case.
func ActPermission(a Action) Permission { return Permission("case:act:" + string(a)) }

// Scope is how far a role's permissions reach.
type Scope int

const (
	// ScopeNone: the role works on no cases (admin).
	ScopeNone Scope = iota
	// ScopeDepartment: the cases held by the member's department, in
	// their communities.
	ScopeDepartment
	// ScopeCommunities: everything in the member's communities.
	ScopeCommunities
	// ScopeAll: every community.
	ScopeAll
)

// String names the scope as the README's table shows it.
func (s Scope) String() string {
	switch s {
	case ScopeDepartment:
		return "department"
	case ScopeCommunities:
		return "communities"
	case ScopeAll:
		return "all"
	}
	return "none"
}

// grant is the permission table.
func grant(r Role) (Scope, []Permission) {
	acts := func(as ...Action) []Permission {
		out := make([]Permission, len(as))
		for i, a := range as {
			out[i] = ActPermission(a)
		}
		return out
	}
	// Supervisors and managers take every action of every kind in the
	// registry, so a new kind's actions need no line here to be taken.
	var everyAction []Permission
	for _, k := range Kinds() {
		for _, a := range k.ActionNames() {
			if p := ActPermission(a); !slices.Contains(everyAction, p) {
				everyAction = append(everyAction, p)
			}
		}
	}
	staff := []Permission{PermOwnAccount, PermCaseRead, PermReferenceRead, PermTrainingRead}
	reports := []Permission{PermReportRead, PermNotifications, PermScheduleRead, PermVisitRead}
	switch r {
	case RoleReceptionist:
		// The counter records every need, passes on what residents say,
		// withdraws or cancels at their request and makes the callbacks.
		return ScopeCommunities, slices.Concat(staff, []Permission{PermCaseCreate, PermCaseTracking, PermPhoneReveal, PermResidentName,
			PermVisitRecord, PermVisitRead, PermCallbackWork, PermEmailTriage},
			acts(ActionFeedback, ActionCallback, ActionWithdraw, ActionCancel))
	case RoleHandler:
		// Handlers work their department's cases in the field.
		return ScopeDepartment, slices.Concat(staff, []Permission{PermPhoneReveal, PermResidentName},
			acts(ActionAcknowledge, ActionFeedback, ActionResolve, ActionArrive, ActionComplete))
	case RoleDepartmentHead:
		// Heads also hand their department's cases to the right person.
		return ScopeDepartment, slices.Concat(staff, []Permission{PermPhoneReveal, PermResidentName, PermReportRead},
			acts(ActionRoute, ActionAcknowledge, ActionFeedback, ActionResolve, ActionDispatch, ActionArrive, ActionComplete))
	case RoleSupervisor:
		// Supervisors route, run the handbook, schedules, reports and
		// training of their communities.
		return ScopeCommunities, slices.Concat(staff, reports, everyAction, []Permission{PermCaseCreate, PermCaseTracking,
			PermPhoneReveal, PermResidentName, PermVisitRecord, PermCallbackWork, PermEmailTriage, PermHandbookWrite, PermExport,
			PermScheduleManage, PermTrainingManage, PermPayloadDecode})
	case RoleCentreManager:
		return ScopeCommunities, slices.Concat(staff, reports, everyAction, []Permission{PermCaseCreate, PermCaseTracking,
			PermPhoneReveal, PermResidentName, PermVisitRecord, PermCallbackWork, PermEmailTriage, PermHandbookWrite, PermFeeWrite, PermExport,
			PermEvaluationSettings, PermScheduleManage, PermTrainingManage, PermPayloadDecode})
	case RolePropertyManager:
		// The top of the escalation ladder, across every community.
		return ScopeAll, slices.Concat(staff, reports, everyAction, []Permission{PermCaseTracking, PermPhoneReveal, PermResidentName,
			PermHandbookWrite, PermFeeWrite, PermExport, PermEvaluationSettings, PermScheduleManage, PermPayloadDecode})
	case RoleAdmin:
		// Accounts and reference data; no cases and no residents.
		return ScopeNone, []Permission{PermOwnAccount, PermReferenceRead, PermReferenceImport, PermFeeWrite, PermAccountManage,
			PermAuditRead, PermScheduleRead, PermTrainingRead, PermTrainingManage}
	case RoleAuditor:
		// Reads everything, the audit log included, and changes nothing;
		// residents' numbers stay masked.
		return ScopeAll, slices.Concat(staff, reports, []Permission{PermExport, PermAuditRead})
	}
	return ScopeNone, nil
}

// Allows reports whether role r holds permission p.
func (r Role) Allows(p Permission) bool {
	_, perms := grant(r)
	return slices.Contains(perms, p)
}

// Scope is how far role r's permissions reach.
func (r Role) Scope() Scope {
	s, _ := grant(r)
	return s
}

// Permissions lists what role r may do, sorted.
func (r Role) Permissions() []Permission {
	_, perms := grant(r)
	out := slices.Clone(perms)
	slices.Sort(out)
	return slices.Compact(out)
}

// Writes reports whether permission p changes anything; an auditor holds
// none that does.
func (p Permission) Writes() bool {
	switch p {
	case PermCaseRead, PermResidentName, PermVisitRead, PermNotifications, PermReferenceRead, PermReportRead, PermExport,
		PermScheduleRead, PermTrainingRead, PermAuditRead, PermPayloadDecode,
		PermOwnAccount: // one's own sign-in and tokens, no record of the desk

		return false
	}
	return true
}
