// SPDX-License-Identifier: Apache-2.0

package service

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/rosterhq/roster"
)

// The authorisation model (PRODUCT.md section 3). Roles are held per
// membership and reach down the organisation tree: a manager, admin or
// owner of O acts on O and every descendant. A plain member sees only
// itself and the users and organisations it belongs to. Scopes on the
// token narrow what the roles allow. Anything the caller may not see is
// reported as not found; what it may see but not change is forbidden,
// naming the field or the missing scope.

// rootCache remembers the root organisation's id, which never changes.
// (A sync.Once reset from inside its own Do, to try again after a failed
// read, crashed the process with "unlock of unlocked mutex".)
type rootCache struct{ id atomic.Pointer[string] }

func (s *Service) rootOrg(ctx context.Context, r roster.Reader, anyOrg string) string {
	if id := s.root.id.Load(); id != nil {
		return *id
	}
	up, err := r.OrgAncestors(ctx, anyOrg)
	if err != nil {
		return "" // try again next time
	}
	id := anyOrg
	if len(up) > 0 {
		id = up[len(up)-1]
	}
	// Only an organisation that exists and has no parent is the root: a
	// deleted one (a webhook's, left by an earlier version) has no
	// ancestors either, and cached it would be everyone's ancestor. Read
	// outside r, which in a transaction would lock the root's row.
	if o, err := s.store.FindOrg(ctx, id); err != nil || o.ParentID != "" {
		return "" // try again next time
	}
	s.root.id.Store(&id)
	return id
}

// rankAt returns the caller's rank in an organisation: its best role held
// there or, for manager and above, in an ancestor.
func (s *Service) rankAt(ctx context.Context, r roster.Reader, c *roster.Caller, orgID string) (int, error) {
	rank := roster.TopRank(c.User.RolesIn(orgID))
	var reach []roster.Membership
	for _, m := range c.User.Memberships {
		top := roster.TopRank(m.Roles)
		if m.OrganizationID == orgID || top < roster.RankManager || top <= rank {
			continue
		}
		if m.OrganizationID == s.rootOrg(ctx, r, m.OrganizationID) {
			rank = top // the root is everyone's ancestor
			continue
		}
		reach = append(reach, m)
	}
	if len(reach) == 0 {
		return rank, nil
	}
	up, err := r.OrgAncestors(ctx, orgID)
	if err != nil {
		return 0, err
	}
	for _, m := range reach {
		if slices.Contains(up, m.OrganizationID) {
			rank = max(rank, roster.TopRank(m.Roles))
		}
	}
	return rank, nil
}

// visibility is what lists are limited to for a caller; nil means all.
func (s *Service) visibility(ctx context.Context, r roster.Reader, c *roster.Caller) *roster.Visibility {
	v := &roster.Visibility{Self: c.User.ID, Subtrees: []string{}, Orgs: []string{}}
	for _, m := range c.User.Memberships {
		if roster.TopRank(m.Roles) >= roster.RankManager {
			if m.OrganizationID == s.rootOrg(ctx, r, m.OrganizationID) {
				return nil
			}
			v.Subtrees = append(v.Subtrees, m.OrganizationID)
		} else {
			v.Orgs = append(v.Orgs, m.OrganizationID)
		}
	}
	return v
}

// administered is the visibility of what only admins see: the subtrees
// the caller administers (nil: everything, for an admin of the root).
func (s *Service) administered(ctx context.Context, c *roster.Caller) *roster.Visibility {
	v := &roster.Visibility{Self: c.User.ID, Subtrees: []string{}, Orgs: []string{}}
	for _, m := range c.User.Memberships {
		if roster.TopRank(m.Roles) >= roster.RankAdmin {
			if m.OrganizationID == s.rootOrg(ctx, s.store, m.OrganizationID) {
				return nil
			}
			v.Subtrees = append(v.Subtrees, m.OrganizationID)
		}
	}
	return v
}

// administeredWith is administered for a token with scope; a token
// without it sees only what is the caller's own (Self): scopes narrow
// what roles allow, in lists too.
func (s *Service) administeredWith(ctx context.Context, c *roster.Caller, scope string) *roster.Visibility {
	if !c.HasScope(scope) {
		return &roster.Visibility{Self: c.User.ID, Subtrees: []string{}, Orgs: []string{}}
	}
	return s.administered(ctx, c)
}

// canSeeUser reports whether u is visible to the caller: itself, a user
// with a membership below one of the caller's manager-or-higher
// memberships, or a user of an organisation the caller belongs to.
func (s *Service) canSeeUser(ctx context.Context, r roster.Reader, c *roster.Caller, u *roster.User) (bool, error) {
	if u.ID == c.User.ID {
		return true, nil
	}
	for _, m := range u.Memberships {
		if c.User.RolesIn(m.OrganizationID) != nil {
			return true, nil
		}
		rank, err := s.rankAt(ctx, r, c, m.OrganizationID)
		if err != nil || rank >= roster.RankManager {
			return err == nil, err
		}
	}
	return false, nil
}

