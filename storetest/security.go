// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

// securityBehaviours cover the credential tables: passwords, tokens, OAuth
// clients and sign-in failures.
var securityBehaviours = []behaviour{
	{"Security/Passwords", testPasswords},
	{"Security/Tokens", testTokens},
	{"Security/OAuthClients", testOAuthClients},
	{"Security/OAuthClientFields", testOAuthClientFields},
	{"Security/SignInFailures", testSignInFailures},
	{"Security/TOTP", testTOTP},
	{"Security/SignInReservation", testSignInReservation},
	{"Security/DeleteUserTokensOfKind", testDeleteUserTokensOfKind},
}

func testPasswords(t *testing.T, s roster.Store) {
	ctx := context.Background()
	org := MustCreateOrg(t, s, "", "Root")
	u := MustCreateUser(t, s, org, "pw@example.com")
	_, err := s.FindPasswordHash(ctx, u.ID)
	wantCode(t, "FindPasswordHash before one is set", err, roster.CodeNotFound)
	for _, h := range []string{"$argon2id$first", "$argon2id$second"} {
		mustUpdate(t, s, func(tx roster.Tx) error { return tx.PutPasswordHash(u.ID, h) })
		if got, err := s.FindPasswordHash(ctx, u.ID); err != nil || got != h {
			t.Fatalf("FindPasswordHash = %q, %v; want %q", got, err, h)
		}
	}
	err = update(s, func(tx roster.Tx) error { return tx.PutPasswordHash(roster.NewID(roster.PrefixUser), "$x") })
	wantCode(t, "PutPasswordHash for a missing user", err, roster.CodeConflict)
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.DeleteUser(u.ID) })
	_, err = s.FindPasswordHash(ctx, u.ID)
	wantCode(t, "FindPasswordHash after the user is deleted", err, roster.CodeNotFound)
}

func newToken(kind, family, userID, clientID string) *roster.Token {
	secret := roster.NewTokenSecret("t_")
	return &roster.Token{ID: roster.NewID(roster.PrefixToken), Kind: kind, Family: family, UserID: userID, ClientID: clientID,
		Scopes: []string{"users:read"}, CreatedAt: at(0), ExpiresAt: at(15), Hash: roster.HashKeySecret(secret)}
}

func testTokens(t *testing.T, s roster.Store) {
	ctx := context.Background()
	org := MustCreateOrg(t, s, "", "Root")
	u := MustCreateUser(t, s, org, "tok@example.com")
	v := MustCreateUser(t, s, org, "tok2@example.com")
	a1, r1 := newToken(roster.TokenAccess, "fam1", u.ID, ""), newToken(roster.TokenRefresh, "fam1", u.ID, "")
	a2 := newToken(roster.TokenAccess, "fam2", u.ID, "")
	b1 := newToken(roster.TokenAccess, "fam3", v.ID, "")
	a2.Scopes = nil
	mustUpdate(t, s, func(tx roster.Tx) error {
		for _, k := range []*roster.Token{a1, r1, a2, b1} {
			if err := tx.CreateToken(k); err != nil {
				return err
			}
		}
		return nil
	})
	got, err := s.FindToken(ctx, r1.Hash)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != r1.ID || got.Kind != roster.TokenRefresh || got.Family != "fam1" || got.UserID != u.ID || got.ClientID != "" ||
		!slices.Equal(got.Scopes, r1.Scopes) || !got.CreatedAt.Equal(r1.CreatedAt) || !got.ExpiresAt.Equal(r1.ExpiresAt) || got.Used {
		t.Fatalf("FindToken = %+v, want %+v", got, r1)
	}
	if got, _ := s.FindToken(ctx, a2.Hash); got == nil || len(got.Scopes) != 0 {
		t.Fatalf("a token without scopes reads back as %+v", got)
	}
	_, err = s.FindToken(ctx, roster.HashKeySecret("nope"))
	wantCode(t, "FindToken(unknown)", err, roster.CodeNotFound)
	// UseToken succeeds once.
	for i, want := range []bool{true, false} {
		mustUpdate(t, s, func(tx roster.Tx) error {
			ok, _, err := tx.UseToken(r1.Hash)
			if err == nil && ok != want {
				t.Errorf("UseToken #%d = %v, want %v", i+1, ok, want)
			}
			return err
		})
	}
	if got, _ := s.FindToken(ctx, r1.Hash); got == nil || !got.Used {
		t.Fatalf("a used token reads back as %+v", got)
	}
	// DeleteUserTokens keeps the family asked for and other users' tokens.
	mustUpdate(t, s, func(tx roster.Tx) error {
		n, err := tx.DeleteUserTokens(u.ID, "fam2")
		if err == nil && n != 2 {
			t.Errorf("DeleteUserTokens removed %d, want 2", n)
		}
		return err
	})
	for _, c := range []struct {
		k    *roster.Token
		gone bool
	}{{a1, true}, {r1, true}, {a2, false}, {b1, false}} {
		_, err := s.FindToken(ctx, c.k.Hash)
		if gone := roster.ErrorCode(err) == roster.CodeNotFound; gone != c.gone {
			t.Errorf("token of %s: gone %v, want %v", c.k.Family, gone, c.gone)
		}
	}
	mustUpdate(t, s, func(tx roster.Tx) error {
		n, err := tx.DeleteTokenFamily("fam3")
		if err == nil && n != 1 {
			t.Errorf("DeleteTokenFamily removed %d, want 1", n)
		}
		return err
	})
	// Expired tokens are purged; deleting the user removes its tokens.
	late := newToken(roster.TokenAccess, "fam4", v.ID, "")
	late.ExpiresAt = at(60 * 24)
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.CreateToken(late) })
	mustUpdate(t, s, func(tx roster.Tx) error {
		_, err := tx.PurgeCredentials(at(60))
		return err
	})
	_, err = s.FindToken(ctx, a2.Hash)
	wantCode(t, "FindToken after the purge", err, roster.CodeNotFound)
	if _, err := s.FindToken(ctx, late.Hash); err != nil {
		t.Fatalf("a token not yet expired was purged: %v", err)
	}
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.DeleteUser(v.ID) })
	_, err = s.FindToken(ctx, late.Hash)
	wantCode(t, "FindToken after its user is deleted", err, roster.CodeNotFound)
}

