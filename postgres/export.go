// SPDX-License-Identifier: Apache-2.0

package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/rosterhq/roster"
)

// ExportUsers reads every matching user inside one REPEATABLE READ, READ
// ONLY transaction: all its statements see the snapshot taken at its
// first, whatever commits meanwhile. The users come in keyset pages
// (roster.ExportFrom), so memory stays flat. It holds one pool
// connection while it runs; at most a quarter of the pool's connections
// export at once, more exports wait their turn. A client that reads
// nothing for idle_in_transaction_session_timeout (60 s by default) ends
// its export: the server cuts the answer.
func (db *DB) ExportUsers(ctx context.Context, v *roster.Visibility, orgID string, fn func(*roster.User) error) error {
	select {
	case db.exports <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-db.exports }()
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("begin the export's snapshot transaction: %w", err)
	}
	// Read only: rolling back ends it as well as committing would.
	defer tx.Rollback(context.Background())
	return roster.ExportFrom(ctx, reader{q: tx}, v, orgID, fn)
}
