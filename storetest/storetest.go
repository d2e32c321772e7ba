// SPDX-License-Identifier: Apache-2.0

// Package storetest is the conformance suite of roster.Store. Every engine
// runs the same Run from its own test file, so the engines cannot drift
// apart: they return the same records, sort the same way and translate
// their driver errors to the same codes.
//
// The suite speaks only through the roster.Store interface. Each behaviour
// is a subtest on a fresh store from the engine's open function.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

// behaviour is one subtest of the suite.
type behaviour struct {
	name string
	fn   func(t *testing.T, s roster.Store)
}

// Run runs every behaviour of the suite as a parallel subtest. open must
// return a new, empty and migrated store, and close it when t ends (with
// t.Cleanup).
func Run(t *testing.T, open func(t *testing.T) roster.Store) {
	var all []behaviour
	for _, group := range [][]behaviour{userBehaviours, findBehaviours, pageBehaviours, creationPageBehaviours, schemaVersionBehaviours, expediteBehaviours, backlogBehaviours, orgBehaviours, miscBehaviours, txBehaviours,
		visibilityBehaviours, accessBehaviours, exportBehaviours, credentialBehaviours, copyBehaviours, eventBehaviours, webhookBehaviours, securityBehaviours, mailBehaviours, signingKeyBehaviours, sessionBehaviours, ssoBehaviours, userQueryBehaviours} {
		all = append(all, group...)
	}
	run(t, all, open)
}

// RunUserQueries runs only the QueryUsers behaviours, for a variant of an
// engine that matters to them alone (a PostgreSQL database's locale).
func RunUserQueries(t *testing.T, open func(t *testing.T) roster.Store) {
	run(t, userQueryBehaviours, open)
}

func run(t *testing.T, all []behaviour, open func(t *testing.T) roster.Store) {
	for _, b := range all {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			b.fn(t, open(t))
		})
	}
}

// base is the creation time of records that tests date explicitly: a
// whole number of microseconds, the precision every engine keeps.
var base = time.Date(2024, 3, 1, 9, 0, 0, 123456000, time.UTC)

// at returns base plus n minutes.
func at(n int) time.Time { return base.Add(time.Duration(n) * time.Minute) }

var seq atomic.Int64

// unique returns a string unique in this process, for names and emails
// that a test does not care about.
func unique(prefix string) string { return fmt.Sprintf("%s%d", prefix, seq.Add(1)) }

// NewOrg returns a valid organisation named name under parentID ("" for
// the root) that is not stored yet. It is built by roster.BuildOrg, has a
// new id and version 1; its times stay zero unless an edit sets them (the
// Must* helpers then use tx.Now()). The edits run last.
func NewOrg(tb testing.TB, parentID, name string, edits ...func(*roster.Organization)) *roster.Organization {
	tb.Helper()
	in := &roster.OrgInput{Name: &name}
	if parentID != "" {
		in.ParentID = &parentID
	}
	o, err := roster.BuildOrg(nil, in)
	if err != nil {
		tb.Fatalf("BuildOrg(%q): %v", name, err)
	}
	o.ID, o.Version = roster.NewID(roster.PrefixOrg), 1
	for _, edit := range edits {
		edit(o)
	}
	return o
}

// MustCreateOrg stores a new organisation (see NewOrg) and returns it.
func MustCreateOrg(tb testing.TB, s roster.Store, parentID, name string, edits ...func(*roster.Organization)) *roster.Organization {
	tb.Helper()
	o := NewOrg(tb, parentID, name, edits...)
	MustInsertOrgs(tb, s, o)
	return o
}

