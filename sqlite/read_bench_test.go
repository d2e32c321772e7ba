// SPDX-License-Identifier: Apache-2.0

package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/httpapi"
)

// benchUser is the i-th of the users a benchmark creates, as the load
// tool seeds them: random names, a member of org, created i µs after now.
func benchUser(r *rand.Rand, org string, i int, now time.Time) *roster.User {
	u := &roster.User{ID: roster.NewID(roster.PrefixUser), OrganizationID: org, FirstName: randomName(r), LastName: randomName(r),
		Email: fmt.Sprintf("bench-%d@example.com", i), Status: "enabled", Availability: "available", Settings: []byte(`{}`), Tags: []roster.Tag{},
		Roles: []string{"member"}, Memberships: []roster.Membership{{OrganizationID: org, Roles: []string{"member"}}}, Version: 1}
	at := now.Add(time.Duration(i) * time.Microsecond)
	u.Username, u.CreatedAt, u.UpdatedAt = u.Email, at, at
	return u
}

// benchAPI opens a store of n users as the load tool seeds them and the
// whole API handler over it; it returns the handler, the users' ids and
// first names, and the bootstrap key.
func benchAPI(b *testing.B, n int) (h http.Handler, ids, names []string, key string) {
	b.Helper()
	ctx := context.Background()
	db, s, c := openService(b, filepath.Join(b.TempDir(), "roster.db"))
	r := rand.New(rand.NewPCG(1, 2))
	org := c.User.OrganizationID
	for start := 0; start < n; start += 1000 {
		if err := db.Update(ctx, func(tx roster.Tx) error {
			for i := start; i < min(start+1000, n); i++ {
				u := benchUser(r, org, i, tx.Now())
				ids, names = append(ids, u.ID), append(names, u.FirstName)
				if err := tx.CreateUser(u); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	h, err := httpapi.NewServer(httpapi.Config{Service: s, Version: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	return h, ids, names, "bench-key-0123456789abcdef0123456789abcdef"
}

// benchGets runs the requests that path makes, from concurrent
// goroutines, through the handler without a network, and reports the
// process's CPU per request: what the server spends on a request beside
// net/http's reading and writing.
func benchGets(b *testing.B, h http.Handler, key string, path func(r *rand.Rand) string) {
	b.ReportAllocs()
	start := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		r := rand.New(rand.NewPCG(uint64(benchRun.Add(1)), 7))
		for pb.Next() {
			req := httptest.NewRequest(http.MethodGet, path(r), nil)
			req.Header.Set("Authorization", "Bearer "+key)
			w := &discardWriter{h: http.Header{}}
			h.ServeHTTP(w, req)
			if w.status != http.StatusOK {
				b.Fatalf("%s: status %d", req.URL, w.status)
			}
		}
	})
	reportCPU(b, start)
}

// BenchmarkAPIGetUser: GET /v1/users/{id} of random users among 20,000
// (all in the read cache after the first reads).
//
//	go test -run '^$' -bench API -benchtime 100000x -count 5 ./sqlite/
func BenchmarkAPIGetUser(b *testing.B) {
	h, ids, _, key := benchAPI(b, 20_000)
	benchGets(b, h, key, func(r *rand.Rand) string { return "/v1/users/" + ids[r.IntN(len(ids))] })
}

// BenchmarkAPISearch: GET /v1/users?q= with a random 3-letter part of a
// first name, over 20,000 users.
func BenchmarkAPISearch(b *testing.B) {
	h, _, names, key := benchAPI(b, 20_000)
	benchGets(b, h, key, func(r *rand.Rand) string {
		name := names[r.IntN(len(names))]
		i := r.IntN(len(name) - 2)
		return "/v1/users?q=" + name[i:i+3]
	})
}

// discardWriter is a ResponseWriter that keeps only the status.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}
func (w *discardWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return len(b), nil
}
