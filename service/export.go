// SPDX-License-Identifier: Apache-2.0

package service

import (
	"context"

	"github.com/rosterhq/roster"
)

// ExportUsers calls fn with every user the caller may see (the visibility
// of Users), in creation order, read from one consistent snapshot of the
// store; with orgID, only the users of that organisation and its
// descendants (as GET /v1/users with include_descendants: an organisation
// the caller may not see gives only what its visibility allows of it,
// which may be nothing). The users are for reading only (they may be shared with the store's cache). fn's error stops the
// export and is returned.
func (s *Service) ExportUsers(ctx context.Context, c *roster.Caller, orgID string, fn func(*roster.User) error) error {
	if err := needScope(c, roster.ScopeUsersRead); err != nil {
		return err
	}
	return s.store.ExportUsers(ctx, s.visibility(ctx, s.store, c), orgID, fn)
}
