// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/rosterhq/roster"
)

var accessBehaviours = []behaviour{
	{"Orgs/Disabled", testOrgDisabled},
	{"SettingsSchemas/Nearest", testSettingsSchemaNearest},
	{"SettingsSchemas/ReadYourWrites", testSettingsSchemaReadYourWrites},
	{"APIKeys/FindAndDelete", testAPIKeyFindAndDelete},
	{"APIKeys/Visible", testAPIKeysVisible},
	{"APIKeys/NewestFirst", testAPIKeysNewestFirst},
}

// setOrgStatus stores o with another status, raising its version, and
// updates o to what was stored.
func setOrgStatus(tb testing.TB, s roster.Store, o *roster.Organization, status string) {
	tb.Helper()
	next := o.Clone()
	next.Status, next.Version = status, o.Version+1
	mustUpdate(tb, s, func(tx roster.Tx) error { next.UpdatedAt = tx.Now(); return tx.UpdateOrg(next) })
	*o = *next
}

// changeUser stores a changed copy of u (edit, then version raised) and
// returns it.
func changeUser(tb testing.TB, s roster.Store, u *roster.User, edit func(*roster.User)) *roster.User {
	tb.Helper()
	next := u.Clone()
	edit(next)
	next.Version = u.Version + 1
	mustUpdate(tb, s, func(tx roster.Tx) error { next.UpdatedAt = tx.Now(); return tx.UpdateUser(next) })
	return next
}

func testOrgDisabled(t *testing.T, s roster.Store) {
	ctx := context.Background()
	// root ─┬─ a ── a1 ── a2
	//       ├─ b
	//       └─ off (disabled)
	root := MustCreateOrg(t, s, "", "Root")
	a := MustCreateOrg(t, s, root.ID, "A")
	a1 := MustCreateOrg(t, s, a.ID, "A1")
	a2 := MustCreateOrg(t, s, a1.ID, "A2")
	b := MustCreateOrg(t, s, root.ID, "B")
	off := MustCreateOrg(t, s, root.ID, "Off", func(o *roster.Organization) { o.Status = roster.StatusDisabled })
	orgs := []*roster.Organization{root, a, a1, a2, b, off}
	check := func(r roster.Reader, when string, disabled ...*roster.Organization) {
		t.Helper()
		for _, o := range orgs {
			got, err := r.OrgDisabled(ctx, o.ID)
			must(t, "OrgDisabled("+o.Name+") "+when, err)
			if want := slices.Contains(disabled, o); got != want {
				t.Errorf("OrgDisabled(%s) %s: got %v, want %v", o.Name, when, got, want)
			}
		}
	}
	check(s, "with only Off disabled", off)
	setOrgStatus(t, s, a, roster.StatusDisabled)
	check(s, "with A disabled", a, a1, a2, off)
	setOrgStatus(t, s, a1, roster.StatusDisabled)
	setOrgStatus(t, s, a, roster.StatusEnabled)
	check(s, "with A1 disabled", a1, a2, off)
	setOrgStatus(t, s, root, roster.StatusDisabled)
	check(s, "with the root disabled", orgs...)
	setOrgStatus(t, s, root, roster.StatusEnabled)
	setOrgStatus(t, s, a1, roster.StatusEnabled)
	setOrgStatus(t, s, off, roster.StatusEnabled)
	check(s, "with all enabled again")

	// Inside a transaction, its own writes count; a rolled back one
	// leaves nothing behind.
	err := update(s, func(tx roster.Tx) error {
		next := a.Clone()
		next.Status, next.Version, next.UpdatedAt = roster.StatusDisabled, a.Version+1, tx.Now()
		if err := tx.UpdateOrg(next); err != nil {
			return err
		}
		check(tx, "inside the transaction that disables A", a, a1, a2)
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Update: got %v, want fn's error", err)
	}
	check(s, "after a rolled back disable")
	// A moved organisation takes its new ancestors' status.
	setOrgStatus(t, s, b, roster.StatusDisabled)
	moved := a1.Clone()
	moved.ParentID, moved.Version = b.ID, a1.Version+1
	mustUpdate(t, s, func(tx roster.Tx) error { moved.UpdatedAt = tx.Now(); return tx.UpdateOrg(moved) })
	check(s, "after A1 moved under a disabled B", b, a1, a2)
}

// sameJSON reports whether two JSON documents hold the same value: a
// JSONB column may change their spacing and key order.
func sameJSON(a, b []byte) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}

