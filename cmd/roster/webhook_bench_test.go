// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// BenchmarkWebhookDelivery measures webhook delivery from one node to a
// local receiver (in the same process, on the same cores):
//
//   - without-webhook: 32 clients PATCH users; the baseline PATCH rate
//     and the CPU the process spent per PATCH;
//   - with-webhook: the same with a webhook subscribed to every change:
//     the PATCH rate, deliveries per second, the time from each
//     PATCH's 2xx to the receiver's arrival (p50, p99) and the CPU per
//     PATCH and its delivery. On a box where the CPU is the limit, the
//     ratio of the two CPU figures is the PATCH rate the API keeps, with
//     less of the noise of a shared machine than the rates themselves;
//   - backlog: b.N changes wait in the outbox of a disabled webhook; it is
//     enabled and the time until the last arrives gives the most
//     deliveries per second one node makes.
//
// b.N is the number of PATCHes.
//
//	go test -run '^$' -bench WebhookDelivery -benchtime 20000x ./cmd/roster/
func BenchmarkWebhookDelivery(b *testing.B) {
	b.Run("without-webhook", func(b *testing.B) { benchDelivery(b, "") })
	b.Run("with-webhook", func(b *testing.B) { benchDelivery(b, "enabled") })
	b.Run("backlog", func(b *testing.B) { benchDelivery(b, "disabled") })
}

// benchDelivery runs one case; hook is the webhook's status ("" for none).
func benchDelivery(b *testing.B, hook string) {
	m := NewMain(io.Discard, io.Discard)
	m.Config.Addr, m.Config.DataDir, m.Config.BootstrapKey, m.Config.LogLevel = "127.0.0.1:0", b.TempDir(), testKey, "error"
	m.Config.AllowPrivateWebhooks = true
	if c := os.Getenv("BENCH_WEBHOOK_CONCURRENCY"); c != "" {
		m.Config.Webhooks.Concurrency, _ = strconv.Atoi(c)
	}
	if err := m.Run(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	base := "http://" + m.Addr()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	call := func(method, path, ctype string, body []byte) (int, []byte) {
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testKey)
		req.Header.Set("Content-Type", ctype)
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		return res.StatusCode, out
	}

	// The receiver notes when each change (by its last_name) arrives. It
	// finds the name in the body rather than decoding it, so as to take
	// little of the CPU the server and the clients share (in the payload
	// the resource comes before the patch, which names it too).
	var mu sync.Mutex
	arrived := map[string]time.Time{}
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		_, name, _ := bytes.Cut(body, []byte(`"last_name":"`))
		name, _, _ = bytes.Cut(name, []byte(`"`))
		now := time.Now()
		mu.Lock()
		arrived[string(name)] = now
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rcv.Close()
	var hookID string
	if hook != "" {
		st, body := call("POST", "/v1/webhooks", "application/json", []byte(`{"url": "`+rcv.URL+`", "events": ["user.updated"], "status": "`+hook+`"}`))
		if st != 201 {
			b.Fatalf("create webhook: %d %s", st, body)
		}
		var h struct{ ID string }
		json.Unmarshal(body, &h)
		hookID = h.ID
	}
	const conns, users = 32, 256
	ids := make([]string, users)
	for i := range ids {
		st, body := call("POST", "/v1/users", "application/json", fmt.Appendf(nil, `{"email": "bench%d@example.com", "first_name": "B"}`, i))
		if st != 201 {
			b.Fatalf("create user: %d %s", st, body)
		}
		var u struct{ ID string }
		json.Unmarshal(body, &u)
		ids[i] = u.ID
	}

	acked := make([]map[string]time.Time, conns)
	var next atomic.Int64
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	var wg sync.WaitGroup
	for c := range conns {
		acked[c] = map[string]time.Time{}
		wg.Go(func() {
			for {
				n := next.Add(1)
				if n > int64(b.N) {
					return
				}
				v := fmt.Sprintf("v%d", n)
				if st, body := call("PATCH", "/v1/users/"+ids[int(n)%users], "application/merge-patch+json", []byte(`{"last_name": "`+v+`"}`)); st != 200 {
					b.Errorf("PATCH: %d %s", st, body)
					return
				}
				acked[c][v] = time.Now()
			}
		})
	}
	wg.Wait()
	patched := time.Since(start)
	switch hook {
	case "":
		b.ReportMetric(float64(b.N)/patched.Seconds(), "patches/s")
		b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/patch")
		return
	case "enabled":
		b.ReportMetric(float64(b.N)/patched.Seconds(), "patches/s")
	case "disabled":
		start = time.Now()
		if st, body := call("PATCH", "/v1/webhooks/"+hookID, "application/merge-patch+json", []byte(`{"status": "enabled"}`)); st != 200 {
			b.Fatalf("enable the webhook: %d %s", st, body)
		}
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		mu.Lock()
		n := len(arrived)
		mu.Unlock()
		if n >= b.N || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	b.StopTimer()
	if hook == "enabled" {
		b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/patch")
	}
	mu.Lock()
	defer mu.Unlock()
	var lat []time.Duration
	last := start
	for _, a := range acked {
		for v, at := range a {
			got, ok := arrived[v]
			if !ok {
				b.Fatalf("change %s never arrived (%d of %d did)", v, len(arrived), b.N)
			}
			lat = append(lat, got.Sub(at))
			if got.After(last) {
				last = got
			}
		}
	}
	b.ReportMetric(float64(len(lat))/last.Sub(start).Seconds(), "deliveries/s")
	if hook == "disabled" {
		return // the latency of a backlog says nothing
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// cpuTime is the CPU this process (server, clients and receiver) has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
