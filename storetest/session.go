// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

// sessionBehaviours cover browser sign-in: sessions and the tokens issued
// in them, authorization codes, consents and the lookup by email.
var sessionBehaviours = []behaviour{
	{"Sessions/FindAndList", testSessions},
	{"Sessions/DeleteRevokesItsTokens", testSessionTokens},
	{"Sessions/MoveTokensToAnotherSession", testMoveSessionTokens},
	{"Sessions/AuthCodeTakenOnce", testAuthCodes},
	{"Sessions/Consents", testConsents},
	{"Sessions/FindUserByEmail", testFindUserByEmail},
}

func newSession(userID string, n int) *roster.Session {
	return &roster.Session{ID: roster.NewID(roster.PrefixSession), UserID: userID, CreatedAt: at(n), LastSeenAt: at(n), ExpiresAt: at(n + 60),
		AuthTime: at(n), AMR: []string{roster.AMRPassword}, UserAgent: "test/1.0", Address: "192.0.2.1",
		Hash: roster.HashKeySecret(roster.NewTokenSecret("rsc_"))}
}

func testSessions(t *testing.T, s roster.Store) {
	ctx := context.Background()
	org := MustCreateOrg(t, s, "", "Root")
	u := MustCreateUser(t, s, org, "ses@example.com")
	v := MustCreateUser(t, s, org, "ses2@example.com")
	a, b, c := newSession(u.ID, 0), newSession(u.ID, 1), newSession(v.ID, 2)
	b.AMR, b.ImpersonatorID = []string{roster.AMRPassword, roster.AMROTP}, "usr_admin"
	mustUpdate(t, s, func(tx roster.Tx) error {
		for _, x := range []*roster.Session{a, b, c} {
			if err := tx.CreateSession(x); err != nil {
				return err
			}
		}
		return nil
	})
	got, err := s.FindSession(ctx, b.Hash)
	if err != nil || !reflect.DeepEqual(got, b) {
		t.Fatalf("FindSession = %+v, %v; want %+v", got, err, b)
	}
	if got, err := s.FindSessionByID(ctx, a.ID); err != nil || !reflect.DeepEqual(got, a) {
		t.Fatalf("FindSessionByID = %+v, %v; want %+v", got, err, a)
	}
	_, err = s.FindSession(ctx, roster.HashKeySecret("nope"))
	wantCode(t, "FindSession of an unknown secret", err, roster.CodeNotFound)
	list, _, err := s.FindUserSessions(ctx, u.ID, time.Time{}, roster.Page{})
	if err != nil || len(list) != 2 || list[0].ID != b.ID || list[1].ID != a.ID {
		t.Fatalf("FindUserSessions = %v, %v; want b then a", list, err)
	}
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.TouchSession(a.ID, at(5)) })
	if got, _ := s.FindSessionByID(ctx, a.ID); !got.LastSeenAt.Equal(at(5)) {
		t.Errorf("after TouchSession last_seen_at = %v, want %v", got.LastSeenAt, at(5))
	}
	err = update(s, func(tx roster.Tx) error { return tx.TouchSession(roster.NewID(roster.PrefixSession), at(5)) })
	wantCode(t, "TouchSession of a missing session", err, roster.CodeNotFound)
	var n int64
	mustUpdate(t, s, func(tx roster.Tx) (err error) { n, err = tx.DeleteUserSessions(u.ID); return err })
	if n != 2 {
		t.Errorf("DeleteUserSessions removed %d, want 2", n)
	}
	if list, _, _ := s.FindUserSessions(ctx, u.ID, time.Time{}, roster.Page{}); len(list) != 0 {
		t.Errorf("sessions left after DeleteUserSessions: %v", list)
	}
	if _, err := s.FindSession(ctx, c.Hash); err != nil {
		t.Errorf("another user's session is gone: %v", err)
	}
	mustUpdate(t, s, func(tx roster.Tx) error { _, err := tx.PurgeCredentials(at(59)); return err })
	if _, err := s.FindSession(ctx, c.Hash); err != nil {
		t.Errorf("a session purged before it expired: %v", err)
	}
	mustUpdate(t, s, func(tx roster.Tx) error { _, err := tx.PurgeCredentials(at(63)); return err })
	_, err = s.FindSession(ctx, c.Hash)
	wantCode(t, "FindSession after it expired and was purged", err, roster.CodeNotFound)
	d := newSession(v.ID, 3)
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.CreateSession(d) })
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.DeleteUser(v.ID) })
	_, err = s.FindSession(ctx, d.Hash)
	wantCode(t, "FindSession after its user is deleted", err, roster.CodeNotFound)
}

