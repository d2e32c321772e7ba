// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/pgtest"
)

// needPostgres skips a test that needs several nodes on one database
// unless the run is on PostgreSQL.
func needPostgres(t *testing.T) {
	t.Helper()
	if !onPostgres() {
		t.Skip("SKIP: several nodes need PostgreSQL: run with ROSTER_TEST_STORE=postgres")
	}
}

// startNodes starts n servers on one database at once, as nodes started
// together behind a load balancer: one of them bootstraps the database,
// the others find it done. They stop when the test ends.
func startNodes(t *testing.T, dbURL string, n int) []*testServer {
	t.Helper()
	nodes := make([]*testServer, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range nodes {
		logs := &syncBuffer{}
		m := NewMain(io.Discard, logs)
		m.Config.Addr = "127.0.0.1:0"
		m.Config.DataDir = t.TempDir()
		m.Config.BootstrapKey = testKey
		m.Config.DatabaseURL = dbURL
		// Nodes share the key that seals webhook secrets.
		m.Config.SecretKey = "multinode-test-secret-key-0123456789abcdef"
		m.Config.AllowPrivateWebhooks = true
		nodes[i] = &testServer{t: t, Key: testKey, Main: m, logs: logs}
		wg.Go(func() { errs[i] = m.Run(context.Background()) })
	}
	wg.Wait()
	for i, s := range nodes {
		if errs[i] != nil {
			t.Errorf("start node %d: %v\n%s", i, errs[i], s.logs)
			continue
		}
		s.URL = "http://" + s.Main.Addr()
		t.Cleanup(func() {
			if err := s.Main.Close(); err != nil {
				t.Errorf("close node %d: %v", i, err)
			}
		})
	}
	if t.Failed() {
		t.FailNow()
	}
	return nodes
}

// TestMultiNodeIfMatchRace runs read-modify-write loops with If-Match
// against one user from two nodes at once. Every write acknowledged with
// 200 must be in the final value, and must have its event.
func TestMultiNodeIfMatchRace(t *testing.T) {
	needPostgres(t)
	nodes := startNodes(t, pgtest.URL(t), 2)
	id := nodes[0].createUser(map[string]any{"settings": map[string]any{"counter": 0}})["id"].(string)

	const writersPerNode, writesEach = 3, 8
	var acked, refused atomic.Int64
	var wg sync.WaitGroup
	for n, s := range nodes {
		for w := range writersPerNode {
			wg.Go(func() {
				for done := 0; done < writesEach; {
					cur, err := request(s, "GET", "/v1/users/"+id, nil)
					if err != nil || cur.Status != http.StatusOK {
						t.Errorf("node %d: GET: %v %v", n, err, cur)
						return
					}
					var u struct {
						Settings struct{ Counter int }
					}
					if err := json.Unmarshal(cur.Body, &u); err != nil {
						t.Error(err)
						return
					}
					body := fmt.Sprintf(`{"settings": {"counter": %d, "by": "node%d-writer%d"}}`, u.Settings.Counter+1, n, w)
					res, err := request(s, "PATCH", "/v1/users/"+id, body, "If-Match", cur.Header.Get("ETag"))
					switch {
					case err != nil:
						t.Errorf("node %d: PATCH: %v", n, err)
						return
					case res.Status == http.StatusOK:
						acked.Add(1)
						done++
					case res.Status == http.StatusPreconditionFailed:
						refused.Add(1) // another write came first: read again
					default:
						t.Errorf("node %d: PATCH: status %d: %s", n, res.Status, res.Body)
						return
					}
				}
			})
		}
	}
	wg.Wait()

	final := nodes[1].do("GET", "/v1/users/"+id, nil).want(http.StatusOK).obj()
	counter := final["settings"].(map[string]any)["counter"].(float64)
	t.Logf("%d writes acknowledged, %d refused with 412", acked.Load(), refused.Load())
	if int64(counter) != acked.Load() || int64(final["version"].(float64)) != 1+acked.Load() {
		t.Errorf("after %d acknowledged increments: counter %v, version %v; want %d and %d", acked.Load(), counter, final["version"], acked.Load(), 1+acked.Load())
	}
	var audit struct{ Items []struct{ Action string } }
	if err := json.Unmarshal(nodes[0].do("GET", "/v1/audit-events?limit=200&target="+id, nil).want(http.StatusOK).Body, &audit); err != nil {
		t.Fatal(err)
	}
	updates := 0
	for _, e := range audit.Items {
		if e.Action == "user.updated" {
			updates++
		}
	}
	if int64(updates) != acked.Load() {
		t.Errorf("user.updated events: got %d, want one per acknowledged write (%d)", updates, acked.Load())
	}
}

// TestMultiNodeIdempotencyKey sends one POST to a node and repeats it on
// the other: the second answer is the first one, replayed.
func TestMultiNodeIdempotencyKey(t *testing.T) {
	needPostgres(t)
	nodes := startNodes(t, pgtest.URL(t), 2)
	body := `{"first_name": "Ida", "email": "ida@example.com"}`
	first := nodes[0].do("POST", "/v1/users", body, "Idempotency-Key", "create-ida").want(http.StatusCreated)
	again := nodes[1].do("POST", "/v1/users", body, "Idempotency-Key", "create-ida").want(http.StatusCreated)
	if again.Header.Get("Idempotency-Replayed") != "true" || string(again.Body) != string(first.Body) ||
		again.Header.Get("Location") != first.Header.Get("Location") {
		t.Errorf("the other node did not replay the answer:\nfirst  %s\nreplay %s (Idempotency-Replayed %q)", first.Body, again.Body, again.Header.Get("Idempotency-Replayed"))
	}
	nodes[1].do("POST", "/v1/users", `{"first_name": "Other", "email": "ida@example.com"}`, "Idempotency-Key", "create-ida").problem(http.StatusUnprocessableEntity)
	var list struct{ Items []map[string]any }
	json.Unmarshal(nodes[1].do("GET", "/v1/users?q=ida@example.com", nil).want(http.StatusOK).Body, &list)
	if len(list.Items) != 1 {
		t.Errorf("users with the email after a replayed create: got %d, want 1", len(list.Items))
	}
}

// TestMultiNodeCursor pages through users, taking every page from the
// other node than the page before.
func TestMultiNodeCursor(t *testing.T) {
	needPostgres(t)
	nodes := startNodes(t, pgtest.URL(t), 2)
	for i := range 7 {
		nodes[i%2].do("POST", "/v1/users", map[string]any{"first_name": "Page", "last_name": fmt.Sprintf("P%d", i), "email": fmt.Sprintf("page%d@example.com", i)}).want(http.StatusCreated)
	}
	for _, sort := range []string{"created_at", "-created_at", "last_name", "email"} {
		var want []string
		var all struct{ Items []struct{ ID string } }
		json.Unmarshal(nodes[0].do("GET", "/v1/users?limit=200&sort="+sort, nil).want(http.StatusOK).Body, &all)
		for _, u := range all.Items {
			want = append(want, u.ID)
		}
		var got []string
		cursor := ""
		for page := 0; page < 20; page++ {
			var res struct {
				Items      []struct{ ID string }
				NextCursor *string `json:"next_cursor"`
			}
			path := "/v1/users?limit=2&sort=" + sort
			if cursor != "" {
				path += "&cursor=" + url.QueryEscape(cursor)
			}
			json.Unmarshal(nodes[page%2].do("GET", path, nil).want(http.StatusOK).Body, &res)
			for _, u := range res.Items {
				got = append(got, u.ID)
			}
			if res.NextCursor == nil {
				break
			}
			cursor = *res.NextCursor
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("sort=%s: pages from alternating nodes:\n got %v\nwant %v", sort, got, want)
		}
	}
}

// TestMultiNodeUniqueValues creates users that share a unique value from
// both nodes at once: exactly one create succeeds.
func TestMultiNodeUniqueValues(t *testing.T) {
	needPostgres(t)
	nodes := startNodes(t, pgtest.URL(t), 2)
	for _, c := range []struct {
		name string
		body func(i int) map[string]any
	}{
		{"email", func(i int) map[string]any {
			return map[string]any{"first_name": fmt.Sprintf("Same%d", i), "email": "Same@Example.com"}
		}},
		{"username", func(i int) map[string]any {
			return map[string]any{"first_name": "U", "email": fmt.Sprintf("u%d@example.com", i), "username": "shared-name"}
		}},
		{"external_id", func(i int) map[string]any {
			return map[string]any{"first_name": "X", "email": fmt.Sprintf("x%d@example.com", i), "external_id": "crm-1"}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			const n = 12
			statuses := make([]int, n)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range n {
				wg.Go(func() {
					<-start
					res, err := request(nodes[i%2], "POST", "/v1/users", string(mustJSON(c.body(i))))
					if err != nil {
						t.Error(err)
						return
					}
					statuses[i] = res.Status
				})
			}
			close(start)
			wg.Wait()
			count := map[int]int{}
			for _, st := range statuses {
				count[st]++
			}
			if count[http.StatusCreated] != 1 || count[http.StatusConflict] != n-1 {
				t.Errorf("%d concurrent creates with one %s on two nodes: statuses %v, want one 201 and %d 409", n, c.name, count, n-1)
			}
		})
	}
}

// TestMultiNodeReadyz stops the database under a running node: /readyz
// fails, and answers again (as does the API) once the database is back.
func TestMultiNodeReadyz(t *testing.T) {
	needPostgres(t)
	cluster := pgtest.NewCluster(t) // its own: stopping it disturbs no other test
	s := startServer(t, func(c *Config) { c.DatabaseURL = cluster.URL(t) })
	s.do("GET", "/readyz", nil).want(http.StatusOK)

	if err := cluster.Stop(); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, s, "/readyz", http.StatusServiceUnavailable)
	if d := s.do("GET", "/readyz", nil).problem(http.StatusServiceUnavailable)["detail"].(string); !strings.Contains(d, "database: unreachable") {
		t.Errorf("/readyz does not say the database is down: %s", d)
	}
	// The API says the database is away (503, retry), not "internal error".
	waitStatus(t, s, "/v1/users/me", http.StatusServiceUnavailable)
	if err := cluster.Start(); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, s, "/readyz", http.StatusOK)
	waitStatus(t, s, "/v1/users/me", http.StatusOK)
}