func testOAuthClients(t *testing.T, s roster.Store) {
	ctx := context.Background()
	root := MustCreateOrg(t, s, "", "Root")
	a := MustCreateOrg(t, s, root.ID, "A")
	a1 := MustCreateOrg(t, s, a.ID, "A1")
	b := MustCreateOrg(t, s, root.ID, "B")
	var clients []*roster.OAuthClient
	for i, o := range []*roster.Organization{root, a, a1, b} {
		c := &roster.OAuthClient{ID: roster.NewID(roster.PrefixClient), OrganizationID: o.ID, Name: o.Name, Scopes: []string{"users:read"},
			CreatedAt: at(i), CreatedBy: "usr_x", Hash: roster.HashKeySecret(o.Name)}
		clients = append(clients, c)
		mustUpdate(t, s, func(tx roster.Tx) error { return tx.CreateOAuthClient(c) })
	}
	got, err := s.FindOAuthClient(ctx, clients[1].ID)
	if err != nil || got.Name != "A" || string(got.Hash) != string(clients[1].Hash) || !got.CreatedAt.Equal(at(1)) || got.OrganizationID != a.ID {
		t.Fatalf("FindOAuthClient = %+v, %v", got, err)
	}
	// What a read returns is the caller's own: changing it changes no
	// later read (a store may cache clients).
	got.Name, got.Hash[0], got.Scopes[0] = "changed", got.Hash[0]+1, "changed"
	if again, err := s.FindOAuthClient(ctx, clients[1].ID); err != nil || again.Name != "A" || string(again.Hash) != string(clients[1].Hash) || again.Scopes[0] != "users:read" {
		t.Fatalf("FindOAuthClient after changing what an earlier one returned = %+v, %v", again, err)
	}
	names := func(v *roster.Visibility) []string {
		list, _, err := s.FindOAuthClients(ctx, v, roster.Page{})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range list {
			if len(c.Hash) != 0 {
				t.Errorf("FindOAuthClients returns the hash of %s", c.Name)
			}
			out = append(out, c.Name)
		}
		return out
	}
	if got := names(nil); !slices.Equal(got, []string{"B", "A1", "A", "Root"}) {
		t.Errorf("every client, newest first: %v", got)
	}
	if got := names(&roster.Visibility{Subtrees: []string{a.ID}, Orgs: []string{b.ID}}); !slices.Equal(got, []string{"B", "A1", "A"}) {
		t.Errorf("clients of A's subtree and B: %v", got)
	}
	tok := newToken(roster.TokenAccess, "f", "", clients[3].ID)
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.CreateToken(tok) })
	_, err = s.FindOAuthClient(ctx, clients[3].ID) // read before its deletion
	must(t, "FindOAuthClient", err)
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.DeleteOAuthClient(clients[3].ID) })
	_, err = s.FindToken(ctx, tok.Hash)
	wantCode(t, "a deleted client's token", err, roster.CodeNotFound)
	err = update(s, func(tx roster.Tx) error { return tx.DeleteOAuthClient(clients[3].ID) })
	wantCode(t, "DeleteOAuthClient twice", err, roster.CodeNotFound)
	_, err = s.FindOAuthClient(ctx, clients[3].ID)
	wantCode(t, "FindOAuthClient of a deleted client", err, roster.CodeNotFound)
}

