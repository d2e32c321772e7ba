// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

var miscBehaviours = []behaviour{
	{"Store/Empty", testEmpty},
	{"Store/Ping", testPing},
	{"APIKeys/CreateAndFind", testAPIKeyCreateAndFind},
	{"APIKeys/GoneWithUser", testAPIKeyGoneWithUser},
	{"Idempotency/Lifecycle", testIdempotencyLifecycle},
	{"Idempotency/Scopes", testIdempotencyScopes},
	{"Idempotency/ExpiredIsReplaced", testIdempotencyExpired},
	{"Idempotency/Purge", testIdempotencyPurge},
	{"Store/KeyCheck", testKeyCheck},
}

// testKeyCheck: the first key check stored stays, whoever comes after and
// however many come at once; a rolled-back one is not stored.
func testKeyCheck(t *testing.T, s roster.Store) {
	keyCheck := func(check string) (string, error) {
		var stored []byte
		err := update(s, func(tx roster.Tx) (err error) {
			stored, err = tx.KeyCheck([]byte(check))
			return err
		})
		return string(stored), err
	}
	rollback := errors.New("rolled back")
	err := update(s, func(tx roster.Tx) error {
		if got, err := tx.KeyCheck([]byte("undone")); err != nil || string(got) != "undone" {
			t.Errorf("KeyCheck(undone) in its transaction = %q, %v", got, err)
		}
		return rollback
	})
	if err != rollback {
		t.Fatalf("rolled-back KeyCheck: %v", err)
	}
	got := make([]string, 8)
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() {
			var err error
			got[i], err = keyCheck(fmt.Sprintf("check-%d", i))
			must(t, "KeyCheck", err)
		})
	}
	wg.Wait()
	if !strings.HasPrefix(got[0], "check-") {
		t.Fatalf("KeyCheck stored %q, want one of the checks given", got[0])
	}
	for i, g := range got {
		if g != got[0] {
			t.Errorf("KeyCheck(check-%d) = %q, another caller got %q: want one stored check", i, g, got[0])
		}
	}
	if later, err := keyCheck("later"); err != nil || later != got[0] {
		t.Errorf("KeyCheck(later) = %q, %v; want the first, %q", later, err, got[0])
	}
}

func testEmpty(t *testing.T, s roster.Store) {
	ctx := context.Background()
	check := func(when string, want bool) {
		t.Helper()
		got, err := s.Empty(ctx)
		must(t, "Empty "+when, err)
		if got != want {
			t.Errorf("Empty %s: got %v, want %v", when, got, want)
		}
	}
	check("when new", true)
	first := MustCreateOrg(t, s, "", "First")
	check("after the first organisation", false)
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.DeleteOrg(first.ID) })
	check("after deleting the only organisation", true)
	root := MustCreateOrg(t, s, "", "Root")
	MustCreateUser(t, s, root, "u@example.com")
	check("with an organisation and a user", false)
}

func testPing(t *testing.T, s roster.Store) {
	must(t, "Ping", s.Ping(context.Background()))
}

// newKey returns an API key of u and its secret.
func newKey(u *roster.User, name string) (*roster.APIKey, string) {
	secret := roster.NewKeySecret()
	return &roster.APIKey{ID: roster.NewID(roster.PrefixKey), UserID: u.ID, Name: name, Scopes: []string{},
		Hash: roster.HashKeySecret(secret)}, secret
}

// findKeyByHash reads the API key whose secret hashes to hash, through
// FindCredential (the store's one read of keys by secret).
func findKeyByHash(r roster.Reader, hash []byte) (*roster.APIKey, error) {
	c, err := r.FindCredential(context.Background(), hash)
	if err != nil {
		return nil, err
	}
	return c.Key, nil
}

