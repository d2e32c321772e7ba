// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// fakeSCIM imitates the routes the SCIM scenarios use: the key's
// creation with -key, then /scim/v2/Users with that key alone.
type fakeSCIM struct {
	mu    sync.Mutex
	users map[string]bool // by userName
}

const testSCIMKey = "scim-" + testKey

func newFakeSCIM(t *testing.T, usernames ...string) *httptest.Server {
	t.Helper()
	f := &fakeSCIM{users: map[string]bool{}}
	for _, u := range usernames {
		f.users[u] = true
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/api-keys", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+testKey || !strings.Contains(readAll(r), `"scim"`) {
			problem(w, http.StatusForbidden, "want -key and the scim scope")
			return
		}
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]string{"key": testSCIMKey})
	})
	mux.HandleFunc("/scim/v2/Users", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+testSCIMKey {
			problem(w, http.StatusUnauthorized, "want the scim key")
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if r.Method == http.MethodPost {
			var u struct{ UserName string }
			if json.NewDecoder(r.Body).Decode(&u) != nil || r.Header.Get("Content-Type") != "application/scim+json" || f.users[u.UserName] {
				problem(w, http.StatusConflict, "bad or known user")
				return
			}
			f.users[u.UserName] = true
			w.WriteHeader(http.StatusCreated)
			return
		}
		name, ok := strings.CutPrefix(r.URL.Query().Get("filter"), `userName eq "`)
		name, ok2 := strings.CutSuffix(name, `"`)
		if !ok || !ok2 {
			problem(w, http.StatusBadRequest, "want a userName eq filter")
			return
		}
		n := 0
		if f.users[name] {
			n = 1
		}
		json.NewEncoder(w).Encode(map[string]any{"totalResults": n})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func readAll(r *http.Request) string {
	b, _ := io.ReadAll(r.Body)
	return string(b)
}

func TestSCIMScenarios(t *testing.T) {
	srv := newFakeSCIM(t, "a@example.com", "b@example.com")
	l := &loader{cfg: config{key: testKey, conns: 3}, base: srv.URL, usernames: []string{"a@example.com", "b@example.com"}}
	ctx := context.Background()
	if err := l.makeSCIMKey(ctx); err != nil || l.scimKey != testSCIMKey {
		t.Fatalf("makeSCIMKey: %v, key %q", err, l.scimKey)
	}
	calls, err := l.scimFindCalls()
	if err != nil {
		t.Fatal(err)
	}
	if r := l.measure(ctx, "scim-find", 3, 0, 20, l.callIteration(calls)); r.Requests != 20 || r.Errors != 0 {
		t.Errorf("scim-find: %+v", r)
	}
	if r := l.measure(ctx, "scim-prov", 3, 0, 30, l.scimProvisionIteration()); r.Requests != 30 || r.Errors != 0 {
		t.Errorf("scim-prov: %+v", r)
	}
	// scim-find needs users to look up.
	l.usernames = nil
	if _, err := l.scimFindCalls(); err == nil {
		t.Error("scim-find without users: no error")
	}
}
