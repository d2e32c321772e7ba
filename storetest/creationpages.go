// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

// Lists in creation order (API keys, OAuth clients, webhooks) come in
// pages keyset-paginated on (created_at, id), like FindUsers.
var creationPageBehaviours = []behaviour{
	{"Pages/APIKeys", func(t *testing.T, s roster.Store) { testCreationPages(t, s, apiKeyList) }},
	{"Pages/OAuthClients", func(t *testing.T, s roster.Store) { testCreationPages(t, s, clientList) }},
	{"Pages/Webhooks", func(t *testing.T, s roster.Store) { testCreationPages(t, s, webhookList) }},
}

// creationList describes one list in creation order to the test.
type creationList[T any] struct {
	sort string
	desc bool // newest first
	// add stores an item of org (for keys: of a user whose home is org)
	// made at created.
	add     func(tb testing.TB, s roster.Store, org *roster.Organization, created time.Time) T
	id      func(T) string
	created func(T) time.Time
	find    func(s roster.Store, v *roster.Visibility, p roster.Page) ([]T, *roster.Cursor, error)
}

var apiKeyList = creationList[*roster.APIKey]{
	sort: roster.SortAPIKeys, desc: true,
	add: func(tb testing.TB, s roster.Store, org *roster.Organization, created time.Time) *roster.APIKey {
		u := MustCreateUser(tb, s, org, unique("owner")+"@example.com")
		k, _ := newKey(u, unique("key"))
		k.CreatedAt = created
		insertKeys(tb, s, k)
		return k
	},
	id:      func(k *roster.APIKey) string { return k.ID },
	created: func(k *roster.APIKey) time.Time { return k.CreatedAt },
	find: func(s roster.Store, v *roster.Visibility, p roster.Page) ([]*roster.APIKey, *roster.Cursor, error) {
		return s.FindAPIKeys(context.Background(), v, p)
	},
}

var clientList = creationList[*roster.OAuthClient]{
	sort: roster.SortOAuthClients, desc: true,
	add: func(tb testing.TB, s roster.Store, org *roster.Organization, created time.Time) *roster.OAuthClient {
		c := &roster.OAuthClient{ID: roster.NewID(roster.PrefixClient), OrganizationID: org.ID, Name: unique("client"), Scopes: []string{"users:read"},
			CreatedAt: created, CreatedBy: "usr_x", Hash: roster.HashKeySecret(unique("secret"))}
		mustUpdate(tb, s, func(tx roster.Tx) error { return tx.CreateOAuthClient(c) })
		return c
	},
	id:      func(c *roster.OAuthClient) string { return c.ID },
	created: func(c *roster.OAuthClient) time.Time { return c.CreatedAt },
	find: func(s roster.Store, v *roster.Visibility, p roster.Page) ([]*roster.OAuthClient, *roster.Cursor, error) {
		return s.FindOAuthClients(context.Background(), v, p)
	},
}

var webhookList = creationList[*roster.Webhook]{
	sort: roster.SortWebhooks,
	add: func(tb testing.TB, s roster.Store, org *roster.Organization, created time.Time) *roster.Webhook {
		w := newWebhook(org)
		w.CreatedAt, w.UpdatedAt = created, created
		mustCreateWebhook(tb, s, w)
		return w
	},
	id:      func(w *roster.Webhook) string { return w.ID },
	created: func(w *roster.Webhook) time.Time { return w.CreatedAt },
	find: func(s roster.Store, v *roster.Visibility, p roster.Page) ([]*roster.Webhook, *roster.Cursor, error) {
		return s.FindWebhooks(context.Background(), v, p)
	},
}

// order sorts items as the list must: created_at, then id (both reversed
// when newest first).
func (l creationList[T]) order(items []T) []string {
	items = slices.Clone(items)
	slices.SortFunc(items, func(a, b T) int {
		c := l.created(a).Compare(l.created(b))
		if c == 0 {
			c = cmp.Compare(l.id(a), l.id(b))
		}
		if l.desc {
			c = -c
		}
		return c
	})
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = l.id(it)
	}
	return ids
}

