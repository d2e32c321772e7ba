// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/rosterhq/roster"
)

var visibilityBehaviours = []behaviour{
	{"FindUsers/MemberOf", testFindUsersMemberOf},
	{"FindUsers/Visible", testFindUsersVisible},
	{"FindUsers/VisiblePages", testFindUsersVisiblePages},
	{"Orgs/FindVisible", testFindOrgsVisible},
}

// visTree is a small organisation tree with one user at home in each
// organisation and one user with a membership away from home.
type visTree struct {
	root, a, a1, b       *roster.Organization
	ur, ua, ua1, ub, ub2 *roster.User
}

// all returns the users in creation order.
func (v *visTree) all() []*roster.User { return []*roster.User{v.ur, v.ua, v.ua1, v.ub, v.ub2} }

// newVisTree stores
//
//	root ─┬─ a ── a1
//	      └─ b
//
// with the users ur, ua, ua1 and ub at home in root, a, a1 and b, and ub2
// at home in b with a second membership (as an admin) in a1.
func newVisTree(t *testing.T, s roster.Store) *visTree {
	t.Helper()
	v := &visTree{}
	v.root = NewOrg(t, "", "Root", func(o *roster.Organization) { o.CreatedAt, o.UpdatedAt = at(0), at(0) })
	v.a = NewOrg(t, v.root.ID, "A", func(o *roster.Organization) { o.CreatedAt, o.UpdatedAt = at(1), at(1) })
	v.a1 = NewOrg(t, v.a.ID, "A1", func(o *roster.Organization) { o.CreatedAt, o.UpdatedAt = at(2), at(2) })
	v.b = NewOrg(t, v.root.ID, "B", func(o *roster.Organization) { o.CreatedAt, o.UpdatedAt = at(3), at(3) })
	MustInsertOrgs(t, s, v.root, v.a, v.a1, v.b)
	v.ur = NewUser(t, v.root, "r@example.com", dated(1), named("Rita", "Zed", "", "rita"))
	v.ua = NewUser(t, v.a, "a@example.com", dated(2), named("Abe", "Young", "", "abe"))
	v.ua1 = NewUser(t, v.a1, "a1@example.com", dated(3), named("Ada", "Xu", "", "ada"))
	v.ub = NewUser(t, v.b, "b@example.com", dated(4), named("Bea", "Walker", "", "bea"))
	v.ub2 = NewUser(t, v.b, "b2@example.com", dated(5), named("Bo", "Vance", "", "bo"), func(u *roster.User) {
		u.Memberships = []roster.Membership{{OrganizationID: v.b.ID, Roles: u.Roles}, {OrganizationID: v.a1.ID, Roles: []string{"admin", "manager"}}}
	})
	MustInsertUsers(t, s, v.all()...)
	return v
}

// describeVis writes a visibility for messages.
func describeVis(v *roster.Visibility) string {
	if v == nil {
		return "nil"
	}
	return fmt.Sprintf("{subtrees=%v orgs=%v self=%q}", v.Subtrees, v.Orgs, v.Self)
}

func testFindUsersMemberOf(t *testing.T, s roster.Store) {
	v := newVisTree(t, s)
	unknown := roster.NewID(roster.PrefixOrg)
	for _, c := range []struct {
		f    roster.UserFilter
		want []*roster.User
	}{
		{roster.UserFilter{MemberOf: v.root.ID}, []*roster.User{v.ur}}, // not the subtree
		{roster.UserFilter{MemberOf: v.a.ID}, []*roster.User{v.ua}},
		{roster.UserFilter{MemberOf: v.a1.ID}, []*roster.User{v.ua1, v.ub2}}, // a membership away from home counts
		{roster.UserFilter{MemberOf: v.b.ID}, []*roster.User{v.ub, v.ub2}},
		{roster.UserFilter{MemberOf: unknown}, nil},
		{roster.UserFilter{MemberOf: v.a1.ID, OrganizationID: v.b.ID}, []*roster.User{v.ub2}},
		{roster.UserFilter{MemberOf: v.a1.ID, Query: "vance"}, []*roster.User{v.ub2}},
		{roster.UserFilter{MemberOf: v.a1.ID, Query: "bo"}, []*roster.User{v.ub2}},
		{roster.UserFilter{MemberOf: v.a1.ID, Sort: "-created_at"}, []*roster.User{v.ub2, v.ua1}},
		{roster.UserFilter{MemberOf: v.a1.ID, Sort: "last_name"}, []*roster.User{v.ub2, v.ua1}},
	} {
		checkUsers(t, fmt.Sprintf("%s member_of=%s", describe(c.f), orgName(v, c.f.MemberOf)), findAll(t, s, c.f), c.want...)
	}

	// The filter follows membership changes.
	next := v.ub2.Clone()
	next.Version++
	next.Memberships = next.Memberships[:1]
	mustUpdate(t, s, func(tx roster.Tx) error { next.UpdatedAt = tx.Now(); return tx.UpdateUser(next) })
	checkUsers(t, "FindUsers(member_of=a1) after ub2 left a1", findAll(t, s, roster.UserFilter{MemberOf: v.a1.ID}), v.ua1)
	checkUsers(t, "FindUsers(member_of=b) after ub2 left a1", findAll(t, s, roster.UserFilter{MemberOf: v.b.ID}), v.ub, next)
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.DeleteUser(v.ua1.ID) })
	checkUsers(t, "FindUsers(member_of=a1) after deleting ua1", findAll(t, s, roster.UserFilter{MemberOf: v.a1.ID}))
}

