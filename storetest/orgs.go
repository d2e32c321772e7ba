// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

var orgBehaviours = []behaviour{
	{"Orgs/CreateAndFind", testOrgCreateAndFind},
	{"Orgs/ErrNotFound", testOrgNotFound},
	{"Orgs/Update", testOrgUpdate},
	{"Orgs/Delete", testOrgDelete},
	{"Orgs/DeleteInUse", testOrgDeleteInUse},
	{"Orgs/ErrConflictExternalID", testOrgConflictExternalID},
	{"Orgs/FindOrgs", testFindOrgs},
	{"Orgs/Pages", testFindOrgsPages},
	{"Orgs/Ancestors", testOrgAncestors},
	{"Orgs/InUse", testOrgInUse},
}

// richOrg fills every field of an organisation.
func richOrg(o *roster.Organization) {
	o.ExternalID = "reseller-7"
	o.Status = roster.StatusDisabled
	o.Currency = "EUR"
	o.Domain = "acme.example"
	o.WhiteLabel = &roster.WhiteLabel{LogoURL: "https://acme.example/logo.png", EmailAddress: "help@acme.example",
		HeaderBackgroundColor: "#112233", MenuBackgroundColor: "#445566"}
	o.Plan = &roster.Plan{ID: "pro", Name: "Professional"}
	o.Features = []string{"call", "fax", "scheduling"}
	o.Credit = "12.5"
	o.Seats = 25
	o.AllowedLanguages = []string{"en", "nl"}
	o.AllowedCountries = []string{"NL", "BE"}
	o.NotificationEvents = []string{"contract_ending"}
}

func testOrgCreateAndFind(t *testing.T, s roster.Store) {
	ctx := context.Background()
	root := MustCreateOrg(t, s, "", "Root")
	child := MustCreateOrg(t, s, root.ID, "Acme", richOrg)
	for _, want := range []*roster.Organization{root, child} {
		got, err := s.FindOrg(ctx, want.ID)
		must(t, "FindOrg("+want.Name+")", err)
		checkOrg(t, "FindOrg("+want.Name+")", got, want)
	}
}

func testOrgNotFound(t *testing.T, s roster.Store) {
	MustCreateOrg(t, s, "", "Root")
	_, err := s.FindOrg(context.Background(), roster.NewID(roster.PrefixOrg))
	wantCode(t, "FindOrg(unknown)", err, roster.CodeNotFound)
	_, err = s.FindOrg(context.Background(), "")
	wantCode(t, "FindOrg(empty id)", err, roster.CodeNotFound)
}

func testOrgUpdate(t *testing.T, s roster.Store) {
	ctx := context.Background()
	root := MustCreateOrg(t, s, "", "Root")
	o := MustCreateOrg(t, s, root.ID, "Acme", func(o *roster.Organization) { o.Features = []string{"fax"} })

	next := *o
	richOrg(&next)
	next.Name, next.Features, next.Version = "Acme Two", []string{"call"}, 2
	mustUpdate(t, s, func(tx roster.Tx) error { next.UpdatedAt = tx.Now(); return tx.UpdateOrg(&next) })
	got, err := s.FindOrg(ctx, o.ID)
	must(t, "FindOrg", err)
	checkOrg(t, "FindOrg after update", got, &next)
	checkIDs(t, "FindOrgs(feature=fax) after update", orgIDs(findOrgs(t, s, roster.OrgFilter{Feature: "fax"})), nil)
	checkIDs(t, "FindOrgs(feature=call) after update", orgIDs(findOrgs(t, s, roster.OrgFilter{Feature: "call"})), []string{o.ID})
	checkIDs(t, "FindOrgs(q=two) after update", orgIDs(findOrgs(t, s, roster.OrgFilter{Query: "two"})), []string{o.ID})

	for _, version := range []int64{1, 2, 4} { // stored 2: the next must be 3
		stale := next
		stale.Version, stale.Name = version, "Stale"
		err := update(s, func(tx roster.Tx) error { return tx.UpdateOrg(&stale) })
		wantCode(t, fmt.Sprintf("UpdateOrg(version %d over stored 2)", version), err, roster.CodePreconditionFailed)
	}
	got, err = s.FindOrg(ctx, o.ID)
	must(t, "FindOrg", err)
	checkOrg(t, "FindOrg after refused updates", got, &next)

	missing := NewOrg(t, root.ID, "Ghost", func(o *roster.Organization) { o.Version = 2; o.CreatedAt, o.UpdatedAt = at(0), at(1) })
	err = update(s, func(tx roster.Tx) error { return tx.UpdateOrg(missing) })
	wantCode(t, "UpdateOrg(missing)", err, roster.CodeNotFound)
}