// testOAuthClientFields: a client keeps the sign-in fields of PRODUCT.md
// section 9 and its version; a public client has no secret; an update
// replaces the document and the secret; a client written without the
// fields reads with their defaults.
func testOAuthClientFields(t *testing.T, s roster.Store) {
	ctx := context.Background()
	org := MustCreateOrg(t, s, "", "Root")
	pub := &roster.OAuthClient{ID: roster.NewID(roster.PrefixClient), OrganizationID: org.ID, Name: "SPA", Scopes: []string{},
		Type: roster.ClientPublic, FirstParty: true, RedirectURIs: []string{"https://app.example.com/cb", "http://127.0.0.1/cb"},
		PostLogoutRedirectURIs: []string{"https://app.example.com/"}, GrantTypes: []string{roster.GrantAuthorizationCode, roster.GrantRefreshToken},
		AllowedScopes: []string{"openid", "email", roster.ScopeUsersRead}, IDTokenAlg: roster.AlgES256,
		CreatedAt: at(1), UpdatedAt: at(1), Version: 1, CreatedBy: "usr_x"}
	old := &roster.OAuthClient{ID: roster.NewID(roster.PrefixClient), OrganizationID: org.ID, Name: "Old", Scopes: []string{"users:read"},
		CreatedAt: at(2), Hash: roster.HashKeySecret("old")}
	mustUpdate(t, s, func(tx roster.Tx) error {
		if err := tx.CreateOAuthClient(pub); err != nil {
			return err
		}
		return tx.CreateOAuthClient(old)
	})
	got, err := s.FindOAuthClient(ctx, pub.ID)
	must(t, "FindOAuthClient", err)
	if len(got.Hash) != 0 {
		t.Errorf("a public client has the hash %x, want none", got.Hash)
	}
	got.Hash = nil // empty either way
	if !reflect.DeepEqual(got, pub) {
		t.Errorf("FindOAuthClient = %+v\nwant %+v", got, pub)
	}
	list, _, err := s.FindOAuthClients(ctx, nil, roster.Page{})
	must(t, "FindOAuthClients", err)
	if len(list) != 2 || !reflect.DeepEqual(list[1], pub) {
		t.Errorf("FindOAuthClients = %+v, want the public client last, as stored", list)
	}
	got, err = s.FindOAuthClient(ctx, old.ID)
	must(t, "FindOAuthClient", err)
	if got.Type != roster.ClientConfidential || !slices.Equal(got.GrantTypes, []string{roster.GrantClientCredentials}) || got.IDTokenAlg != roster.AlgRS256 ||
		got.Version != 1 || !got.UpdatedAt.Equal(at(2)) || got.RedirectURIs == nil || got.PostLogoutRedirectURIs == nil || got.AllowedScopes == nil || got.FirstParty {
		t.Errorf("a client without the sign-in fields reads as %+v, want a confidential client_credentials client, version 1, empty lists", got)
	}

	// An update replaces the document and the secret (a public client made
	// confidential).
	next := pub.Clone()
	next.Type, next.Name, next.Version, next.UpdatedAt, next.Hash = roster.ClientConfidential, "App", 2, at(3), roster.HashKeySecret("new")
	next.GrantTypes = append(next.GrantTypes, roster.GrantClientCredentials)
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.UpdateOAuthClient(next) })
	got, err = s.FindOAuthClient(ctx, pub.ID)
	must(t, "FindOAuthClient", err)
	if !reflect.DeepEqual(got, next) {
		t.Errorf("after UpdateOAuthClient = %+v\nwant %+v", got, next)
	}
	// Back to public: the secret goes.
	next = next.Clone()
	next.Type, next.Hash, next.Version = roster.ClientPublic, nil, 3
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.UpdateOAuthClient(next) })
	got, err = s.FindOAuthClient(ctx, pub.ID)
	must(t, "FindOAuthClient", err)
	if len(got.Hash) != 0 || got.Version != 3 {
		t.Errorf("a client made public keeps the hash %x (version %d)", got.Hash, got.Version)
	}
	gone := next.Clone()
	gone.ID = roster.NewID(roster.PrefixClient)
	err = update(s, func(tx roster.Tx) error { return tx.UpdateOAuthClient(gone) })
	wantCode(t, "UpdateOAuthClient of a client that does not exist", err, roster.CodeNotFound)
}

