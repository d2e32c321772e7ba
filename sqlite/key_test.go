// SPDX-License-Identifier: Apache-2.0

package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

// TestUpgradeDropsClearAnswers opens a database as the migrations before
// 0012 left it, with an answer recorded in clear for an Idempotency-Key
// and a request still running under another, and checks that reopening
// deletes the recorded answer (it may show a secret) and keeps the
// running request's reservation.
func TestUpgradeDropsClearAnswers(t *testing.T) {
	ctx := context.Background()
	db, path := openToReopen(t)
	now := time.Now().UTC()
	for _, r := range []*roster.IdempotentResponse{
		{Scope: "key_1", Key: "done", RequestHash: []byte("h"), CreatedAt: now},
		{Scope: "key_1", Key: "running", RequestHash: []byte("h"), CreatedAt: now},
		{Scope: "key_1", Key: "done", Done: true, Status: 201, Body: []byte(`{"key":"rk_secret"}`)},
	} {
		if err := db.Update(ctx, func(tx roster.Tx) error { return tx.PutIdempotent(r) }); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.conn.ExecContext(ctx, `DELETE FROM schema_migrations WHERE name = 'migrations/0012_idempotency_sealed.sql'`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db = mustOpen(t, path)
	if _, err := db.FindIdempotent(ctx, "key_1", "done"); roster.ErrorCode(err) != roster.CodeNotFound {
		t.Errorf("the answer recorded in clear: %v, want it deleted", err)
	}
	if r, err := db.FindIdempotent(ctx, "key_1", "running"); err != nil || r.Done {
		t.Errorf("the running request's reservation: %+v, %v; want it kept", r, err)
	}
}