func testOrgDelete(t *testing.T, s roster.Store) {
	ctx := context.Background()
	root := MustCreateOrg(t, s, "", "Root")
	o := MustCreateOrg(t, s, root.ID, "Leaf", func(o *roster.Organization) { o.Features = []string{"fax"}; o.ExternalID = "x-1" })
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.DeleteOrg(o.ID) })
	_, err := s.FindOrg(ctx, o.ID)
	wantCode(t, "FindOrg(deleted)", err, roster.CodeNotFound)
	checkIDs(t, "FindOrgs after delete", orgIDs(findOrgs(t, s, roster.OrgFilter{})), []string{root.ID})
	checkIDs(t, "FindOrgs(feature=fax) after delete", orgIDs(findOrgs(t, s, roster.OrgFilter{Feature: "fax"})), nil)

	err = update(s, func(tx roster.Tx) error { return tx.DeleteOrg(o.ID) })
	wantCode(t, "DeleteOrg(deleted)", err, roster.CodeNotFound)
	err = update(s, func(tx roster.Tx) error { return tx.DeleteOrg(roster.NewID(roster.PrefixOrg)) })
	wantCode(t, "DeleteOrg(unknown)", err, roster.CodeNotFound)
	// The external id is free again.
	MustCreateOrg(t, s, root.ID, "Leaf again", func(o *roster.Organization) { o.ExternalID = "x-1" })
}

// testOrgDeleteInUse checks that the store itself refuses to orphan users
// or organisations, whatever the caller checked before.
func testOrgDeleteInUse(t *testing.T, s roster.Store) {
	ctx := context.Background()
	root := MustCreateOrg(t, s, "", "Root")
	withUser := MustCreateOrg(t, s, root.ID, "With user")
	MustCreateUser(t, s, withUser, "u@example.com")
	parent := MustCreateOrg(t, s, root.ID, "Parent")
	MustCreateOrg(t, s, parent.ID, "Child")
	for _, o := range []*roster.Organization{withUser, parent} {
		err := update(s, func(tx roster.Tx) error { return tx.DeleteOrg(o.ID) })
		wantCode(t, "DeleteOrg("+o.Name+")", err, roster.CodeConflict)
		_, err = s.FindOrg(ctx, o.ID)
		must(t, "FindOrg("+o.Name+") after refused delete", err)
	}
}

func testOrgConflictExternalID(t *testing.T, s roster.Store) {
	root := MustCreateOrg(t, s, "", "Root")
	a := MustCreateOrg(t, s, root.ID, "A", func(o *roster.Organization) { o.ExternalID = "ext-1" })
	dup := NewOrg(t, root.ID, "A twin", func(o *roster.Organization) { o.ExternalID = "ext-1" })
	err := update(s, func(tx roster.Tx) error { dup.CreatedAt, dup.UpdatedAt = tx.Now(), tx.Now(); return tx.CreateOrg(dup) })
	wantCode(t, "CreateOrg(sibling's external_id)", err, roster.CodeConflict)
	_, err = s.FindOrg(context.Background(), dup.ID)
	wantCode(t, "FindOrg(refused org)", err, roster.CodeNotFound)

	// Under another parent the same external id is fine.
	MustCreateOrg(t, s, a.ID, "Under A", func(o *roster.Organization) { o.ExternalID = "ext-1" })
	// Organisations without an external id never collide.
	MustCreateOrg(t, s, root.ID, "No ext 1")
	MustCreateOrg(t, s, root.ID, "No ext 2")

	b := MustCreateOrg(t, s, root.ID, "B", func(o *roster.Organization) { o.ExternalID = "ext-2" })
	next := *b
	next.ExternalID, next.Version = "ext-1", 2
	err = update(s, func(tx roster.Tx) error { return tx.UpdateOrg(&next) })
	wantCode(t, "UpdateOrg(sibling's external_id)", err, roster.CodeConflict)
}

