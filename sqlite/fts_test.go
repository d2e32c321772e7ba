// SPDX-License-Identifier: Apache-2.0

package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/storetest"
)

// TestTrigramIndexFollowsBatches checks that the trigram index, which the
// writer keeps once per batch, matches the users table after concurrent
// creations, renames, deletions, jobs that fail after writing, and
// searches inside transactions, and that every search finds what a scan
// of the table finds.
func TestTrigramIndexFollowsBatches(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t, filepath.Join(t.TempDir(), "roster.db"))
	org := storetest.MustCreateOrg(t, db, "", "Root")
	errFail := errors.New("fail on purpose")
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 40 {
				u := storetest.NewUser(t, org, fmt.Sprintf("w%d-%d@example.com", w, i), func(u *roster.User) {
					u.FirstName, u.LastName = fmt.Sprintf("Alpha%d", i), fmt.Sprintf("Worker%d", w)
				})
				err := db.Update(ctx, func(tx roster.Tx) error {
					u.CreatedAt, u.UpdatedAt = tx.Now(), tx.Now()
					if err := tx.CreateUser(u); err != nil {
						return err
					}
					if i%5 == 0 { // a search sees this transaction's own writes
						found, _, err := tx.FindUsers(ctx, roster.UserFilter{Query: fmt.Sprintf("worker%d", w), Limit: 100})
						if err != nil {
							return err
						}
						if len(found) == 0 || found[len(found)-1].ID != u.ID {
							return fmt.Errorf("search in the transaction missed the user it created")
						}
					}
					if i%7 == 3 {
						return errFail
					}
					return nil
				})
				if i%7 == 3 {
					if !errors.Is(err, errFail) {
						t.Errorf("failing job: %v", err)
					}
					continue
				} else if err != nil {
					t.Error(err)
					return
				}
				if i%3 == 1 { // rename
					err = db.Update(ctx, func(tx roster.Tx) error {
						cur, err := tx.FindUser(ctx, u.ID)
						if err != nil {
							return err
						}
						cur.FirstName, cur.Version, cur.UpdatedAt = fmt.Sprintf("Beta%d", i), cur.Version+1, tx.Now()
						return tx.UpdateUser(cur)
					})
				}
				if err == nil && i%4 == 2 { // delete
					err = db.Update(ctx, func(tx roster.Tx) error { return tx.DeleteUser(u.ID) })
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if _, err := db.conn.ExecContext(ctx, `INSERT INTO users_fts (users_fts, rank) VALUES ('integrity-check', 1)`); err != nil {
		t.Fatalf("trigram index does not match the users table: %v", err)
	}
	for _, q := range []string{"alpha", "beta", "worker3", "lpha1", "eta2", "w5-1"} {
		found, _, err := db.FindUsers(ctx, roster.UserFilter{Query: q, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		var want int
		if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE search LIKE ?`, "%"+q+"%").Scan(&want); err != nil {
			t.Fatal(err)
		}
		if len(found) != want || want == 0 {
			t.Errorf("q=%q: found %d users, the table holds %d", q, len(found), want)
		}
	}
}

// TestUpgradeDropsTrigramTriggers opens a database as the migrations
// before 0007 left it (the trigram index kept by triggers, no 0005 or
// 0006), and checks that reopening applies 0007 and keeps the index right.
func TestUpgradeDropsTrigramTriggers(t *testing.T) {
	ctx := context.Background()
	db, path := openToReopen(t)
	body, err := migrations.ReadFile("migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	// Put back the triggers of 0001 and forget 0007, as on a database
	// that an older Roster created.
	var triggers []string
	for _, stmt := range strings.SplitAfter(string(body), "END;") {
		if i := strings.Index(stmt, "CREATE TRIGGER"); i >= 0 {
			triggers = append(triggers, stmt[i:])
		}
	}
	if len(triggers) != 3 {
		t.Fatalf("found %d triggers in 0001_init.sql, want 3", len(triggers))
	}
	for _, q := range append(triggers, `DELETE FROM schema_migrations WHERE name = 'migrations/0007_fts_batch.sql'`) {
		if _, err := db.conn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	org := storetest.MustCreateOrg(t, db, "", "Root")
	old := storetest.MustCreateUser(t, db, org, "before@example.com", func(u *roster.User) { u.FirstName = "Zebulon" })
	// The triggers and the writer both index: drop the writer's copy.
	if _, err := db.conn.ExecContext(ctx, `INSERT INTO users_fts (users_fts) VALUES ('rebuild')`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db = mustOpen(t, path)
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("triggers after the upgrade: %d (%v), want 0", n, err)
	}
	storetest.MustCreateUser(t, db, org, "after@example.com", func(u *roster.User) { u.FirstName = "Zebadiah" })
	if err := db.Update(ctx, func(tx roster.Tx) error { return tx.DeleteUser(old.ID) }); err != nil {
		t.Fatal(err)
	}
	if _, err := db.conn.ExecContext(ctx, `INSERT INTO users_fts (users_fts, rank) VALUES ('integrity-check', 1)`); err != nil {
		t.Fatalf("trigram index after the upgrade: %v", err)
	}
	found, _, err := db.FindUsers(ctx, roster.UserFilter{Query: "zeb", Limit: 10})
	if err != nil || len(found) != 1 || found[0].FirstName != "Zebadiah" {
		t.Fatalf("search after the upgrade: %v, %v", found, err)
	}
}

// TestTrigramIndexTidiedWhenIdle checks that the writer merges the trigram
// index's segments once no job has come for a while, that the index still
// matches the table afterwards, and that writes keep working meanwhile.
func TestTrigramIndexTidiedWhenIdle(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t, filepath.Join(t.TempDir(), "roster.db"))
	org := storetest.MustCreateOrg(t, db, "", "Root")
	create := func(i int) { createTidyUser(t, db, org, i) }
	segments := func() int { return ftsSegments(t, db) }
	for i := range 200 { // one batch, and one segment, each
		create(i)
	}
	if n := segments(); n < 8 {
		t.Fatalf("%d segments after 200 batches: the test does not exercise merging", n)
	}
	deadline := time.Now().Add(20 * time.Second)
	for segments() > 3 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	create(200) // a write after (or during) tidying
	for segments() > 3 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := segments(); n > 3 {
		t.Fatalf("%d segments after the writer was idle: want at most one per level", n)
	}
	if _, err := db.conn.ExecContext(ctx, `INSERT INTO users_fts (users_fts, rank) VALUES ('integrity-check', 1)`); err != nil {
		t.Fatalf("trigram index does not match the users table after merging: %v", err)
	}
	for q, want := range map[string]int{"segment": 201, "tidy1": 111, "idy200": 1} {
		found, _, err := db.FindUsers(ctx, roster.UserFilter{Query: q, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(found) != want {
			t.Errorf("q=%q: found %d users, want %d", q, len(found), want)
		}
	}
}

// createTidyUser creates user i of the tidying tests in a batch, and so
// a segment of the trigram index, of its own.
func createTidyUser(t *testing.T, db *DB, org *roster.Organization, i int) {
	t.Helper()
	u := storetest.NewUser(t, org, fmt.Sprintf("t%d@example.com", i), func(u *roster.User) {
		u.FirstName, u.LastName = fmt.Sprintf("Tidy%d", i), "Segment"
	})
	if err := db.Update(context.Background(), func(tx roster.Tx) error {
		u.CreatedAt, u.UpdatedAt = tx.Now(), tx.Now()
		return tx.CreateUser(u)
	}); err != nil {
		t.Fatal(err)
	}
}

// ftsSegments counts the trigram index's segments.
func ftsSegments(t *testing.T, db *DB) int {
	t.Helper()
	var n int
	if err := db.read.QueryRowContext(context.Background(), `SELECT count(DISTINCT segid) FROM users_fts_idx`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestTrigramIndexTidiedAtOpen checks that Open finishes the merging an
// earlier process left (a store seeded a moment before it stopped), so
// that the first searches do not seek in every segment.
func TestTrigramIndexTidiedAtOpen(t *testing.T) {
	db, path := openToReopen(t)
	org := storetest.MustCreateOrg(t, db, "", "Root")
	for i := range 40 { // back to back: the writer is never idle for long enough to merge
		createTidyUser(t, db, org, i)
	}
	if n := ftsSegments(t, db); n < 8 {
		t.Fatalf("%d segments after 40 batches: the test does not exercise merging", n)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = mustOpen(t, path)
	if n := ftsSegments(t, db); n > 3 {
		t.Fatalf("%d segments when Open returned: want at most one per level", n)
	}
	found, _, err := db.FindUsers(context.Background(), roster.UserFilter{Query: "segment", Limit: 100})
	if err != nil || len(found) != 40 {
		t.Fatalf("search after Open merged: %d users, %v", len(found), err)
	}
}
