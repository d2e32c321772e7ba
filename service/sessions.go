// SPDX-License-Identifier: Apache-2.0

package service

import (
	"context"
	"fmt"
	"time"

	"github.com/rosterhq/roster"
)

// The sessions API (PRODUCT.md section 9, "Browser sessions"): a user's
// browser sessions, ending one, and signing out everywhere. The user
// itself may, and so may those who administer it under the rank rule;
// ending someone's sessions is an owner's call for an admin or owner, as
// for the other calls that reach into an account's sign-in (actOnUser).

// EventSessionsRevoked is written when a user is signed out everywhere.
const EventSessionsRevoked = "sessions.revoked"

// sessionReader resolves the user of a sessions call that reads: the
// user itself, or an administrator of it whose rank is at least the
// user's (checkRank), each with users:read.
func (s *Service) sessionReader(ctx context.Context, c *roster.Caller, ref string) (*roster.User, error) {
	u, err := s.findVisibleUser(ctx, s.store, c, ref)
	if err != nil {
		return nil, err
	}
	if u.ID != c.User.ID {
		const what = "see this user's sessions"
		if err := s.checkAdminAt(ctx, s.store, c, u.OrganizationID, nil, what); err != nil {
			return nil, err
		}
		if err := s.checkRank(ctx, s.store, c, u, false, what); err != nil {
			return nil, err
		}
	}
	return u, needScope(c, roster.ScopeUsersRead)
}

// UserSessions lists a page of a user's live browser sessions, newest
// first.
func (s *Service) UserSessions(ctx context.Context, c *roster.Caller, ref string, p roster.Page) ([]*roster.Session, *roster.Cursor, error) {
	u, err := s.sessionReader(ctx, c, ref)
	if err != nil {
		return nil, nil, err
	}
	return s.store.FindUserSessions(ctx, u.ID, time.Now(), p)
}

// EndUserSession ends one of a user's sessions and revokes the tokens
// issued in it, with a session.revoked event. A session of another user,
// or one that has ended, is not found.
func (s *Service) EndUserSession(ctx context.Context, c *roster.Caller, ref, sessionID string) error {
	const what = "end this user's sessions"
	u, _, err := s.selfOrAdmin(ctx, c, ref, what)
	if err != nil {
		return err
	}
	if !roster.ValidID(roster.PrefixSession, sessionID) {
		return notFound("session")
	}
	return s.update(ctx, func(tx roster.Tx) error {
		cur, err := s.lockCheckedUser(ctx, tx, c, u, what)
		if err != nil {
			return err
		}
		ses, err := tx.FindSessionByID(ctx, sessionID)
		if err != nil {
			return asNotFound(err, "session")
		}
		if ses.UserID != cur.ID || !time.Now().Before(ses.ExpiresAt) {
			return notFound("session") // as the list: another's, or over
		}
		gone, err := tx.DeleteSession(ses.ID)
		if err != nil {
			return err
		}
		if !gone {
			return notFound("session") // ended meanwhile
		}
		return s.recordCredential(ctx, tx, c, EventSessionRevoked, "session", ses.ID, cur.OrganizationID, docOfSession(ses, ""), nil)
	})
}

// EndUserSessions signs a user out everywhere: every browser session
// and every access and refresh token (API keys stay: they are revoked
// one by one). One sessions.revoked event (the user as it is, with what
// ended as its reason); nothing to end writes nothing.
func (s *Service) EndUserSessions(ctx context.Context, c *roster.Caller, ref string) error {
	const what = "end this user's sessions"
	u, _, err := s.selfOrAdmin(ctx, c, ref, what)
	if err != nil {
		return err
	}
	return s.update(ctx, func(tx roster.Tx) error {
		cur, err := s.lockCheckedUser(ctx, tx, c, u, what)
		if err != nil {
			return err
		}
		sessions, err := tx.DeleteUserSessions(cur.ID)
		if err != nil {
			return err
		}
		var tokens int64
		for _, kind := range []string{roster.TokenAccess, roster.TokenRefresh} {
			n, err := tx.DeleteUserTokensOfKind(cur.ID, kind)
			if err != nil {
				return err
			}
			tokens += n
		}
		if sessions == 0 && tokens == 0 {
			return nil // nothing to end: no change, no event
		}
		e, err := userEvent(ctx, c, EventSessionsRevoked, cur, cur)
		if err != nil {
			return err
		}
		e.Reason = fmt.Sprintf("signed out everywhere: %d browser sessions and %d access and refresh tokens ended", sessions, tokens)
		return s.appendEvent(tx, e)
	})
}

// lockCheckedUser reads (locks) the user inside the write and repeats
// the authorisation on it when it changed since the check.
func (s *Service) lockCheckedUser(ctx context.Context, tx roster.Tx, c *roster.Caller, checked *roster.User, what string) (*roster.User, error) {
	cur, err := lockUser(ctx, tx, checked.ID)
	if err != nil {
		return nil, err
	}
	return cur, s.recheckUser(ctx, tx, c, checked, cur, what)
}
