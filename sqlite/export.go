// SPDX-License-Identifier: Apache-2.0

package sqlite

import (
	"context"
	"database/sql/driver"
	"fmt"

	"github.com/rosterhq/roster"
)

// ExportUsers reads every matching user inside one read transaction on a
// connection of the read pool: in WAL mode a transaction's reads all see
// the database as it was at its first read, whatever the writer commits
// meanwhile, and the writer is never blocked by it. The users come in
// keyset pages (roster.ExportFrom), so memory stays flat. While it runs,
// checkpoints cannot go past its snapshot; the WAL may grow until it ends.
// At most a quarter of the read pool (at least one) exports at once; more
// exports wait their turn, so that they never take the connections that
// point reads and lists need.
func (db *DB) ExportUsers(ctx context.Context, v *roster.Visibility, orgID string, fn func(*roster.User) error) (err error) {
	select {
	case db.exportSlots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-db.exportSlots }()
	conn, err := db.read.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// A plain BEGIN is DEFERRED: it takes no write lock (the pool's
	// _txlock=immediate applies only to database/sql's BeginTx).
	if _, err := conn.ExecContext(ctx, `BEGIN`); err != nil {
		return fmt.Errorf("begin the export's read transaction: %w", err)
	}
	defer func() {
		// ctx may have ended: the rollback must still run, or the
		// connection would go back to the pool inside a transaction.
		if _, rerr := conn.ExecContext(context.Background(), `ROLLBACK`); rerr != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn }) // drop the connection
			if err == nil {
				err = rerr
			}
		}
	}()
	r := reader{q: conn, cache: db.cache} // no fill: the cache is the writer's
	return roster.ExportFrom(ctx, r, v, orgID, fn)
}
