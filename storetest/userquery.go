// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

var userQueryBehaviours = []behaviour{
	{"QueryUsers/Operators", testQueryUsersOperators},
	{"QueryUsers/Combinations", testQueryUsersCombinations},
	{"QueryUsers/SortAndPages", testQueryUsersSortAndPages},
	{"QueryUsers/Subtree", testQueryUsersSubtree},
	{"QueryUsers/Invalid", testQueryUsersInvalid},
}

// queryFixture stores users whose fields differ in every way the
// operators care about (case, non-ASCII letters, empty and absent
// values, a shared prefix, equal creation times) under root, and one
// user outside it. It returns root and root's users in creation order.
func queryFixture(t *testing.T, s roster.Store) (*roster.Organization, []*roster.User) {
	t.Helper()
	root := MustCreateOrg(t, s, "", "Root")
	child := MustCreateOrg(t, s, root.ID, "Child")
	other := MustCreateOrg(t, s, "", "Other")
	phone := func(number, e164 string) *roster.Phone { return &roster.Phone{Number: number, E164: e164} }
	users := []*roster.User{
		NewUser(t, root, "ann@example.com", dated(1), named("Ann", "Archer", "", "ann"), func(u *roster.User) {
			u.ExternalID, u.Phone = "E-ann", phone("020 123 4567", "+31201234567")
			u.Preferences.Language, u.Preferences.TimeZone = "nl", "Europe/Amsterdam"
		}),
		NewUser(t, root, "Ben.Baker@Example.org", dated(2), named("Ben", "Baker", "Benny B", "BenB"), func(u *roster.User) {
			u.Status, u.Mobile, u.UpdatedAt = roster.StatusDisabled, phone("+44 7700 900123", "+447700900123"), at(30)
		}),
		NewUser(t, child, "elodie@example.fr", dated(3), named("Élodie", "Ünal", "", "élodie"), func(u *roster.User) {
			u.ExternalID, u.Phone, u.Preferences.Language = "e-ÉLOΣ", phone("0612", ""), "fr" // a word-final Σ folds to σ, as in Go
		}),
		NewUser(t, child, "dee@example.com", dated(3), named("Dee", "", "", "dee"), func(u *roster.User) {
			u.ExternalID, u.Mobile = "e-dee", phone("+31612345678", "+31612345678")
		}),
		NewUser(t, root, "zed@sub.example.com", dated(5), named("zed", "Zimmer", "ZZ Top", "zed.z")),
	}
	users[1].ManagerID, users[3].ManagerID = users[0].ID, users[0].ID
	MustInsertUsers(t, s, users...)
	MustInsertUsers(t, s, NewUser(t, other, "outside@example.com", dated(4), named("Ann", "Outside", "", "outside")))
	return root, users
}

// checkQuery compares QueryUsers with roster.UserCond.Match over the
// fixture's users, in creation order, and the total.
func checkQuery(t *testing.T, s roster.Store, root *roster.Organization, users []*roster.User, c roster.UserCond) {
	t.Helper()
	got, err := s.QueryUsers(context.Background(), roster.UserQuery{OrganizationID: root.ID, Where: &c, Limit: 100})
	if err != nil {
		t.Fatalf("%s: %v", describeCond(c), err)
	}
	var want []string
	for _, u := range users {
		if c.Match(u) {
			want = append(want, u.ID)
		}
	}
	if ids := userIDs(got.Users); !slices.Equal(ids, want) || got.Total != len(want) {
		t.Errorf("%s: got %v (total %d), want %v", describeCond(c), names(users, ids), got.Total, names(users, want))
	}
}

// names turns ids into the fixture's usernames, for messages.
func names(users []*roster.User, ids []string) []string {
	out := []string{}
	for _, id := range ids {
		for _, u := range users {
			if u.ID == id {
				out = append(out, u.Username)
			}
		}
	}
	return out
}

