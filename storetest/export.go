// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

var exportBehaviours = []behaviour{
	{"Export/SameAsFindUsers", testExportSameAsFindUsers},
	{"Export/ManyPages", testExportManyPages},
	{"Export/OneSnapshot", testExportOneSnapshot},
	{"Export/StopsOnError", testExportStopsOnError},
}

// exported returns the ids ExportUsers gives.
func exported(tb testing.TB, s roster.Store, v *roster.Visibility, orgID string) []string {
	tb.Helper()
	var ids []string
	err := s.ExportUsers(context.Background(), v, orgID, func(u *roster.User) error {
		ids = append(ids, u.ID)
		return nil
	})
	must(tb, "ExportUsers", err)
	return ids
}

// listed returns the ids of every page of FindUsers in creation order.
func listed(tb testing.TB, s roster.Store, f roster.UserFilter) []string {
	tb.Helper()
	f.Sort, f.Limit = "created_at", 7
	var ids []string
	for {
		users, next, err := s.FindUsers(context.Background(), f)
		must(tb, "FindUsers", err)
		ids = append(ids, userIDs(users)...)
		if next == nil {
			return ids
		}
		f.Cursor = next
	}
}

// testExportSameAsFindUsers: the export holds exactly what the paged list
// holds for the same visibility and subtree, in the same order.
func testExportSameAsFindUsers(t *testing.T, s roster.Store) {
	root := MustCreateOrg(t, s, "", "Root")
	a := MustCreateOrg(t, s, root.ID, "A")
	a1 := MustCreateOrg(t, s, a.ID, "A1")
	b := MustCreateOrg(t, s, root.ID, "B")
	var all []string
	for i, o := range []*roster.Organization{root, a, a1, b, a, a1, b, root} {
		u := MustCreateUser(t, s, o, fmt.Sprintf("u%d-%s@example.com", i, unique("x")))
		all = append(all, u.ID)
	}
	// A user of B who is also a member in A1.
	guest := MustCreateUser(t, s, b, unique("guest")+"@example.com", func(u *roster.User) {
		u.Memberships = []roster.Membership{{OrganizationID: b.ID, Roles: u.Roles}, {OrganizationID: a1.ID, Roles: []string{"member"}}}
	})
	all = append(all, guest.ID)
	self := all[0]
	for _, c := range []struct {
		name  string
		v     *roster.Visibility
		orgID string
	}{
		{"everything", nil, ""},
		{"subtree of A", nil, a.ID},
		{"subtree of A1", nil, a1.ID},
		{"visible A subtree", &roster.Visibility{Subtrees: []string{a.ID}, Self: self}, ""},
		{"visible org B only", &roster.Visibility{Orgs: []string{b.ID}, Self: self}, ""},
		{"visible A subtree, export of B", &roster.Visibility{Subtrees: []string{a.ID}, Self: self}, b.ID},
		{"visible A subtree, export of root", &roster.Visibility{Subtrees: []string{a.ID}, Self: self}, root.ID},
		{"nothing but self", &roster.Visibility{Self: self}, ""},
	} {
		got := exported(t, s, c.v, c.orgID)
		want := listed(t, s, roster.UserFilter{Visible: c.v, OrganizationID: c.orgID, IncludeDescendants: c.orgID != ""})
		checkIDs(t, "ExportUsers "+c.name, got, want)
	}
	checkIDs(t, "ExportUsers everything", exported(t, s, nil, ""), all)
}

