// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

var txBehaviours = []behaviour{
	{"Tx/ErrorRollsBack", testTxErrorRollsBack},
	{"Tx/StoreErrorRollsBack", testTxStoreErrorRollsBack},
	{"Tx/PanicRollsBack", testTxPanic},
	{"Tx/Now", testTxNow},
	{"Tx/ReadsOwnWrites", testTxReadsOwnWrites},
	{"Tx/Concurrent", testTxConcurrent},
	{"Tx/ConcurrentSameUsername", testTxConcurrentSameUsername},
	{"Tx/ConcurrentStaleUpdates", testTxConcurrentStaleUpdates},
	{"Tx/ConcurrentReadModifyWrite", testTxConcurrentReadModifyWrite},
}

// busy keeps other transactions running until the test ends, so that an
// engine that commits in groups runs the test's transactions in the same
// group as successful ones: a failed transaction must then roll back on
// its own rather than with its whole group.
func busy(t *testing.T, s roster.Store) {
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for !stop.Load() {
				r := &roster.IdempotentResponse{Scope: "busy", Key: unique("k"), RequestHash: []byte("h"), CreatedAt: time.Now().UTC()}
				if err := putIdem(s, r); err != nil {
					t.Errorf("a concurrent transaction failed: %v", err)
					return
				}
			}
		})
	}
	t.Cleanup(func() { stop.Store(true); wg.Wait() })
}

