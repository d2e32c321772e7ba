// SPDX-License-Identifier: Apache-2.0

package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/rosterhq/roster"
)

// TestViewUser: ViewUser hands out the read cache's user without a copy,
// FindUser a copy of it whose changes the cache never sees, and a write
// replaces the cached user rather than changing the one handed out.
func TestViewUser(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	org := &roster.Organization{ID: roster.NewID(roster.PrefixOrg), Name: "View", Status: "enabled", Currency: "USD", Credit: "0", Version: 1}
	u := &roster.User{ID: roster.NewID(roster.PrefixUser), OrganizationID: org.ID, FirstName: "Ada", Email: "ada@example.com", Username: "ada",
		Status: "enabled", Availability: "available", Settings: []byte(`{}`), Tags: []roster.Tag{},
		Roles: []string{"member"}, Memberships: []roster.Membership{{OrganizationID: org.ID, Roles: []string{"member"}}}, Version: 1}
	write := func(f func(tx roster.Tx) error) {
		t.Helper()
		if err := db.Update(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	write(func(tx roster.Tx) error {
		org.CreatedAt, org.UpdatedAt = tx.Now(), tx.Now()
		u.CreatedAt, u.UpdatedAt = tx.Now(), tx.Now()
		if err := tx.CreateOrg(org); err != nil {
			return err
		}
		return tx.CreateUser(u)
	})
	seen, err := db.ViewUser(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := db.ViewUser(ctx, u.ID); again != seen {
		t.Fatal("ViewUser copied the cached user")
	}
	found, err := db.FindUser(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if found == seen {
		t.Fatal("FindUser handed out the cached user itself")
	}
	found.Memberships[0].Roles[0] = "changed"
	found.FirstName = "Grace"
	found.Version = 2
	write(func(tx roster.Tx) error { return tx.UpdateUser(found) })
	if seen.FirstName != "Ada" || seen.Memberships[0].Roles[0] != "member" || seen.Version != 1 {
		t.Fatalf("the user handed out before the write changed: %+v", seen)
	}
	now, err := db.ViewUser(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if now.FirstName != "Grace" || now.Version != 2 {
		t.Fatalf("ViewUser after the write: %s, version %d", now.FirstName, now.Version)
	}
	if _, err := db.ViewUser(ctx, roster.NewID(roster.PrefixUser)); roster.ErrorCode(err) != roster.CodeNotFound {
		t.Fatalf("an unknown user: %v", err)
	}
}