func insertKeys(tb testing.TB, s roster.Store, keys ...*roster.APIKey) {
	tb.Helper()
	mustUpdate(tb, s, func(tx roster.Tx) error {
		for _, k := range keys {
			if k.CreatedAt.IsZero() {
				k.CreatedAt = tx.Now()
			}
			if err := tx.CreateAPIKey(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// checkKey compares what the API shows of a key; the hash is the lookup
// value and is not compared.
func checkKey(tb testing.TB, what string, got, want *roster.APIKey) {
	tb.Helper()
	g, w := *got, *want
	g.Hash, w.Hash = nil, nil
	g.CreatedAt, w.CreatedAt = g.CreatedAt.UTC(), w.CreatedAt.UTC()
	if d := jsonDiff(&g, &w); d != "" {
		tb.Errorf("%s: key %s differs:%s", what, want.Name, d)
	}
}

func testAPIKeyCreateAndFind(t *testing.T, s roster.Store) {
	root := MustCreateOrg(t, s, "", "Root")
	u := MustCreateUser(t, s, root, "u@example.com")
	k1, secret1 := newKey(u, "ci")
	k2, secret2 := newKey(u, "deploy")
	expires := time.Now().UTC().Add(90 * 24 * time.Hour).Truncate(time.Microsecond)
	k2.Scopes, k2.ExpiresAt = []string{"users:read", "orgs:read"}, &expires
	insertKeys(t, s, k1, k2)

	for _, c := range []struct {
		secret string
		want   *roster.APIKey
	}{{secret1, k1}, {secret2, k2}} {
		got, err := findKeyByHash(s, roster.HashKeySecret(c.secret))
		must(t, "FindCredential("+c.want.Name+")", err)
		checkKey(t, "FindCredential("+c.want.Name+")", got, c.want)
	}
	_, err := findKeyByHash(s, roster.HashKeySecret(roster.NewKeySecret()))
	wantCode(t, "FindCredential(unknown)", err, roster.CodeNotFound)
	_, err = findKeyByHash(s, nil)
	wantCode(t, "FindCredential(nil)", err, roster.CodeNotFound)
}

// testAPIKeyGoneWithUser checks that deleting a user is allowed while it
// has keys, and that the keys stop resolving.
func testAPIKeyGoneWithUser(t *testing.T, s roster.Store) {
	root := MustCreateOrg(t, s, "", "Root")
	u := MustCreateUser(t, s, root, "u@example.com")
	k, secret := newKey(u, "ci")
	insertKeys(t, s, k)
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.DeleteUser(u.ID) })
	_, err := findKeyByHash(s, roster.HashKeySecret(secret))
	wantCode(t, "FindCredential(key of a deleted user)", err, roster.CodeNotFound)
}

func putIdem(s roster.Store, r *roster.IdempotentResponse) error {
	return update(s, func(tx roster.Tx) error { return tx.PutIdempotent(r) })
}

func checkIdem(tb testing.TB, what string, got, want *roster.IdempotentResponse) {
	tb.Helper()
	if got.Scope != want.Scope || got.Key != want.Key || got.Done != want.Done || got.Status != want.Status ||
		!bytes.Equal(got.RequestHash, want.RequestHash) || !bytes.Equal(got.Body, want.Body) ||
		!maps.Equal(got.Header, want.Header) || !got.CreatedAt.Equal(want.CreatedAt) {
		tb.Errorf("%s:\n got %+v\nwant %+v", what, *got, *want)
	}
}

func testIdempotencyLifecycle(t *testing.T, s roster.Store) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	hash := roster.HashKeySecret("POST /v1/users")
	pending := &roster.IdempotentResponse{Scope: "key_1", Key: "idem-1", RequestHash: hash, CreatedAt: now}
	must(t, "PutIdempotent(pending)", putIdem(s, pending))
	got, err := s.FindIdempotent(ctx, "key_1", "idem-1")
	must(t, "FindIdempotent(pending)", err)
	checkIdem(t, "FindIdempotent(pending)", got, pending)

	again := &roster.IdempotentResponse{Scope: "key_1", Key: "idem-1", RequestHash: roster.HashKeySecret("other"), CreatedAt: now.Add(time.Second)}
	wantCode(t, "PutIdempotent(pending over pending)", putIdem(s, again), roster.CodeConflict)
	got, err = s.FindIdempotent(ctx, "key_1", "idem-1")
	must(t, "FindIdempotent after refused put", err)
	checkIdem(t, "FindIdempotent after refused put", got, pending)

	done := *pending
	done.Done, done.Status, done.Header, done.Body = true, 201, map[string]string{"Location": "/v1/users/usr_1", "ETag": `"1"`}, []byte(`{"id":"usr_1"}`)
	must(t, "PutIdempotent(done)", putIdem(s, &done))
	got, err = s.FindIdempotent(ctx, "key_1", "idem-1")
	must(t, "FindIdempotent(done)", err)
	checkIdem(t, "FindIdempotent(done)", got, &done)

	wantCode(t, "PutIdempotent(pending over done)", putIdem(s, again), roster.CodeConflict)

	mustUpdate(t, s, func(tx roster.Tx) error { return tx.DeleteIdempotent("key_1", "idem-1") })
	_, err = s.FindIdempotent(ctx, "key_1", "idem-1")
	wantCode(t, "FindIdempotent(deleted)", err, roster.CodeNotFound)
	// A deleted key can be used again.
	must(t, "PutIdempotent(after delete)", putIdem(s, again))
	got, err = s.FindIdempotent(ctx, "key_1", "idem-1")
	must(t, "FindIdempotent(reused)", err)
	checkIdem(t, "FindIdempotent(reused)", got, again)
}

func testIdempotencyScopes(t *testing.T, s roster.Store) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	var recs []*roster.IdempotentResponse
	for _, scope := range []string{"key_a", "key_b"} {
		for _, key := range []string{"k1", "k2"} {
			r := &roster.IdempotentResponse{Scope: scope, Key: key, RequestHash: []byte(scope + key), CreatedAt: now}
			must(t, "PutIdempotent("+scope+", "+key+")", putIdem(s, r))
			recs = append(recs, r)
		}
	}
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.DeleteIdempotent("key_a", "k1") })
	for _, r := range recs {
		got, err := s.FindIdempotent(ctx, r.Scope, r.Key)
		if r.Scope == "key_a" && r.Key == "k1" {
			wantCode(t, "FindIdempotent(deleted)", err, roster.CodeNotFound)
			continue
		}
		must(t, "FindIdempotent("+r.Scope+", "+r.Key+")", err)
		checkIdem(t, "FindIdempotent("+r.Scope+", "+r.Key+")", got, r)
	}
	_, err := s.FindIdempotent(ctx, "key_c", "k1")
	wantCode(t, "FindIdempotent(unknown scope)", err, roster.CodeNotFound)
}

