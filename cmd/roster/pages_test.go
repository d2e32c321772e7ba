// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
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
	time.Sleep(time.Second) // the server waits for events
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

// TestSettingsSchemaETag: the settings schema has an ETag ("<version>"
// for an organisation's own, its ancestor's id and version for an
// inherited one); GET honours If-None-Match (304), PUT honours If-Match
// (412 on a mismatch, nothing changed; 428 without one under
// --require-if-match), and a PUT that changes nothing keeps the version.
func TestSettingsSchemaETag(t *testing.T) {
	s := startServer(t)
	a := s.do("POST", "/v1/orgs", map[string]any{"name": "Schema A"}).want(201).str("id")
	b := s.do("POST", "/v1/orgs", map[string]any{"name": "Schema B", "parent_id": a}).want(201).str("id")
	pathA, pathB := "/v1/orgs/"+a+"/settings-schema", "/v1/orgs/"+b+"/settings-schema"
	schema := func(title string) string {
		return `{"type":"object","title":"` + title + `","properties":{"theme":{"type":"string"}}}`
	}
	title := func(path string) string {
		t.Helper()
		return s.do("GET", path, nil).want(200).str("title")
	}
	s.do("GET", pathA, nil).problem(404)
	// If-Match: * needs a schema that applies.
	s.do("PUT", pathA, schema("one"), "If-Match", "*").problem(412)
	s.do("GET", pathA, nil).problem(404)

	put := s.do("PUT", pathA, schema("one")).want(200)
	if tag := put.Header.Get("ETag"); tag != `"1"` {
		t.Errorf("PUT of a first schema: ETag %q, want \"1\"", tag)
	}
	get := s.do("GET", pathA, nil).want(200)
	if tag := get.Header.Get("ETag"); tag != `"1"` {
		t.Fatalf("GET: ETag %q, want \"1\"", tag)
	}
	s.do("GET", pathA, nil, "If-None-Match", `"1"`).want(304)
	s.do("GET", pathA, nil, "If-None-Match", `"2"`).want(200)

	// A stale or wrong ETag is refused and changes nothing.
	for _, tag := range []string{`"2"`, `"0"`, `W/"1"`, `"` + a + `.1"`} {
		s.do("PUT", pathA, schema("two"), "If-Match", tag).problem(412)
	}
	if got := title(pathA); got != "one" {
		t.Errorf("after refused PUTs the schema is %q, want one", got)
	}
	if tag := s.do("PUT", pathA, schema("two"), "If-Match", `"1"`).want(200).Header.Get("ETag"); tag != `"2"` {
		t.Errorf("PUT with the current ETag: new ETag %q, want \"2\"", tag)
	}
	s.do("PUT", pathA, schema("three"), "If-Match", `"1"`).problem(412)
	if got := title(pathA); got != "two" {
		t.Errorf("after a stale PUT the schema is %q, want two", got)
	}
	// The same schema again: no new version.
	if tag := s.do("PUT", pathA, schema("two"), "If-Match", `"2"`).want(200).Header.Get("ETag"); tag != `"2"` {
		t.Errorf("PUT of the same schema: ETag %q, want \"2\" still", tag)
	}

	// B inherits A's: its ETag is not A's own "2", which B's own first
	// version would also be.
	inherited := s.do("GET", pathB, nil).want(200).Header.Get("ETag")
	if inherited == "" || inherited == `"2"` || inherited == `"1"` {
		t.Fatalf("GET of an inherited schema: ETag %q, want one that names where it comes from", inherited)
	}
	s.do("GET", pathB, nil, "If-None-Match", inherited).want(304)
	s.do("PUT", pathB, schema("b"), "If-Match", `"2"`).problem(412)
	if tag := s.do("PUT", pathB, schema("b"), "If-Match", inherited).want(200).Header.Get("ETag"); tag != `"1"` {
		t.Errorf("B's first own schema: ETag %q, want \"1\"", tag)
	}
	s.do("GET", pathB, nil, "If-None-Match", inherited).want(200)

	strict := startServer(t, func(c *Config) { c.RequireIfMatch = true })
	org := strict.do("POST", "/v1/orgs", map[string]any{"name": "Strict"}).want(201).str("id")
	strict.do("PUT", "/v1/orgs/"+org+"/settings-schema", schema("x")).problem(428)
}

