// SPDX-License-Identifier: Apache-2.0

package roster

import "slices"

// Role ranks: a role includes what every lower rank may do.
const (
	RankNone = iota
	RankMember
	RankManager
	RankAdmin
	RankOwner
)

// RoleRank returns the rank of a role name (RankNone for unknown names).
func RoleRank(role string) int {
	switch role {
	case "owner":
		return RankOwner
	case "admin":
		return RankAdmin
	case "manager":
		return RankManager
	case "member":
		return RankMember
	}
	return RankNone
}

// TopRank returns the highest rank among roles.
func TopRank(roles []string) int {
	top := RankNone
	for _, r := range roles {
		top = max(top, RoleRank(r))
	}
	return top
}

// Scopes narrow what a token's holder may do; a call needs both the role
// and the scope.
const (
	ScopeUsersRead         = "users:read"
	ScopeUsersWriteSelf    = "users:write:self"
	ScopeUsersWriteMembers = "users:write:members"
	ScopeUsersWriteAll     = "users:write:all"
	ScopeOrgsRead          = "orgs:read"
	ScopeOrgsWrite         = "orgs:write"
	ScopeWebhooksRead      = "webhooks:read"
	ScopeWebhooksWrite     = "webhooks:write"
	ScopeEventsRead        = "events:read"
	ScopeAuditRead         = "audit:read"
	ScopeKeysWrite         = "keys:write"
	// ScopeSCIM lets an identity provider provision users through
	// /scim/v2 (PRODUCT.md section 11): the token then acts as an admin
	// of its organisation's subtree, whatever more its holder may do.
	ScopeSCIM = "scim"
)

// AllScopes lists every scope.
var AllScopes = []string{ScopeUsersRead, ScopeUsersWriteSelf, ScopeUsersWriteMembers, ScopeUsersWriteAll,
	ScopeOrgsRead, ScopeOrgsWrite, ScopeWebhooksRead, ScopeWebhooksWrite, ScopeEventsRead, ScopeAuditRead, ScopeKeysWrite, ScopeSCIM}

// ScopesForRank returns the scopes that a role of the given rank can make
// use of: a token never carries more than its holder's best role allows.
func ScopesForRank(rank int) []string {
	switch {
	case rank >= RankAdmin:
		return slices.Clone(AllScopes)
	case rank == RankManager:
		return []string{ScopeUsersRead, ScopeUsersWriteSelf, ScopeUsersWriteMembers, ScopeOrgsRead, ScopeEventsRead, ScopeKeysWrite}
	case rank == RankMember:
		return []string{ScopeUsersRead, ScopeUsersWriteSelf, ScopeOrgsRead, ScopeEventsRead, ScopeKeysWrite}
	}
	return nil
}

// HasScope reports whether a caller's token allows scope. A token without
// a scope list allows every scope its holder's roles allow. The user write
// scopes nest: users:write:all includes users:write:members, which
// includes users:write:self.
func (c *Caller) HasScope(scope string) bool {
	if scope == ScopeKeysWrite && c.ImpersonatorID != "" {
		// An administrator signed in as someone else through an SSO link
		// manages no keys or clients in that user's name (they would
		// outlive the link), and sees none through introspection or the
		// event feed: whatever the token holds.
		return false
	}
	if len(c.Scopes) == 0 || slices.Contains(c.Scopes, scope) {
		return true
	}
	switch scope {
	case ScopeUsersWriteSelf:
		return slices.Contains(c.Scopes, ScopeUsersWriteMembers) || slices.Contains(c.Scopes, ScopeUsersWriteAll)
	case ScopeUsersWriteMembers:
		return slices.Contains(c.Scopes, ScopeUsersWriteAll)
	}
	return false
}

// BestRank returns the highest rank the user holds in any organisation.
func (u *User) BestRank() int {
	top := RankNone
	for _, m := range u.Memberships {
		top = max(top, TopRank(m.Roles))
	}
	return top
}

// RolesIn returns the roles the user holds directly in an organisation.
func (u *User) RolesIn(orgID string) []string {
	for _, m := range u.Memberships {
		if m.OrganizationID == orgID {
			return m.Roles
		}
	}
	return nil
}
