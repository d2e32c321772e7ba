// SPDX-License-Identifier: Apache-2.0

package service

import (
	"context"
	"slices"

	"github.com/rosterhq/roster"
)

// Members returns one page of the users with a membership in an
// organisation.
func (s *Service) Members(ctx context.Context, c *roster.Caller, orgID string, f roster.UserFilter) ([]*roster.User, *roster.Cursor, error) {
	if _, err := s.findVisibleOrg(ctx, s.store, c, orgID); err != nil {
		return nil, nil, err
	}
	if err := needScope(c, roster.ScopeUsersRead); err != nil {
		return nil, nil, err
	}
	f.MemberOf = orgID
	f.Visible = s.visibility(ctx, s.store, c)
	return s.store.FindUsers(ctx, f)
}

// PutMember gives a user a membership in an organisation with the given
// roles, or replaces the roles of the one it has. In the user's home
// organisation this sets the user's roles. pre is checked against the
// user's version.
func (s *Service) PutMember(ctx context.Context, c *roster.Caller, orgID, userID string, roles []string, pre Precondition) (*roster.User, error) {
	if _, err := s.findVisibleOrg(ctx, s.store, c, orgID); err != nil {
		return nil, err
	}
	roles, err := roster.CheckRoles(roles)
	if err != nil {
		return nil, err
	}
	if err := s.checkAdminAt(ctx, s.store, c, orgID, roles, "grant these roles"); err != nil {
		return nil, err
	}
	if err := needScope(c, roster.ScopeUsersWriteAll); err != nil {
		return nil, err
	}
	typ := EventMembershipUpdated
	return s.updateUserAs(ctx, c, userID, pre, &typ, func(r roster.Reader, cur *roster.User) (*roster.User, error) {
		u := cur.Clone()
		if orgID == u.OrganizationID {
			u.Roles = roles
		}
		i := slices.IndexFunc(u.Memberships, func(m roster.Membership) bool { return m.OrganizationID == orgID })
		if i >= 0 {
			u.Memberships[i].Roles = roles
		} else {
			u.Memberships = append(u.Memberships, roster.Membership{OrganizationID: orgID, Roles: roles})
			typ = EventMembershipCreated
		}
		return u, nil
	})
}

// DeleteMember removes a user's membership in an organisation other than
// its home. pre is checked against the user's version.
func (s *Service) DeleteMember(ctx context.Context, c *roster.Caller, orgID, userID string, pre Precondition) error {
	if _, err := s.findVisibleOrg(ctx, s.store, c, orgID); err != nil {
		return err
	}
	typ := EventMembershipDeleted
	_, err := s.updateUserAs(ctx, c, userID, pre, &typ, func(r roster.Reader, cur *roster.User) (*roster.User, error) {
		i := slices.IndexFunc(cur.Memberships, func(m roster.Membership) bool { return m.OrganizationID == orgID })
		if i < 0 {
			return nil, notFound("membership")
		}
		if err := s.checkAdminAt(ctx, r, c, orgID, nil, "remove this membership"); err != nil {
			return nil, err
		}
		if err := needScope(c, roster.ScopeUsersWriteAll); err != nil {
			return nil, err
		}
		if orgID == cur.OrganizationID {
			return nil, roster.Errorf(roster.CodeConflict, "the home membership cannot be removed: move the user to another organisation (organization_id) first")
		}
		u := cur.Clone()
		u.Memberships = slices.Delete(u.Memberships, i, i+1)
		return u, nil
	})
	return err
}