// checkSchema fails the test unless FindSettingsSchema(o) returns want,
// or CodeNotFound when want is nil.
func checkSchema(tb testing.TB, r roster.Reader, when string, o *roster.Organization, want []byte) {
	tb.Helper()
	got, err := r.FindSettingsSchema(context.Background(), o.ID)
	what := fmt.Sprintf("FindSettingsSchema(%s) %s", o.Name, when)
	if want == nil {
		wantCode(tb, what, err, roster.CodeNotFound)
		return
	}
	if err != nil {
		tb.Errorf("%s: %v, want %s", what, err, want)
	} else if !sameJSON(got, want) {
		tb.Errorf("%s:\n got %s\nwant %s", what, got, want)
	}
}

func putSchema(tb testing.TB, s roster.Store, o *roster.Organization, schema []byte) {
	tb.Helper()
	mustUpdate(tb, s, func(tx roster.Tx) error { return tx.PutSettingsSchema(o.ID, schema) })
}

// schema returns a small, distinct JSON Schema.
func schema(name string) []byte {
	return []byte(fmt.Sprintf(`{"type":"object","title":%q,"properties":{"theme":{"type":"string","enum":["light","dark"]}},"additionalProperties":false}`, name))
}

func testSettingsSchemaNearest(t *testing.T, s roster.Store) {
	// root ─┬─ a ── a1 ── a2
	//       └─ b
	root := MustCreateOrg(t, s, "", "Root")
	a := MustCreateOrg(t, s, root.ID, "A")
	a1 := MustCreateOrg(t, s, a.ID, "A1")
	a2 := MustCreateOrg(t, s, a1.ID, "A2")
	b := MustCreateOrg(t, s, root.ID, "B")
	orgs := []*roster.Organization{root, a, a1, a2, b}
	// Every check reads every organisation first, so a read cache holds
	// each answer when the next write comes.
	check := func(when string, want ...[]byte) {
		t.Helper()
		for i, o := range orgs {
			checkSchema(t, s, when, o, want[i])
		}
	}
	s1, s2, s3 := schema("root"), schema("a1"), schema("a1 again")
	check("with no schema", nil, nil, nil, nil, nil)
	putSchema(t, s, root, s1)
	check("with the root's schema", s1, s1, s1, s1, s1)
	putSchema(t, s, a1, s2)
	check("with the root's and A1's", s1, s1, s2, s2, s1)
	putSchema(t, s, a1, s3)
	check("after replacing A1's", s1, s1, s3, s3, s1)
	putSchema(t, s, root, nil)
	check("after removing the root's", nil, nil, s3, s3, nil)
	putSchema(t, s, a1, nil)
	check("after removing A1's", nil, nil, nil, nil, nil)
	checkSchema(t, s, "of an unknown organisation", &roster.Organization{ID: roster.NewID(roster.PrefixOrg), Name: "unknown"}, nil)

	// A schema goes with its organisation.
	leaf := MustCreateOrg(t, s, b.ID, "Leaf")
	putSchema(t, s, leaf, schema("leaf"))
	checkSchema(t, s, "before deleting it", leaf, schema("leaf"))
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.DeleteOrg(leaf.ID) })
	checkSchema(t, s, "after deleting it", leaf, nil)
	again := MustCreateOrg(t, s, b.ID, "Leaf again")
	checkSchema(t, s, "of a new organisation where a deleted one was", again, nil)
}

