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
// connection while it runs.
func (db *DB) ExportUsers(ctx context.Context, v *roster.Visibility, orgID string, fn func(*roster.User) error) error {
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("begin the export's snapshot transaction: %w", err)
	}
	// Read only: rolling back ends it as well as committing would.
	defer tx.Rollback(context.Background())
	return roster.ExportFrom(ctx, reader{q: tx}, v, orgID, fn)
}