// orgName names an organisation of v for messages.
func orgName(v *visTree, id string) string {
	for _, o := range []*roster.Organization{v.root, v.a, v.a1, v.b} {
		if o.ID == id {
			return o.Name
		}
	}
	return id
}

func testFindUsersVisible(t *testing.T, s roster.Store) {
	v := newVisTree(t, s)
	unknown := roster.NewID(roster.PrefixOrg)
	for _, c := range []struct {
		vis  *roster.Visibility
		f    roster.UserFilter // other filters, if any
		want []*roster.User
	}{
		{nil, roster.UserFilter{}, v.all()},
		{&roster.Visibility{Subtrees: []string{v.root.ID}}, roster.UserFilter{}, v.all()},
		{&roster.Visibility{Subtrees: []string{v.a.ID}}, roster.UserFilter{}, []*roster.User{v.ua, v.ua1, v.ub2}},
		{&roster.Visibility{Subtrees: []string{v.a1.ID}}, roster.UserFilter{}, []*roster.User{v.ua1, v.ub2}},
		{&roster.Visibility{Orgs: []string{v.a.ID}}, roster.UserFilter{}, []*roster.User{v.ua}}, // not a's subtree
		{&roster.Visibility{Orgs: []string{v.a1.ID}}, roster.UserFilter{}, []*roster.User{v.ua1, v.ub2}},
		{&roster.Visibility{Orgs: []string{v.root.ID}}, roster.UserFilter{}, []*roster.User{v.ur}},
		{&roster.Visibility{Subtrees: []string{v.b.ID}, Orgs: []string{v.a.ID}}, roster.UserFilter{}, []*roster.User{v.ua, v.ub, v.ub2}},
		{&roster.Visibility{Subtrees: []string{v.a.ID, v.a1.ID}}, roster.UserFilter{}, []*roster.User{v.ua, v.ua1, v.ub2}}, // overlapping
		{&roster.Visibility{Self: v.ur.ID}, roster.UserFilter{}, []*roster.User{v.ur}},
		{&roster.Visibility{Self: v.ub.ID, Orgs: []string{v.a.ID}}, roster.UserFilter{}, []*roster.User{v.ua, v.ub}},
		{&roster.Visibility{Self: v.ua1.ID, Subtrees: []string{v.a.ID}}, roster.UserFilter{}, []*roster.User{v.ua, v.ua1, v.ub2}}, // no duplicate
		{&roster.Visibility{}, roster.UserFilter{}, nil},
		{&roster.Visibility{Subtrees: []string{}, Orgs: []string{}}, roster.UserFilter{}, nil},
		{&roster.Visibility{Subtrees: []string{unknown}, Orgs: []string{unknown}, Self: roster.NewID(roster.PrefixUser)}, roster.UserFilter{}, nil},
		// With other filters.
		{&roster.Visibility{Subtrees: []string{v.a.ID}}, roster.UserFilter{OrganizationID: v.b.ID}, []*roster.User{v.ub2}},
		{&roster.Visibility{Subtrees: []string{v.a.ID}}, roster.UserFilter{OrganizationID: v.root.ID, IncludeDescendants: true}, []*roster.User{v.ua, v.ua1, v.ub2}},
		{&roster.Visibility{Subtrees: []string{v.a.ID}}, roster.UserFilter{Query: "example.com"}, []*roster.User{v.ua, v.ua1, v.ub2}},
		{&roster.Visibility{Subtrees: []string{v.a.ID}}, roster.UserFilter{Query: "bo"}, []*roster.User{v.ub2}},
		{&roster.Visibility{Orgs: []string{v.b.ID}}, roster.UserFilter{MemberOf: v.a1.ID}, []*roster.User{v.ub2}},
		{&roster.Visibility{Self: v.ur.ID}, roster.UserFilter{Query: "bea"}, nil},
		{&roster.Visibility{Subtrees: []string{v.root.ID}}, roster.UserFilter{Sort: "last_name"}, []*roster.User{v.ub2, v.ub, v.ua1, v.ua, v.ur}},
	} {
		f := c.f
		f.Visible = c.vis
		checkUsers(t, describe(f)+" visible="+describeVis(c.vis), findAll(t, s, f), c.want...)
	}

	// Visibility follows the tree: a user whose membership moves under a
	// covered organisation becomes visible at once, a user whose
	// organisation moves out of the subtree stops being visible.
	a2 := MustCreateOrg(t, s, v.a1.ID, "A2")
	vis := &roster.Visibility{Subtrees: []string{v.a.ID}}
	checkUsers(t, "FindUsers(visible subtree a) after adding an empty a2", findAll(t, s, roster.UserFilter{Visible: vis}), v.ua, v.ua1, v.ub2)
	next := v.ub.Clone()
	next.Version++
	next.Memberships = append(next.Memberships, roster.Membership{OrganizationID: a2.ID, Roles: []string{"member"}})
	mustUpdate(t, s, func(tx roster.Tx) error { next.UpdatedAt = tx.Now(); return tx.UpdateUser(next) })
	checkUsers(t, "FindUsers(visible subtree a) after ub joined a2", findAll(t, s, roster.UserFilter{Visible: vis}), v.ua, v.ua1, next, v.ub2)
	moved := v.a1.Clone()
	moved.Version++
	moved.ParentID = v.b.ID
	mustUpdate(t, s, func(tx roster.Tx) error { moved.UpdatedAt = tx.Now(); return tx.UpdateOrg(moved) })
	checkUsers(t, "FindUsers(visible subtree a) after a1 moved under b", findAll(t, s, roster.UserFilter{Visible: vis}), v.ua)
	checkUsers(t, "FindUsers(visible subtree b) after a1 moved under b", findAll(t, s, roster.UserFilter{Visible: &roster.Visibility{Subtrees: []string{v.b.ID}}}),
		v.ua1, next, v.ub2)
}

