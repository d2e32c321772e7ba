// SPDX-License-Identifier: Apache-2.0

package service

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/seal"
)

// keyService returns a service without a store that can make and open
// signing keys.
func keyService(tb testing.TB) *Service {
	box, err := seal.New("keys-test-secret-key-0123456789abcdef")
	if err != nil {
		tb.Fatal(err)
	}
	s := New(nil, nil)
	s.SetSecretBox(box)
	return s
}

// TestOpenKeys: the JWKS lists the current keys and the retired ones
// until they expire; only current keys sign; a key sealed under another
// key id does not open.
func TestOpenKeys(t *testing.T) {
	s := keyService(t)
	now := time.Now()
	key := func(alg string, retired, expires time.Duration) *roster.SigningKey {
		k, err := s.newSigningKey(alg)
		if err != nil {
			t.Fatal(err)
		}
		if retired != 0 {
			r, e := now.Add(retired), now.Add(expires)
			k.RetiredAt, k.ExpiresAt = &r, &e
		}
		return k
	}
	gone := key(roster.AlgRS256, -time.Hour, -time.Minute)
	leaving := key(roster.AlgRS256, -time.Minute, time.Minute)
	current := []*roster.SigningKey{key(roster.AlgRS256, 0, 0), key(roster.AlgES256, 0, 0)}
	set, err := s.openKeys([]*roster.SigningKey{gone, leaving, current[0], current[1]}, now)
	if err != nil {
		t.Fatal(err)
	}
	var jwks struct {
		Keys []struct{ Kid, Alg, Use string }
	}
	if err := json.Unmarshal(set.jwks, &jwks); err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range jwks.Keys {
		kids = append(kids, k.Kid)
		if k.Use != "sig" || (k.Alg != roster.AlgRS256 && k.Alg != roster.AlgES256) {
			t.Errorf("JWK %s: use %q, alg %q", k.Kid, k.Use, k.Alg)
		}
	}
	if want := []string{leaving.ID, current[0].ID, current[1].ID}; len(kids) != 3 || kids[0] != want[0] || kids[1] != want[1] || kids[2] != want[2] {
		t.Errorf("JWKS kids %v, want %v (the expired key left out)", kids, want)
	}
	for _, k := range current {
		if set.current[k.Alg] == nil || set.current[k.Alg].id != k.ID {
			t.Errorf("the current %s key is not %s", k.Alg, k.ID)
		}
	}
	moved := *current[0]
	moved.ID = leaving.ID
	if _, err := s.openKeys([]*roster.SigningKey{&moved}, now); err == nil {
		t.Error("a private key sealed for another kid opened")
	}
}