// canSeeOrg reports whether an organisation is visible to the caller.
func (s *Service) canSeeOrg(ctx context.Context, r roster.Reader, c *roster.Caller, orgID string) (bool, error) {
	if c.User.RolesIn(orgID) != nil {
		return true, nil
	}
	rank, err := s.rankAt(ctx, r, c, orgID)
	return rank >= roster.RankManager, err
}

func forbidden(format string, args ...any) error {
	return roster.Errorf(roster.CodeForbidden, format, args...)
}

func needScope(c *roster.Caller, scopes ...string) error {
	if c.ImpersonatorID != "" && slices.Contains(scopes, roster.ScopeKeysWrite) {
		// Caller.HasScope never grants keys:write in an SSO link's
		// session; this says why rather than naming a missing scope.
		return forbidden("a session opened with an SSO link may not manage API keys or OAuth clients: the administrator behind it does that as themselves")
	}
	for _, sc := range scopes {
		if c.HasScope(sc) {
			return nil
		}
	}
	return forbidden("the token lacks the scope %s", strings.Join(scopes, " or "))
}

// changedAdminFields lists the admin fields that differ between cur and next.
func changedAdminFields(cur, next *roster.User) []string {
	var out []string
	if cur.Status != next.Status {
		out = append(out, "status")
	}
	if !slices.Equal(cur.Roles, next.Roles) {
		out = append(out, "roles")
	}
	if cur.OrganizationID != next.OrganizationID {
		out = append(out, "organization_id")
	}
	if cur.ManagerID != next.ManagerID {
		out = append(out, "manager_id")
	}
	if cur.ExternalID != next.ExternalID {
		out = append(out, "external_id")
	}
	return out
}

// profileChanged reports whether next differs from cur in anything but
// the admin fields.
func profileChanged(cur, next *roster.User) bool {
	x := *next
	x.Status, x.Roles, x.OrganizationID, x.ManagerID, x.ExternalID, x.Memberships = cur.Status, cur.Roles, cur.OrganizationID, cur.ManagerID, cur.ExternalID, cur.Memberships
	return !roster.SameContent(cur, &x)
}

// checkUserChange decides whether the caller may turn cur into next (cur
// nil for a creation). The caller can already see cur. What the caller's
// roles forbid is checked before its token's scopes, so that a 403 names
// the field rather than a scope that would not help.
func (s *Service) checkUserChange(ctx context.Context, r roster.Reader, c *roster.Caller, cur, next *roster.User) error {
	if cur == nil {
		if err := s.checkReferences(ctx, r, c, cur, next); err != nil {
			return err
		}
		if err := s.checkAdminAt(ctx, r, c, next.OrganizationID, next.Roles, "create users in this organisation"); err != nil {
			return err
		}
		return needScope(c, roster.ScopeUsersWriteAll)
	}
	admin := changedAdminFields(cur, next)
	memberships := !slices.EqualFunc(cur.Memberships, next.Memberships, func(a, b roster.Membership) bool {
		return a.OrganizationID == b.OrganizationID && slices.Equal(a.Roles, b.Roles)
	})
	if len(admin) > 0 || memberships {
		// A membership in another organisation alone is granted by
		// PutMember, which checks the caller administers that one.
		what := "change this user's memberships"
		if len(admin) > 0 {
			what = "change " + admin[0]
			if err := s.checkAdminAt(ctx, r, c, cur.OrganizationID, nil, what); err != nil {
				return err
			}
		}
		if slices.Contains(admin, "roles") {
			var granted []string
			for _, role := range next.Roles {
				if !slices.Contains(cur.Roles, role) {
					granted = append(granted, role)
				}
			}
			if err := s.checkAdminAt(ctx, r, c, cur.OrganizationID, granted, "change roles"); err != nil {
				return err
			}
		}
		ownersCall := memberships || slices.ContainsFunc(admin, func(f string) bool {
			return f == "status" || f == "roles" || f == "organization_id"
		})
		if err := s.checkRank(ctx, r, c, cur, ownersCall, what); err != nil {
			return err
		}
		if err := s.checkReferences(ctx, r, c, cur, next); err != nil {
			return err
		}
		if slices.Contains(admin, "organization_id") {
			if err := s.checkAdminAt(ctx, r, c, next.OrganizationID, nil, "change organization_id to that organisation"); err != nil {
				return err
			}
		}
		if err := needScope(c, roster.ScopeUsersWriteAll); err != nil {
			return err
		}
	}
	if !profileChanged(cur, next) && (len(admin) > 0 || memberships) {
		return nil
	}
	// A profile change, or a write that changes nothing, which is judged
	// as one: a write route is no way to read a user without its scope.
	if cur.ID == c.User.ID {
		return needScope(c, roster.ScopeUsersWriteSelf)
	}
	rank, err := s.rankAt(ctx, r, c, cur.OrganizationID)
	if err != nil {
		return err
	}
	if rank < roster.RankManager {
		return forbidden("you may change only your own profile")
	}
	if len(admin) == 0 && !memberships { // else checkRank ran above, asking as much or more
		if err := s.checkRank(ctx, r, c, cur, false, "change this user's profile"); err != nil {
			return err
		}
	}
	// A user's "members" are those who hold no role above member.
	onlyMember := cur.BestRank() <= roster.RankMember
	switch {
	case onlyMember:
		return needScope(c, roster.ScopeUsersWriteMembers)
	case rank >= roster.RankAdmin:
		return needScope(c, roster.ScopeUsersWriteAll)
	}
	return forbidden("you may not change this user's profile: a manager changes only users whose only role is member")
}

