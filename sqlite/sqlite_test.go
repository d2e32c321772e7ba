// SPDX-License-Identifier: Apache-2.0

package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/storetest"
)

// mustOpen opens the database at path and closes it when t ends.
func mustOpen(t *testing.T, path string) *DB {
	t.Helper()
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// openToReopen opens a new database that the test closes itself, to open
// it again (with mustOpen) at the path returned.
func openToReopen(t *testing.T) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "roster.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return db, path
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) roster.Store {
		return mustOpen(t, filepath.Join(t.TempDir(), "roster.db"))
	})
}

// TestReopen checks that a database keeps its data across a restart and
// that the migrations already applied are not applied again.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	db, path := openToReopen(t)
	org := storetest.MustCreateOrg(t, db, "", "Root")
	u := storetest.MustCreateUser(t, db, org, "u@example.com")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = mustOpen(t, path)
	if err := db.Ping(ctx); err != nil {
		t.Fatalf("Ping after reopening: %v", err)
	}
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(migrationNames()) {
		t.Errorf("migrations recorded after reopening: got %d (%v), want %d", n, err, len(migrationNames()))
	}
	if got, err := db.FindUser(ctx, u.ID); err != nil || got.Email != u.Email {
		t.Errorf("FindUser after reopening: got %v, %v; want %s", got, err, u.Email)
	}
	if empty, err := db.Empty(ctx); err != nil || empty {
		t.Errorf("Empty after reopening: got %v, %v; want false", empty, err)
	}
}

// TestOpenPathWithURICharacters opens a database in a folder whose name
// holds characters that mean something in a file: URI.
func TestOpenPathWithURICharacters(t *testing.T) {
	for _, dir := range []string{"data #1", "100%41", "what?"} {
		path := filepath.Join(t.TempDir(), dir, "roster.db")
		db := mustOpen(t, path)
		storetest.MustCreateOrg(t, db, "", "Root")
		if _, err := os.Stat(path); err != nil {
			t.Errorf("Open(%q) did not write that file: %v", path, err)
		}
	}
}