// MustInsertOrgs stores the organisations, in order, in one transaction.
// Zero times are set to tx.Now() first.
func MustInsertOrgs(tb testing.TB, s roster.Store, orgs ...*roster.Organization) {
	tb.Helper()
	err := s.Update(context.Background(), func(tx roster.Tx) error {
		for _, o := range orgs {
			if o.CreatedAt.IsZero() {
				o.CreatedAt = tx.Now()
			}
			if o.UpdatedAt.IsZero() {
				o.UpdatedAt = o.CreatedAt
			}
			if err := tx.CreateOrg(o); err != nil {
				return fmt.Errorf("create org %q: %w", o.Name, err)
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// NewUser returns a valid user of org with the email (and, by default,
// the same username) that is not stored yet. It is built by
// roster.BuildUser, has a new id, version 1 and the role member. The edits
// run next; then, when the edits left Memberships nil, the user gets the
// one membership of its home organisation with its roles. Times stay zero
// unless an edit sets them.
func NewUser(tb testing.TB, org *roster.Organization, email string, edits ...func(*roster.User)) *roster.User {
	tb.Helper()
	first, last := "Pat", "Doe"
	u, err := roster.BuildUser(nil, &roster.UserInput{Email: &email, FirstName: &first, LastName: &last}, org)
	if err != nil {
		tb.Fatalf("BuildUser(%q): %v", email, err)
	}
	u.ID, u.Version = roster.NewID(roster.PrefixUser), 1
	for _, edit := range edits {
		edit(u)
	}
	if u.Memberships == nil {
		u.Memberships = []roster.Membership{{OrganizationID: u.OrganizationID, Roles: u.Roles}}
	}
	return u
}

// MustCreateUser stores a new user (see NewUser) and returns it as written.
func MustCreateUser(tb testing.TB, s roster.Store, org *roster.Organization, email string, edits ...func(*roster.User)) *roster.User {
	tb.Helper()
	u := NewUser(tb, org, email, edits...)
	MustInsertUsers(tb, s, u)
	return u
}

// MustInsertUsers stores the users, in order, in one transaction. Zero
// times are set to tx.Now() first.
func MustInsertUsers(tb testing.TB, s roster.Store, users ...*roster.User) {
	tb.Helper()
	err := s.Update(context.Background(), func(tx roster.Tx) error {
		for _, u := range users {
			stamp(tx, u)
			if err := tx.CreateUser(u); err != nil {
				return fmt.Errorf("create user %q: %w", u.Email, err)
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// stamp sets the zero times of u to the transaction's time.
func stamp(tx roster.Tx, u *roster.User) {
	if u.CreatedAt.IsZero() {
		u.CreatedAt = tx.Now()
	}
	if u.UpdatedAt.IsZero() {
		u.UpdatedAt = u.CreatedAt
	}
}

// update runs fn in its own transaction.
func update(s roster.Store, fn func(tx roster.Tx) error) error {
	return s.Update(context.Background(), fn)
}

// mustUpdate runs fn in its own transaction and fails the test on error.
func mustUpdate(tb testing.TB, s roster.Store, fn func(tx roster.Tx) error) {
	tb.Helper()
	if err := update(s, fn); err != nil {
		tb.Fatalf("Update: %v", err)
	}
}

// wantCode fails the test unless err carries the code. Engines must
// translate their driver errors, so the code is all the suite checks.
func wantCode(tb testing.TB, what string, err error, code roster.Code) {
	tb.Helper()
	if got := roster.ErrorCode(err); got != code {
		tb.Errorf("%s: error code %q (%v), want %q", what, got, err, code)
	}
}

// must fails the test at once on an error.
func must(tb testing.TB, what string, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatalf("%s: %v", what, err)
	}
}

var errBoom = errors.New("boom: failed on purpose")

// jsonDiff compares got and want by their JSON forms, as values so that
// key order and spacing (a JSONB column's) do not matter. It returns ""
// when they are equal, else the differing top-level fields.
func jsonDiff(got, want any) string {
	var g, w map[string]any
	for _, c := range []struct {
		v   any
		out *map[string]any
	}{{got, &g}, {want, &w}} {
		b, err := json.Marshal(c.v)
		if err != nil {
			return err.Error()
		}
		if err := json.Unmarshal(b, c.out); err != nil {
			return err.Error()
		}
	}
	var diff strings.Builder
	for _, k := range slices.Sorted(maps.Keys(w)) {
		if !reflect.DeepEqual(g[k], w[k]) {
			gj, _ := json.Marshal(g[k])
			wj, _ := json.Marshal(w[k])
			fmt.Fprintf(&diff, "\n  %s: got %s, want %s", k, gj, wj)
		}
	}
	for k := range g {
		if _, ok := w[k]; !ok {
			gj, _ := json.Marshal(g[k])
			fmt.Fprintf(&diff, "\n  %s: got %s, want no such field", k, gj)
		}
	}
	return diff.String()
}

// checkUser fails the test unless got holds what want holds. Times are
// compared in UTC: an engine may return them in another location.
func checkUser(tb testing.TB, what string, got, want *roster.User) {
	tb.Helper()
	if got == nil {
		tb.Errorf("%s: got no user, want %s", what, want.ID)
		return
	}
	g, w := *got, *want
	g.CreatedAt, g.UpdatedAt = g.CreatedAt.UTC(), g.UpdatedAt.UTC()
	w.CreatedAt, w.UpdatedAt = w.CreatedAt.UTC(), w.UpdatedAt.UTC()
	if d := jsonDiff(&g, &w); d != "" {
		tb.Errorf("%s: user %s differs:%s", what, want.Email, d)
	}
}

// checkOrg is checkUser for organisations.
func checkOrg(tb testing.TB, what string, got, want *roster.Organization) {
	tb.Helper()
	if got == nil {
		tb.Errorf("%s: got no organisation, want %s", what, want.ID)
		return
	}
	g, w := *got, *want
	g.CreatedAt, g.UpdatedAt = g.CreatedAt.UTC(), g.UpdatedAt.UTC()
	w.CreatedAt, w.UpdatedAt = w.CreatedAt.UTC(), w.UpdatedAt.UTC()
	if d := jsonDiff(&g, &w); d != "" {
		tb.Errorf("%s: organisation %s differs:%s", what, want.Name, d)
	}
}

// userIDs returns the ids of users, in order.
func userIDs(users []*roster.User) []string {
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	return ids
}

// orgIDs returns the ids of orgs, in order.
func orgIDs(orgs []*roster.Organization) []string {
	ids := make([]string, len(orgs))
	for i, o := range orgs {
		ids[i] = o.ID
	}
	return ids
}

// checkIDs fails the test unless got lists exactly the ids of want, in
// order. An empty want matches an empty or nil got.
func checkIDs(tb testing.TB, what string, got []string, want []string) {
	tb.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		tb.Errorf("%s:\n got %v\nwant %v", what, got, want)
	}
}

// Parallel runs fn for 0..n-1 from 32 goroutines, as concurrent requests
// would, and fails tb with the first error (the goroutine that met it
// stops). Engines' measurements of their storage use it.
func Parallel(tb testing.TB, n int, fn func(i int) error) {
	tb.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	for range 32 {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				if err := fn(i); err != nil {
					failed.Store(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		tb.Fatal(err)
	}
}

// StorageUsers returns how many users an engine's storage measurement
// creates (ROSTER_STORAGE_USERS), and skips tb when the variable is not
// set: the measurements take minutes.
func StorageUsers(tb testing.TB) int {
	tb.Helper()
	n, _ := strconv.Atoi(os.Getenv("ROSTER_STORAGE_USERS"))
	if n <= 0 {
		tb.Skip("set ROSTER_STORAGE_USERS to measure")
	}
	return n
}
