// SPDX-License-Identifier: Apache-2.0

package postgres

import (
	"context"
	"fmt"
	"testing"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/pgtest"
	"github.com/rosterhq/roster/service"
	"github.com/rosterhq/roster/storetest"
)

// TestStorageFootprint reports what PostgreSQL keeps for
// ROSTER_STORAGE_USERS users created through the service by 32
// goroutines, then for as many one-field merge patches: the database's
// size and the events table's (with its indexes and TOAST), per user and
// per patch. It is skipped without the variable.
//
//	ROSTER_STORAGE_USERS=20000 go test ./postgres -run TestStorageFootprint -count=1 -v
func TestStorageFootprint(t *testing.T) {
	n := storetest.StorageUsers(t)
	ctx := context.Background()
	db := mustOpen(t, pgtest.URL(t), Config{})
	s := service.New(db, nil)
	key := "storage-key-0123456789abcdef0123456789abcdef"
	if _, err := s.Bootstrap(ctx, key, "owner@example.com"); err != nil {
		t.Fatal(err)
	}
	c, err := s.Authenticate(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, n)
	storetest.Parallel(t, n, func(i int) error {
		first, last, email := fmt.Sprintf("first%d", i), fmt.Sprintf("last%d", i), fmt.Sprintf("load-%d@example.com", i)
		u, err := s.CreateUser(ctx, c, &roster.UserInput{FirstName: &first, LastName: &last, Email: &email})
		if u != nil {
			ids[i] = u.ID
		}
		return err
	})
	dbSize, events := sizes(t, db)
	t.Logf("after seeding: database %.1f MiB, events %.1f MiB = %.0f bytes/user", mb(dbSize), mb(events), float64(events)/float64(n))
	storetest.Parallel(t, n, func(i int) error {
		_, err := s.PatchUser(ctx, c, ids[i], roster.MergePatch, []byte(fmt.Sprintf(`{"first_name":"renamed%d"}`, i)), nil)
		return err
	})
	dbAfter, eventsAfter := sizes(t, db)
	t.Logf("after patching: database %.1f MiB (+%.0f bytes/patch), events %.1f MiB (+%.0f bytes/patch)",
		mb(dbAfter), float64(dbAfter-dbSize)/float64(n), mb(eventsAfter), float64(eventsAfter-events)/float64(n))
}

func mb(n int64) float64 { return float64(n) / (1 << 20) }

// sizes returns the database's size and the events table's, after a
// VACUUM so that both count live rows only.
func sizes(t *testing.T, db *DB) (database, events int64) {
	t.Helper()
	ctx := context.Background()
	if _, err := db.pool.Exec(ctx, `VACUUM`); err != nil {
		t.Fatal(err)
	}
	if err := db.pool.QueryRow(ctx, `SELECT pg_database_size(current_database()), pg_total_relation_size('events')`).Scan(&database, &events); err != nil {
		t.Fatal(err)
	}
	return database, events
}
