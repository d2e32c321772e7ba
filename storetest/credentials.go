// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/rosterhq/roster"
)

var credentialBehaviours = []behaviour{
	{"Credentials/Find", testCredentialFind},
	{"Credentials/ReadYourWrites", testCredentialReadYourWrites},
	{"Credentials/ConcurrentReadYourWrites", testCredentialConcurrentReadYourWrites},
}

// checkCredential fails the test unless FindCredential(hash) in r
// returns key, user and the disabled flag.
func checkCredential(tb testing.TB, r roster.Reader, when string, secret string, key *roster.APIKey, user *roster.User, disabled bool) {
	tb.Helper()
	what := "FindCredential(" + key.Name + ") " + when
	got, err := r.FindCredential(context.Background(), roster.HashKeySecret(secret))
	if err != nil {
		tb.Errorf("%s: %v", what, err)
		return
	}
	if got.Key == nil || got.User == nil {
		tb.Errorf("%s: got key %v and user %v, want both", what, got.Key, got.User)
		return
	}
	checkKey(tb, what, got.Key, key)
	checkUser(tb, what, got.User, user)
	if got.OrgDisabled != disabled {
		tb.Errorf("%s: OrgDisabled %v, want %v", what, got.OrgDisabled, disabled)
	}
}

func testCredentialFind(t *testing.T, s roster.Store) {
	ctx := context.Background()
	// root ─┬─ a ── a1
	//       └─ off (disabled) ── under
	root := MustCreateOrg(t, s, "", "Root")
	a := MustCreateOrg(t, s, root.ID, "A")
	a1 := MustCreateOrg(t, s, a.ID, "A1")
	off := MustCreateOrg(t, s, root.ID, "Off", func(o *roster.Organization) { o.Status = roster.StatusDisabled })
	under := MustCreateOrg(t, s, off.ID, "Under")
	boss := MustCreateUser(t, s, root, "boss@example.com")
	rich := MustCreateUser(t, s, a1, "rich@example.com", richUser(a1, under, boss.ID))
	inOff := MustCreateUser(t, s, off, "off@example.com")
	inUnder := MustCreateUser(t, s, under, "under@example.com")
	kRich, sRich := newKey(rich, "rich")
	expires := at(60 * 24 * 90)
	kRich.Scopes, kRich.ExpiresAt = []string{"users:read", "orgs:read"}, &expires
	kBoss, sBoss := newKey(boss, "boss")
	kOff, sOff := newKey(inOff, "off")
	kUnder, sUnder := newKey(inUnder, "under")
	insertKeys(t, s, kRich, kBoss, kOff, kUnder)

	for range 2 { // the second time from any cache
		checkCredential(t, s, "", sRich, kRich, rich, false) // a membership in a disabled organisation does not count
		checkCredential(t, s, "", sBoss, kBoss, boss, false)
		checkCredential(t, s, "", sOff, kOff, inOff, true)
		checkCredential(t, s, "", sUnder, kUnder, inUnder, true)
	}
	for what, hash := range map[string][]byte{"unknown": roster.HashKeySecret(roster.NewKeySecret()), "nil": nil, "empty": {}} {
		_, err := s.FindCredential(ctx, hash)
		wantCode(t, "FindCredential("+what+")", err, roster.CodeNotFound)
	}
	mustUpdate(t, s, func(tx roster.Tx) error {
		checkCredential(t, tx, "inside a transaction", sRich, kRich, rich, false)
		checkCredential(t, tx, "inside a transaction", sUnder, kUnder, inUnder, true)
		return nil
	})
}

