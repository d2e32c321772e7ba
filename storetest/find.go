// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

var findBehaviours = []behaviour{
	{"FindUsers/Query", testFindUsersQuery},
	{"FindUsers/Status", testFindUsersStatus},
	{"FindUsers/Organization", testFindUsersOrganization},
	{"FindUsers/Tag", testFindUsersTag},
	{"FindUsers/Role", testFindUsersRole},
	{"FindUsers/Dates", testFindUsersDates},
	{"FindUsers/Empty", testFindUsersEmpty},
}

// findAll returns every user that f selects, sorted by creation when f
// names no sort, and fails the test if they do not fit on one page.
func findAll(tb testing.TB, r roster.Reader, f roster.UserFilter) []*roster.User {
	tb.Helper()
	if f.Sort == "" {
		f.Sort = "created_at"
	}
	if f.Limit == 0 {
		f.Limit = 200
	}
	users, next, err := r.FindUsers(context.Background(), f)
	if err != nil {
		tb.Fatalf("%s: %v", describe(f), err)
	}
	if next != nil {
		tb.Fatalf("%s: got a next cursor %+v on a page of %d of limit %d", describe(f), *next, len(users), f.Limit)
	}
	return users
}

// checkUsers fails the test unless got lists exactly want, in order. It
// names users by email, which the tests keep readable.
func checkUsers(tb testing.TB, what string, got []*roster.User, want ...*roster.User) {
	tb.Helper()
	if strings.Join(userIDs(got), ",") != strings.Join(userIDs(want), ",") {
		tb.Errorf("%s:\n got %v\nwant %v", what, emails(got), emails(want))
	}
}

func emails(users []*roster.User) []string {
	out := make([]string, len(users))
	for i, u := range users {
		out[i] = u.Email
	}
	return out
}

// describe writes the set fields of a filter, for messages.
func describe(f roster.UserFilter) string {
	var parts []string
	add := func(name string, v any) { parts = append(parts, fmt.Sprintf("%s=%v", name, v)) }
	if f.Query != "" {
		add("q", fmt.Sprintf("%q", f.Query))
	}
	for _, kv := range []struct{ k, v string }{{"status", f.Status}, {"org", f.OrganizationID}, {"tag", f.Tag}, {"role", f.Role}, {"sort", f.Sort}} {
		if kv.v != "" {
			add(kv.k, kv.v)
		}
	}
	if f.IncludeDescendants {
		add("descendants", true)
	}
	for _, kv := range []struct {
		k string
		v *time.Time
	}{{"created_after", f.CreatedAfter}, {"created_before", f.CreatedBefore}, {"updated_after", f.UpdatedAfter}} {
		if kv.v != nil {
			add(kv.k, kv.v.Format(time.RFC3339Nano))
		}
	}
	if f.Limit != 0 {
		add("limit", f.Limit)
	}
	if f.Cursor != nil {
		add("cursor", *f.Cursor)
	}
	return "FindUsers(" + strings.Join(parts, " ") + ")"
}

// dated returns an edit that sets a user's creation (and update) time.
func dated(n int) func(*roster.User) {
	return func(u *roster.User) { u.CreatedAt, u.UpdatedAt = at(n), at(n) }
}

// named returns an edit that sets a user's names and username.
func named(first, last, display, username string) func(*roster.User) {
	return func(u *roster.User) {
		u.FirstName, u.LastName, u.DisplayName, u.Username = first, last, display, username
	}
}

type filterCase struct {
	f    roster.UserFilter
	want []*roster.User
}

func checkFilters(t *testing.T, s roster.Store, cases []filterCase) {
	t.Helper()
	for _, c := range cases {
		checkUsers(t, describe(c.f), findAll(t, s, c.f), c.want...)
	}
}

