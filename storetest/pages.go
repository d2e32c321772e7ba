// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/rosterhq/roster"
)

var pageBehaviours = []behaviour{
	{"FindUsers/Sorts", testFindUsersSorts},
	{"FindUsers/SortByCreatedAtValue", testFindUsersSortByCreatedAtValue},
	{"FindUsers/Pages", testFindUsersPages},
	{"FindUsers/PagesWhileInserting", testFindUsersPagesWhileInserting},
	{"FindUsers/PagesWithFilter", testFindUsersPagesWithFilter},
	{"FindUsers/LastPageExactlyFull", testFindUsersLastPageFull},
}

// userOrder returns the comparison that FindUsers must sort by: the sort
// key, then the id, both reversed for a "-" sort. Names and emails compare
// case-insensitively.
func userOrder(sort string) func(a, b *roster.User) int {
	desc := strings.HasPrefix(sort, "-")
	key := func(a, b *roster.User) int {
		switch strings.TrimPrefix(sort, "-") {
		case "last_name":
			return cmp.Compare(strings.ToLower(a.LastName), strings.ToLower(b.LastName))
		case "email":
			return cmp.Compare(strings.ToLower(a.Email), strings.ToLower(b.Email))
		}
		return a.CreatedAt.Compare(b.CreatedAt)
	}
	return func(a, b *roster.User) int {
		c := key(a, b)
		if c == 0 {
			c = cmp.Compare(a.ID, b.ID)
		}
		if desc {
			c = -c
		}
		return c
	}
}

// walkUsers reads every page of f, passing each cursor through its opaque
// form as the API does, and calls between after each page but the last.
// It fails the test on an empty page after the first, a page over the
// limit, or a loop.
func walkUsers(tb testing.TB, s roster.Store, f roster.UserFilter, between func(page int)) (all []*roster.User, pages int) {
	tb.Helper()
	for pages = 1; ; pages++ {
		users, next, err := s.FindUsers(context.Background(), f)
		if err != nil {
			tb.Fatalf("page %d: %s: %v", pages, describe(f), err)
		}
		if len(users) > f.Limit {
			tb.Fatalf("page %d: %s: got %d users, over the limit", pages, describe(f), len(users))
		}
		if len(users) == 0 && pages > 1 {
			tb.Errorf("page %d: %s: got an empty page; the page before it should have been the last", pages, describe(f))
		}
		all = append(all, users...)
		if next == nil {
			return all, pages
		}
		if len(users) < f.Limit {
			tb.Errorf("page %d: %s: got %d users and a next cursor: only the last page may be short", pages, describe(f), len(users))
		}
		if pages > 100 {
			tb.Fatalf("%s: more than 100 pages: the cursor does not advance", describe(f))
		}
		c, err := roster.DecodeCursor(next.Encode(), f.Sort)
		if err != nil {
			tb.Fatalf("page %d: %s: the cursor %+v does not survive its opaque form: %v", pages, describe(f), *next, err)
		}
		f.Cursor = c
		if between != nil {
			between(pages)
		}
	}
}

// sortingUsers returns users whose last names and emails tie in case
// only, in an order that neither the name nor the email sort keeps. Their
// creation times grow in the order they are stored, as tx.Now() does, and
// two share one time (as users stored by one transaction do).
func sortingUsers(tb testing.TB, org *roster.Organization) []*roster.User {
	specs := []struct {
		last, email string
		minute      int
	}{
		{"carter", "d@example.com", 1},
		{"Adams", "B@example.com", 2},
		{"baker", "f@example.com", 3},
		{"Baker", "a@example.com", 4},
		{"ADAMS", "e@example.com", 5},
		{"", "C@example.com", 6},
		{"adams", "g@example.com", 6}, // a creation time shared with C
	}
	users := make([]*roster.User, len(specs))
	for i, sp := range specs {
		users[i] = NewUser(tb, org, sp.email, dated(sp.minute), func(u *roster.User) { u.LastName = sp.last })
	}
	return users
}

func testFindUsersSorts(t *testing.T, s roster.Store) {
	root := MustCreateOrg(t, s, "", "Root")
	users := sortingUsers(t, root)
	MustInsertUsers(t, s, users...)
	for _, sort := range roster.UserSorts {
		want := slices.Clone(users)
		slices.SortStableFunc(want, userOrder(sort))
		checkUsers(t, "FindUsers(sort="+sort+")", findAll(t, s, roster.UserFilter{Sort: sort}), want...)
	}
	_, _, err := s.FindUsers(context.Background(), roster.UserFilter{Sort: "first_name", Limit: 10})
	wantCode(t, "FindUsers(sort=first_name)", err, roster.CodeInvalid)
}

// testFindUsersSortByCreatedAtValue stores users whose creation times do
// not follow the order they are stored in, as an import of existing
// accounts would: the created_at sorts follow the times, not the order of
// insertion, and agree with the created_after filter.
func testFindUsersSortByCreatedAtValue(t *testing.T, s roster.Store) {
	root := MustCreateOrg(t, s, "", "Root")
	var users []*roster.User
	for i, minute := range []int{30, 10, 50, 20, 40} {
		users = append(users, NewUser(t, root, fmt.Sprintf("u%d@example.com", i), dated(minute)))
	}
	MustInsertUsers(t, s, users...)
	for _, sort := range []string{"created_at", "-created_at"} {
		want := slices.Clone(users)
		slices.SortStableFunc(want, userOrder(sort))
		checkUsers(t, "FindUsers(sort="+sort+")", findAll(t, s, roster.UserFilter{Sort: sort}), want...)
		got, _ := walkUsers(t, s, roster.UserFilter{Sort: sort, Limit: 2}, nil)
		checkUsers(t, "all pages of FindUsers(sort="+sort+" limit=2)", got, want...)
	}
	after := at(25)
	checkUsers(t, "FindUsers(created_after=minute 25)", findAll(t, s, roster.UserFilter{CreatedAfter: &after}), users[0], users[4], users[2])
}

