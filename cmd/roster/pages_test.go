// SPDX-License-Identifier: Apache-2.0

package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"testing"
)

// page is one page of a list as the API answers it.
type page struct {
	Items      []map[string]any `json:"items"`
	NextCursor *string          `json:"next_cursor"`
}

func (s *testServer) page(path string) page {
	s.t.Helper()
	var p page
	res := s.do("GET", path, nil).want(200)
	if err := json.Unmarshal(res.Body, &p); err != nil || p.Items == nil {
		s.t.Fatalf("GET %s: not a list page: %v: %s", path, err, res.Body)
	}
	return p
}

// walkPages reads a list page by page with the limit and returns the ids
// (the field idField of each item) in order; between runs after the
// first page.
func (s *testServer) walkPages(path, idField string, limit int, between func()) []string {
	s.t.Helper()
	var ids []string
	cursor := ""
	for n := 1; ; n++ {
		q := url.Values{"limit": {fmt.Sprint(limit)}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		p := s.page(path + "?" + q.Encode())
		if len(p.Items) > limit {
			s.t.Fatalf("%s page %d: %d items, over the limit %d", path, n, len(p.Items), limit)
		}
		for _, it := range p.Items {
			ids = append(ids, it[idField].(string))
		}
		if p.NextCursor == nil || *p.NextCursor == "" {
			return ids
		}
		if len(p.Items) < limit {
			s.t.Errorf("%s page %d: %d items and a next_cursor: only the last page may be short", path, n, len(p.Items))
		}
		if n > 50 {
			s.t.Fatalf("%s: more than 50 pages: the cursor does not advance", path)
		}
		cursor = *p.NextCursor
		if n == 1 && between != nil {
			between()
		}
	}
}

// TestCreationListsInPages: the lists of API keys, OAuth clients and
// webhooks come in pages like the users list (limit 1–200, default 50,
// an opaque cursor, next_cursor null on the last page), stable while
// items are added, and a bad cursor or limit is a 400.
func TestCreationListsInPages(t *testing.T) {
	s := startServer(t)
	org := s.do("GET", "/v1/users/me", nil).want(200).str("organization_id")
	s.createUser(nil) // a second user: the users list has a next page
	lists := []struct {
		path, id   string
		newestLast bool // oldest first: an item added while paging comes last
		create     func(i int) string
	}{
		{"/v1/api-keys", "id", false, func(i int) string {
			return s.do("POST", "/v1/api-keys", map[string]any{"name": fmt.Sprintf("key %d", i)}).want(201).str("id")
		}},
		{"/v1/oauth-clients", "client_id", false, func(i int) string {
			return s.do("POST", "/v1/oauth-clients", map[string]any{"name": fmt.Sprintf("client %d", i), "scopes": []string{"users:read"},
				"organization_id": org}).want(201).str("client_id")
		}},
		{"/v1/webhooks", "id", true, func(i int) string {
			return s.do("POST", "/v1/webhooks", map[string]any{"name": fmt.Sprintf("hook %d", i), "url": "http://127.0.0.1:9/hook",
				"events": []string{"user.*"}}).want(201).str("id")
		}},
	}
	for _, l := range lists {
		t.Run(l.path[4:], func(t *testing.T) {
			s := *s
			s.t = t
			for i := range 7 {
				l.create(i)
			}
			one := s.page(l.path + "?limit=200")
			if one.NextCursor != nil {
				t.Errorf("GET %s?limit=200: next_cursor %q on the only page", l.path, *one.NextCursor)
			}
			var all []string
			for _, it := range one.Items {
				all = append(all, it[l.id].(string))
			}
			if len(all) < 7 {
				t.Fatalf("GET %s: %d items, want at least 7", l.path, len(all))
			}
			for _, limit := range []int{1, 2, 3, len(all), len(all) + 1} {
				if got := s.walkPages(l.path, l.id, limit, nil); !slices.Equal(got, all) {
					t.Errorf("%s in pages of %d: %v, want %v", l.path, limit, got, all)
				}
			}
			// An item added while a client pages: never an item twice or
			// one missed; the new one comes last when the list is oldest
			// first, and not at all when it is newest first.
			var added string
			got := s.walkPages(l.path, l.id, 2, func() { added = l.create(100) })
			want := slices.Clone(all)
			if l.newestLast {
				want = append(want, added)
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s in pages of 2 while one is added: %v, want %v", l.path, got, want)
			}
			first := s.page(l.path + "?limit=1").Items[0][l.id]
			if l.newestLast && first != all[0] || !l.newestLast && first != added {
				t.Errorf("%s: first item %v after an addition", l.path, first)
			}
			// Bad limits and cursors are 400s naming the parameter.
			userCursor := s.page("/v1/users?limit=1").NextCursor
			for _, q := range []string{"limit=0", "limit=201", "limit=ten", "cursor=not-a-cursor", "cursor=" + url.QueryEscape(*userCursor)} {
				p := s.do("GET", l.path+"?"+q, nil).problem(400)
				if locs := fieldErrors(p); len(locs) != 1 {
					t.Errorf("GET %s?%s: errors %v, want one", l.path, q, locs)
				}
			}
		})
	}
	// The default page is 50.
	for i := range 50 {
		s.do("POST", "/v1/api-keys", map[string]any{"name": fmt.Sprintf("more %d", i)}).want(201)
	}
	p := s.page("/v1/api-keys")
	if len(p.Items) != 50 || p.NextCursor == nil {
		t.Errorf("GET /v1/api-keys: %d items (next_cursor %v), want 50 and a cursor", len(p.Items), p.NextCursor)
	}
}
