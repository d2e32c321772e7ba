// SPDX-License-Identifier: Apache-2.0

package sqlite

import (
	"context"
	"database/sql"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/rosterhq/roster"
)

// TestSearchNotPreparedAgain: searches over a trigram index of several
// segments (segment 1 among them) prepare none of SQLite's or FTS5's
// statements again on a store connection, and do on a connection without
// the query planner stability guarantee, which shows the index here has
// the segments that made FTS5's seek re-prepare (see setQPSG).
func TestSearchNotPreparedAgain(t *testing.T) {
	ctx := context.Background()
	db, _, c := openService(t, filepath.Join(t.TempDir(), "roster.db"))
	r := rand.New(rand.NewPCG(1, 2))
	var names []string
	for batch := 0; batch < 3; batch++ { // one index segment per batch
		if err := db.Update(ctx, func(tx roster.Tx) error {
			for i := batch * 50; i < (batch+1)*50; i++ {
				u := benchUser(r, c.User.OrganizationID, i, tx.Now())
				names = append(names, u.FirstName)
				if err := tx.CreateUser(u); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	conn, err := db.read.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if n := searchReprepares(t, conn, names); n != 0 {
		t.Errorf("40 searches prepared statements again %d times, want 0", n)
	}
	if err := conn.Raw(func(dc any) error { return setQPSG(dc, false) }); err != nil {
		t.Fatal(err)
	}
	if n := searchReprepares(t, conn, names); n == 0 {
		t.Error("without the guarantee no statement was prepared again: the index no longer has the segments this test needs")
	}
}

// searchReprepares runs 40 trigram searches on conn (after one that
// prepares what they need) and returns how many times SQLite prepared a
// statement of conn again meanwhile.
func searchReprepares(t *testing.T, conn *sql.Conn, names []string) int {
	t.Helper()
	search := func(name string) {
		rows, err := conn.QueryContext(context.Background(), `SELECT rowid FROM users_fts WHERE users_fts MATCH ?`, ftsTrigrams(name[:3]))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	search(names[0])
	before := reprepares(t, conn)
	for i := range 40 {
		search(names[(i*37)%len(names)])
	}
	return reprepares(t, conn) - before
}

// reprepares is the sum of SQLITE_STMTSTATUS_REPREPARE over the
// statements conn holds, FTS5's internal ones included.
func reprepares(t *testing.T, conn *sql.Conn) (n int) {
	t.Helper()
	if err := conn.Raw(func(dc any) error {
		db, err := connHandle(dc)
		if err != nil {
			return err
		}
		tls := libc.NewTLS()
		defer tls.Close()
		for st := sqlite3.Xsqlite3_next_stmt(tls, db, 0); st != 0; st = sqlite3.Xsqlite3_next_stmt(tls, db, st) {
			n += int(sqlite3.Xsqlite3_stmt_status(tls, st, sqlite3.SQLITE_STMTSTATUS_REPREPARE, 0))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}