// testIdempotencyPurge checks that PurgeIdempotent removes exactly the
// records created before its time.
func testIdempotencyPurge(t *testing.T, s roster.Store) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	old := &roster.IdempotentResponse{Scope: "key_1", Key: "old", RequestHash: []byte("a"), CreatedAt: now.Add(-25 * time.Hour)}
	fresh := &roster.IdempotentResponse{Scope: "key_1", Key: "fresh", RequestHash: []byte("b"), CreatedAt: now}
	must(t, "PutIdempotent(old)", putIdem(s, old))
	must(t, "PutIdempotent(fresh)", putIdem(s, fresh))
	var n int64
	mustUpdate(t, s, func(tx roster.Tx) (err error) {
		n, err = tx.PurgeIdempotent(now.Add(-roster.IdempotencyTTL))
		return err
	})
	if n != 1 {
		t.Errorf("PurgeIdempotent removed %d records, want 1", n)
	}
	_, err := s.FindIdempotent(ctx, "key_1", "old")
	wantCode(t, "FindIdempotent(purged)", err, roster.CodeNotFound)
	_, err = s.FindIdempotent(ctx, "key_1", "fresh")
	must(t, "FindIdempotent(kept)", err)
}

// testIdempotencyExpired checks that a record older than
// roster.IdempotencyTTL no longer holds its key.
func testIdempotencyExpired(t *testing.T, s roster.Store) {
	ctx := context.Background()
	old := time.Now().UTC().Add(-roster.IdempotencyTTL - time.Hour).Truncate(time.Microsecond)
	stale := &roster.IdempotentResponse{Scope: "key_1", Key: "idem-1", RequestHash: []byte("old"), CreatedAt: old, Done: false}
	must(t, "PutIdempotent(old)", putIdem(s, stale))
	fresh := &roster.IdempotentResponse{Scope: "key_1", Key: "idem-1", RequestHash: []byte("new"), CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	must(t, "PutIdempotent(over an expired record)", putIdem(s, fresh))
	got, err := s.FindIdempotent(ctx, "key_1", "idem-1")
	must(t, "FindIdempotent", err)
	checkIdem(t, "FindIdempotent after replacing an expired record", got, fresh)
}