// testFindUsersVisiblePages walks every sort one user a page under a
// visibility: the cursor must stay within what is visible.
func testFindUsersVisiblePages(t *testing.T, s roster.Store) {
	v := newVisTree(t, s)
	more := sortingUsers(t, v.a1)
	for i, u := range more {
		u.Email = fmt.Sprintf("vis%d-%s", i, u.Email)
		u.Username = u.Email
	}
	MustInsertUsers(t, s, more...)
	vis := &roster.Visibility{Subtrees: []string{v.a.ID}, Self: v.ur.ID}
	want := append([]*roster.User{v.ur, v.ua, v.ua1, v.ub2}, more...)
	for _, sort := range roster.UserSorts {
		for _, limit := range []int{1, 3} {
			f := roster.UserFilter{Visible: vis, Sort: sort, Limit: limit}
			got, _ := walkUsers(t, s, f, nil)
			// Users that tie in creation time were stored in id order,
			// so userOrder is the stored order too.
			w := slices.Clone(want)
			slices.SortFunc(w, userOrder(sort))
			checkUsers(t, fmt.Sprintf("all pages of FindUsers(sort=%s limit=%d visible=%s)", sort, limit, describeVis(vis)), got, w...)
		}
	}
	f := roster.UserFilter{Visible: &roster.Visibility{Orgs: []string{v.a1.ID}}, MemberOf: v.a1.ID, Query: "example", Sort: "email", Limit: 2}
	got, _ := walkUsers(t, s, f, nil)
	w := append([]*roster.User{v.ua1, v.ub2}, more...)
	slices.SortFunc(w, userOrder("email"))
	checkUsers(t, "all pages of "+describe(f)+" visible=orgs a1", got, w...)
}