// waitStatus polls path until it answers status, for up to 30 seconds.
func waitStatus(t *testing.T, s *testServer, path string, status int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		res, err := request(s, "GET", path, nil)
		if err == nil && res.Status == status {
			return
		}
		if err != nil {
			last = err.Error()
		} else {
			last = fmt.Sprintf("%d %s", res.Status, res.Body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("GET %s did not answer %d within 30s; last answer: %s", path, status, last)
}

// request sends a request as the owner from any goroutine: unlike do,
// it reports failures instead of ending the test.
func request(s *testServer, method, path string, body any, headers ...string) (*response, error) {
	var rd io.Reader
	if b, ok := body.(string); ok {
		rd = strings.NewReader(b)
	} else if body != nil {
		return nil, errors.New("request: body must be a string")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, s.URL+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+s.Key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return &response{t: s.t, Status: res.StatusCode, Header: res.Header, Body: b}, err
}

// TestMultiNodeWebhookDelivery: three nodes deliver one webhook's events
// together; each event arrives once, and each user's in order.
func TestMultiNodeWebhookDelivery(t *testing.T) {
	needPostgres(t)
	nodes := startNodes(t, pgtest.URL(t), 3)
	rc := newReceiver(t)
	nodes[0].createWebhook(map[string]any{"url": rc.URL, "events": []string{"user.*"}})
	const users, rounds = 6, 8
	ids := make([]string, users)
	for i := range ids {
		ids[i] = nodes[i%3].do("POST", "/v1/users", map[string]any{"email": fmt.Sprintf("mn-hook-%d@example.com", i), "first_name": "M"}).want(201).str("id")
	}
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() {
			for r := range rounds {
				if res, err := request(nodes[(i+r)%3], "PATCH", "/v1/users/"+id, fmt.Sprintf(`{"last_name": "%d"}`, r), "Content-Type", "application/merge-patch+json"); err != nil || res.Status != 200 {
					t.Errorf("PATCH: %v %v", err, res)
				}
			}
		})
	}
	wg.Wait()
	rc.wait(users * (rounds + 1))
	time.Sleep(300 * time.Millisecond)
	got := rc.arrivals()
	seen, last := map[string]bool{}, map[string]int{}
	for _, a := range got {
		m := a.message(t)
		if seen[m.ID] {
			t.Errorf("event %s arrived twice", m.ID)
		}
		seen[m.ID] = true
		var d struct{ Version int }
		json.Unmarshal(m.Data, &d)
		if d.Version <= last[m.Resource.ID] {
			t.Errorf("user %s: version %d arrived after %d", m.Resource.ID, d.Version, last[m.Resource.ID])
		}
		last[m.Resource.ID] = d.Version
	}
	if len(seen) != users*(rounds+1) {
		t.Errorf("%d distinct events arrived, want %d", len(seen), users*(rounds+1))
	}
}
