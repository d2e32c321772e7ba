// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/rosterhq/roster"
)

var signingKeyBehaviours = []behaviour{
	{"SigningKeys/Lifecycle", testSigningKeyLifecycle},
	{"SigningKeys/OneCurrentPerAlg", testSigningKeyOneCurrent},
}

func newSigningKey(alg string, n int) *roster.SigningKey {
	return &roster.SigningKey{ID: fmt.Sprintf("kid-%s-%d-%s", alg, n, unique("k")), Alg: alg, Sealed: []byte{0, 1, 2, byte(n)},
		PublicJWK: []byte(fmt.Sprintf(`{"kty":"test","n":%d}`, n)), CreatedAt: at(n)}
}

func findSigningKeys(t *testing.T, s roster.Store) []*roster.SigningKey {
	t.Helper()
	keys, err := s.FindSigningKeys(context.Background())
	must(t, "FindSigningKeys", err)
	return keys
}

// testSigningKeyLifecycle: keys are stored as given, a second current key
// of an algorithm is refused, a rolled-back one is not stored, retiring
// dates the current keys, and purging removes those expired.
func testSigningKeyLifecycle(t *testing.T, s roster.Store) {
	rs, es := newSigningKey(roster.AlgRS256, 1), newSigningKey(roster.AlgES256, 2)
	if err := update(s, func(tx roster.Tx) error {
		if ok, err := tx.AddSigningKey(newSigningKey(roster.AlgRS256, 0)); err != nil || !ok {
			t.Errorf("AddSigningKey in a rolled-back transaction = %v, %v", ok, err)
		}
		return errBoom
	}); err != errBoom {
		t.Fatalf("rolled-back AddSigningKey: %v", err)
	}
	mustUpdate(t, s, func(tx roster.Tx) error {
		for _, k := range []*roster.SigningKey{rs, es} {
			if ok, err := tx.AddSigningKey(k); err != nil || !ok {
				t.Errorf("AddSigningKey(%s) = %v, %v; want stored", k.Alg, ok, err)
			}
		}
		if ok, err := tx.AddSigningKey(newSigningKey(roster.AlgRS256, 3)); err != nil || ok {
			t.Errorf("a second current RS256 key: AddSigningKey = %v, %v; want false, nil", ok, err)
		}
		return nil
	})
	keys := findSigningKeys(t, s)
	if len(keys) != 2 {
		t.Fatalf("FindSigningKeys: %d keys, want 2", len(keys))
	}
	for i, want := range []*roster.SigningKey{rs, es} {
		got := keys[i]
		if got.ID != want.ID || got.Alg != want.Alg || !bytes.Equal(got.Sealed, want.Sealed) || !bytes.Equal(got.PublicJWK, want.PublicJWK) ||
			!got.CreatedAt.Equal(want.CreatedAt) || got.RetiredAt != nil || got.ExpiresAt != nil {
			t.Errorf("FindSigningKeys[%d] = %+v, want %+v", i, got, want)
		}
	}
	mustUpdate(t, s, func(tx roster.Tx) error {
		n, err := tx.RetireSigningKeys(at(10), at(30))
		if err != nil || n != 2 {
			t.Errorf("RetireSigningKeys = %d, %v; want 2", n, err)
		}
		for _, alg := range roster.SigningAlgs {
			if ok, err := tx.AddSigningKey(newSigningKey(alg, 10)); err != nil || !ok {
				t.Errorf("AddSigningKey(%s) after the rotation = %v, %v; want stored", alg, ok, err)
			}
		}
		return nil
	})
	keys = findSigningKeys(t, s)
	if len(keys) != 4 {
		t.Fatalf("after the rotation: %d keys, want 4", len(keys))
	}
	for _, k := range keys[:2] {
		if k.RetiredAt == nil || !k.RetiredAt.Equal(at(10)) || k.ExpiresAt == nil || !k.ExpiresAt.Equal(at(30)) {
			t.Errorf("retired key %s: retired %v, expires %v; want %v, %v", k.ID, k.RetiredAt, k.ExpiresAt, at(10), at(30))
		}
	}
	purge := func(n int) int64 {
		var got int64
		mustUpdate(t, s, func(tx roster.Tx) (err error) {
			got, err = tx.PurgeSigningKeys(at(n))
			return err
		})
		return got
	}
	if n := purge(30); n != 0 {
		t.Errorf("PurgeSigningKeys(at expiry) removed %d, want 0", n)
	}
	if n := purge(31); n != 2 {
		t.Errorf("PurgeSigningKeys(after expiry) removed %d, want the 2 retired", n)
	}
	if keys = findSigningKeys(t, s); len(keys) != 2 || keys[0].RetiredAt != nil || keys[1].RetiredAt != nil {
		t.Errorf("after the purge: %d keys, want the 2 current", len(keys))
	}
}

// testSigningKeyOneCurrent: processes that start together each offer a
// key; exactly one becomes current.
func testSigningKeyOneCurrent(t *testing.T, s roster.Store) {
	var stored atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			err := update(s, func(tx roster.Tx) error {
				ok, err := tx.AddSigningKey(newSigningKey(roster.AlgES256, i))
				if ok {
					stored.Add(1)
				}
				return err
			})
			must(t, "AddSigningKey", err)
		})
	}
	wg.Wait()
	if n := stored.Load(); n != 1 {
		t.Errorf("%d of 8 concurrent AddSigningKey calls stored their key, want 1", n)
	}
	if keys := findSigningKeys(t, s); len(keys) != 1 {
		t.Errorf("FindSigningKeys: %d keys, want 1", len(keys))
	}
}