// TestMemberIfMatch: PUT and DELETE of a membership honour If-Match
// against the user's ETag (a membership is part of its user): 412 on a
// mismatch, with nothing changed; the PUT answer carries the user's new
// ETag.
func TestMemberIfMatch(t *testing.T) {
	s := startServer(t)
	org := s.do("POST", "/v1/orgs", map[string]any{"name": "Members"}).want(201).str("id")
	uid := s.createUser(nil)["id"].(string)
	member := "/v1/orgs/" + org + "/members/" + uid
	etagOf := func() string { return s.do("GET", "/v1/users/"+uid, nil).want(200).Header.Get("ETag") }
	memberships := func() int {
		list, _ := s.do("GET", "/v1/users/"+uid, nil).want(200).obj()["memberships"].([]any)
		return len(list)
	}
	before, n := etagOf(), memberships()
	if before != `"1"` {
		t.Fatalf("a new user's ETag %q", before)
	}
	s.do("PUT", member, map[string]any{"roles": []string{"member"}}, "If-Match", `"7"`).problem(412)
	if etagOf() != before || memberships() != n {
		t.Fatalf("a PUT with a wrong If-Match changed the user")
	}
	put := s.do("PUT", member, map[string]any{"roles": []string{"member"}}, "If-Match", before).want(200)
	after := etagOf()
	if after == before || memberships() != n+1 {
		t.Fatalf("PUT with the current ETag: user ETag %s → %s, %d memberships", before, after, memberships())
	}
	if got := put.Header.Get("ETag"); got != after {
		t.Errorf("PUT member answer ETag %q, want the user's %q", got, after)
	}
	s.do("PUT", member, map[string]any{"roles": []string{"manager"}}, "If-Match", before).problem(412)
	s.do("DELETE", member, nil, "If-Match", before).problem(412)
	if etagOf() != after || memberships() != n+1 {
		t.Fatalf("a stale If-Match changed the user")
	}
	s.do("DELETE", member, nil, "If-Match", after).want(204)
	if memberships() != n {
		t.Errorf("DELETE with the current ETag left the membership")
	}
}

// TestRetryPendingDelivery: "retry" on a delivery waiting out its back-off
// brings its next attempt forward to now (202), and is refused with 409
// while an attempt at it is in flight. The receiver fails the first
// attempt; the back-off would be minutes long.
func TestRetryPendingDelivery(t *testing.T) {
	s := startServer(t, func(c *Config) { c.Webhooks.RetryBase, c.Webhooks.RetryMax = 10*time.Minute, time.Hour })
	var calls atomic.Int64
	second, release := make(chan struct{}), make(chan struct{})
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch calls.Add(1) {
		case 1:
			http.Error(w, "down for maintenance", http.StatusInternalServerError)
			return
		case 2:
			close(second)
			select { // the attempt stays in flight until the test lets it go
			case <-release:
			case <-time.After(5 * time.Second):
			}
		}
		w.Write([]byte("ok"))
	}))
	defer rc.Close()
	hook := s.do("POST", "/v1/webhooks", map[string]any{"url": rc.URL + "/hook", "events": []string{"user.created"}}).want(201).str("id")
	s.createUser(nil)
	type entry struct {
		ID, Status    string
		Attempt       int
		NextAttemptAt *time.Time `json:"next_attempt_at"`
	}
	deliveries := func() []entry {
		var l struct{ Items []entry }
		json.Unmarshal(s.do("GET", "/v1/webhooks/"+hook+"/deliveries", nil).want(200).Body, &l)
		return l.Items
	}
	waitFor := func(what string, ok func(e entry) bool) entry {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if l := deliveries(); len(l) == 1 && ok(l[0]) {
				return l[0]
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: deliveries %+v", what, deliveries())
			}
		}
	}
	d := waitFor("a failed first attempt", func(e entry) bool { return e.Status == "pending" && e.Attempt == 1 })
	if d.NextAttemptAt == nil || time.Until(*d.NextAttemptAt) < time.Minute {
		t.Fatalf("next attempt at %v: the back-off is not long", d.NextAttemptAt)
	}
	retry := "/v1/webhooks/" + hook + "/deliveries/" + d.ID + "/retry"
	start := time.Now()
	if st := s.do("POST", retry, nil).want(202).str("status"); st != "pending" {
		t.Errorf("retry answer: status %q, want pending", st)
	}
	select {
	case <-second:
	case <-time.After(8 * time.Second):
		t.Fatalf("the retried attempt did not come; deliveries %+v", deliveries())
	}
	// In flight: a retry now is refused.
	p := s.do("POST", retry, nil).problem(409)
	if detail, _ := p["detail"].(string); !strings.Contains(detail, "in flight") {
		t.Errorf("409 detail %q, want it to say an attempt is in flight", detail)
	}
	close(release)
	waitFor("the retried attempt's success", func(e entry) bool { return e.Status == "succeeded" && e.Attempt == 2 })
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("the retry took %s", took)
	}
	// Finished deliveries are still retried as before.
	s.do("POST", retry, nil).want(202)
	waitFor("a redelivery of the finished one", func(e entry) bool { return e.Status == "succeeded" && e.Attempt == 3 })
}
