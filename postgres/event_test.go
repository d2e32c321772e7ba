// SPDX-License-Identifier: Apache-2.0

package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/pgtest"
	"github.com/rosterhq/roster/storetest"
)

// TestOldEventsRead checks that an event written as JSON in doc, before
// the compact body, reads back as it was written.
func TestOldEventsRead(t *testing.T) {
	db := mustOpen(t, pgtest.URL(t), Config{})
	if _, err := db.pool.Exec(context.Background(), `INSERT INTO events (pos, id, type, resource_type, resource_id, org_id, actor_id, occurred_at, doc)
		VALUES (1, $1, 'user.created', 'user', $2, $3, $4, $5, $6)`,
		"evt_01M95GR86119C6JB8S0Y67NTS1", "usr_01M95GR86119C6JB8S0Y67NTS0", "org_01M95GR85X9YS75AWC3A0B14JY", "usr_01M95GR85X9YS75AWC3A0B14K0",
		time.Date(2026, 12, 6, 11, 10, 15, 745252000, time.UTC), storetest.PlainEvent); err != nil {
		t.Fatal(err)
	}
	storetest.CheckPlainEvent(t, db)
}