func testFindOrgsVisible(t *testing.T, s roster.Store) {
	v := newVisTree(t, s)
	a2 := NewOrg(t, v.a1.ID, "A2", func(o *roster.Organization) {
		o.CreatedAt, o.UpdatedAt = at(4), at(4)
		o.Status = roster.StatusDisabled
	})
	b1 := NewOrg(t, v.b.ID, "B1", func(o *roster.Organization) { o.CreatedAt, o.UpdatedAt = at(5), at(5) })
	MustInsertOrgs(t, s, a2, b1)
	all := []*roster.Organization{v.root, v.a, v.a1, v.b, a2, b1}
	unknown := roster.NewID(roster.PrefixOrg)
	for _, c := range []struct {
		f    roster.OrgFilter
		want []*roster.Organization
	}{
		{roster.OrgFilter{}, all},
		{roster.OrgFilter{Visible: &roster.Visibility{Subtrees: []string{v.root.ID}}}, all},
		{roster.OrgFilter{Visible: &roster.Visibility{Subtrees: []string{v.a.ID}}}, []*roster.Organization{v.a, v.a1, a2}},
		{roster.OrgFilter{Visible: &roster.Visibility{Orgs: []string{v.a.ID}}}, []*roster.Organization{v.a}},
		{roster.OrgFilter{Visible: &roster.Visibility{Subtrees: []string{v.a1.ID}, Orgs: []string{v.b.ID}}}, []*roster.Organization{v.a1, v.b, a2}},
		{roster.OrgFilter{Visible: &roster.Visibility{Subtrees: []string{v.a.ID, v.a1.ID}, Orgs: []string{v.a1.ID}}}, []*roster.Organization{v.a, v.a1, a2}},
		{roster.OrgFilter{Visible: &roster.Visibility{Self: v.ur.ID}}, nil}, // Self names a user, not an organisation
		{roster.OrgFilter{Visible: &roster.Visibility{}}, nil},
		{roster.OrgFilter{Visible: &roster.Visibility{Subtrees: []string{}, Orgs: []string{}}}, nil},
		{roster.OrgFilter{Visible: &roster.Visibility{Subtrees: []string{unknown}, Orgs: []string{unknown}}}, nil},
		{roster.OrgFilter{Visible: &roster.Visibility{Subtrees: []string{v.a.ID}}, ParentID: v.a1.ID}, []*roster.Organization{a2}},
		{roster.OrgFilter{Visible: &roster.Visibility{Subtrees: []string{v.a.ID}}, Status: roster.StatusEnabled}, []*roster.Organization{v.a, v.a1}},
		{roster.OrgFilter{Visible: &roster.Visibility{Subtrees: []string{v.root.ID}}, Query: "b"}, []*roster.Organization{v.b, b1}},
		{roster.OrgFilter{Visible: &roster.Visibility{Subtrees: []string{v.b.ID}}, Query: "a"}, nil},
	} {
		checkIDs(t, fmt.Sprintf("FindOrgs(%+v visible=%s)", c.f, describeVis(c.f.Visible)), orgIDs(findOrgs(t, s, c.f)), orgIDs(c.want))
	}
	vis := &roster.Visibility{Subtrees: []string{v.a.ID}, Orgs: []string{b1.ID}}
	for _, limit := range []int{1, 2} {
		checkIDs(t, fmt.Sprintf("all pages of FindOrgs(limit=%d visible=%s)", limit, describeVis(vis)),
			orgIDs(walkOrgs(t, s, roster.OrgFilter{Visible: vis, Limit: limit}, nil)), orgIDs([]*roster.Organization{v.a, v.a1, a2, b1}))
	}
	// Moving a subtree moves what it covers, at once.
	moved := a2.Clone()
	moved.Version++
	moved.ParentID = v.b.ID
	mustUpdate(t, s, func(tx roster.Tx) error { moved.UpdatedAt = tx.Now(); return tx.UpdateOrg(moved) })
	checkIDs(t, "FindOrgs(visible subtree a) after a2 moved under b", orgIDs(findOrgs(t, s, roster.OrgFilter{Visible: &roster.Visibility{Subtrees: []string{v.a.ID}}})),
		orgIDs([]*roster.Organization{v.a, v.a1}))
	checkIDs(t, "FindOrgs(visible subtree b) after a2 moved under b", orgIDs(findOrgs(t, s, roster.OrgFilter{Visible: &roster.Visibility{Subtrees: []string{v.b.ID}}})),
		orgIDs([]*roster.Organization{v.b, a2, b1}))
}
