// SPDX-License-Identifier: Apache-2.0

package main

import (
	"encoding/json"

	"github.com/rosterhq/roster"
	"net/url"
	"strings"
	"testing"
	"time"
)

type feedEvent struct {
	ID        string            `json:"id"`
	Type      string            `json:"type"`
	Actor     map[string]string `json:"actor"`
	RequestID string            `json:"request_id"`
	Resource  struct{ Type, ID string }
	Data      map[string]any `json:"data"`
	Previous  map[string]any `json:"previous"`
	Patch     []map[string]any
}

func (s *testServer) events(query string) (items []feedEvent, next string) {
	s.t.Helper()
	var page struct {
		Items      []feedEvent `json:"items"`
		NextCursor *string     `json:"next_cursor"`
	}
	if err := json.Unmarshal(s.do("GET", "/v1/events"+query, nil).want(200).Body, &page); err != nil {
		s.t.Fatal(err)
	}
	if page.NextCursor != nil {
		next = *page.NextCursor
	}
	return page.Items, next
}

func TestEventFeedAndAudit(t *testing.T) {
	s := startServer(t)
	start, _ := s.events("?limit=200")
	if len(start) != 3 || start[0].Type != "org.created" || start[1].Type != "user.created" || start[2].Type != "api_key.created" {
		t.Fatalf("bootstrap events: %+v", start)
	}
	last := start[len(start)-1].ID

	res := s.do("POST", "/v1/users", map[string]any{"first_name": "Eva", "email": "eva@example.com"}, "X-Request-Id", "req-create-eva").want(201)
	id := res.str("id")
	s.do("PATCH", "/v1/users/"+id, `{"last_name": "Stone"}`).want(200)
	s.do("PATCH", "/v1/users/"+id, `{"last_name": "Stone"}`).want(200)                                      // no change: no event
	s.do("PATCH", "/v1/users/"+id, `{"first_name": ""}`).problem(422)                                       // refused: no event
	s.do("POST", "/v1/users", map[string]any{"first_name": "Dup", "email": "EVA@example.com"}).problem(409) // rolled back: no event
	s.do("DELETE", "/v1/users/"+id, nil).want(204)

	got, _ := s.events("?after=" + last)
	var types []string
	for _, e := range got {
		types = append(types, e.Type)
	}
	if strings.Join(types, ",") != "user.created,user.updated,user.deleted" {
		t.Fatalf("events %v", types)
	}
	created, updated, deleted := got[0], got[1], got[2]
	if created.RequestID != "req-create-eva" || created.Actor["user_id"] == "" || created.Actor["key_id"] == "" || created.Data["email"] != "eva@example.com" || created.Previous != nil {
		t.Errorf("created event: %+v", created)
	}
	if updated.Previous["last_name"] != "" || updated.Data["last_name"] != "Stone" || updated.Data["version"] != float64(2) {
		t.Errorf("updated event: %+v", updated)
	}
	var ops []string
	for _, op := range updated.Patch {
		ops = append(ops, op["op"].(string)+" "+op["path"].(string))
	}
	// The patch turns previous into data exactly.
	var raw struct{ Items []json.RawMessage }
	json.Unmarshal(s.do("GET", "/v1/events?type=user.updated&after="+last, nil).want(200).Body, &raw)
	var full struct{ Data, Previous, Patch json.RawMessage }
	json.Unmarshal(raw.Items[0], &full)
	applied, err := roster.ApplyPatch(roster.JSONPatch, full.Previous, full.Patch)
	if err != nil {
		t.Fatalf("the event's patch does not apply to previous: %v", err)
	}
	var a, b any
	json.Unmarshal(applied, &a)
	json.Unmarshal(full.Data, &b)
	if string(mustJSON(a)) != string(mustJSON(b)) {
		t.Fatalf("previous + patch != data:\n%s\n%s", mustJSON(a), mustJSON(b))
	}
	for _, want := range []string{"replace /last_name", "replace /version", "replace /display_name", "replace /updated_at"} {
		if !contains(ops, want) {
			t.Errorf("patch %v lacks %s", ops, want)
		}
	}
	if deleted.Data != nil || deleted.Previous["id"] != id {
		t.Errorf("deleted event: %+v", deleted)
	}
	if !(created.ID < updated.ID && updated.ID < deleted.ID) {
		t.Error("event ids do not sort in commit order")
	}

	t.Run("type filter and paging", func(t *testing.T) {
		items, _ := s.events("?type=user.updated")
		if len(items) != 1 || items[0].ID != updated.ID {
			t.Fatalf("type=user.updated: %+v", items)
		}
		items, _ = s.events("?type=" + url.QueryEscape("org.*"))
		if len(items) != 1 || items[0].Type != "org.created" {
			t.Fatalf("type=org.*: %+v", items)
		}
		page, next := s.events("?limit=2")
		if len(page) != 2 || next != page[1].ID {
			t.Fatalf("first page %d, next %q", len(page), next)
		}
		s.do("GET", "/v1/events?after=evt_01ARZ3NDEKTSV4RRFFQ69G5FAV", nil).problem(400)
		s.do("GET", "/v1/events?after=nope", nil).problem(400)
		s.do("GET", "/v1/events?wait=600", nil).problem(400)
	})

	t.Run("long poll", func(t *testing.T) {
		done := make(chan []feedEvent, 1)
		go func() {
			items, _ := s.events("?wait=10&after=" + deleted.ID)
			done <- items
		}()
		time.Sleep(200 * time.Millisecond)
		began := time.Now()
		s.do("POST", "/v1/orgs", map[string]any{"name": "Wakes the feed"}).want(201)
		select {
		case items := <-done:
			if len(items) != 1 || items[0].Type != "org.created" {
				t.Fatalf("long poll got %+v", items)
			}
			if time.Since(began) > 5*time.Second {
				t.Fatal("long poll answered late")
			}
		case <-time.After(15 * time.Second):
			t.Fatal("long poll never answered")
		}
		before := time.Now()
		if items, _ := s.events("?wait=1&after=" + deleted.ID + "&type=user.*"); len(items) != 0 || time.Since(before) < 900*time.Millisecond {
			t.Fatalf("an empty long poll returned %v after %s", items, time.Since(before))
		}
	})

	t.Run("audit log", func(t *testing.T) {
		var page struct {
			Items []struct {
				Action   string            `json:"action"`
				ClientIP string            `json:"client_ip"`
				Actor    map[string]string `json:"actor"`
				Target   struct{ Type, ID string }
				Patch    []map[string]any `json:"patch"`
			} `json:"items"`
		}
		if err := json.Unmarshal(s.do("GET", "/v1/audit-events?target="+id, nil).want(200).Body, &page); err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 3 || page.Items[1].Action != "user.updated" || page.Items[1].ClientIP != "127.0.0.1" || page.Items[1].Target.ID != id || len(page.Items[1].Patch) == 0 {
			t.Fatalf("audit: %+v", page.Items)
		}
		s.do("GET", "/v1/audit-events?after=yesterday", nil).problem(400)
		// A plain member has no audit log.
		member := s.createUser(map[string]any{"email": "plain@example.com"})["id"].(string)
		key := s.do("POST", "/v1/api-keys", map[string]any{"name": "m", "user_id": member}).want(201).str("key")
		s.doAs(key, "GET", "/v1/audit-events", nil).problem(403)
		// A member's feed holds only what it may see.
		items := 0
		var feed struct{ Items []feedEvent }
		json.Unmarshal(s.doAs(key, "GET", "/v1/events?limit=200", nil).want(200).Body, &feed)
		for _, e := range feed.Items {
			items++
			if e.Resource.ID != member && e.Type != "org.created" && e.Resource.Type == "user" && e.Data != nil && e.Data["organization_id"] == nil {
				t.Errorf("member sees %+v", e)
			}
		}
		if items == 0 {
			t.Fatal("member sees no events at all")
		}
	})
}