func testSessionTokens(t *testing.T, s roster.Store) {
	ctx := context.Background()
	org := MustCreateOrg(t, s, "", "Root")
	u := MustCreateUser(t, s, org, "sestok@example.com")
	one, two := newSession(u.ID, 0), newSession(u.ID, 1)
	inOne, inTwo, outside := newToken(roster.TokenRefresh, "f1", u.ID, ""), newToken(roster.TokenRefresh, "f2", u.ID, ""), newToken(roster.TokenAccess, "f3", u.ID, "")
	inOne.SessionID, inTwo.SessionID = one.ID, two.ID
	mustUpdate(t, s, func(tx roster.Tx) error {
		if err := createEach(tx.CreateSession, one, two); err != nil {
			return err
		}
		return createEach(tx.CreateToken, inOne, inTwo, outside)
	})
	if got, err := s.FindToken(ctx, inOne.Hash); err != nil || got.SessionID != one.ID {
		t.Fatalf("FindToken = %+v, %v; want session %s", got, err, one.ID)
	}
	var gone bool
	mustUpdate(t, s, func(tx roster.Tx) (err error) { gone, err = tx.DeleteSession(one.ID); return err })
	if !gone {
		t.Error("DeleteSession reported no session")
	}
	_, err := s.FindToken(ctx, inOne.Hash)
	wantCode(t, "a token of the deleted session", err, roster.CodeNotFound)
	for _, k := range []*roster.Token{inTwo, outside} {
		if _, err := s.FindToken(ctx, k.Hash); err != nil {
			t.Errorf("token %s outside the deleted session is gone: %v", k.Family, err)
		}
	}
	mustUpdate(t, s, func(tx roster.Tx) (err error) { gone, err = tx.DeleteSession(one.ID); return err })
	if gone {
		t.Error("DeleteSession of a deleted session reported one")
	}
	mustUpdate(t, s, func(tx roster.Tx) error { _, err := tx.DeleteUserSessions(u.ID); return err })
	_, err = s.FindToken(ctx, inTwo.Hash)
	wantCode(t, "a token of a session ended by DeleteUserSessions", err, roster.CodeNotFound)
	if _, err := s.FindToken(ctx, outside.Hash); err != nil {
		t.Errorf("a token issued outside any session is gone: %v", err)
	}
}

// testMoveSessionTokens: the tokens of one session and its live unused
// codes move to another, which from then on is the one whose end revokes
// them; other sessions' tokens, used and expired codes stay.
func testMoveSessionTokens(t *testing.T, s roster.Store) {
	ctx := context.Background()
	org := MustCreateOrg(t, s, "", "Root")
	u := MustCreateUser(t, s, org, "move@example.com")
	cl := mustCreateClient(t, s, org.ID)
	from, to, other := newSession(u.ID, 0), newSession(u.ID, 1), newSession(u.ID, 2)
	inFrom, inOther := newToken(roster.TokenRefresh, "f1", u.ID, cl.ID), newToken(roster.TokenRefresh, "f2", u.ID, cl.ID)
	inFrom.SessionID, inOther.SessionID = from.ID, other.ID
	live, used, expired := newAuthCode(cl.ID, u.ID, from.ID, at(3)), newAuthCode(cl.ID, u.ID, from.ID, at(3)), newAuthCode(cl.ID, u.ID, from.ID, at(1))
	used.Used = true
	mustUpdate(t, s, func(tx roster.Tx) error {
		if err := createEach(tx.CreateSession, from, to, other); err != nil {
			return err
		}
		if err := createEach(tx.CreateToken, inFrom, inOther); err != nil {
			return err
		}
		if err := createEach(tx.CreateAuthCode, live, used, expired); err != nil {
			return err
		}
		return tx.MoveSessionTokens(from.ID, to.ID, at(2))
	})
	for k, want := range map[*roster.Token]string{inFrom: to.ID, inOther: other.ID} {
		if got, err := s.FindToken(ctx, k.Hash); err != nil || got.SessionID != want {
			t.Errorf("token %s after the move = %+v, %v; want session %s", k.Family, got, err, want)
		}
	}
	for c, want := range map[*roster.AuthCode]string{live: to.ID, used: from.ID, expired: from.ID} {
		if got := mustTakeAuthCode(t, s, c.Hash); got.SessionID != want {
			t.Errorf("code (used %v, expires %v) after the move is in %s, want %s", c.Used, c.ExpiresAt, got.SessionID, want)
		}
	}
	mustUpdate(t, s, func(tx roster.Tx) error {
		if fresh, session, err := tx.UseToken(inFrom.Hash); err != nil || !fresh || session != to.ID {
			t.Errorf("UseToken of a moved token = %v, %q, %v; want fresh, in %s", fresh, session, err, to.ID)
		}
		_, err := tx.DeleteSession(from.ID)
		return err
	})
	if _, err := s.FindToken(ctx, inFrom.Hash); err != nil {
		t.Errorf("a moved token is gone with the session it left: %v", err)
	}
	mustUpdate(t, s, func(tx roster.Tx) error { _, err := tx.DeleteSession(to.ID); return err })
	_, err := s.FindToken(ctx, inFrom.Hash)
	wantCode(t, "a moved token after the session it moved to ended", err, roster.CodeNotFound)
}

// createEach creates items one after the other, up to the first error.
func createEach[T any](create func(T) error, items ...T) error {
	for _, x := range items {
		if err := create(x); err != nil {
			return err
		}
	}
	return nil
}

