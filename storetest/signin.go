// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

// testSignInReservation: transactions that lock a key, count its
// failures and add one while fewer than a limit were counted run one
// after the other, so concurrent attempts never pass the limit.
func testSignInReservation(t *testing.T, s roster.Store) {
	ctx := context.Background()
	const attempts, limit = 20, 5
	var wg sync.WaitGroup
	errs := make(chan error, attempts)
	for i := range attempts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- update(s, func(tx roster.Tx) error {
				// Both orders: locks are taken in a fixed order anyway.
				keys := []string{"user:race", "ip:race"}
				if i%2 == 1 {
					keys[0], keys[1] = keys[1], keys[0]
				}
				if err := tx.LockSignInKeys(keys...); err != nil {
					return err
				}
				n, _, err := tx.SignInFailures(ctx, "user:race", time.Time{})
				if err != nil || n >= limit {
					return err
				}
				for _, k := range keys {
					if err := tx.AddSignInFailure(k, at(i)); err != nil {
						return err
					}
				}
				return nil
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range []string{"user:race", "ip:race"} {
		if n, _, err := s.SignInFailures(ctx, k, time.Time{}); err != nil || n != limit {
			t.Fatalf("after %d concurrent reservations with a limit of %d, %s has %d failures (%v)", attempts, limit, k, n, err)
		}
	}

	// RemoveSignInFailure takes back one failure of a key at a time.
	mustUpdate(t, s, func(tx roster.Tx) error {
		for _, k := range []string{"ip:two", "ip:two", "ip:other"} {
			if err := tx.AddSignInFailure(k, at(1)); err != nil {
				return err
			}
		}
		return tx.AddSignInFailure("ip:two", at(2))
	})
	mustUpdate(t, s, func(tx roster.Tx) error {
		if err := tx.RemoveSignInFailure("ip:two", at(1)); err != nil {
			return err
		}
		return tx.RemoveSignInFailure("ip:none", at(1))
	})
	for k, want := range map[string]int{"ip:two": 2, "ip:other": 1} {
		if n, _, err := s.SignInFailures(ctx, k, time.Time{}); err != nil || n != want {
			t.Errorf("%s after one removal: %d failures (%v), want %d", k, n, err, want)
		}
	}
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.RemoveSignInFailure("ip:two", at(1)) })
	if n, last, err := s.SignInFailures(ctx, "ip:two", time.Time{}); err != nil || n != 1 || !last.Equal(at(2)) {
		t.Errorf("ip:two after two removals: %d, %v, %v; want 1 at %v", n, last, err, at(2))
	}
}

// testDeleteUserTokensOfKind: only the user's tokens of that kind go.
func testDeleteUserTokensOfKind(t *testing.T, s roster.Store) {
	ctx := context.Background()
	org := MustCreateOrg(t, s, "", "Root")
	u := MustCreateUser(t, s, org, "kind@example.com")
	v := MustCreateUser(t, s, org, "kind2@example.com")
	inv1, inv2 := newToken("invite", "f1", u.ID, ""), newToken("invite", "f2", u.ID, "")
	acc := newToken(roster.TokenAccess, "f3", u.ID, "")
	other := newToken("invite", "f4", v.ID, "")
	mustUpdate(t, s, func(tx roster.Tx) error {
		for _, k := range []*roster.Token{inv1, inv2, acc, other} {
			if err := tx.CreateToken(k); err != nil {
				return err
			}
		}
		return nil
	})
	mustUpdate(t, s, func(tx roster.Tx) error {
		n, err := tx.DeleteUserTokensOfKind(u.ID, "invite")
		if err == nil && n != 2 {
			t.Errorf("DeleteUserTokensOfKind removed %d, want 2", n)
		}
		return err
	})
	for _, c := range []struct {
		k    *roster.Token
		gone bool
	}{{inv1, true}, {inv2, true}, {acc, false}, {other, false}} {
		_, err := s.FindToken(ctx, c.k.Hash)
		if gone := roster.ErrorCode(err) == roster.CodeNotFound; gone != c.gone {
			t.Errorf("token of family %s: gone %v, want %v", c.k.Family, gone, c.gone)
		}
	}
}