func testTxErrorRollsBack(t *testing.T, s roster.Store) {
	ctx := context.Background()
	busy(t, s)
	org := NewOrg(t, "", "Root")
	u := NewUser(t, org, "zebediah@example.com")
	k, secret := newKey(u, "ci")
	err := update(s, func(tx roster.Tx) error {
		org.CreatedAt, org.UpdatedAt = tx.Now(), tx.Now()
		stamp(tx, u)
		k.CreatedAt = tx.Now()
		for _, err := range []error{tx.CreateOrg(org), tx.CreateUser(u), tx.CreateAPIKey(k),
			tx.PutIdempotent(&roster.IdempotentResponse{Scope: k.ID, Key: "i", RequestHash: []byte("h"), CreatedAt: tx.Now()})} {
			if err != nil {
				return fmt.Errorf("setting up: %w", err)
			}
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Update: got %v, want fn's error %v", err, errBoom)
	}
	empty, err := s.Empty(ctx)
	must(t, "Empty", err)
	if !empty {
		t.Error("Empty after a failed first transaction: got false, want true")
	}
	_, err = s.FindOrg(ctx, org.ID)
	wantCode(t, "FindOrg(rolled back)", err, roster.CodeNotFound)
	_, err = s.FindUser(ctx, u.ID)
	wantCode(t, "FindUser(rolled back)", err, roster.CodeNotFound)
	_, err = findKeyByHash(s, roster.HashKeySecret(secret))
	wantCode(t, "FindCredential(rolled back)", err, roster.CodeNotFound)
	_, err = s.FindIdempotent(ctx, k.ID, "i")
	wantCode(t, "FindIdempotent(rolled back)", err, roster.CodeNotFound)
	checkUsers(t, "FindUsers(q=zebed) after rollback", findAll(t, s, roster.UserFilter{Query: "zebed"}))

	// Updates and deletes roll back too, the search index with them.
	root := MustCreateOrg(t, s, "", "Root")
	kept := MustCreateUser(t, s, root, "kept@example.com", named("Keziah", "Old", "", "kept"))
	next := kept.Clone()
	next.Version, next.FirstName, next.Tags = 2, "Quentin", []roster.Tag{{ID: roster.NewID(roster.PrefixTag), Name: "new"}}
	err = update(s, func(tx roster.Tx) error {
		if err := tx.UpdateUser(next); err != nil {
			return err
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Update: got %v, want fn's error %v", err, errBoom)
	}
	err = update(s, func(tx roster.Tx) error {
		if err := tx.DeleteUser(kept.ID); err != nil {
			return err
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Update: got %v, want fn's error %v", err, errBoom)
	}
	got, err := s.FindUser(ctx, kept.ID)
	must(t, "FindUser after rolled back update and delete", err)
	checkUser(t, "FindUser after rolled back update and delete", got, kept)
	checkUsers(t, "FindUsers(q=keziah)", findAll(t, s, roster.UserFilter{Query: "keziah"}), kept)
	checkUsers(t, "FindUsers(q=quentin)", findAll(t, s, roster.UserFilter{Query: "quentin"}))
	checkUsers(t, "FindUsers(tag=new)", findAll(t, s, roster.UserFilter{Tag: "new"}))
}

func testTxStoreErrorRollsBack(t *testing.T, s roster.Store) {
	ctx := context.Background()
	busy(t, s)
	root := MustCreateOrg(t, s, "", "Root")
	MustCreateUser(t, s, root, "taken@example.com")
	first := NewUser(t, root, "first@example.com")
	dup := NewUser(t, root, "TAKEN@example.com", func(u *roster.User) { u.Username = "other" })
	err := update(s, func(tx roster.Tx) error {
		stamp(tx, first)
		stamp(tx, dup)
		if err := tx.CreateUser(first); err != nil {
			return err
		}
		return tx.CreateUser(dup)
	})
	wantCode(t, "Update(second create conflicts)", err, roster.CodeConflict)
	_, err = s.FindUser(ctx, first.ID)
	wantCode(t, "FindUser(first of a failed transaction)", err, roster.CodeNotFound)
}

func testTxPanic(t *testing.T, s roster.Store) {
	ctx := context.Background()
	busy(t, s)
	root := MustCreateOrg(t, s, "", "Root")
	for _, value := range []any{"boom", errBoom, nil} {
		u := NewUser(t, root, unique("panic")+"@example.com")
		err := update(s, func(tx roster.Tx) error {
			stamp(tx, u)
			if err := tx.CreateUser(u); err != nil {
				return err
			}
			if value == nil {
				var m map[string]int
				//lint:ignore SA5000 a runtime panic on purpose
				m["nil map"]++
			}
			panic(value)
		})
		wantCode(t, fmt.Sprintf("Update(panic(%v))", value), err, roster.CodeInternal)
		_, err = s.FindUser(ctx, u.ID)
		wantCode(t, "FindUser(created before a panic)", err, roster.CodeNotFound)
	}
	// The store keeps working.
	u := MustCreateUser(t, s, root, "after@example.com")
	got, err := s.FindUser(ctx, u.ID)
	must(t, "FindUser after panics", err)
	checkUser(t, "FindUser after panics", got, u)
}

func testTxNow(t *testing.T, s roster.Store) {
	ctx := context.Background()
	var first, again time.Time
	org := NewOrg(t, "", "Root")
	before := time.Now()
	mustUpdate(t, s, func(tx roster.Tx) error {
		first = tx.Now()
		time.Sleep(5 * time.Millisecond)
		again = tx.Now()
		org.CreatedAt, org.UpdatedAt = first, first
		return tx.CreateOrg(org)
	})
	if first.Location() != time.UTC {
		t.Errorf("Now: location %v, want UTC", first.Location())
	}
	if first != again {
		t.Errorf("Now within one transaction: got %v then %v, want the same time", first, again)
	}
	if d := first.Sub(before); d < -time.Second || d > time.Minute {
		t.Errorf("Now: %v is %v away from the clock", first, d)
	}
	got, err := s.FindOrg(ctx, org.ID)
	must(t, "FindOrg", err)
	if !got.CreatedAt.Equal(first) {
		t.Errorf("created_at stored from Now: got %v, want %v (Now must have a precision the store keeps)", got.CreatedAt, first)
	}
	var later time.Time
	mustUpdate(t, s, func(tx roster.Tx) error { later = tx.Now(); return nil })
	if later.Before(first) {
		t.Errorf("Now of a later transaction: got %v, before %v", later, first)
	}
}

func testTxReadsOwnWrites(t *testing.T, s roster.Store) {
	ctx := context.Background()
	org := NewOrg(t, "", "Root")
	child := NewOrg(t, org.ID, "Child")
	u := NewUser(t, org, "own@example.com", named("Ophelia", "Own", "", "ophelia"), func(u *roster.User) { u.ExternalID = "x" })
	mustUpdate(t, s, func(tx roster.Tx) error {
		for _, o := range []*roster.Organization{org, child} {
			o.CreatedAt, o.UpdatedAt = tx.Now(), tx.Now()
			if err := tx.CreateOrg(o); err != nil {
				return err
			}
		}
		stamp(tx, u)
		if err := tx.CreateUser(u); err != nil {
			return err
		}
		if empty, err := tx.Empty(ctx); err != nil || empty {
			t.Errorf("tx.Empty after CreateOrg: got %v, %v; want false", empty, err)
		}
		got, err := tx.FindOrg(ctx, child.ID)
		if err != nil {
			t.Errorf("tx.FindOrg: %v", err)
		} else {
			checkOrg(t, "tx.FindOrg", got, child)
		}
		if ids, err := tx.OrgAncestors(ctx, child.ID); err != nil || len(ids) != 1 || ids[0] != org.ID {
			t.Errorf("tx.OrgAncestors: got %v, %v; want [%s]", ids, err, org.ID)
		}
		if inUse, err := tx.OrgInUse(ctx, org.ID); err != nil || !inUse {
			t.Errorf("tx.OrgInUse: got %v, %v; want true", inUse, err)
		}
		for what, find := range map[string]func() (*roster.User, error){
			"tx.FindUser":             func() (*roster.User, error) { return tx.FindUser(ctx, u.ID) },
			"tx.FindUserByUsername":   func() (*roster.User, error) { return tx.FindUserByUsername(ctx, "OPHELIA") },
			"tx.FindUserByExternalID": func() (*roster.User, error) { return tx.FindUserByExternalID(ctx, org.ID, "x") },
		} {
			got, err := find()
			if err != nil {
				t.Errorf("%s: %v", what, err)
				continue
			}
			checkUser(t, what, got, u)
		}
		users, _, err := tx.FindUsers(ctx, roster.UserFilter{Query: "opheli", Sort: "created_at", Limit: 10})
		if err != nil || len(users) != 1 {
			t.Errorf("tx.FindUsers(q=opheli): got %d users, %v; want 1", len(users), err)
		}
		orgs, _, err := tx.FindOrgs(ctx, roster.OrgFilter{ParentID: org.ID, Limit: 10})
		if err != nil || len(orgs) != 1 {
			t.Errorf("tx.FindOrgs(parent=root): got %d organisations, %v; want 1", len(orgs), err)
		}
		return nil
	})
	got, err := s.FindUser(ctx, u.ID)
	must(t, "FindUser after commit", err)
	checkUser(t, "FindUser after commit", got, u)
}

// testTxConcurrent runs many transactions at once, as a busy server does;
// an engine that commits them in groups must keep them apart. Readers run
// alongside and must never see what a failed transaction wrote.
func testTxConcurrent(t *testing.T, s roster.Store) {
	ctx := context.Background()
	root := MustCreateOrg(t, s, "", "Root")
	taken := MustCreateUser(t, s, root, "taken@example.com")
	const n = 50
	const (
		commit = iota
		fail
		conflict
		crash
	)
	type job struct {
		mode  int
		users []*roster.User
		now   time.Time
		err   error
	}
	jobs := make([]*job, n)
	for i := range jobs {
		j := &job{mode: i % 4}
		for k := range 2 {
			j.users = append(j.users, NewUser(t, root, fmt.Sprintf("job%02d-%d-mode%d@example.com", i, k, j.mode)))
		}
		jobs[i] = j
	}
	var wg, readers sync.WaitGroup
	var done atomic.Bool
	start := make(chan struct{})
	for range 2 {
		readers.Go(func() {
			<-start
			for !done.Load() {
				users, _, err := s.FindUsers(ctx, roster.UserFilter{Sort: "created_at", Limit: 200})
				if err != nil {
					t.Errorf("FindUsers during writes: %v", err)
					return
				}
				for _, u := range users {
					if u.ID != taken.ID && !strings.HasSuffix(u.Email, "mode0@example.com") {
						t.Errorf("FindUsers during writes: sees %s of a failed transaction", u.Email)
					}
				}
			}
		})
	}
	for _, j := range jobs {
		wg.Go(func() {
			<-start
			j.err = s.Update(ctx, func(tx roster.Tx) error {
				j.now = tx.Now()
				for _, u := range j.users {
					u.CreatedAt, u.UpdatedAt = j.now, j.now
					if err := tx.CreateUser(u); err != nil {
						return err
					}
				}
				switch j.mode {
				case fail:
					return errBoom
				case conflict:
					dup := j.users[0].Clone()
					dup.ID, dup.Email, dup.Username = roster.NewID(roster.PrefixUser), "Taken@example.com", unique("dup")
					return tx.CreateUser(dup)
				case crash:
					panic("crash on purpose")
				}
				return nil
			})
		})
	}
	close(start)
	wg.Wait()
	done.Store(true)
	readers.Wait()

	committed := []*roster.User{taken}
	for i, j := range jobs {
		switch j.mode {
		case commit:
			must(t, fmt.Sprintf("job %d", i), j.err)
		case fail:
			if !errors.Is(j.err, errBoom) {
				t.Errorf("job %d: got %v, want fn's error", i, j.err)
			}
		case conflict:
			wantCode(t, fmt.Sprintf("job %d", i), j.err, roster.CodeConflict)
		case crash:
			wantCode(t, fmt.Sprintf("job %d", i), j.err, roster.CodeInternal)
		}
		for _, u := range j.users {
			got, err := s.FindUser(ctx, u.ID)
			if j.mode != commit {
				wantCode(t, fmt.Sprintf("FindUser(%s)", u.Email), err, roster.CodeNotFound)
				continue
			}
			committed = append(committed, u)
			if err != nil {
				t.Errorf("FindUser(%s): %v", u.Email, err)
				continue
			}
			checkUser(t, "FindUser("+u.Email+")", got, u)
		}
	}
	if got := findAll(t, s, roster.UserFilter{}); len(got) != len(committed) {
		t.Errorf("FindUsers after the jobs: got %d users, want %d", len(got), len(committed))
	}
}

func testTxConcurrentSameUsername(t *testing.T, s roster.Store) {
	root := MustCreateOrg(t, s, "", "Root")
	const n = 20
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		u := NewUser(t, root, fmt.Sprintf("same%d@example.com", i), func(u *roster.User) { u.Username = "Same" })
		wg.Go(func() { errs[i] = update(s, func(tx roster.Tx) error { stamp(tx, u); return tx.CreateUser(u) }) })
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		if err == nil {
			won++
			continue
		}
		wantCode(t, fmt.Sprintf("create %d", i), err, roster.CodeConflict)
	}
	if won != 1 {
		t.Errorf("%d concurrent creates of one username: %d succeeded, want 1", n, won)
	}
	if _, err := s.FindUserByUsername(context.Background(), "same"); err != nil {
		t.Errorf("FindUserByUsername: %v", err)
	}
}

// testTxConcurrentStaleUpdates sends many updates made from the same
// version: exactly one may win.
func testTxConcurrentStaleUpdates(t *testing.T, s roster.Store) {
	root := MustCreateOrg(t, s, "", "Root")
	u := MustCreateUser(t, s, root, "u@example.com")
	const n = 20
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		next := u.Clone()
		next.Version, next.FirstName = 2, fmt.Sprintf("Writer%d", i)
		wg.Go(func() { errs[i] = update(s, func(tx roster.Tx) error { return tx.UpdateUser(next) }) })
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		if err == nil {
			if winner >= 0 {
				t.Errorf("updates %d and %d from version 1 both succeeded", winner, i)
			}
			winner = i
			continue
		}
		wantCode(t, fmt.Sprintf("update %d", i), err, roster.CodePreconditionFailed)
	}
	got, err := s.FindUser(context.Background(), u.ID)
	must(t, "FindUser", err)
	if winner < 0 || got.Version != 2 || got.FirstName != fmt.Sprintf("Writer%d", winner) {
		t.Errorf("after %d updates from version 1: got version %d by %s, winner %d", n, got.Version, got.FirstName, winner)
	}
}

// testTxConcurrentReadModifyWrite bumps one user from many transactions
// that each read it first: every read sees the writes committed (or
// grouped) before it, so none is lost.
func testTxConcurrentReadModifyWrite(t *testing.T, s roster.Store) {
	root := MustCreateOrg(t, s, "", "Root")
	u := MustCreateUser(t, s, root, "counter@example.com")
	const n = 30
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			err := update(s, func(tx roster.Tx) error {
				cur, err := tx.FindUser(context.Background(), u.ID)
				if err != nil {
					return err
				}
				cur.Version++
				cur.UpdatedAt = tx.Now()
				cur.Tags = append(cur.Tags, roster.Tag{ID: roster.NewID(roster.PrefixTag), Name: unique("t")})
				return tx.UpdateUser(cur)
			})
			if err != nil {
				t.Errorf("read-modify-write: %v", err)
			}
		})
	}
	wg.Wait()
	got, err := s.FindUser(context.Background(), u.ID)
	must(t, "FindUser", err)
	if got.Version != n+1 || len(got.Tags) != n {
		t.Errorf("after %d read-modify-writes: got version %d with %d tags, want version %d with %d", n, got.Version, len(got.Tags), n+1, n)
	}
}
