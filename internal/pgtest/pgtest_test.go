// SPDX-License-Identifier: Apache-2.0

package pgtest_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/rosterhq/roster/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// mustQuery connects to url and returns the text of one value.
func mustQuery(tb testing.TB, url, sql string) (string, error) {
	tb.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	var s string
	err = conn.QueryRow(ctx, sql).Scan(&s)
	return s, err
}

// TestURL checks that each call gives a new, empty database.
func TestURL(t *testing.T) {
	a, b := pgtest.URL(t), pgtest.URL(t)
	if a == b {
		t.Fatalf("two calls gave the same database: %s", a)
	}
	for _, u := range []string{a, b} {
		name, err := mustQuery(t, u, `SELECT current_database()`)
		if err != nil {
			t.Fatal(err)
		}
		n, err := mustQuery(t, u, `SELECT count(*)::text FROM pg_tables WHERE schemaname = 'public'`)
		if err != nil || n != "0" {
			t.Errorf("database %s: %s tables (%v), want an empty database", name, n, err)
		}
	}
}

// TestClusterStopStart checks that a dedicated cluster stops and starts
// again with its data.
func TestClusterStopStart(t *testing.T) {
	c := pgtest.NewCluster(t)
	u := c.URL(t)
	conn, err := pgx.Connect(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(context.Background(), `CREATE TABLE kept (v text); INSERT INTO kept VALUES ('here')`)
	conn.Close(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := mustQuery(t, u, `SELECT 'up'`); err == nil {
		t.Fatal("the server answers after Stop")
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	if v, err := mustQuery(t, u, `SELECT v FROM kept`); err != nil || v != "here" {
		t.Errorf("after a restart: got %q, %v; want the row written before", v, err)
	}
}
