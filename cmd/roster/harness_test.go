// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/pgtest"
)

// testKey is the bootstrap owner's API key in black-box tests.
const testKey = "roster-test-bootstrap-key-0123456789abcdef"

// testServer is a real Roster server on a loopback port with its own
// embedded database file.
type testServer struct {
	t    *testing.T
	URL  string
	Key  string
	Main *Main
	logs *syncBuffer
}

// syncBuffer is a log sink that tests may read while the server writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestMain stops the PostgreSQL cluster that a run with
// ROSTER_TEST_STORE=postgres starts.
func TestMain(m *testing.M) { pgtest.Main(m) }

// onPostgres reports whether the black-box tests run on PostgreSQL
// (ROSTER_TEST_STORE=postgres) rather than the embedded store.
func onPostgres() bool { return os.Getenv("ROSTER_TEST_STORE") == "postgres" }

// startServer runs a server for the test; configure may change its
// configuration first. The server stops when the test ends. With
// ROSTER_TEST_STORE=postgres it stores in a new PostgreSQL database
// unless configure set a database URL.
func startServer(t *testing.T, configure ...func(*Config)) *testServer {
	t.Helper()
	m, logs := newTestMain(t, configure...)
	if err := m.Run(context.Background()); err != nil {
		t.Fatalf("start server: %v", err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("close server: %v", err)
		}
	})
	ts := &testServer{t: t, URL: "http://" + m.Addr(), Key: testKey, Main: m, logs: logs}
	viaPrism(t, ts) // ROSTER_TEST_PRISM: through a Prism validation proxy (prism_test.go)
	return ts
}

// newTestMain returns the Main that startServer runs, not started.
func newTestMain(t *testing.T, configure ...func(*Config)) (*Main, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	m := NewMain(io.Discard, logs)
	m.Config.Addr = "127.0.0.1:0"
	m.Config.DataDir = t.TempDir()
	m.Config.BootstrapKey = testKey
	// Receivers in tests listen on loopback; retries come quickly.
	m.Config.AllowPrivateWebhooks = true
	m.Config.Webhooks.RetryBase, m.Config.Webhooks.RetryMax = 50*time.Millisecond, time.Second
	m.Config.Security.Argon2 = testArgon2 // small, so that tests stay fast
	for _, c := range configure {
		c(&m.Config)
	}
	if onPostgres() && m.Config.DatabaseURL == "" {
		m.Config.DatabaseURL = pgtest.URL(t)
	}
	return m, logs
}

// response is an HTTP answer read whole.
type response struct {
	t      *testing.T
	Status int
	Header http.Header
	Body   []byte
}

// do sends a request as the owner. body may be nil, a string or []byte
// (sent as is), or any other value (sent as JSON). headers are name,
// value pairs; Content-Type defaults to application/json when there is a
// body.
func (s *testServer) do(method, path string, body any, headers ...string) *response {
	s.t.Helper()
	return s.doAs(s.Key, method, path, body, headers...)
}

// doAs is do with another bearer token ("" sends none).
func (s *testServer) doAs(key, method, path string, body any, headers ...string) *response {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return &response{t: s.t, Status: res.StatusCode, Header: res.Header, Body: b}
}

// want fails the test unless the status is status.
func (r *response) want(status int) *response {
	r.t.Helper()
	if r.Status != status {
		r.t.Fatalf("status %d, want %d; body: %s", r.Status, status, r.Body)
	}
	return r
}

// obj decodes the body as a JSON object.
func (r *response) obj() map[string]any {
	r.t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		r.t.Fatalf("body is not a JSON object: %v: %s", err, r.Body)
	}
	return m
}

// str returns a string field of the JSON body.
func (r *response) str(field string) string {
	r.t.Helper()
	s, _ := r.obj()[field].(string)
	return s
}

// problem checks that the answer is a problem+json document with status
// and returns it.
func (r *response) problem(status int) map[string]any {
	r.t.Helper()
	r.want(status)
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		r.t.Fatalf("Content-Type %q, want application/problem+json; body: %s", ct, r.Body)
	}
	p := r.obj()
	if p["status"] != float64(status) || p["title"] == "" || p["detail"] == "" || p["type"] == "" {
		r.t.Fatalf("incomplete problem document: %s", r.Body)
	}
	return p
}

// fieldErrors returns the locations named in a problem's errors list.
func fieldErrors(p map[string]any) []string {
	var locs []string
	list, _ := p["errors"].([]any)
	for _, e := range list {
		m, _ := e.(map[string]any)
		loc, _ := m["location"].(string)
		locs = append(locs, loc)
	}
	return locs
}

// createUser creates a user with the given fields added to a valid base.
func (s *testServer) createUser(fields map[string]any) map[string]any {
	s.t.Helper()
	body := map[string]any{"first_name": "Test", "email": strings.ToLower(s.t.Name()) + "@example.com"}
	body["email"] = strings.NewReplacer("/", ".", "#", ".").Replace(body["email"].(string))
	for k, v := range fields {
		body[k] = v
	}
	return s.do("POST", "/v1/users", body).want(http.StatusCreated).obj()
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
