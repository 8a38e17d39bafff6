package domain

import (
	"slices"
	"testing"
)

func TestPermissionTable(t *testing.T) {
	tests := []struct {
		role  Role
		perm  Permission
		want  bool
		scope Scope
	}{
		{RoleReceptionist, PermCaseCreate, true, ScopeCommunities},
		{RoleReceptionist, ActPermission(ActionCallback), true, ScopeCommunities},
		{RoleReceptionist, ActPermission(ActionRoute), false, ScopeCommunities},
		{RoleReceptionist, PermHandbookWrite, false, ScopeCommunities},
		{RoleReceptionist, PermTrainingManage, false, ScopeCommunities},
		{RoleHandler, PermCaseCreate, false, ScopeDepartment},
		{RoleHandler, ActPermission(ActionResolve), true, ScopeDepartment},
		{RoleHandler, ActPermission(ActionRoute), false, ScopeDepartment},
		{RoleDepartmentHead, ActPermission(ActionDispatch), true, ScopeDepartment},
		{RoleSupervisor, ActPermission(ActionRoute), true, ScopeCommunities},
		{RoleSupervisor, PermScheduleManage, true, ScopeCommunities},
		{RoleSupervisor, PermFeeWrite, false, ScopeCommunities},
		{RoleSupervisor, PermReferenceImport, false, ScopeCommunities},
		{RoleCentreManager, PermEvaluationSettings, true, ScopeCommunities},
		{RolePropertyManager, ActPermission(ActionWithdraw), true, ScopeAll},
		{RoleAdmin, PermAccountManage, true, ScopeNone},
		{RoleAdmin, PermCaseRead, false, ScopeNone},
		{RoleAuditor, PermAuditRead, true, ScopeAll},
		{RoleAuditor, PermPhoneReveal, false, ScopeAll},
		{RoleAuditor, ActPermission(ActionFeedback), false, ScopeAll},
		{Role("janitor"), PermCaseRead, false, ScopeNone},
	}
	for _, tt := range tests {
		if got := tt.role.Allows(tt.perm); got != tt.want {
			t.Errorf("%s may %s: %t, want %t", tt.role, tt.perm, got, tt.want)
		}
		if got := tt.role.Scope(); got != tt.scope {
			t.Errorf("%s reaches %d, want %d", tt.role, got, tt.scope)
		}
	}
}

// TestEveryActionHasSomeoneToDoIt: an action a kind declares that no role
// may take would leave cases stuck.
func TestEveryActionHasSomeoneToDoIt(t *testing.T) {
	for _, spec := range Kinds() {
		for _, a := range spec.ActionNames() {
			if !slices.ContainsFunc(Roles(), func(r Role) bool { return r.Allows(ActPermission(a)) }) {
				t.Errorf("no role may %s a %s", a, spec.Kind)
			}
			for _, r := range []Role{RoleCentreManager, RolePropertyManager, RoleSupervisor} {
				if !r.Allows(ActPermission(a)) {
					t.Errorf("%s may not %s a %s", r, a, spec.Kind)
				}
			}
		}
	}
}

func TestAuditorChangesNothing(t *testing.T) {
	for _, p := range RoleAuditor.Permissions() {
		if p.Writes() {
			t.Errorf("the auditor holds %s, which changes something", p)
		}
	}
	for _, r := range Roles() {
		if !r.Valid() || len(r.Permissions()) == 0 {
			t.Errorf("%s has no permissions", r)
		}
	}
}
