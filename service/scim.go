// SPDX-License-Identifier: Apache-2.0

package service

import (
	"context"
	"slices"

	"github.com/rosterhq/roster"
)

// scimScopes are what a SCIM token may do through the service: read and
// write users, and read and write organisations (SCIM Groups).
var scimScopes = []string{roster.ScopeUsersRead, roster.ScopeUsersWriteAll, roster.ScopeOrgsRead, roster.ScopeOrgsWrite}

// SCIMCaller returns the caller a /scim/v2 request acts as (PRODUCT.md
// section 11): a token that holds the scim scope by name acts as an
// admin of its organisation's subtree and of nothing else, whatever more
// its holder may do elsewhere, so that an identity provider's credential
// never reaches beyond the organisation it provisions. Its changes name
// the token (and its holder) as their actor. The holder must itself be
// an admin there: a scope narrows roles, it never grants them.
func (s *Service) SCIMCaller(ctx context.Context, c *roster.Caller) (*roster.Caller, error) {
	if !slices.Contains(c.Scopes, roster.ScopeSCIM) {
		return nil, forbidden("the token lacks the scope scim: SCIM needs an API key or client token made with the scim scope")
	}
	org := c.User.OrganizationID
	rank, err := s.rankAt(ctx, s.store, c, org)
	if err != nil {
		return nil, err
	}
	if rank < roster.RankAdmin {
		return nil, forbidden("a SCIM token acts as an admin of its organisation, but the user behind it is not an admin of %s", org)
	}
	roles := []string{"admin"}
	standIn := &roster.User{ID: c.User.ID, OrganizationID: org, Status: roster.StatusEnabled, Roles: roles,
		Memberships: []roster.Membership{{OrganizationID: org, Roles: roles}}}
	return &roster.Caller{User: standIn, KeyID: c.KeyID, ClientID: c.ClientID, Scopes: slices.Clone(scimScopes)}, nil
}