func testFindUsersQuery(t *testing.T, s roster.Store) {
	root := MustCreateOrg(t, s, "", "Root")
	ann := NewUser(t, root, "ann.smith@example.com", dated(1), named("Ann", "Smith", "", "asmith"))
	rob := NewUser(t, root, "rj@example.org", dated(2), named("Robert", "Jones", "Bobby J", "rjones"),
		func(u *roster.User) { u.Status = roster.StatusDisabled })
	jorg := NewUser(t, root, "jm@example.net", dated(3), named("Jörg", "Müller", "", "jmueller"))
	piet := NewUser(t, root, "piet@example.nl", dated(4), named("Piet", "Kuipers", "", "pk"), func(u *roster.User) {
		u.Phone = &roster.Phone{Country: "NL", Number: "020 123 4567", E164: "+31201234567"}
	})
	percy := NewUser(t, root, "percy@example.co", dated(5), named("Percy", "Ten%Off", "", "p_u"))
	MustInsertUsers(t, s, ann, rob, jorg, piet, percy)
	all := []*roster.User{ann, rob, jorg, piet, percy}

	checkFilters(t, s, []filterCase{
		// Three characters or more.
		{roster.UserFilter{Query: "ANN"}, []*roster.User{ann}},         // first name
		{roster.UserFilter{Query: "jones"}, []*roster.User{rob}},       // last name
		{roster.UserFilter{Query: "bObBy"}, []*roster.User{rob}},       // display name
		{roster.UserFilter{Query: "ann smith"}, []*roster.User{ann}},   // the shown display name
		{roster.UserFilter{Query: "EXAMPLE.ORG"}, []*roster.User{rob}}, // email
		{roster.UserFilter{Query: "asmi"}, []*roster.User{ann}},        // username
		{roster.UserFilter{Query: "uiper"}, []*roster.User{piet}},      // inside a word
		{roster.UserFilter{Query: "mÜller"}, []*roster.User{jorg}},     // not only ASCII
		{roster.UserFilter{Query: "xample"}, all},                      // everyone
		{roster.UserFilter{Query: "zzz"}, nil},                         // no one
		{roster.UserFilter{Query: "n%o"}, []*roster.User{percy}},       // % is a plain character
		{roster.UserFilter{Query: "example", Status: "disabled"}, []*roster.User{rob}},
		// One or two characters.
		{roster.UserFilter{Query: "Pi"}, []*roster.User{piet}},
		{roster.UserFilter{Query: "k"}, []*roster.User{piet}},
		{roster.UserFilter{Query: "J"}, []*roster.User{rob, jorg}},
		{roster.UserFilter{Query: "Mü"}, []*roster.User{jorg}},
		{roster.UserFilter{Query: "Ö"}, []*roster.User{jorg}},
		{roster.UserFilter{Query: "_"}, []*roster.User{percy}}, // not a LIKE wildcard
		{roster.UserFilter{Query: "%"}, []*roster.User{percy}}, // nor this
		{roster.UserFilter{Query: "qz"}, nil},
		// Phone numbers match the digits of the E.164 form.
		{roster.UserFilter{Query: "+31 20"}, []*roster.User{piet}},
		{roster.UserFilter{Query: "20 123"}, []*roster.User{piet}},
		{roster.UserFilter{Query: "1234567"}, []*roster.User{piet}},
		{roster.UserFilter{Query: "31"}, []*roster.User{piet}},
		{roster.UserFilter{Query: "+1 669"}, nil},
	})
}

func testFindUsersStatus(t *testing.T, s roster.Store) {
	root := MustCreateOrg(t, s, "", "Root")
	on1 := NewUser(t, root, "on1@example.com", dated(1))
	off := NewUser(t, root, "off@example.com", dated(2), func(u *roster.User) { u.Status = roster.StatusDisabled })
	on2 := NewUser(t, root, "on2@example.com", dated(3))
	MustInsertUsers(t, s, on1, off, on2)
	checkFilters(t, s, []filterCase{
		{roster.UserFilter{}, []*roster.User{on1, off, on2}},
		{roster.UserFilter{Status: roster.StatusEnabled}, []*roster.User{on1, on2}},
		{roster.UserFilter{Status: roster.StatusDisabled}, []*roster.User{off}},
	})
}

func testFindUsersOrganization(t *testing.T, s roster.Store) {
	// root ─┬─ a ── a1
	//       └─ b
	root := MustCreateOrg(t, s, "", "Root")
	a := MustCreateOrg(t, s, root.ID, "A")
	a1 := MustCreateOrg(t, s, a.ID, "A1")
	b := MustCreateOrg(t, s, root.ID, "B")
	ur := NewUser(t, root, "r@example.com", dated(1))
	ua := NewUser(t, a, "a@example.com", dated(2))
	ua1 := NewUser(t, a1, "a1@example.com", dated(3))
	ub := NewUser(t, b, "b@example.com", dated(4))
	// A member of a1 whose home is b belongs to b only.
	ub2 := NewUser(t, b, "b2@example.com", dated(5), func(u *roster.User) {
		u.Memberships = []roster.Membership{{OrganizationID: b.ID, Roles: u.Roles}, {OrganizationID: a1.ID, Roles: []string{"admin"}}}
	})
	MustInsertUsers(t, s, ur, ua, ua1, ub, ub2)
	checkFilters(t, s, []filterCase{
		{roster.UserFilter{OrganizationID: root.ID}, []*roster.User{ur}},
		{roster.UserFilter{OrganizationID: root.ID, IncludeDescendants: true}, []*roster.User{ur, ua, ua1, ub, ub2}},
		{roster.UserFilter{OrganizationID: a.ID}, []*roster.User{ua}},
		{roster.UserFilter{OrganizationID: a.ID, IncludeDescendants: true}, []*roster.User{ua, ua1}},
		{roster.UserFilter{OrganizationID: a1.ID}, []*roster.User{ua1}},
		{roster.UserFilter{OrganizationID: a1.ID, IncludeDescendants: true}, []*roster.User{ua1}},
		{roster.UserFilter{OrganizationID: b.ID, IncludeDescendants: true}, []*roster.User{ub, ub2}},
		{roster.UserFilter{OrganizationID: roster.NewID(roster.PrefixOrg), IncludeDescendants: true}, nil},
		{roster.UserFilter{OrganizationID: a.ID, IncludeDescendants: true, Query: "a1@"}, []*roster.User{ua1}},
	})
}