func describeCond(c roster.UserCond) string {
	switch c.Op {
	case roster.OpAnd, roster.OpOr:
		var parts []string
		for _, s := range c.Conds {
			parts = append(parts, describeCond(s))
		}
		return "(" + strings.Join(parts, " "+string(c.Op)+" ") + ")"
	case roster.OpNot:
		return "not " + describeCond(c.Conds[0])
	case roster.OpTrue, roster.OpFalse, roster.OpPr:
		return strings.TrimSpace(string(c.Field) + " " + string(c.Op))
	}
	fold := ""
	if c.Fold {
		fold = "/i"
	}
	if at, ok := c.Value.(time.Time); ok {
		return string(c.Field) + " " + string(c.Op) + fold + " " + at.Format(time.RFC3339Nano)
	}
	return string(c.Field) + " " + string(c.Op) + fold + " " + strconv.Quote(c.Value.(string))
}

var textOps = []roster.CondOp{roster.OpEq, roster.OpNe, roster.OpCo, roster.OpSw, roster.OpEw, roster.OpGt, roster.OpGe, roster.OpLt, roster.OpLe}

// probes are the values a text field is compared with: one user's value
// as it is and in upper case, a piece of its start, middle and end, the
// empty text and one that sorts after everything.
func probes(users []*roster.User, f roster.UserField) []string {
	out := []string{"", "\u00ff"}
	for _, u := range users {
		v := []rune(roster.UserText(u, f))
		if len(v) < 3 {
			continue
		}
		out = append(out, string(v), strings.ToUpper(string(v)), string(v[:2]), string(v[1:len(v)-1]), string(v[len(v)-2:]))
		if len(out) > 8 {
			break
		}
	}
	return out
}

func testQueryUsersOperators(t *testing.T, s roster.Store) {
	root, users := queryFixture(t, s)
	for _, f := range roster.UserFields {
		checkQuery(t, s, root, users, roster.UserCond{Op: roster.OpPr, Field: f})
		if f.IsTime() {
			for _, at := range []time.Time{at(1), at(3), at(30), at(3).Add(time.Microsecond)} {
				for _, op := range []roster.CondOp{roster.OpEq, roster.OpNe, roster.OpGt, roster.OpGe, roster.OpLt, roster.OpLe} {
					checkQuery(t, s, root, users, roster.UserCond{Op: op, Field: f, Value: at})
				}
			}
			continue
		}
		for i, v := range probes(users, f) {
			for j, op := range textOps {
				checkQuery(t, s, root, users, roster.UserCond{Op: op, Field: f, Value: v, Fold: (i+j)%2 == 0})
			}
		}
	}
	checkQuery(t, s, root, users, roster.UserCond{Op: roster.OpTrue})
	checkQuery(t, s, root, users, roster.UserCond{Op: roster.OpFalse})
}

// testQueryUsersCombinations nests and, or and not over random
// comparisons, always against the same reference.
func testQueryUsersCombinations(t *testing.T, s roster.Store) {
	root, users := queryFixture(t, s)
	rnd := rand.New(rand.NewPCG(18, 7))
	leaf := func() roster.UserCond {
		f := roster.UserFields[rnd.IntN(len(roster.UserFields))]
		if f.IsTime() {
			return roster.UserCond{Op: roster.OpGe, Field: f, Value: at(rnd.IntN(6))}
		}
		p := probes(users, f)
		return roster.UserCond{Op: textOps[rnd.IntN(len(textOps))], Field: f, Value: p[rnd.IntN(len(p))], Fold: rnd.IntN(2) == 0}
	}
	var tree func(depth int) roster.UserCond
	tree = func(depth int) roster.UserCond {
		if depth == 0 || rnd.IntN(4) == 0 {
			return leaf()
		}
		switch rnd.IntN(3) {
		case 0:
			return roster.UserCond{Op: roster.OpNot, Conds: []roster.UserCond{tree(depth - 1)}}
		case 1:
			return roster.UserCond{Op: roster.OpAnd, Conds: []roster.UserCond{tree(depth - 1), tree(depth - 1), tree(depth - 1)}}
		}
		return roster.UserCond{Op: roster.OpOr, Conds: []roster.UserCond{tree(depth - 1), tree(depth - 1)}}
	}
	for range 150 {
		checkQuery(t, s, root, users, tree(3))
	}
}

