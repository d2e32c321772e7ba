// SPDX-License-Identifier: Apache-2.0

package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

// syllables make readable random names, so that substring searches hit.
var syllables = []string{"an", "be", "ca", "do", "el", "fi", "go", "ha", "is", "jo", "ka", "li", "mo", "na", "or", "pe", "qu", "ra", "si", "to", "ul", "vi", "wa", "xe", "yo", "za"}

func randomName(r *rand.Rand) string {
	n := 2 + r.IntN(3)
	b := make([]byte, 0, 8)
	for range n {
		b = append(b, syllables[r.IntN(len(syllables))]...)
	}
	return string(b)
}

// BenchmarkSearch measures the q filter (a 3-letter substring, first page
// of 50, default sort) over ROSTER_BENCH_USERS users (default 1,000,000),
// inserted once into a database kept in ROSTER_BENCH_DIR (default a
// temporary folder) so that repeated runs skip the seeding. It reports
// p50 and p99 latencies besides ns/op. ROSTER_BENCH_TERM_LEN sets the
// substring's length.
//
//	ROSTER_BENCH_DIR=/tmp/roster-search go test -run '^$' -bench Search -benchtime 2000x ./sqlite/
func BenchmarkSearch(b *testing.B) {
	n := 1_000_000
	if v := os.Getenv("ROSTER_BENCH_USERS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	dir := os.Getenv("ROSTER_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(dir, fmt.Sprintf("search-%d.db", n)))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	r := rand.New(rand.NewPCG(1, 2))
	var have int
	if err := db.read.QueryRow(`SELECT count(*) FROM users`).Scan(&have); err != nil {
		b.Fatal(err)
	}
	if have < n {
		b.Logf("seeding %d users", n-have)
		start := time.Now()
		org := &roster.Organization{ID: roster.NewID(roster.PrefixOrg), Name: "Bench", Status: "enabled", Currency: "USD", Credit: "0", Version: 1}
		if have == 0 {
			if err := db.Update(ctx, func(tx roster.Tx) error {
				org.CreatedAt, org.UpdatedAt = tx.Now(), tx.Now()
				return tx.CreateOrg(org)
			}); err != nil {
				b.Fatal(err)
			}
		} else if err := db.read.QueryRow(`SELECT id FROM orgs LIMIT 1`).Scan(&org.ID); err != nil {
			b.Fatal(err)
		}
		for i := have; i < n; i += 2000 {
			err := db.Update(ctx, func(tx roster.Tx) error {
				for j := i; j < min(i+2000, n); j++ {
					u := &roster.User{ID: roster.NewID(roster.PrefixUser), OrganizationID: org.ID, FirstName: randomName(r), LastName: randomName(r),
						Email: fmt.Sprintf("bench-%d@example.com", j), Status: "enabled", Availability: "available", Settings: []byte(`{}`),
						Roles: []string{"member"}, Memberships: []roster.Membership{{OrganizationID: org.ID, Roles: []string{"member"}}}, Version: 1}
					at := tx.Now().Add(time.Duration(j-i) * time.Microsecond)
					u.Username, u.CreatedAt, u.UpdatedAt = u.Email, at, at
					if err := tx.CreateUser(u); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.Logf("seeded in %s", time.Since(start).Round(time.Second))
	}
	// ROSTER_BENCH_TERM_LEN letters from a name (default 3; at most 4,
	// the shortest name's length).
	termLen := 3
	if v := os.Getenv("ROSTER_BENCH_TERM_LEN"); v != "" {
		termLen, _ = strconv.Atoi(v)
	}
	terms := make([]string, 1000)
	for i := range terms {
		name := randomName(r)
		k := r.IntN(len(name) - termLen + 1)
		terms[i] = name[k : k+termLen]
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		users, _, err := db.FindUsers(ctx, roster.UserFilter{Query: terms[i%len(terms)], Limit: 50})
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
		_ = users
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
