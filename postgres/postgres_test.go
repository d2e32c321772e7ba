// SPDX-License-Identifier: Apache-2.0

package postgres_test

import (
	"context"
	"testing"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/pgtest"
	"github.com/rosterhq/roster/postgres"
	"github.com/rosterhq/roster/storetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestStore runs the conformance suite, each behaviour on a new database.
func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) roster.Store {
		db, err := postgres.Open(context.Background(), pgtest.URL(t), postgres.Config{})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}

// TestUserQueriesInCLocale runs the QueryUsers behaviours on a database
// whose locale is C, where PostgreSQL's own lower() folds ASCII only:
// case-insensitive filters must still fold "Élodie" as Go does.
func TestUserQueriesInCLocale(t *testing.T) {
	storetest.RunUserQueries(t, func(t *testing.T) roster.Store {
		db, err := postgres.Open(context.Background(), pgtest.URLWith(t, "TEMPLATE template0 LOCALE 'C'"), postgres.Config{})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}