// findOrgs returns every organisation that f selects, failing the test if
// they do not fit on one page.
func findOrgs(tb testing.TB, r roster.Reader, f roster.OrgFilter) []*roster.Organization {
	tb.Helper()
	if f.Limit == 0 {
		f.Limit = 200
	}
	orgs, next, err := r.FindOrgs(context.Background(), f)
	if err != nil {
		tb.Fatalf("FindOrgs(%+v): %v", f, err)
	}
	if next != nil {
		tb.Fatalf("FindOrgs(%+v): got a next cursor on a page of %d of limit %d", f, len(orgs), f.Limit)
	}
	return orgs
}

// orgTree stores a root and five dated children (the second disabled,
// the odd ones with the fax feature) and one grandchild under the first.
func orgTree(t *testing.T, s roster.Store) (root *roster.Organization, kids []*roster.Organization, grandchild *roster.Organization) {
	root = NewOrg(t, "", "Root", func(o *roster.Organization) { o.CreatedAt, o.UpdatedAt = at(0), at(0) })
	orgs := []*roster.Organization{root}
	names := []string{"Acme Inc", "Globex", "ACME Labs", "Initech", "Umbrella"}
	for i, name := range names {
		kids = append(kids, NewOrg(t, root.ID, name, func(o *roster.Organization) {
			o.CreatedAt, o.UpdatedAt = at(i+1), at(i+1)
			if i == 1 {
				o.Status = roster.StatusDisabled
			}
			if i%2 == 0 {
				o.Features = []string{"fax", "call"}
			}
		}))
	}
	grandchild = NewOrg(t, kids[0].ID, "Acme Sub", func(o *roster.Organization) { o.CreatedAt, o.UpdatedAt = at(10), at(10) })
	MustInsertOrgs(t, s, append(append(orgs, kids...), grandchild)...)
	return root, kids, grandchild
}

func testFindOrgs(t *testing.T, s roster.Store) {
	root, k, g := orgTree(t, s)
	tp := func(n int) *time.Time { v := at(n); return &v }
	for _, c := range []struct {
		f    roster.OrgFilter
		want []*roster.Organization
	}{
		{roster.OrgFilter{}, []*roster.Organization{root, k[0], k[1], k[2], k[3], k[4], g}},
		{roster.OrgFilter{ParentID: root.ID}, k},
		{roster.OrgFilter{ParentID: k[0].ID}, []*roster.Organization{g}},
		{roster.OrgFilter{ParentID: k[1].ID}, nil},
		{roster.OrgFilter{Status: roster.StatusDisabled}, []*roster.Organization{k[1]}},
		{roster.OrgFilter{Status: roster.StatusEnabled, ParentID: root.ID}, []*roster.Organization{k[0], k[2], k[3], k[4]}},
		{roster.OrgFilter{Feature: "fax"}, []*roster.Organization{k[0], k[2], k[4]}},
		{roster.OrgFilter{Feature: "call", ParentID: root.ID}, []*roster.Organization{k[0], k[2], k[4]}},
		{roster.OrgFilter{Feature: "scheduling"}, nil},
		{roster.OrgFilter{Query: "acme"}, []*roster.Organization{k[0], k[2], g}},
		{roster.OrgFilter{Query: "ACME L"}, []*roster.Organization{k[2]}},
		{roster.OrgFilter{Query: "e"}, []*roster.Organization{k[0], k[1], k[2], k[3], k[4], g}},
		{roster.OrgFilter{Query: "%"}, nil},
		{roster.OrgFilter{CreatedAfter: tp(2)}, []*roster.Organization{k[2], k[3], k[4], g}},
		{roster.OrgFilter{CreatedBefore: tp(2)}, []*roster.Organization{root, k[0]}},
		{roster.OrgFilter{CreatedAfter: tp(1), CreatedBefore: tp(4), Feature: "fax"}, []*roster.Organization{k[2]}},
	} {
		checkIDs(t, fmt.Sprintf("FindOrgs(%+v)", c.f), orgIDs(findOrgs(t, s, c.f)), orgIDs(c.want))
	}
}