// testExportManyPages: more users than one page of the export's keyset
// paging, each exactly once, whole.
func testExportManyPages(t *testing.T, s roster.Store) {
	root := MustCreateOrg(t, s, "", "Root")
	n := 2*roster.ExportPage + 37
	users := make([]*roster.User, n)
	for i := range users {
		users[i] = NewUser(t, root, fmt.Sprintf("many%d-%s@example.com", i, unique("m")), func(u *roster.User) {
			u.CreatedAt = base.Add(time.Duration(i) * time.Millisecond) // an engine may bound users per instant
			u.UpdatedAt = u.CreatedAt
		})
	}
	MustInsertUsers(t, s, users...)
	got := map[string]*roster.User{}
	err := s.ExportUsers(context.Background(), nil, "", func(u *roster.User) error {
		if got[u.ID] != nil {
			return fmt.Errorf("user %s exported twice", u.ID)
		}
		got[u.ID] = u.Clone()
		return nil
	})
	must(t, "ExportUsers", err)
	if len(got) != n {
		t.Fatalf("exported %d users, want %d", len(got), n)
	}
	for _, u := range users[:3] {
		checkUser(t, "exported user", got[u.ID], u)
	}
}

// testExportOneSnapshot: writes committed while an export runs (after its
// first page was read) are not in it: a user created then is absent, one
// deleted then is present, one changed then is as it was.
func testExportOneSnapshot(t *testing.T, s roster.Store) {
	root := MustCreateOrg(t, s, "", "Root")
	n := roster.ExportPage + 50
	users := make([]*roster.User, n)
	for i := range users {
		users[i] = NewUser(t, root, fmt.Sprintf("snap%d-%s@example.com", i, unique("s")))
	}
	MustInsertUsers(t, s, users...)
	var want []string
	for _, u := range users {
		want = append(want, u.ID)
	}
	last, gone := users[n-1], users[n-2]
	changed := last.Clone()
	changed.Version++
	changed.FirstName = "Changed"
	var added *roster.User
	var got []string
	var lastSeen *roster.User
	err := s.ExportUsers(context.Background(), nil, "", func(u *roster.User) error {
		if len(got) == 0 {
			added = NewUser(t, root, unique("late")+"@example.com")
			err := update(s, func(tx roster.Tx) error {
				stamp(tx, added)
				changed.UpdatedAt = tx.Now()
				if err := tx.CreateUser(added); err != nil {
					return err
				}
				if err := tx.UpdateUser(changed); err != nil {
					return err
				}
				return tx.DeleteUser(gone.ID)
			})
			if err != nil {
				return fmt.Errorf("write during the export: %w", err)
			}
		}
		got = append(got, u.ID)
		if u.ID == last.ID {
			lastSeen = u.Clone()
		}
		return nil
	})
	must(t, "ExportUsers", err)
	checkIDs(t, "ExportUsers during writes", got, want)
	if lastSeen == nil || lastSeen.FirstName != last.FirstName || lastSeen.Version != last.Version {
		t.Errorf("the user changed during the export was exported as %+v, want its version %d (first name %q)", lastSeen, last.Version, last.FirstName)
	}
	// Afterwards the writes are there.
	after := exported(t, s, nil, "")
	if slices.Contains(after, gone.ID) || !slices.Contains(after, added.ID) || len(after) != n {
		t.Errorf("export after the writes: %d users, deleted present %v, created present %v", len(after), slices.Contains(after, gone.ID), slices.Contains(after, added.ID))
	}
}

// testExportStopsOnError: fn's error ends the export and is returned, and
// the store goes on working (the snapshot was released).
func testExportStopsOnError(t *testing.T, s roster.Store) {
	root := MustCreateOrg(t, s, "", "Root")
	for range 3 {
		MustCreateUser(t, s, root, unique("stop")+"@example.com")
	}
	stop := errors.New("stop")
	calls := 0
	err := s.ExportUsers(context.Background(), nil, "", func(*roster.User) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("ExportUsers with a failing fn: err %v after %d calls, want stop after 1", err, calls)
	}
	for range 20 { // more than the read pool's connections
		if got := exported(t, s, nil, ""); len(got) != 3 {
			t.Fatalf("export after a stopped one: %d users, want 3", len(got))
		}
	}
	MustCreateUser(t, s, root, unique("after")+"@example.com")
	if got := exported(t, s, nil, ""); len(got) != 4 {
		t.Fatalf("export after a write: %d users, want 4", len(got))
	}
}