func testQueryUsersSortAndPages(t *testing.T, s roster.Store) {
	root, users := queryFixture(t, s)
	ctx := context.Background()
	for _, f := range append([]roster.UserField{""}, roster.UserFields...) {
		for _, desc := range []bool{false, true} {
			want := slices.Clone(users)
			if f != "" {
				slices.SortStableFunc(want, func(a, b *roster.User) int {
					ka, kb := roster.SortKey(a, f), roster.SortKey(b, f)
					if (ka == "") != (kb == "") {
						return strings.Compare(kb, ka) // empty last in either order
					}
					if desc {
						return strings.Compare(kb, ka)
					}
					return strings.Compare(ka, kb)
				})
			}
			for _, p := range [][2]int{{0, 100}, {0, 2}, {2, 2}, {4, 2}, {9, 3}, {1, 0}} {
				got, err := s.QueryUsers(ctx, roster.UserQuery{OrganizationID: root.ID, SortBy: f, Descending: desc, Offset: p[0], Limit: p[1]})
				if err != nil {
					t.Fatalf("sort %q: %v", f, err)
				}
				page := want[min(p[0], len(want)):min(p[0]+p[1], len(want))]
				if ids := userIDs(got.Users); !slices.Equal(ids, userIDs(page)) || got.Total != len(users) {
					t.Errorf("sort %q desc %v page %v: got %v (total %d), want %v", f, desc, p, names(users, ids), got.Total, names(users, userIDs(page)))
				}
			}
		}
	}
}

// testQueryUsersSubtree: a query reads the organisation's subtree and,
// with Visible, only what its caller may see.
func testQueryUsersSubtree(t *testing.T, s roster.Store) {
	v := newVisTree(t, s)
	ctx := context.Background()
	for _, c := range []struct {
		q    roster.UserQuery
		want []*roster.User
	}{
		{roster.UserQuery{OrganizationID: v.root.ID, Limit: 10}, v.all()},
		{roster.UserQuery{OrganizationID: v.a.ID, Limit: 10}, []*roster.User{v.ua, v.ua1}},
		{roster.UserQuery{OrganizationID: v.b.ID, Limit: 10}, []*roster.User{v.ub, v.ub2}},
		{roster.UserQuery{OrganizationID: v.root.ID, Limit: 10, Visible: &roster.Visibility{Subtrees: []string{v.a1.ID}, Self: v.ur.ID}}, []*roster.User{v.ur, v.ua1, v.ub2}},
		{roster.UserQuery{OrganizationID: v.a.ID, Limit: 10, Visible: &roster.Visibility{Orgs: []string{v.b.ID}, Self: v.ua.ID}}, []*roster.User{v.ua}},
	} {
		got, err := s.QueryUsers(ctx, c.q)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(userIDs(got.Users), userIDs(c.want)) || got.Total != len(c.want) {
			t.Errorf("%s %s: got %v (total %d), want %v", c.q.OrganizationID, describeVis(c.q.Visible), userIDs(got.Users), got.Total, userIDs(c.want))
		}
	}
}

func testQueryUsersInvalid(t *testing.T, s roster.Store) {
	root := MustCreateOrg(t, s, "", "Root")
	for _, q := range []roster.UserQuery{
		{Limit: 1},
		{OrganizationID: root.ID, Offset: -1},
		{OrganizationID: root.ID, SortBy: "password"},
		{OrganizationID: root.ID, Where: &roster.UserCond{Op: roster.OpEq, Field: "password", Value: "x"}},
		{OrganizationID: root.ID, Where: &roster.UserCond{Op: "like", Field: roster.UserEmail, Value: "x"}},
		{OrganizationID: root.ID, Where: &roster.UserCond{Op: roster.OpEq, Field: roster.UserEmail, Value: 3}},
		{OrganizationID: root.ID, Where: &roster.UserCond{Op: roster.OpCo, Field: roster.UserCreatedAt, Value: at(1)}},
		{OrganizationID: root.ID, Where: &roster.UserCond{Op: roster.OpGt, Field: roster.UserCreatedAt, Value: "2024"}},
		{OrganizationID: root.ID, Where: &roster.UserCond{Op: roster.OpNot}},
		{OrganizationID: root.ID, Where: &roster.UserCond{Op: roster.OpOr}},
	} {
		if _, err := s.QueryUsers(context.Background(), q); roster.ErrorCode(err) != roster.CodeInvalid {
			t.Errorf("%+v: got %v, want invalid", q, err)
		}
	}
}
