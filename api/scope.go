package api

import (
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/store"
)

// communityScope is how far the caller reaches among communities
// (docs/DESIGN.md §7.6): all is true for roles scoped to every community,
// for service tokens (a service role names no member of staff, so no
// staff_communities rows; the token's issuer, an admin, answers for it)
// and for roles with no case scope (admin, whose reference work spans
// every community). Otherwise codes are the member's communities, never
// nil, so an empty list reaches nothing.
func communityScope(c *gin.Context) (codes []string, all bool) {
	id, _ := identity(c)
	return reach(id)
}

// reach is communityScope of an identity.
func reach(id store.Identity) (codes []string, all bool) {
	switch roleOf(id).Scope() {
	case domain.ScopeCommunities, domain.ScopeDepartment:
		if id.StaffCode == "" {
			return nil, true
		}
		if id.Communities == nil {
			return []string{}, false
		}
		return id.Communities, false
	}
	return nil, true
}

// inCommunities says whether the caller reaches the community.
func inCommunities(c *gin.Context, community string) bool {
	codes, all := communityScope(c)
	return all || slices.Contains(codes, community)
}

// scopedCommunities is the communities filter a list applies: nil for
// every community, else the caller's (empty: none).
func scopedCommunities(c *gin.Context) []string {
	codes, all := communityScope(c)
	if all {
		return nil
	}
	return codes
}