// checkRank applies the rank rule (PRODUCT.md section 3): a caller acts
// on u only if its rank is at least u's in every organisation where u
// holds manager or higher. An owner's call (changing the roles of,
// disabling, moving or deleting, or taking over the sign-in of a user who
// holds admin or owner) needs the owner rank in each organisation where u
// holds admin or owner. Every call that acts on another user passes
// through here; a rank held in an organisation reaches below it. Users
// acting on themselves go up nowhere (an admin may step down itself).
func (s *Service) checkRank(ctx context.Context, r roster.Reader, c *roster.Caller, u *roster.User, ownersCall bool, what string) error {
	if u.ID == c.User.ID {
		return nil
	}
	for _, m := range u.Memberships {
		held := roster.TopRank(m.Roles)
		if held < roster.RankManager {
			continue
		}
		need := held
		if ownersCall && held >= roster.RankAdmin {
			need = roster.RankOwner
		}
		rank, err := s.rankAt(ctx, r, c, m.OrganizationID)
		if err != nil {
			return err
		}
		if rank >= need {
			continue
		}
		if need > held {
			return forbidden("you may not %s: the user is %s there, and only an owner may do that to an admin or owner", what, roleName(held))
		}
		return forbidden("you may not %s: the user is %s in an organisation where you rank lower", what, roleName(held))
	}
	return nil
}

// actOnUser decides whether the caller may act on another user's account
// as an administrator (set its password, remove its second factor,
// change its email or username, lift its lockout, create a key for it):
// it must administer the user's home organisation and, by the rank rule,
// be an owner wherever the user is an admin or owner, since each of these
// can take the account over.
func (s *Service) actOnUser(ctx context.Context, r roster.Reader, c *roster.Caller, u *roster.User, what string) error {
	if err := s.checkAdminAt(ctx, r, c, u.OrganizationID, nil, what); err != nil {
		return err
	}
	return s.checkRank(ctx, r, c, u, true, what)
}

// recheckUser repeats actOnUser inside a write transaction on the user as
// it is there, when it changed since the check (a role granted meanwhile).
func (s *Service) recheckUser(ctx context.Context, tx roster.Tx, c *roster.Caller, checked, cur *roster.User, what string) error {
	if cur.Version == checked.Version || cur.ID == c.User.ID {
		return nil
	}
	return s.actOnUser(ctx, tx, c, cur, what)
}

func roleName(rank int) string {
	return [...]string{"nothing", "member", "manager", "admin", "owner"}[rank]
}

// checkReferences hides what the caller may not see behind the body's
// references: a new organisation or manager it cannot see is refused
// exactly like one that does not exist.
func (s *Service) checkReferences(ctx context.Context, r roster.Reader, c *roster.Caller, cur, next *roster.User) error {
	if cur == nil || next.OrganizationID != cur.OrganizationID {
		if ok, err := s.canSeeOrg(ctx, r, c, next.OrganizationID); err != nil {
			return err
		} else if !ok {
			return roster.Invalid(roster.FieldError{Location: "body.organization_id", Message: "organization_id does not name an organisation", Value: next.OrganizationID})
		}
	}
	if next.ManagerID != "" && (cur == nil || next.ManagerID != cur.ManagerID) {
		m, err := r.FindUser(ctx, next.ManagerID)
		if err != nil && roster.ErrorCode(err) != roster.CodeNotFound {
			return err
		}
		ok := false
		if err == nil {
			if ok, err = s.canSeeUser(ctx, r, c, m); err != nil {
				return err
			}
		}
		if !ok {
			return roster.Invalid(roster.FieldError{Location: "body.manager_id", Message: "manager_id does not name a user", Value: next.ManagerID})
		}
	}
	return nil
}

// checkAdminAt requires the caller to administer orgID, and to be an
// owner there when it grants roles that include owner or admin.
func (s *Service) checkAdminAt(ctx context.Context, r roster.Reader, c *roster.Caller, orgID string, roles []string, what string) error {
	rank, err := s.rankAt(ctx, r, c, orgID)
	if err != nil {
		return err
	}
	if rank < roster.RankAdmin {
		return forbidden("you may not %s: it needs the admin role there", what)
	}
	if roster.TopRank(roles) >= roster.RankAdmin && rank < roster.RankOwner {
		return forbidden("you may not %s: only an owner grants or changes the owner and admin roles", what)
	}
	return nil
}
