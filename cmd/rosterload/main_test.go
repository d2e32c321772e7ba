// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const testKey = "test-key-0123456789abcdef0123456789"

// fakeRoster imitates the few routes of Roster that rosterload uses. It is a
// test of the load tool, not of Roster.
type fakeRoster struct {
	mu      sync.Mutex
	users   []fakeUser
	patches int
	oauth   fakeOAuth // the sign-in pages and token endpoint (signin_test.go)
}

// fakeUser is a user as fakeRoster stores and lists it.
type fakeUser struct {
	ID        string `json:"id"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Email     string `json:"email"`
	Username  string `json:"username,omitempty"`
}

// newFakeRoster starts a fakeRoster holding n users on a loopback port.
func newFakeRoster(t *testing.T, n int) (*fakeRoster, *httptest.Server) {
	t.Helper()
	f := &fakeRoster{}
	for i := range n {
		f.users = append(f.users, fakeUser{fmt.Sprintf("usr_%06d", i), randomName(), randomName(), fmt.Sprintf("u%d@example.com", i), ""})
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/users", f.create)
	mux.HandleFunc("GET /v1/users", f.list)
	mux.HandleFunc("GET /v1/users/{id}", f.get)
	mux.HandleFunc("PATCH /v1/users/{id}", f.patch)
	mux.HandleFunc("GET /trivial", trivialHandler)
	f.oauthRoutes(mux)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !oauthPublic(r) && r.URL.Path != "/trivial" && r.Header.Get("Authorization") != "Bearer "+testKey {
			problem(w, http.StatusUnauthorized, "bad key")
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return f, srv
}

// problem writes a minimal RFC 9457 answer.
func problem(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"status": status, "detail": detail})
}

// find returns the index of the user with the given id, or -1. f.mu is held.
func (f *fakeRoster) find(id string) int {
	for i, u := range f.users {
		if u.ID == id {
			return i
		}
	}
	return -1
}

// create answers 204 to Prefer: return=minimal for even ids and 201 with a
// body for odd ones, as a server that ignores Prefer would; both carry
// Location.
func (f *fakeRoster) create(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Content-Type") != "application/json" {
		problem(w, http.StatusUnsupportedMediaType, "want application/json")
		return
	}
	var u fakeUser
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&u); err != nil || u.FirstName == "" || u.ID != "" {
		problem(w, http.StatusUnprocessableEntity, fmt.Sprint("bad user: ", err))
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, v := range f.users {
		if v.Email == u.Email {
			problem(w, http.StatusConflict, "duplicate email")
			return
		}
	}
	u.ID = fmt.Sprintf("usr_%06d", len(f.users))
	f.users = append(f.users, u)
	w.Header().Set("Location", "/v1/users/"+u.ID)
	if r.Header.Get("Prefer") == "return=minimal" && len(f.users)%2 == 1 {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(u)
}

// list serves q, limit and cursor (an index); q "boom" fails with 500.
func (f *fakeRoster) list(w http.ResponseWriter, r *http.Request) {
	q := strings.ToLower(r.URL.Query().Get("q"))
	if q == "boom" {
		problem(w, http.StatusInternalServerError, "boom")
		return
	}
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	from, _ := strconv.Atoi(r.URL.Query().Get("cursor"))
	if limit < 1 || limit > 200 {
		limit = 50
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	page := struct {
		Items      []fakeUser `json:"items"`
		NextCursor *string    `json:"next_cursor"`
	}{Items: []fakeUser{}}
	for i := from; i < len(f.users); i++ {
		u := f.users[i]
		if !strings.Contains(strings.ToLower(u.FirstName+" "+u.LastName+" "+u.Email), q) {
			continue
		}
		if len(page.Items) == limit {
			next := strconv.Itoa(i)
			page.NextCursor = &next
			break
		}
		page.Items = append(page.Items, u)
	}
	json.NewEncoder(w).Encode(page)
}

// get answers the user or 404.
func (f *fakeRoster) get(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := f.find(r.PathValue("id"))
	if i < 0 {
		problem(w, http.StatusNotFound, "no such user")
		return
	}
	json.NewEncoder(w).Encode(f.users[i])
}

// patch applies a merge patch of first_name.
func (f *fakeRoster) patch(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Content-Type") != "application/merge-patch+json" {
		problem(w, http.StatusUnsupportedMediaType, "want application/merge-patch+json")
		return
	}
	var p struct {
		FirstName string `json:"first_name"`
	}
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil || p.FirstName == "" {
		problem(w, http.StatusBadRequest, "bad patch")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	i := f.find(r.PathValue("id"))
	if i < 0 {
		problem(w, http.StatusNotFound, "no such user")
		return
	}
	f.users[i].FirstName = p.FirstName
	f.patches++
	if r.Header.Get("Prefer") == "return=minimal" {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	json.NewEncoder(w).Encode(f.users[i])
}

// runLoad runs the command with args and returns its stdout and error.
func runLoad(t *testing.T, ctx context.Context, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	getenv := func(k string) string { return map[string]string{"ROSTER_KEY": testKey}[k] }
	err := run(ctx, args, getenv, &stdout, &stderr)
	t.Logf("rosterload %s\n%s%s", strings.Join(args, " "), stderr.String(), stdout.String())
	return stdout.String(), err
}

// jsonResults returns the scenario objects of a -json run by scenario name.
func jsonResults(t *testing.T, stdout string) map[string]result {
	t.Helper()
	got := map[string]result{}
	for line := range strings.Lines(stdout) {
		if strings.HasPrefix(line, "{") {
			var r result
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatalf("bad JSON line %q: %v", line, err)
			}
			got[r.Scenario] = r
		}
	}
	return got
}

func TestPercentile(t *testing.T) {
	// samples returns 1ms, 2ms, … n ms, sorted.
	samples := func(n int) []time.Duration {
		s := make([]time.Duration, n)
		for i := range s {
			s[i] = time.Duration(i+1) * time.Millisecond
		}
		return s
	}
	tests := []struct {
		n    int
		p    float64
		want time.Duration // in ms
	}{
		{0, 50, 0},
		{1, 50, 1}, {1, 99, 1}, {1, 100, 1},
		{2, 50, 1}, {2, 51, 2},
		{10, 10, 1}, {10, 50, 5}, {10, 90, 9}, {10, 91, 10}, {10, 99, 10}, {10, 100, 10},
		{100, 0.5, 1}, {100, 50, 50}, {100, 90, 90}, {100, 99, 99}, {100, 100, 100},
		{1000, 99, 990}, {1000, 99.9, 999}, {1000, 100, 1000},
		{3, 50, 2}, {3, 66, 2}, {3, 67, 3},
	}
	for _, tt := range tests {
		if got := percentile(samples(tt.n), tt.p); got != tt.want*time.Millisecond {
			t.Errorf("percentile(1..%d ms, %v) = %v, want %v", tt.n, tt.p, got, tt.want*time.Millisecond)
		}
	}
}

func TestCheckLoopbackURL(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:8080", "http://127.0.0.1:8080/", "http://localhost:8080", "http://127.1.2.3", "http://[::1]:8080"} {
		if err := checkLoopbackURL(u); err != nil {
			t.Errorf("checkLoopbackURL(%q) = %v, want nil", u, err)
		}
	}
	for _, u := range []string{"", "127.0.0.1:8080", "http://10.0.0.1:8080", "http://0.0.0.0:8080", "http://[::]:8080",
		"http://example.com", "http://localhost.example.com", "https://127.0.0.1", "ftp://127.0.0.1", "http://192.168.1.1"} {
		if err := checkLoopbackURL(u); err == nil {
			t.Errorf("checkLoopbackURL(%q) = nil, want an error", u)
		}
	}
}

func TestLoopbackOnly(t *testing.T) {
	for addr, ok := range map[string]bool{"127.0.0.1:80": true, "[::1]:80": true, "10.0.0.1:80": false, "93.184.216.34:443": false, "[2001:db8::1]:80": false} {
		if err := loopbackOnly("tcp", addr, nil); (err == nil) != ok {
			t.Errorf("loopbackOnly(%q) = %v, want ok %v", addr, err, ok)
		}
	}
}

func TestRunRefusesNonLoopback(t *testing.T) {
	for _, args := range [][]string{
		{"-url", "http://192.0.2.1:8080"},
		{"-url", "http://example.com"},
		{"-scenarios", "trivial", "-trivial-url", "http://192.0.2.1:18081/"},
		{"-scenarios", "trivial"},
		{"-serve-trivial", "0.0.0.0:18081"},
		{"-serve-trivial", ":18081"},
		{"-serve-trivial", "192.0.2.1:18081"},
	} {
		_, err := runLoad(t, context.Background(), args...)
		if err == nil || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("run %q = %v, want a loopback error", args, err)
		}
	}
}

func TestSeedCollectsIDs(t *testing.T) {
	f, srv := newFakeRoster(t, 0)
	l := &loader{cfg: config{key: testKey}, base: srv.URL}
	r := l.measure(context.Background(), "seed", 5, 0, 57, l.callIteration(l.seedCalls()))
	if r.Requests != 57 || r.Errors != 0 {
		t.Fatalf("seed: %d requests, %d errors (%v, %s), want 57 and 0", r.Requests, r.Errors, r.Statuses, r.FirstError)
	}
	if len(l.ids) != 57 || len(l.names) != 114 {
		t.Fatalf("seed kept %d ids and %d names, want 57 and 114", len(l.ids), len(l.names))
	}
	seen := map[string]bool{}
	for _, id := range l.ids {
		if seen[id] || f.find(id) < 0 {
			t.Errorf("id %q: duplicate or unknown to the server", id)
		}
		seen[id] = true
	}
	for _, u := range f.users {
		if !strings.HasPrefix(u.Email, "load-") || len(u.FirstName) < 4 || u.LastName == "" {
			t.Errorf("seeded user %+v: want load-… email and readable names", u)
		}
	}
}

func TestCollectUsers(t *testing.T) {
	f, srv := newFakeRoster(t, 450)
	l := &loader{cfg: config{key: testKey}, base: srv.URL}
	if err := l.collectUsers(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(l.ids) != 450 || len(l.names) != 900 {
		t.Fatalf("collected %d ids and %d names, want 450 and 900", len(l.ids), len(l.names))
	}
	for i, id := range l.ids {
		if id != f.users[i].ID {
			t.Fatalf("ids[%d] = %q, want %q", i, id, f.users[i].ID)
		}
	}
}

func TestRunScenarios(t *testing.T) {
	f, srv := newFakeRoster(t, 0)
	stdout, err := runLoad(t, context.Background(), "-url", srv.URL, "-seed", "40", "-seed-conns", "4", "-conns", "4",
		"-duration", "150ms", "-scenarios", "get,patch,search,trivial", "-trivial-url", srv.URL+"/trivial", "-json")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "seeded 40 users in ") || !strings.Contains(stdout, "/trivial") {
		t.Errorf("stdout lacks the seeding line or the ratio column:\n%s", stdout)
	}
	got := jsonResults(t, stdout)
	for _, name := range []string{"seed", "get", "patch", "search", "trivial"} {
		r, ok := got[name]
		switch {
		case !ok:
			t.Errorf("%s: no JSON result", name)
		case r.Requests == 0 || r.Errors != 0 || r.RPS <= 0 || r.Max < r.P50:
			t.Errorf("%s: %+v, want requests and no errors", name, r)
		case r.Ratio == nil || name == "trivial" && *r.Ratio != 1:
			t.Errorf("%s: ratio_to_trivial %v", name, r.Ratio)
		}
	}
	if got["seed"].Requests != 40 || f.patches == 0 || f.patches != got["patch"].Requests {
		t.Errorf("server saw %d patches (tool counted %d), seed requests %d", f.patches, got["patch"].Requests, got["seed"].Requests)
	}
}

func TestRunCountsErrors(t *testing.T) {
	_, srv := newFakeRoster(t, 10)
	stdout, err := runLoad(t, context.Background(), "-url", srv.URL+"/", "-conns", "2", "-duration", "100ms",
		"-scenarios", "get,search", "-q", "boom", "-json")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "collected 10 existing user ids") {
		t.Errorf("stdout lacks the collection line:\n%s", stdout)
	}
	got := jsonResults(t, stdout)
	if r := got["get"]; r.Requests == 0 || r.Errors != 0 {
		t.Errorf("get: %+v, want requests and no errors", r)
	}
	r := got["search"]
	if r.Requests == 0 || r.Errors != r.Requests || r.Statuses["500"] != r.Requests || !strings.Contains(r.FirstError, "boom") {
		t.Errorf("search: %+v, want every request counted as a 500", r)
	}
	if !strings.Contains(stdout, "search errors: map[500:") {
		t.Errorf("stdout lacks the error breakdown:\n%s", stdout)
	}
}

func TestRunWithoutUsers(t *testing.T) {
	_, srv := newFakeRoster(t, 0)
	if _, err := runLoad(t, context.Background(), "-url", srv.URL, "-scenarios", "get"); err == nil || !strings.Contains(err.Error(), "no users") {
		t.Errorf("run = %v, want a no-users error", err)
	}
	if _, err := runLoad(t, context.Background(), "-url", srv.URL, "-key", "wrong", "-seed", "3", "-scenarios", ""); err != nil {
		t.Errorf("seeding with a wrong key: run = %v, want the errors counted", err)
	}
}

func TestRunStopsWhenCancelled(t *testing.T) {
	_, srv := newFakeRoster(t, 5)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	stdout, err := runLoad(t, ctx, "-url", srv.URL, "-conns", "2", "-duration", "1h", "-scenarios", "get,search")
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 10*time.Second {
		t.Fatalf("run = %v after %v, want it to stop at the deadline", err, time.Since(start))
	}
	if !strings.Contains(stdout, "get ") || strings.Contains(stdout, "search ") {
		t.Errorf("want the partial get result only:\n%s", stdout)
	}
}

func TestServeTrivial(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-serve-trivial", "127.0.0.1:0"}, func(string) string { return "" }, io.Discard, pw)
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	u := strings.TrimSpace(line[strings.Index(line, "http://"):])
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != `{"ok":true}` || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("GET %s = %d %q %q", u, resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve-trivial returned %v after cancel, want nil", err)
	}
}