// mustCreateClient stores an OAuth client of an organisation, for the
// codes and tokens that name one.
func mustCreateClient(tb testing.TB, s roster.Store, orgID string) *roster.OAuthClient {
	tb.Helper()
	cl := &roster.OAuthClient{ID: roster.NewID(roster.PrefixClient), OrganizationID: orgID, Name: "App", CreatedAt: at(0), Hash: roster.HashKeySecret("x")}
	mustUpdate(tb, s, func(tx roster.Tx) error { return tx.CreateOAuthClient(cl) })
	return cl
}

// newAuthCode returns an unused authorization code issued in a session.
func newAuthCode(clientID, userID, sessionID string, expires time.Time) *roster.AuthCode {
	return &roster.AuthCode{Hash: roster.HashKeySecret(roster.NewTokenSecret("rac_")), ClientID: clientID, UserID: userID, SessionID: sessionID,
		Family: roster.NewID(roster.PrefixToken), RedirectURI: "https://app.example/cb", Scopes: []string{"openid", "email"}, Nonce: "n-0S6",
		CodeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", AuthTime: at(0), CreatedAt: at(1), ExpiresAt: expires}
}

// mustTakeAuthCode takes a code, as the token endpoint does.
func mustTakeAuthCode(tb testing.TB, s roster.Store, hash []byte) *roster.AuthCode {
	tb.Helper()
	var got *roster.AuthCode
	mustUpdate(tb, s, func(tx roster.Tx) (err error) { got, err = tx.TakeAuthCode(hash); return err })
	return got
}

func testAuthCodes(t *testing.T, s roster.Store) {
	org := MustCreateOrg(t, s, "", "Root")
	u := MustCreateUser(t, s, org, "code@example.com")
	cl := mustCreateClient(t, s, org.ID)
	code := newAuthCode(cl.ID, u.ID, roster.NewID(roster.PrefixSession), at(2))
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.CreateAuthCode(code) })
	take := func() *roster.AuthCode { t.Helper(); return mustTakeAuthCode(t, s, code.Hash) }
	first := take()
	if !reflect.DeepEqual(first, code) {
		t.Fatalf("TakeAuthCode = %+v, want %+v", first, code)
	}
	if second := take(); !second.Used || second.Family != code.Family {
		t.Errorf("TakeAuthCode a second time = %+v, want it used, with its family", second)
	}
	err := update(s, func(tx roster.Tx) error { _, err := tx.TakeAuthCode(roster.HashKeySecret("nope")); return err })
	wantCode(t, "TakeAuthCode of an unknown code", err, roster.CodeNotFound)
	mustUpdate(t, s, func(tx roster.Tx) error { _, err := tx.PurgeCredentials(at(3)); return err })
	err = update(s, func(tx roster.Tx) error { _, err := tx.TakeAuthCode(code.Hash); return err })
	wantCode(t, "TakeAuthCode after it expired and was purged", err, roster.CodeNotFound)
}

func testConsents(t *testing.T, s roster.Store) {
	ctx := context.Background()
	org := MustCreateOrg(t, s, "", "Root")
	u := MustCreateUser(t, s, org, "consent@example.com")
	cl := &roster.OAuthClient{ID: roster.NewID(roster.PrefixClient), OrganizationID: org.ID, Name: "App", CreatedAt: at(0), Hash: roster.HashKeySecret("x")}
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.CreateOAuthClient(cl) })
	_, err := s.FindConsent(ctx, u.ID, cl.ID)
	wantCode(t, "FindConsent before any", err, roster.CodeNotFound)
	for i, scopes := range [][]string{{"openid"}, {"openid", "email"}} {
		c := &roster.Consent{UserID: u.ID, ClientID: cl.ID, Scopes: scopes, UpdatedAt: at(i)}
		mustUpdate(t, s, func(tx roster.Tx) error { return tx.PutConsent(c) })
		if got, err := s.FindConsent(ctx, u.ID, cl.ID); err != nil || !reflect.DeepEqual(got, c) {
			t.Fatalf("FindConsent = %+v, %v; want %+v", got, err, c)
		}
	}
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.DeleteOAuthClient(cl.ID) })
	_, err = s.FindConsent(ctx, u.ID, cl.ID)
	wantCode(t, "FindConsent after the client is deleted", err, roster.CodeNotFound)
}

func testFindUserByEmail(t *testing.T, s roster.Store) {
	ctx := context.Background()
	org := MustCreateOrg(t, s, "", "Root")
	u := MustCreateUser(t, s, org, "Mixed.Case@Example.com", func(u *roster.User) { u.Username = "someone-else" })
	got, err := s.FindUserByEmail(ctx, "mixed.case@example.COM")
	if err != nil || got.ID != u.ID {
		t.Fatalf("FindUserByEmail = %+v, %v; want %s", got, err, u.ID)
	}
	_, err = s.FindUserByEmail(ctx, "someone-else")
	wantCode(t, "FindUserByEmail with a username", err, roster.CodeNotFound)
}
