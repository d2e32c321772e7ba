// SPDX-License-Identifier: Apache-2.0

package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/storetest"
)

// applyFirst makes the database at path as a build that knew only the
// first n embedded migrations left it: each applied in its own
// transaction and recorded, as migrate does.
func applyFirst(t *testing.T, path string, n int) {
	t.Helper()
	ctx := context.Background()
	db, err := sql.Open("sqlite", fileDSN(path, "_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for _, name := range migrationNames()[:n] {
		body, err := migrations.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, string(body)); err != nil {
			t.Fatalf("migration %s: %v", name, err)
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)`, name, time.Now().Unix()); err != nil {
			t.Fatal(err)
		}
	}
}

// migrationLevel returns the level a migration makes: its place in the
// order they are applied, from 1.
func migrationLevel(t *testing.T, name string) int {
	t.Helper()
	for i, m := range migrationNames() {
		if m == name {
			return i + 1
		}
	}
	t.Fatalf("no migration %s", name)
	return 0
}

// oldUser is what an earlier build stored for a user: the columns of
// 0001_init.sql (unchanged since) and a document with only the fields
// every version had.
type oldUser struct {
	id, email, first, last string
	created                time.Time
}

// insertOld writes an organisation and users with plain SQL, as a build
// at migration level n wrote them: up to 0007 triggers kept the trigram
// index, from 0007 on the writer did (here: by hand).
func insertOld(t *testing.T, path string, n int, orgID string, users []oldUser) {
	t.Helper()
	ctx := context.Background()
	db, err := sql.Open("sqlite", fileDSN(path, "_pragma=foreign_keys(1)"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	now := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	orgDoc := fmt.Sprintf(`{"id":%q,"name":"Old Root","status":"enabled","created_at":%q,"updated_at":%q,"version":1}`, orgID, now.Format(time.RFC3339Nano), now.Format(time.RFC3339Nano))
	if _, err := db.ExecContext(ctx, `INSERT INTO orgs (id, parent_id, external_id, status, search, created_at, updated_at, version, doc) VALUES (?, NULL, NULL, 'enabled', 'old root', ?, ?, 1, ?)`,
		orgID, micros(now), micros(now), orgDoc); err != nil {
		t.Fatal(err)
	}
	triggers := n < 7 // 0007_fts_batch dropped the triggers
	indexKeys := n < migrationLevel(t, "migrations/0021_smaller_users.sql")
	for i, u := range users {
		doc, _ := json.Marshal(map[string]any{
			"id": u.id, "organization_id": orgID, "username": u.email, "email": u.email, "first_name": u.first, "last_name": u.last,
			"status": "enabled", "roles": []string{"member"}, "memberships": []map[string]any{{"organization_id": orgID, "roles": []string{"member"}}},
			"created_at": u.created, "updated_at": u.created, "version": 1,
		})
		search := strings.ToLower(u.first+"\n"+u.last+"\n"+u.first+" "+u.last+"\n"+u.email+"\n"+u.email) + "\n"
		seq := micros(u.created)<<seqShift + int64(i)
		cols := `seq, id, organization_id, username_key, email_key, external_id, status, last_name_key, search, created_at, updated_at, version, doc`
		args := []any{seq, u.id, orgID, strings.ToLower(u.email), strings.ToLower(u.email), nil, "enabled", strings.ToLower(u.last), search, micros(u.created), micros(u.created), 1, doc}
		if indexKeys {
			cols += `, index_key`
			args = append(args, indexKey(&roster.User{Memberships: []roster.Membership{{OrganizationID: orgID, Roles: []string{"member"}}}}))
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO users (`+cols+`) VALUES (?`+strings.Repeat(`, ?`, len(args)-1)+`)`, args...); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO memberships (user_id, organization_id, role) VALUES (?, ?, 'member')`, u.id, orgID); err != nil {
			t.Fatal(err)
		}
		if !triggers {
			if _, err := db.ExecContext(ctx, `INSERT INTO users_fts (rowid, search) VALUES (?, ?)`, seq, search); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestUpgradeFromEveryMigrationLevel: a database left at every earlier
// schema level (the first n migrations, for each n), holding users
// written as that level stored them, is opened by this build, which
// applies the rest; the store then serves: Ping, the users by id, the
// search, the export, and new writes (create, update) that read back,
// also after a reopen.
func TestUpgradeFromEveryMigrationLevel(t *testing.T) {
	ctx := context.Background()
	all := len(migrationNames())
	for n := 1; n <= all; n++ {
		t.Run(fmt.Sprintf("from_%02d_%s", n, strings.TrimSuffix(filepath.Base(migrationNames()[n-1]), ".sql")), func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "roster.db")
			applyFirst(t, path, n)
			orgID := roster.NewID(roster.PrefixOrg)
			base := time.Date(2024, 2, 3, 4, 5, 6, 0, time.UTC)
			var old []oldUser
			for i := range 3 {
				old = append(old, oldUser{id: roster.NewID(roster.PrefixUser), email: fmt.Sprintf("old%d@example.com", i), first: "Olga", last: fmt.Sprintf("Upgrade%d", i),
					created: base.Add(time.Duration(i) * time.Second)})
			}
			insertOld(t, path, n, orgID, old)

			db, err := Open(ctx, path)
			if err != nil {
				t.Fatalf("open a database at level %d: %v", n, err)
			}
			if err := db.Ping(ctx); err != nil {
				t.Fatalf("Ping after the upgrade: %v", err)
			}
			for _, u := range old {
				got, err := db.FindUser(ctx, u.id)
				if err != nil || got.Email != u.email || got.LastName != u.last || got.Version != 1 {
					t.Fatalf("FindUser(%s) after the upgrade: %+v, %v", u.email, got, err)
				}
			}
			found, _, err := db.FindUsers(ctx, roster.UserFilter{Query: "upgrade1", Limit: 10})
			if err != nil || len(found) != 1 || found[0].ID != old[1].id {
				t.Fatalf("search after the upgrade: %d users, %v; want %s", len(found), err, old[1].email)
			}
			var exported []string
			if err := db.ExportUsers(ctx, nil, "", func(u *roster.User) error { exported = append(exported, u.ID); return nil }); err != nil || len(exported) != 3 {
				t.Fatalf("export after the upgrade: %v, %v", exported, err)
			}
			org, err := db.FindOrg(ctx, orgID)
			if err != nil {
				t.Fatalf("FindOrg after the upgrade: %v", err)
			}
			nu := storetest.MustCreateUser(t, db, org, "new@example.com")
			next := old[0]
			cur, _ := db.FindUser(ctx, next.id)
			changed := cur.Clone()
			changed.Version++
			changed.FirstName = "Changed"
			if err := db.Update(ctx, func(tx roster.Tx) error { changed.UpdatedAt = tx.Now(); return tx.UpdateUser(changed) }); err != nil {
				t.Fatalf("update an old user after the upgrade: %v", err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			db = mustOpen(t, path)
			if got, err := db.FindUser(ctx, nu.ID); err != nil || got.Email != "new@example.com" {
				t.Errorf("new user after a reopen: %v, %v", got, err)
			}
			if got, err := db.FindUser(ctx, next.id); err != nil || got.FirstName != "Changed" || got.Version != 2 {
				t.Errorf("changed old user after a reopen: %+v, %v", got, err)
			}
			if found, _, err := db.FindUsers(ctx, roster.UserFilter{Query: "changed", Limit: 10}); err != nil || len(found) != 1 {
				t.Errorf("search for the changed user: %d, %v", len(found), err)
			}
		})
	}
}