func testFindUsersTag(t *testing.T, s roster.Store) {
	root := MustCreateOrg(t, s, "", "Root")
	tag := func(names ...string) func(*roster.User) {
		return func(u *roster.User) {
			for _, n := range names {
				u.Tags = append(u.Tags, roster.Tag{ID: roster.NewID(roster.PrefixTag), Name: n})
			}
		}
	}
	u1 := NewUser(t, root, "u1@example.com", dated(1), tag("VIP", "Beta"))
	u2 := NewUser(t, root, "u2@example.com", dated(2), tag("BETA"))
	u3 := NewUser(t, root, "u3@example.com", dated(3))
	MustInsertUsers(t, s, u1, u2, u3)
	checkFilters(t, s, []filterCase{
		{roster.UserFilter{Tag: "VIP"}, []*roster.User{u1}},
		{roster.UserFilter{Tag: "vip"}, []*roster.User{u1}},
		{roster.UserFilter{Tag: "beta"}, []*roster.User{u1, u2}},
		{roster.UserFilter{Tag: "Vi"}, nil}, // a whole name, not a part
		{roster.UserFilter{Tag: "gamma"}, nil},
	})
}

func testFindUsersRole(t *testing.T, s roster.Store) {
	root := MustCreateOrg(t, s, "", "Root")
	other := MustCreateOrg(t, s, root.ID, "Other")
	roles := func(r ...string) func(*roster.User) { return func(u *roster.User) { u.Roles = r } }
	admin := NewUser(t, root, "admin@example.com", dated(1), roles("admin"))
	member := NewUser(t, root, "member@example.com", dated(2), roles("member"))
	owner := NewUser(t, root, "owner@example.com", dated(3), roles("owner", "admin"))
	// An admin elsewhere is not an admin: the filter is about the home
	// organisation.
	elsewhere := NewUser(t, root, "elsewhere@example.com", dated(4), func(u *roster.User) {
		u.Memberships = []roster.Membership{{OrganizationID: root.ID, Roles: u.Roles}, {OrganizationID: other.ID, Roles: []string{"admin"}}}
	})
	MustInsertUsers(t, s, admin, member, owner, elsewhere)
	checkFilters(t, s, []filterCase{
		{roster.UserFilter{Role: "admin"}, []*roster.User{admin, owner}},
		{roster.UserFilter{Role: "owner"}, []*roster.User{owner}},
		{roster.UserFilter{Role: "member"}, []*roster.User{member, elsewhere}},
		{roster.UserFilter{Role: "manager"}, nil},
		{roster.UserFilter{Role: "admin", OrganizationID: other.ID}, nil},
	})
}

func testFindUsersDates(t *testing.T, s roster.Store) {
	root := MustCreateOrg(t, s, "", "Root")
	u0 := NewUser(t, root, "u0@example.com", dated(0))
	u1 := NewUser(t, root, "u1@example.com", dated(1), func(u *roster.User) { u.UpdatedAt = at(10) })
	u2 := NewUser(t, root, "u2@example.com", dated(2))
	u3 := NewUser(t, root, "u3@example.com", dated(3))
	MustInsertUsers(t, s, u0, u1, u2, u3)
	tp := func(n int) *time.Time { v := at(n); return &v }
	micro := func(n int, d time.Duration) *time.Time { v := at(n).Add(d); return &v }
	checkFilters(t, s, []filterCase{
		{roster.UserFilter{CreatedAfter: tp(1)}, []*roster.User{u2, u3}}, // exclusive
		{roster.UserFilter{CreatedAfter: micro(1, -time.Microsecond)}, []*roster.User{u1, u2, u3}},
		{roster.UserFilter{CreatedBefore: tp(2)}, []*roster.User{u0, u1}}, // exclusive
		{roster.UserFilter{CreatedBefore: micro(2, time.Microsecond)}, []*roster.User{u0, u1, u2}},
		{roster.UserFilter{CreatedAfter: tp(0), CreatedBefore: tp(3)}, []*roster.User{u1, u2}},
		{roster.UserFilter{CreatedAfter: tp(3)}, nil},
		{roster.UserFilter{UpdatedAfter: tp(2)}, []*roster.User{u1, u3}},
		{roster.UserFilter{UpdatedAfter: tp(3)}, []*roster.User{u1}}, // exclusive
		{roster.UserFilter{UpdatedAfter: tp(10)}, nil},
		// The same instants in another time zone select the same users.
		{roster.UserFilter{CreatedAfter: inZone(tp(1))}, []*roster.User{u2, u3}},
	})
}

// inZone returns *t in a time zone other than UTC.
func inZone(t *time.Time) *time.Time {
	v := t.In(time.FixedZone("UTC+5", 5*3600))
	return &v
}

func testFindUsersEmpty(t *testing.T, s roster.Store) {
	for _, sort := range roster.UserSorts {
		users, next, err := s.FindUsers(context.Background(), roster.UserFilter{Sort: sort, Limit: 10})
		must(t, "FindUsers on an empty store", err)
		if len(users) != 0 || next != nil {
			t.Errorf("FindUsers(sort=%s) on an empty store: got %d users and cursor %v, want none", sort, len(users), next)
		}
	}
}
