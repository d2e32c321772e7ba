// SPDX-License-Identifier: Apache-2.0

package sqlite

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/rosterhq/roster/storetest"
)

// TestOldEventsRead checks that an event written in the plain form
// before the compact one reads back as it was written.
func TestOldEventsRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roster.db")
	db := mustOpen(t, path)
	raw, err := sql.Open("sqlite", fileDSN(path, ""))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`INSERT INTO events (id, type, resource_type, resource_id, org_id, actor_id, occurred_at, doc) VALUES (?, 'user.created', 'user', ?, ?, ?, ?, ?)`,
		"evt_01M95GR86119C6JB8S0Y67NTS1", "usr_01M95GR86119C6JB8S0Y67NTS0", "org_01M95GR85X9YS75AWC3A0B14JY", "usr_01M95GR85X9YS75AWC3A0B14K0",
		int64(1796555415745252), storetest.PlainEvent); err != nil {
		t.Fatal(err)
	}
	storetest.CheckPlainEvent(t, db)
}