// walk reads every page with the limit, passing each cursor through its
// opaque form as the API does, and calls between after each page but the
// last.
func (l creationList[T]) walk(tb testing.TB, s roster.Store, v *roster.Visibility, limit int, between func(page int)) (ids []string, pages int) {
	tb.Helper()
	p := roster.Page{Limit: limit}
	for pages = 1; ; pages++ {
		items, next, err := l.find(s, v, p)
		if err != nil {
			tb.Fatalf("%s: page %d (limit %d): %v", l.sort, pages, limit, err)
		}
		if len(items) > limit {
			tb.Fatalf("%s: page %d: %d items, over the limit %d", l.sort, pages, len(items), limit)
		}
		if len(items) == 0 && pages > 1 {
			tb.Errorf("%s: page %d (limit %d) is empty: the page before it should have been the last", l.sort, pages, limit)
		}
		for _, it := range items {
			ids = append(ids, l.id(it))
		}
		if next == nil {
			return ids, pages
		}
		if len(items) < limit {
			tb.Errorf("%s: page %d has %d items and a next cursor: only the last page may be short", l.sort, pages, len(items))
		}
		if pages > 100 {
			tb.Fatalf("%s: more than 100 pages: the cursor does not advance", l.sort)
		}
		c, err := roster.DecodeCursor(next.Encode(), l.sort)
		if err != nil {
			tb.Fatalf("%s: the cursor %+v does not survive its opaque form: %v", l.sort, *next, err)
		}
		p.Cursor = c
		if between != nil {
			between(pages)
		}
	}
}

func testCreationPages[T any](t *testing.T, s roster.Store, l creationList[T]) {
	root := MustCreateOrg(t, s, "", "Root")
	a := MustCreateOrg(t, s, root.ID, "A")
	a1 := MustCreateOrg(t, s, a.ID, "A1")
	b := MustCreateOrg(t, s, root.ID, "B")
	// Three share an instant: the id decides among them.
	var all, inA []T
	for _, c := range []struct {
		org *roster.Organization
		n   int
	}{{a, 5}, {b, 1}, {a1, 3}, {root, 1}, {a, 1}, {b, 7}, {a1, 2}, {b, 4}, {a, 6}} {
		it := l.add(t, s, c.org, at(c.n))
		all = append(all, it)
		if c.org == a || c.org == a1 {
			inA = append(inA, it)
		}
	}
	want := l.order(all)

	// Every item once, in order, whatever the page size; only the last
	// page has no cursor, also when it is exactly full.
	for _, limit := range []int{1, 2, 3, 4, 8, 9, 10, 200} {
		got, pages := l.walk(t, s, nil, limit, nil)
		checkIDs(t, l.sort+" in pages of "+strconv.Itoa(limit), got, want)
		if wantPages := max(1, (len(want)+limit-1)/limit); pages != wantPages {
			t.Errorf("%s in pages of %d: %d pages, want %d", l.sort, limit, pages, wantPages)
		}
	}
	// No limit: everything at once.
	items, next, err := l.find(s, nil, roster.Page{})
	must(t, l.sort+" with no limit", err)
	if next != nil {
		t.Errorf("%s with no limit: a next cursor %+v", l.sort, *next)
	}
	if len(items) != len(want) {
		t.Errorf("%s with no limit: %d items, want %d", l.sort, len(items), len(want))
	}

	// The visibility filter applies to every page.
	v := &roster.Visibility{Self: "-", Subtrees: []string{a.ID}, Orgs: []string{}}
	got, _ := l.walk(t, s, v, 2, nil)
	checkIDs(t, l.sort+" of subtree A in pages of 2", got, l.order(inA))

	// Stable while rows are inserted: items made while a client pages
	// never make it see an item twice or miss one; one that sorts after
	// the page already read comes on a later page, one before it does not.
	var added []T
	got, _ = l.walk(t, s, nil, 2, func(page int) {
		if page != 2 {
			return
		}
		early, after := at(-100), at(100) // before and after every item
		if l.desc {
			early, after = after, early
		}
		added = append(added,
			l.add(t, s, root, early), // before the pages read: not seen
			l.add(t, s, b, after),    // after them: seen last
			l.add(t, s, a, at(1)))    // a tie, placed by its id
	})
	// After the four items read, the pages go on with what sorts after
	// the last of them, added items included.
	full := l.order(append(slices.Clone(all), added...))
	expect := append(slices.Clone(want[:4]), full[slices.Index(full, want[3])+1:]...)
	checkIDs(t, l.sort+" in pages of 2 while items are added", got, expect)

	// A cursor of another list, or a damaged one, is refused.
	for _, c := range []*roster.Cursor{
		{Sort: "created_at", Key: "1", ID: "x"},
		{Sort: l.sort, Key: "not a number", ID: "x"},
	} {
		for _, other := range []string{roster.SortAPIKeys, roster.SortOAuthClients, roster.SortWebhooks} {
			if other != l.sort {
				c2 := *c
				c2.Sort = other
				_, _, err := l.find(s, nil, roster.Page{Limit: 2, Cursor: &c2})
				wantCode(t, l.sort+" with a cursor of "+other, err, roster.CodeMalformed)
			}
		}
		_, _, err := l.find(s, nil, roster.Page{Limit: 2, Cursor: c})
		wantCode(t, l.sort+" with a bad cursor", err, roster.CodeMalformed)
	}
}
