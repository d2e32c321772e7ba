// SPDX-License-Identifier: Apache-2.0

package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/pgtest"
)

// TestCrashLosesNothing kills a real roster process with SIGKILL during a
// stream of updates, while the webhook's receiver is down (so retries are
// pending), starts it again on the same data, and checks that every
// acknowledged change is in the store, in the feed and at the receiver,
// that the feed holds exactly the changes the store holds (a change whose
// answer was lost in the crash may or may not have happened, but never
// one without the other), that the receiver got nothing the feed does not
// hold, and each resource's events in order (see checkDeliveryOrder).
func TestCrashLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIP: builds and kills a real process")
	}
	bin := filepath.Join(t.TempDir(), "roster")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	dataDir := t.TempDir()
	env := append(os.Environ(), "ROSTER_BOOTSTRAP_KEY="+testKey, "ROSTER_SECRET_KEY=crash-test-secret-key-0123456789abcdef")
	if onPostgres() {
		env = append(env, "ROSTER_DATABASE_URL="+pgtest.URL(t))
	}
	rc := newReceiver(t)
	start := func() (*exec.Cmd, *testServer) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		cmd := exec.Command(bin, "serve", "--addr", addr, "--data-dir", dataDir, "--allow-private-webhooks", "--webhook-retry-base", "50ms", "--webhook-retry-max", "500ms",
			"--webhook-timeout", "1s") // on PostgreSQL the dead process's hold on the stream passes on after this plus 5 s
		cmd.Env = env
		logs := &syncBuffer{}
		cmd.Stdout, cmd.Stderr = logs, logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		s := &testServer{t: t, URL: "http://" + addr, Key: testKey, logs: logs}
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if res, err := http.Get(s.URL + "/readyz"); err == nil {
				res.Body.Close()
				if res.StatusCode == 200 {
					break
				}
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatalf("the server did not start:\n%s", logs)
			}
		}
		return cmd, s
	}
	cmd, s := start()
	s.createWebhook(map[string]any{"url": rc.URL, "events": []string{"user.*"}})
	const writers = 6
	ids := make([]string, writers)
	for i := range ids {
		ids[i] = s.do("POST", "/v1/users", map[string]any{"email": fmt.Sprintf("crash%d@example.com", i), "first_name": "C"}).want(201).str("id")
	}
	// A stream of updates; each acknowledged one is remembered.
	var mu sync.Mutex
	acked := map[string]bool{} // last_name values answered 200
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				v := fmt.Sprintf("w%d-%d", i, n)
				res, err := request(s, "PATCH", "/v1/users/"+id, `{"last_name":"`+v+`"}`, "Content-Type", "application/merge-patch+json")
				if err != nil {
					return // the server is gone
				}
				if res.Status == 200 {
					mu.Lock()
					acked[v] = true
					mu.Unlock()
				}
			}
		})
	}
	// The receiver answers 503 from a while into the stream until a while
	// after the restart: the crash comes with deliveries pending.
	time.Sleep(150 * time.Millisecond)
	rc.down.Store(true)
	time.Sleep(250 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	close(stop)
	wg.Wait()
	if len(acked) == 0 {
		t.Fatal("no update was acknowledged before the crash")
	}
	restarted := time.Now() // what arrives from here on, the new process sent
	cmd, s = start()
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	time.AfterFunc(300*time.Millisecond, func() { rc.down.Store(false) })

	// The feed, whole.
	type ev struct {
		ID       string
		Type     string
		Resource struct{ ID string }
		Data     struct {
			Version  int
			LastName string `json:"last_name"`
		}
	}
	var feed []ev
	for after := ""; ; {
		var page struct{ Items []ev }
		json.Unmarshal(s.do("GET", "/v1/events?type=user.*&limit=200&after="+after, nil).want(200).Body, &page)
		if len(page.Items) == 0 {
			break
		}
		feed = append(feed, page.Items...)
		after = page.Items[len(page.Items)-1].ID
	}
	inFeed := map[string]bool{}
	versions := map[string][]int{}
	lastEvent := map[string]ev{}
	for _, e := range feed {
		inFeed[e.Data.LastName] = true
		versions[e.Resource.ID] = append(versions[e.Resource.ID], e.Data.Version)
		lastEvent[e.Resource.ID] = e
	}
	for v := range acked {
		if !inFeed[v] {
			t.Errorf("acknowledged change %s is not in the feed", v)
		}
	}
	for _, id := range ids {
		u := s.do("GET", "/v1/users/"+id, nil).want(200).obj()
		vs := versions[id]
		for i, v := range vs {
			if v != i+1 {
				t.Fatalf("user %s: the feed's versions %v are not 1, 2, 3, …", id, vs)
			}
		}
		if int(u["version"].(float64)) != len(vs) || u["last_name"] != lastEvent[id].Data.LastName {
			t.Errorf("user %s: the store has version %v (%v), the feed's last event version %d (%s)", id, u["version"], u["last_name"], len(vs), lastEvent[id].Data.LastName)
		}
	}
	// Every event of the feed since the webhook (all but the bootstrap
	// owner's creation) reaches the receiver.
	want := map[string]bool{}
	for _, e := range feed {
		if slices.Contains(ids, e.Resource.ID) {
			want[e.ID] = true
		}
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		got := map[string]bool{}
		for _, a := range rc.arrivals() {
			got[a.message(t).ID] = true
		}
		missing := 0
		for id := range want {
			if !got[id] {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d events never reached the receiver", missing, len(want))
		}
	}
	// Nothing arrived that the feed does not hold, as the feed holds it.
	byID := map[string]ev{}
	for _, e := range feed {
		byID[e.ID] = e
	}
	arrivals := map[string][]arrival{} // by resource, in the order they came
	for _, a := range rc.arrivals() {
		var m ev
		if err := json.Unmarshal(a.Body, &m); err != nil {
			t.Fatalf("delivered body is not JSON: %v: %s", err, a.Body)
		}
		if e, ok := byID[m.ID]; !ok || e.Type != m.Type || e.Resource.ID != m.Resource.ID || e.Data != m.Data {
			t.Errorf("the receiver got %s, which is not the feed's event %+v", a.Body, e)
		}
		arrivals[m.Resource.ID] = append(arrivals[m.Resource.ID], a)
	}
	refused := 0
	for _, a := range rc.attempts() {
		if a.Status != 200 {
			refused++
		}
	}
	if refused == 0 {
		t.Error("the receiver refused nothing: no retries were in play")
	}
	for _, id := range ids {
		var got []int
		runs := [2][]int{}
		for _, a := range arrivals[id] {
			var m ev
			json.Unmarshal(a.Body, &m)
			got = append(got, m.Data.Version)
			if a.At.Before(restarted) {
				runs[0] = append(runs[0], m.Data.Version)
			} else {
				runs[1] = append(runs[1], m.Data.Version)
			}
		}
		if msg := checkDeliveryOrder(runs[0], runs[1], len(versions[id])); msg != "" {
			t.Errorf("user %s: %s; versions received %v (%d before the restart)", id, msg, got, len(runs[0]))
		}
	}
	t.Logf("%d acknowledged updates before the kill; %d events in the feed, all delivered; %d attempts refused", len(acked), len(feed), refused)
}

// checkDeliveryOrder checks what "at least once, in order per resource"
// allows a receiver to see of one resource whose events have versions
// 1…last, all wanted by the webhook: before (versions accepted from the
// first process) and after (from the process started again on its data).
//
// A process sends a resource's next event only once the receiver accepted
// the one before, so each process's deliveries are consecutive versions.
// The first process's start at version 1 (the webhook was made before the
// resource). After a crash the new process sends again what the dead one
// had not recorded: it starts over at a version the receiver already has
// (a duplicate: how far back depends on the webhook's cursor, which is
// shared by all resources, so it may be more than the last one) or at the
// next one, never further on (a gap would be a lost event), and then goes
// on in order to the last version.
func checkDeliveryOrder(before, after []int, last int) string {
	consecutive := func(vs []int) bool {
		for i := 1; i < len(vs); i++ {
			if vs[i] != vs[i-1]+1 {
				return false
			}
		}
		return true
	}
	switch {
	case !consecutive(before):
		return "the first process sent versions out of order, skipped one or sent one twice"
	case len(before) > 0 && before[0] != 1:
		return "the first version delivered is not 1"
	case !consecutive(after):
		return "after the restart versions came out of order, one was skipped or sent twice"
	case len(after) > 0 && after[0] > len(before)+1:
		return fmt.Sprintf("after the restart delivery resumed at version %d, but the receiver had only up to %d: a version was lost", after[0], len(before))
	case len(after) == 0 && len(before) != last, len(after) > 0 && after[len(after)-1] != last:
		return fmt.Sprintf("the last version delivered is not the resource's last, %d", last)
	}
	return ""
}