// walkOrgs reads every page of f as walkUsers does.
func walkOrgs(tb testing.TB, s roster.Store, f roster.OrgFilter, between func()) []*roster.Organization {
	tb.Helper()
	var all []*roster.Organization
	for page := 1; ; page++ {
		orgs, next, err := s.FindOrgs(context.Background(), f)
		if err != nil {
			tb.Fatalf("FindOrgs page %d: %v", page, err)
		}
		if len(orgs) > f.Limit || (len(orgs) == 0 && page > 1) || (next != nil && len(orgs) < f.Limit) {
			tb.Errorf("FindOrgs page %d of limit %d: got %d organisations, cursor %v", page, f.Limit, len(orgs), next)
		}
		all = append(all, orgs...)
		if next == nil {
			return all
		}
		if page > 100 {
			tb.Fatal("FindOrgs: more than 100 pages: the cursor does not advance")
		}
		// The API decodes organisation cursors as sorted by created_at.
		if f.Cursor, err = roster.DecodeCursor(next.Encode(), "created_at"); err != nil {
			tb.Fatalf("FindOrgs page %d: the cursor %+v does not survive its opaque form: %v", page, *next, err)
		}
		if between != nil {
			between()
		}
	}
}

func testFindOrgsPages(t *testing.T, s roster.Store) {
	root, kids, g := orgTree(t, s)
	all := append(append([]*roster.Organization{root}, kids...), g)
	for _, limit := range []int{1, 2, 3, 7, 8} {
		checkIDs(t, fmt.Sprintf("all pages of FindOrgs(limit=%d)", limit), orgIDs(walkOrgs(t, s, roster.OrgFilter{Limit: limit}, nil)), orgIDs(all))
	}
	checkIDs(t, "all pages of FindOrgs(parent=root limit=2)", orgIDs(walkOrgs(t, s, roster.OrgFilter{ParentID: root.ID, Limit: 2}, nil)), orgIDs(kids))

	// Organisations created between pages come after the old ones.
	var added []*roster.Organization
	got := walkOrgs(t, s, roster.OrgFilter{ParentID: root.ID, Limit: 2}, func() {
		added = append(added, MustCreateOrg(t, s, root.ID, unique("New ")))
	})
	want := append(slices.Clone(kids), added...)
	checkIDs(t, "pages of FindOrgs(parent=root) while inserting", orgIDs(got), orgIDs(want))
	if len(added) == 0 {
		t.Error("a single page: nothing was inserted between pages")
	}
}

func testOrgAncestors(t *testing.T, s roster.Store) {
	ctx := context.Background()
	root := MustCreateOrg(t, s, "", "Root")
	a := MustCreateOrg(t, s, root.ID, "A")
	b := MustCreateOrg(t, s, a.ID, "B")
	c := MustCreateOrg(t, s, b.ID, "C")
	MustCreateOrg(t, s, root.ID, "Side")
	for _, tc := range []struct {
		org  *roster.Organization
		want []string
	}{
		{c, []string{b.ID, a.ID, root.ID}},
		{b, []string{a.ID, root.ID}},
		{a, []string{root.ID}},
		{root, nil},
	} {
		got, err := s.OrgAncestors(ctx, tc.org.ID)
		must(t, "OrgAncestors("+tc.org.Name+")", err)
		checkIDs(t, "OrgAncestors("+tc.org.Name+")", got, tc.want)
	}
}

func testOrgInUse(t *testing.T, s roster.Store) {
	ctx := context.Background()
	root := MustCreateOrg(t, s, "", "Root")
	empty := MustCreateOrg(t, s, root.ID, "Empty")
	withUser := MustCreateOrg(t, s, root.ID, "With user")
	u := MustCreateUser(t, s, withUser, "u@example.com")
	parent := MustCreateOrg(t, s, root.ID, "Parent")
	MustCreateOrg(t, s, parent.ID, "Child")
	check := func(o *roster.Organization, want bool) {
		t.Helper()
		got, err := s.OrgInUse(ctx, o.ID)
		must(t, "OrgInUse("+o.Name+")", err)
		if got != want {
			t.Errorf("OrgInUse(%s): got %v, want %v", o.Name, got, want)
		}
	}
	check(empty, false)
	check(withUser, true)
	check(parent, true)
	check(root, true)
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.DeleteUser(u.ID) })
	check(withUser, false)
}
