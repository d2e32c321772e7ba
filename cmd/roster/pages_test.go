// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
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

// TestClientHangUpIsNoServerError: a client that closes its connection
// mid-request (here a long-poll of the event feed) is logged as its own
// doing, status 499 "client closed request" at info level, counted apart
// in the metrics, and never as a 500 or an internal error.
func TestClientHangUpIsNoServerError(t *testing.T) {
	s := startServer(t)
	const id = "req-hang-up-1"
	// Wait after the newest event, so that the feed has nothing to say.
	events := s.page("/v1/events?limit=200").Items
	if len(events) == 0 || len(events) == 200 {
		t.Fatalf("%d events after the start, want a few", len(events))
	}
	after := events[len(events)-1]["id"].(string)
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", s.URL+"/v1/events?wait=30&after="+after, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.Key)
	req.Header.Set("X-Request-Id", id)
	done := make(chan error, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
		}
		done <- err
	}()
	time.Sleep(300 * time.Millisecond) // the server waits for events
	cancel()
	if err := <-done; err == nil {
		t.Fatal("the long-poll answered before the client hung up")
	}
	var line string
	for deadline := time.Now().Add(5 * time.Second); line == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, l := range strings.Split(s.logs.String(), "\n") {
			if strings.Contains(l, "request_id="+id) && strings.Contains(l, "msg=request") {
				line = l
			}
		}
	}
	if line == "" {
		t.Fatalf("no access log line for the request; log:\n%s", s.logs.String())
	}
	if !strings.Contains(line, "status=499") || !strings.Contains(line, `"client closed request"`) || !strings.Contains(line, "level=INFO") {
		t.Errorf("access log line %q, want status=499 \"client closed request\" at INFO", line)
	}
	logs := s.logs.String()
	if strings.Contains(logs, "status=500") || strings.Contains(logs, "internal error") || strings.Contains(logs, "level=ERROR") {
		t.Errorf("the hang-up is logged as a server error:\n%s", logs)
	}
	m := string(s.doAs("", "GET", "/metrics", nil).want(200).Body)
	if !strings.Contains(m, `roster_http_requests_total{method="GET",route="GET /v1/events",status="499"} 1`) {
		t.Errorf("metrics do not count the hang-up as 499:\n%s", grepLines(m, "roster_http_requests_total"))
	}
	if strings.Contains(m, `status="500"`) {
		t.Errorf("metrics count a 500:\n%s", grepLines(m, `status="500"`))
	}
}

func grepLines(text, sub string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
