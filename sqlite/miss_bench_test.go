// SPDX-License-Identifier: Apache-2.0

package sqlite

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/rosterhq/roster"
)

// BenchmarkFindUserMiss measures a read of a user the read cache does not
// hold (the query and the decoding of its row), over 20,000 users.
func BenchmarkFindUserMiss(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(b.TempDir(), "roster.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	org := &roster.Organization{ID: roster.NewID(roster.PrefixOrg), Name: "Bench", Status: "enabled", Currency: "USD", Credit: "0", Version: 1}
	r := rand.New(rand.NewPCG(1, 2))
	ids := make([]string, 20000)
	if err := db.Update(ctx, func(tx roster.Tx) error {
		org.CreatedAt, org.UpdatedAt = tx.Now(), tx.Now()
		if err := tx.CreateOrg(org); err != nil {
			return err
		}
		for i := range ids {
			u := benchUser(r, org.ID, i, tx.Now())
			ids[i] = u.ID
			if err := tx.CreateUser(u); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	rd := reader{q: db.reads} // no cache: every read is a miss
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := rd.FindUser(ctx, ids[r.IntN(len(ids))]); err != nil {
			b.Fatal(err)
		}
	}
}
