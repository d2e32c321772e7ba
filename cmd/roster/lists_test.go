// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// ids lists the ids of a list answer, following every next_cursor.
func (s *testServer) ids(path string) []string {
	s.t.Helper()
	var out []string
	for page := 0; ; page++ {
		if page > 100 {
			s.t.Fatal("more than 100 pages")
		}
		body := s.do("GET", path, nil).want(200).obj()
		for _, it := range body["items"].([]any) {
			out = append(out, it.(map[string]any)["id"].(string))
		}
		next, _ := body["next_cursor"].(string)
		if next == "" {
			return out
		}
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		base := path
		if i := strings.Index(path, "cursor="); i >= 0 {
			base = strings.TrimSuffix(path[:i], "&")
			sep = "&"
			if !strings.Contains(base, "?") {
				sep = "?"
			}
		}
		path = base + sep + "cursor=" + url.QueryEscape(next)
	}
}

func TestUserListFiltersSortAndPages(t *testing.T) {
	s := startServer(t)
	reseller := s.do("POST", "/v1/orgs", map[string]any{"name": "Reseller"}).want(201).str("id")
	client := s.do("POST", "/v1/orgs", map[string]any{"name": "Client", "parent_id": reseller}).want(201).str("id")
	mk := func(first, last, email string, extra map[string]any) string {
		body := map[string]any{"first_name": first, "last_name": last, "email": email}
		for k, v := range extra {
			body[k] = v
		}
		return s.do("POST", "/v1/users", body).want(201).str("id")
	}
	zoe := mk("Zoë", "van Dam", "zoe@example.com", map[string]any{"organization_id": reseller, "tags": []map[string]any{{"name": "VIP"}}})
	bob := mk("Bob", "anders", "bob@sample.org", map[string]any{"organization_id": client, "roles": []string{"manager"}, "phone": map[string]any{"country": "US", "number": "(669) 999-0000"}})
	eve := mk("Eve", "Brown", "eve@example.com", map[string]any{"status": "disabled", "display_name": "Evie"})
	mid := time.Now().UTC()
	time.Sleep(5 * time.Millisecond)
	amy := mk("Amy", "Anders", "amy@example.com", nil)
	owner := s.do("GET", "/v1/users/me", nil).str("id")

	cases := map[string][]string{
		"/v1/users":                                {owner, zoe, bob, eve, amy},
		"/v1/users?sort=-created_at":               {amy, eve, bob, zoe, owner},
		"/v1/users?sort=last_name":                 {owner, bob, amy, eve, zoe}, // "" < anders = Anders (ties by id) < Brown < van Dam
		"/v1/users?sort=email":                     {amy, bob, eve, owner, zoe},
		"/v1/users?q=ANDERS":                       {bob, amy},
		"/v1/users?q=an":                           {zoe, bob, amy},
		"/v1/users?q=sample.org":                   {bob},
		"/v1/users?q=evie":                         {eve},
		"/v1/users?q=" + url.QueryEscape("+1 669"): {bob},
		"/v1/users?q=9990000":                      {bob},
		"/v1/users?q=zzz":                          {},
		"/v1/users?status=disabled":                {eve},
		"/v1/users?organization_id=" + reseller:    {zoe},
		"/v1/users?organization_id=" + reseller + "&include_descendants=true": {zoe, bob},
		"/v1/users?tag=vip":      {zoe},
		"/v1/users?role=manager": {bob},
		"/v1/users?role=owner":   {owner},
		"/v1/users?created_after=" + mid.Format(time.RFC3339Nano):                        {amy},
		"/v1/users?created_before=" + mid.Format(time.RFC3339Nano) + "&sort=-created_at": {eve, bob, zoe, owner},
		"/v1/users?limit=2":                 {owner, zoe, bob, eve, amy},
		"/v1/users?limit=1&sort=-last_name": {zoe, eve, amy, bob, owner},
	}
	for path, want := range cases {
		t.Run(path, func(t *testing.T) {
			got := s.ids(path)
			if want == nil {
				want = []string{}
			}
			if got == nil {
				got = []string{}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("got %v\nwant %v", got, want)
			}
		})
	}
	t.Run("created_after is exclusive", func(t *testing.T) {
		created := s.do("GET", "/v1/users/"+amy, nil).str("created_at")
		if got := s.ids("/v1/users?created_after=" + url.QueryEscape(created)); len(got) != 0 {
			t.Fatalf("created_after=%s returned %v", created, got)
		}
	})
	t.Run("pages are stable while rows are inserted", func(t *testing.T) {
		first := s.do("GET", "/v1/users?limit=2", nil).want(200).obj()
		mk("New", "Person", "new@example.com", nil)
		next := first["next_cursor"].(string)
		rest := s.ids("/v1/users?limit=2&cursor=" + url.QueryEscape(next))
		if !slices.Equal(rest[:3], []string{bob, eve, amy}) {
			t.Fatalf("second page onwards: %v", rest)
		}
	})
	t.Run("updated_after", func(t *testing.T) {
		before := time.Now().UTC()
		time.Sleep(5 * time.Millisecond)
		s.do("PATCH", "/v1/users/"+eve, `{"last_name": "Black"}`).want(200)
		if got := s.ids("/v1/users?updated_after=" + before.Format(time.RFC3339Nano)); !slices.Equal(got, []string{eve}) {
			t.Fatalf("got %v", got)
		}
	})
	for _, bad := range []string{"limit=0", "limit=201", "limit=x", "sort=age", "status=gone", "role=king", "created_after=yesterday",
		"cursor=nope", "cursor=" + url.QueryEscape("eyJzIjoiZW1haWwiLCJrIjoiYSIsImkiOiJ1c3JfMSJ9"), "include_descendants=maybe", "q=" + strings.Repeat("q", 256)} {
		t.Run("bad "+bad, func(t *testing.T) {
			p := s.do("GET", "/v1/users?"+bad, nil).problem(400)
			if len(fieldErrors(p)) == 0 {
				t.Fatalf("no field errors: %v", p)
			}
		})
	}
	t.Run("cursor of another sort", func(t *testing.T) {
		next := s.do("GET", "/v1/users?limit=1&sort=email", nil).want(200).obj()["next_cursor"].(string)
		s.do("GET", "/v1/users?cursor="+url.QueryEscape(next), nil).problem(400)
	})
	_ = fmt.Sprint
}