func testSettingsSchemaReadYourWrites(t *testing.T, s roster.Store) {
	// root ─┬─ a ── a1
	//       └─ b ── c
	root := MustCreateOrg(t, s, "", "Root")
	a := MustCreateOrg(t, s, root.ID, "A")
	a1 := MustCreateOrg(t, s, a.ID, "A1")
	b := MustCreateOrg(t, s, root.ID, "B")
	c := MustCreateOrg(t, s, b.ID, "C")
	sa := schema("a")
	putSchema(t, s, a, sa)
	checkSchema(t, s, "with A's schema", c, nil)
	checkSchema(t, s, "with A's schema", a1, sa)

	// Moving an organisation changes its nearest schema.
	moved := c.Clone()
	moved.ParentID, moved.Version = a.ID, c.Version+1
	mustUpdate(t, s, func(tx roster.Tx) error { moved.UpdatedAt = tx.Now(); return tx.UpdateOrg(moved) })
	checkSchema(t, s, "after C moved under A", moved, sa)

	// Inside a transaction its own puts count; a rolled back put leaves
	// the old schema.
	sb := schema("a, changed")
	err := update(s, func(tx roster.Tx) error {
		if err := tx.PutSettingsSchema(a.ID, sb); err != nil {
			return err
		}
		checkSchema(t, tx, "inside the transaction that replaced A's", a1, sb)
		if err := tx.PutSettingsSchema(a.ID, nil); err != nil {
			return err
		}
		checkSchema(t, tx, "inside the transaction that removed A's", a1, nil)
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Update: got %v, want fn's error", err)
	}
	checkSchema(t, s, "after a rolled back replace and remove", a1, sa)
	checkSchema(t, s, "after a rolled back replace and remove", a, sa)

	// An organisation created after a read of its id gets its parent's
	// schema: the read must not have left a "none" behind.
	late := NewOrg(t, a.ID, "Late")
	checkSchema(t, s, "before it exists", late, nil)
	MustInsertOrgs(t, s, late)
	checkSchema(t, s, "once created under A", late, sa)
}

func testAPIKeyFindAndDelete(t *testing.T, s roster.Store) {
	ctx := context.Background()
	root := MustCreateOrg(t, s, "", "Root")
	u := MustCreateUser(t, s, root, "u@example.com")
	k1, secret1 := newKey(u, "ci")
	k2, secret2 := newKey(u, "deploy")
	expires := at(60 * 24 * 365)
	k2.Scopes, k2.ExpiresAt = []string{"users:read"}, &expires
	insertKeys(t, s, k1, k2)
	for _, k := range []*roster.APIKey{k1, k2} {
		got, err := s.FindAPIKey(ctx, k.ID)
		must(t, "FindAPIKey("+k.Name+")", err)
		checkKey(t, "FindAPIKey("+k.Name+")", got, k)
	}
	for _, id := range []string{roster.NewID(roster.PrefixKey), ""} {
		_, err := s.FindAPIKey(ctx, id)
		wantCode(t, fmt.Sprintf("FindAPIKey(%q)", id), err, roster.CodeNotFound)
	}

	// Warm any cache, then delete in a failed transaction: nothing changes.
	_, err := s.FindCredential(ctx, roster.HashKeySecret(secret1))
	must(t, "FindCredential(ci)", err)
	err = update(s, func(tx roster.Tx) error {
		if err := tx.DeleteAPIKey(k1.ID); err != nil {
			return err
		}
		if _, err := tx.FindAPIKey(ctx, k1.ID); roster.ErrorCode(err) != roster.CodeNotFound {
			t.Errorf("tx.FindAPIKey after tx.DeleteAPIKey: got %v, want CodeNotFound", err)
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Update: got %v, want fn's error", err)
	}
	_, err = s.FindAPIKey(ctx, k1.ID)
	must(t, "FindAPIKey after a rolled back delete", err)

	mustUpdate(t, s, func(tx roster.Tx) error { return tx.DeleteAPIKey(k1.ID) })
	_, err = s.FindAPIKey(ctx, k1.ID)
	wantCode(t, "FindAPIKey(deleted)", err, roster.CodeNotFound)
	_, err = findKeyByHash(s, roster.HashKeySecret(secret1))
	wantCode(t, "FindCredential(deleted)", err, roster.CodeNotFound)
	_, err = s.FindCredential(ctx, roster.HashKeySecret(secret1))
	wantCode(t, "FindCredential(deleted)", err, roster.CodeNotFound)
	keys, _, err := s.FindAPIKeys(ctx, nil, roster.Page{})
	must(t, "FindAPIKeys", err)
	checkIDs(t, "FindAPIKeys after a delete", keyIDs(keys), []string{k2.ID})
	got, err := findKeyByHash(s, roster.HashKeySecret(secret2))
	must(t, "FindCredential(the other key)", err)
	checkKey(t, "FindCredential(the other key)", got, k2)

	err = update(s, func(tx roster.Tx) error { return tx.DeleteAPIKey(k1.ID) })
	wantCode(t, "DeleteAPIKey(deleted)", err, roster.CodeNotFound)
	err = update(s, func(tx roster.Tx) error { return tx.DeleteAPIKey(roster.NewID(roster.PrefixKey)) })
	wantCode(t, "DeleteAPIKey(unknown)", err, roster.CodeNotFound)

	mustUpdate(t, s, func(tx roster.Tx) error { return tx.DeleteUser(u.ID) })
	_, err = s.FindAPIKey(ctx, k2.ID)
	wantCode(t, "FindAPIKey(key of a deleted user)", err, roster.CodeNotFound)
	keys, _, err = s.FindAPIKeys(ctx, nil, roster.Page{})
	must(t, "FindAPIKeys", err)
	checkIDs(t, "FindAPIKeys after deleting the user", keyIDs(keys), nil)
}

func keyIDs(keys []*roster.APIKey) []string {
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.ID
	}
	return ids
}

// datedKey returns a key of u created at at(n).
func datedKey(u *roster.User, n int) *roster.APIKey {
	k, _ := newKey(u, unique("key"))
	k.CreatedAt = at(n)
	return k
}

func testAPIKeysVisible(t *testing.T, s roster.Store) {
	ctx := context.Background()
	v := newVisTree(t, s)
	kr, ka, ka1, kb, kb2 := datedKey(v.ur, 1), datedKey(v.ua, 2), datedKey(v.ua1, 3), datedKey(v.ub, 4), datedKey(v.ub2, 5)
	ka2 := datedKey(v.ua, 6)
	insertKeys(t, s, kr, ka, ka1, kb, kb2, ka2)
	unknown := roster.NewID(roster.PrefixOrg)
	for _, c := range []struct {
		vis  *roster.Visibility
		want []*roster.APIKey // newest first
	}{
		{nil, []*roster.APIKey{ka2, kb2, kb, ka1, ka, kr}},
		{&roster.Visibility{Subtrees: []string{v.root.ID}}, []*roster.APIKey{ka2, kb2, kb, ka1, ka, kr}},
		{&roster.Visibility{Subtrees: []string{v.a.ID}}, []*roster.APIKey{ka2, ka1, ka}}, // home only: not ub2's
		{&roster.Visibility{Subtrees: []string{v.a1.ID}}, []*roster.APIKey{ka1}},
		{&roster.Visibility{Orgs: []string{v.a.ID}}, []*roster.APIKey{ka2, ka}},
		{&roster.Visibility{Orgs: []string{v.a1.ID}}, []*roster.APIKey{ka1}},
		{&roster.Visibility{Orgs: []string{v.b.ID}}, []*roster.APIKey{kb2, kb}},
		{&roster.Visibility{Subtrees: []string{v.a1.ID}, Orgs: []string{v.b.ID}}, []*roster.APIKey{kb2, kb, ka1}},
		{&roster.Visibility{Self: v.ur.ID}, []*roster.APIKey{kr}},
		{&roster.Visibility{Self: v.ub2.ID, Subtrees: []string{v.a1.ID}}, []*roster.APIKey{kb2, ka1}},
		{&roster.Visibility{Self: v.ua.ID, Subtrees: []string{v.a.ID}}, []*roster.APIKey{ka2, ka1, ka}}, // no duplicate
		{&roster.Visibility{}, nil},
		{&roster.Visibility{Subtrees: []string{}, Orgs: []string{}}, nil},
		{&roster.Visibility{Subtrees: []string{unknown}, Orgs: []string{unknown}, Self: roster.NewID(roster.PrefixUser)}, nil},
	} {
		got, _, err := s.FindAPIKeys(ctx, c.vis, roster.Page{})
		must(t, "FindAPIKeys(visible="+describeVis(c.vis)+")", err)
		checkIDs(t, "FindAPIKeys(visible="+describeVis(c.vis)+")", keyIDs(got), keyIDs(c.want))
	}
	got, _, err := s.FindAPIKeys(ctx, nil, roster.Page{})
	must(t, "FindAPIKeys", err)
	for i, k := range []*roster.APIKey{ka2, kb2, kb, ka1, ka, kr} {
		if i < len(got) {
			checkKey(t, "FindAPIKeys", got[i], k)
		}
	}
	// A user who moves home takes its keys along.
	changeUser(t, s, v.ub2, func(u *roster.User) { u.OrganizationID = v.a1.ID })
	got, _, err = s.FindAPIKeys(ctx, &roster.Visibility{Subtrees: []string{v.a.ID}}, roster.Page{})
	must(t, "FindAPIKeys", err)
	checkIDs(t, "FindAPIKeys(visible subtree a) after ub2 moved home to a1", keyIDs(got), keyIDs([]*roster.APIKey{ka2, kb2, ka1, ka}))
}

func testAPIKeysNewestFirst(t *testing.T, s roster.Store) {
	ctx := context.Background()
	root := MustCreateOrg(t, s, "", "Root")
	u := MustCreateUser(t, s, root, "u@example.com")
	w := MustCreateUser(t, s, root, "w@example.com")
	k3, k1, k2 := datedKey(u, 3), datedKey(w, 1), datedKey(u, 2)
	insertKeys(t, s, k3)
	insertKeys(t, s, k1, k2)
	got, _, err := s.FindAPIKeys(ctx, nil, roster.Page{})
	must(t, "FindAPIKeys", err)
	checkIDs(t, "FindAPIKeys", keyIDs(got), keyIDs([]*roster.APIKey{k3, k2, k1}))
	// Keys made now, some in one transaction, come before the dated ones.
	n1, _ := newKey(u, "now 1")
	n2, _ := newKey(w, "now 2")
	insertKeys(t, s, n1, n2)
	n3, _ := newKey(u, "now 3")
	insertKeys(t, s, n3)
	got, _, err = s.FindAPIKeys(ctx, nil, roster.Page{})
	must(t, "FindAPIKeys", err)
	if len(got) != 6 {
		t.Fatalf("FindAPIKeys: got %d keys, want 6", len(got))
	}
	if got[0].ID != n3.ID {
		t.Errorf("FindAPIKeys: first is %s, want the newest %s", got[0].Name, n3.Name)
	}
	if head := []string{got[1].ID, got[2].ID}; !slices.Contains(head, n1.ID) || !slices.Contains(head, n2.ID) {
		t.Errorf("FindAPIKeys: keys 2 and 3 are %s and %s, want now 1 and now 2", got[1].Name, got[2].Name)
	}
	checkIDs(t, "FindAPIKeys: the dated keys", keyIDs(got[3:]), keyIDs([]*roster.APIKey{k3, k2, k1}))
	for i := 1; i < len(got); i++ {
		if got[i].CreatedAt.After(got[i-1].CreatedAt) {
			t.Errorf("FindAPIKeys: %s (%v) after %s (%v): not newest first", got[i].Name, got[i].CreatedAt, got[i-1].Name, got[i-1].CreatedAt)
		}
	}
}
