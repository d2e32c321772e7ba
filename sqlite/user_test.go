// SPDX-License-Identifier: Apache-2.0

package sqlite

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/storetest"
)

// TestUserSeqsFollowCreation creates users in one batch, one of them
// with an older creation time and one in a job that rolls back, and
// checks that seq (the created_at order of lists) follows creation.
func TestUserSeqsFollowCreation(t *testing.T) {
	db := mustOpen(t, filepath.Join(t.TempDir(), "roster.db"))
	org := storetest.MustCreateOrg(t, db, "", "Root")
	create := func(tx roster.Tx, email string, at time.Time) error {
		u := storetest.NewUser(t, org, email)
		u.ID, u.CreatedAt, u.UpdatedAt = email[:strings.IndexByte(email, '@')], tx.Now(), tx.Now()
		if !at.IsZero() {
			u.CreatedAt = at
		}
		return tx.CreateUser(u)
	}
	older := time.Now().Add(-time.Hour).UTC().Truncate(time.Microsecond)
	inOneBatch(db,
		func(tx roster.Tx) error {
			return errors.Join(create(tx, "a@x.test", time.Time{}), create(tx, "old@x.test", older))
		},
		func(tx roster.Tx) error { create(tx, "gone@x.test", time.Time{}); return errors.New("rolled back") },
		func(tx roster.Tx) error {
			return errors.Join(create(tx, "b@x.test", time.Time{}), create(tx, "c@x.test", time.Time{}))
		})
	var ids []string
	rows, err := db.read.Query(`SELECT id FROM users ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		rows.Scan(&id)
		ids = append(ids, id)
	}
	if want := []string{"old", "a", "b", "c"}; !slices.Equal(ids, want) {
		t.Errorf("users in seq order: %v, want %v", ids, want)
	}
}