func testSignInFailures(t *testing.T, s roster.Store) {
	ctx := context.Background()
	mustUpdate(t, s, func(tx roster.Tx) error {
		for i := range 4 {
			if err := tx.AddSignInFailure("user:a", at(i)); err != nil {
				return err
			}
		}
		return tx.AddSignInFailure("ip:1", at(2))
	})
	check := func(key string, since time.Time, wantN int, wantLast time.Time) {
		t.Helper()
		n, last, err := s.SignInFailures(ctx, key, since)
		if err != nil || n != wantN || !last.Equal(wantLast) {
			t.Errorf("SignInFailures(%s) = %d, %v, %v; want %d, %v", key, n, last, err, wantN, wantLast)
		}
	}
	check("user:a", at(0), 4, at(3))
	check("user:a", at(2), 2, at(3))
	check("user:b", at(0), 0, time.Time{})
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.ClearSignInFailures("user:a", "user:none") })
	check("user:a", at(0), 0, time.Time{})
	check("ip:1", at(0), 1, at(2))
	mustUpdate(t, s, func(tx roster.Tx) error {
		_, err := tx.PurgeCredentials(at(3))
		return err
	})
	check("ip:1", at(0), 0, time.Time{})
}

func testTOTP(t *testing.T, s roster.Store) {
	ctx := context.Background()
	org := MustCreateOrg(t, s, "", "Root")
	u := MustCreateUser(t, s, org, "totp@example.com")
	_, err := s.FindTOTP(ctx, u.ID)
	wantCode(t, "FindTOTP before enrolment", err, roster.CodeNotFound)
	want := &roster.TOTP{UserID: u.ID, Secret: "JBSWY3DPEHPK3PXP", CreatedAt: at(0)}
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.PutTOTP(want) })
	want.Confirmed, want.LastStep = true, 100
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.PutTOTP(want) })
	got, err := s.FindTOTP(ctx, u.ID)
	if err != nil || *got != *want {
		t.Fatalf("FindTOTP = %+v, %v; want %+v", got, err, want)
	}
	for _, c := range []struct {
		step int64
		ok   bool
	}{{100, false}, {99, false}, {101, true}, {101, false}, {103, true}} {
		mustUpdate(t, s, func(tx roster.Tx) error {
			ok, err := tx.UseTOTPStep(u.ID, c.step)
			if err == nil && ok != c.ok {
				t.Errorf("UseTOTPStep(%d) = %v, want %v", c.step, ok, c.ok)
			}
			return err
		})
	}
	h1, h2, h3 := roster.HashKeySecret("a"), roster.HashKeySecret("b"), roster.HashKeySecret("c")
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.PutRecoveryCodes(u.ID, [][]byte{h1, h2}) })
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.PutRecoveryCodes(u.ID, [][]byte{h2, h3}) }) // replaces
	for _, c := range []struct {
		h  []byte
		ok bool
	}{{h1, false}, {h2, true}, {h2, false}, {h3, true}} {
		mustUpdate(t, s, func(tx roster.Tx) error {
			ok, err := tx.UseRecoveryCode(u.ID, c.h)
			if err == nil && ok != c.ok {
				t.Errorf("UseRecoveryCode = %v, want %v", ok, c.ok)
			}
			return err
		})
	}
	mustUpdate(t, s, func(tx roster.Tx) error {
		if err := tx.PutRecoveryCodes(u.ID, [][]byte{h1}); err != nil {
			return err
		}
		return tx.DeleteTOTP(u.ID)
	})
	_, err = s.FindTOTP(ctx, u.ID)
	wantCode(t, "FindTOTP after DeleteTOTP", err, roster.CodeNotFound)
	mustUpdate(t, s, func(tx roster.Tx) error {
		ok, err := tx.UseRecoveryCode(u.ID, h1)
		if err == nil && ok {
			t.Error("a recovery code survived DeleteTOTP")
		}
		return err
	})
	err = update(s, func(tx roster.Tx) error {
		return tx.PutTOTP(&roster.TOTP{UserID: roster.NewID(roster.PrefixUser), Secret: "X", CreatedAt: at(0)})
	})
	wantCode(t, "PutTOTP for a missing user", err, roster.CodeConflict)
}