// testCredentialReadYourWrites reads a credential before and after each
// write that changes it: the read after must show the write at once.
func testCredentialReadYourWrites(t *testing.T, s roster.Store) {
	ctx := context.Background()
	// root ─┬─ a ── a1
	//       └─ off (disabled)
	root := MustCreateOrg(t, s, "", "Root")
	a := MustCreateOrg(t, s, root.ID, "A")
	a1 := MustCreateOrg(t, s, a.ID, "A1")
	off := MustCreateOrg(t, s, root.ID, "Off", func(o *roster.Organization) { o.Status = roster.StatusDisabled })
	u := MustCreateUser(t, s, a1, "u@example.com")
	k, secret := newKey(u, "ci")
	k2, secret2 := newKey(u, "second")
	insertKeys(t, s, k, k2)
	check := func(when string, u *roster.User, disabled bool) {
		t.Helper()
		checkCredential(t, s, when, secret, k, u, disabled)
		checkCredential(t, s, when+" (again)", secret, k, u, disabled)
	}
	check("at first", u, false)

	u = changeUser(t, s, u, func(u *roster.User) { u.Status = roster.StatusDisabled; u.FirstName = "Changed" })
	check("after the user was disabled", u, false)
	u = changeUser(t, s, u, func(u *roster.User) { u.Status = roster.StatusEnabled })
	check("after the user was enabled", u, false)

	setOrgStatus(t, s, a, roster.StatusDisabled)
	check("after the home's parent was disabled", u, true)
	setOrgStatus(t, s, a, roster.StatusEnabled)
	check("after the home's parent was enabled", u, false)
	setOrgStatus(t, s, a1, roster.StatusDisabled)
	check("after the home was disabled", u, true)
	setOrgStatus(t, s, a1, roster.StatusEnabled)
	check("after the home was enabled", u, false)
	setOrgStatus(t, s, root, roster.StatusDisabled)
	check("after the root was disabled", u, true)
	setOrgStatus(t, s, root, roster.StatusEnabled)
	check("after the root was enabled", u, false)

	u = changeUser(t, s, u, func(u *roster.User) {
		u.OrganizationID, u.Memberships = off.ID, []roster.Membership{{OrganizationID: off.ID, Roles: u.Roles}}
	})
	check("after the user moved to a disabled organisation", u, true)
	u = changeUser(t, s, u, func(u *roster.User) {
		u.OrganizationID, u.Memberships = a1.ID, []roster.Membership{{OrganizationID: a1.ID, Roles: u.Roles}}
	})
	check("after the user moved back", u, false)

	// A rolled back write changes nothing.
	err := update(s, func(tx roster.Tx) error {
		next := a1.Clone()
		next.Status, next.Version, next.UpdatedAt = roster.StatusDisabled, a1.Version+1, tx.Now()
		if err := tx.UpdateOrg(next); err != nil {
			return err
		}
		checkCredential(t, tx, "inside the transaction that disables the home", secret, k, u, true)
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Update: got %v, want fn's error", err)
	}
	check("after a rolled back disable", u, false)

	mustUpdate(t, s, func(tx roster.Tx) error { return tx.DeleteAPIKey(k.ID) })
	_, err = s.FindCredential(ctx, roster.HashKeySecret(secret))
	wantCode(t, "FindCredential after DeleteAPIKey", err, roster.CodeNotFound)
	checkCredential(t, s, "after the other key was deleted", secret2, k2, u, false)
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.DeleteUser(u.ID) })
	_, err = s.FindCredential(ctx, roster.HashKeySecret(secret2))
	wantCode(t, "FindCredential after DeleteUser", err, roster.CodeNotFound)
}

// testCredentialConcurrentReadYourWrites repeats writes while other
// goroutines read the same records without pause, so that reads filling
// any cache race with the writes: after each Update returns, a read must
// show what it wrote.
func testCredentialConcurrentReadYourWrites(t *testing.T, s roster.Store) {
	ctx := context.Background()
	root := MustCreateOrg(t, s, "", "Root")
	home := MustCreateOrg(t, s, root.ID, "Home")
	u := MustCreateUser(t, s, home, "u@example.com")
	k, secret := newKey(u, "ci")
	insertKeys(t, s, k)
	cur := schema("v0")
	putSchema(t, s, root, cur)
	hash, userID, homeID := roster.HashKeySecret(secret), u.ID, home.ID
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			for !stop.Load() {
				_, err1 := s.FindCredential(ctx, hash)
				_, err2 := s.FindUser(ctx, userID)
				_, err3 := s.FindOrg(ctx, homeID)
				_, err4 := s.FindSettingsSchema(ctx, homeID)
				if err := errors.Join(err1, err2, err3, err4); err != nil {
					t.Errorf("a concurrent read failed: %v", err)
					return
				}
			}
		})
	}
	defer func() { stop.Store(true); wg.Wait() }()
	for i := range 45 {
		var when string
		switch i % 3 {
		case 0:
			when = fmt.Sprintf("after user write %d", i)
			u = changeUser(t, s, u, func(u *roster.User) {
				u.FirstName = fmt.Sprintf("Name%d", i)
				u.Status = toggled(u.Status)
			})
		case 1:
			when = fmt.Sprintf("after organisation write %d", i)
			setOrgStatus(t, s, home, toggled(home.Status))
		case 2:
			when = fmt.Sprintf("after schema write %d", i)
			cur = schema(fmt.Sprintf("v%d", i))
			putSchema(t, s, root, cur)
		}
		checkCredential(t, s, when, secret, k, u, home.Status == roster.StatusDisabled)
		got, err := s.FindUser(ctx, u.ID)
		must(t, "FindUser "+when, err)
		checkUser(t, "FindUser "+when, got, u)
		o, err := s.FindOrg(ctx, home.ID)
		must(t, "FindOrg "+when, err)
		checkOrg(t, "FindOrg "+when, o, home)
		checkSchema(t, s, when, home, cur)
		if t.Failed() {
			return
		}
	}
}

// toggled returns the other status.
func toggled(status string) string {
	if status == roster.StatusEnabled {
		return roster.StatusDisabled
	}
	return roster.StatusEnabled
}