func testFindUsersPages(t *testing.T, s roster.Store) {
	root := MustCreateOrg(t, s, "", "Root")
	users := sortingUsers(t, root)
	MustInsertUsers(t, s, users...)
	for _, sort := range roster.UserSorts {
		want := slices.Clone(users)
		slices.SortStableFunc(want, userOrder(sort))
		for _, limit := range []int{1, 2, 3, 6, 7, 8} {
			got, pages := walkUsers(t, s, roster.UserFilter{Sort: sort, Limit: limit}, nil)
			what := fmt.Sprintf("all pages of FindUsers(sort=%s limit=%d)", sort, limit)
			checkUsers(t, what, got, want...)
			if wantPages := max(1, (len(users)+limit-1)/limit); pages != wantPages {
				t.Errorf("%s: got %d pages, want %d", what, pages, wantPages)
			}
		}
	}
}

// testFindUsersPagesWhileInserting adds users between pages, some of them
// before the cursor and some after it. Keyset pages neither repeat nor
// skip a user that was there from the start, and stay in order.
func testFindUsersPagesWhileInserting(t *testing.T, s roster.Store) {
	root := MustCreateOrg(t, s, "", "Root")
	users := sortingUsers(t, root)
	MustInsertUsers(t, s, users...)
	for _, sort := range roster.UserSorts {
		added := 0
		got, _ := walkUsers(t, s, roster.UserFilter{Sort: sort, Limit: 2}, func(page int) {
			if page > 3 { // new users after the cursor would keep the walk going
				return
			}
			for _, letter := range []string{"a", "m", "z"} {
				added++
				MustCreateUser(t, s, root, letter+unique("new")+"@example.com", func(u *roster.User) {
					u.LastName = letter + "new"
				})
			}
		})
		what := fmt.Sprintf("pages of FindUsers(sort=%s) while inserting", sort)
		seen := map[string]bool{}
		for _, u := range got {
			if seen[u.ID] {
				t.Errorf("%s: %s came twice", what, u.Email)
			}
			seen[u.ID] = true
		}
		for _, u := range users {
			if !seen[u.ID] {
				t.Errorf("%s: %s never came", what, u.Email)
			}
		}
		if !slices.IsSortedFunc(got, userOrder(sort)) {
			t.Errorf("%s: out of order: %v", what, emails(got))
		}
		if added == 0 {
			t.Errorf("%s: a single page: nothing was inserted between pages", what)
		}
	}
}

func testFindUsersPagesWithFilter(t *testing.T, s roster.Store) {
	root := MustCreateOrg(t, s, "", "Root")
	var users, disabled []*roster.User
	for i := range 12 {
		u := NewUser(t, root, fmt.Sprintf("u%02d@example.com", 11-i), dated(i/2), func(u *roster.User) {
			u.LastName = []string{"x", "y", "z"}[i%3]
			if i%2 == 1 {
				u.Status = roster.StatusDisabled
			}
		})
		users = append(users, u)
		if u.Status == roster.StatusDisabled {
			disabled = append(disabled, u)
		}
	}
	MustInsertUsers(t, s, users...)
	for _, sort := range roster.UserSorts {
		want := slices.Clone(disabled)
		slices.SortStableFunc(want, userOrder(sort))
		got, _ := walkUsers(t, s, roster.UserFilter{Sort: sort, Status: roster.StatusDisabled, Query: "example", Limit: 2}, nil)
		checkUsers(t, "all pages of disabled users sorted by "+sort, got, want...)
	}
}

func testFindUsersLastPageFull(t *testing.T, s roster.Store) {
	root := MustCreateOrg(t, s, "", "Root")
	var users []*roster.User
	for i := range 6 {
		users = append(users, NewUser(t, root, fmt.Sprintf("u%d@example.com", i), dated(i)))
	}
	MustInsertUsers(t, s, users...)
	ctx := context.Background()
	first, next, err := s.FindUsers(ctx, roster.UserFilter{Sort: "created_at", Limit: 3})
	must(t, "first page", err)
	checkUsers(t, "first page", first, users[:3]...)
	if next == nil {
		t.Fatal("first page of two: got no next cursor")
	}
	second, next, err := s.FindUsers(ctx, roster.UserFilter{Sort: "created_at", Limit: 3, Cursor: next})
	must(t, "second page", err)
	checkUsers(t, "second page", second, users[3:]...)
	if next != nil {
		t.Errorf("second and last page: got cursor %+v, want nil", *next)
	}
	all, next, err := s.FindUsers(ctx, roster.UserFilter{Sort: "created_at", Limit: 6})
	must(t, "one page", err)
	checkUsers(t, "one full page", all, users...)
	if next != nil {
		t.Errorf("one page holding everything: got cursor %+v, want nil", *next)
	}
}
