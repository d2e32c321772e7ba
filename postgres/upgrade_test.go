// SPDX-License-Identifier: Apache-2.0

package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/pgtest"
	"github.com/rosterhq/roster/storetest"
)

// TestUpgradeFromEveryMigrationLevel: a database left at every earlier
// schema level (the first n migrations, for each n), holding users
// written with plain SQL as that level stored them (the users columns of
// 0001_init.sql, unchanged since, and a document with the fields every
// version had), is opened by this build, which applies the rest; the
// store then serves: Ping, the users by id, search, export, and new
// writes that read back, also after a reopen.
func TestUpgradeFromEveryMigrationLevel(t *testing.T) {
	ctx := context.Background()
	names := migrationNames()
	for n := 1; n <= len(names); n++ {
		t.Run(fmt.Sprintf("from_%02d_%s", n, strings.TrimSuffix(filepath.Base(names[n-1]), ".sql")), func(t *testing.T) {
			url := pgtest.URL(t)
			conn, err := pgx.Connect(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			exec := func(q string, args ...any) {
				t.Helper()
				if _, err := conn.Exec(ctx, q, args...); err != nil {
					t.Fatalf("%.60s: %v", q, err)
				}
			}
			exec(`CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`)
			for _, name := range names[:n] {
				body, err := migrations.ReadFile(name)
				if err != nil {
					t.Fatal(err)
				}
				exec(string(body))
				exec(`INSERT INTO schema_migrations (name) VALUES ($1)`, name)
			}
			orgID := roster.NewID(roster.PrefixOrg)
			now := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
			exec(`INSERT INTO orgs (id, parent_id, external_id, status, search, created_at, updated_at, version, doc) VALUES ($1, NULL, NULL, 'enabled', 'old root', $2, $2, 1, $3)`,
				orgID, now, fmt.Sprintf(`{"id":%q,"name":"Old Root","status":"enabled","created_at":%q,"updated_at":%q,"version":1}`, orgID, now.Format(time.RFC3339Nano), now.Format(time.RFC3339Nano)))
			var ids []string
			for i := range 3 {
				id, email, last := roster.NewID(roster.PrefixUser), fmt.Sprintf("old%d@example.com", i), fmt.Sprintf("Upgrade%d", i)
				created := now.Add(time.Duration(i) * time.Second)
				doc, _ := json.Marshal(map[string]any{
					"id": id, "organization_id": orgID, "username": email, "email": email, "first_name": "Olga", "last_name": last,
					"status": "enabled", "roles": []string{"member"}, "memberships": []map[string]any{{"organization_id": orgID, "roles": []string{"member"}}},
					"created_at": created, "updated_at": created, "version": 1,
				})
				search := strings.ToLower("olga\n" + last + "\nolga " + last + "\n" + email + "\n" + email + "\n")
				exec(`INSERT INTO users (id, organization_id, username_key, email_key, external_id, status, last_name_key, search, index_key, created_at, updated_at, version, doc)
					VALUES ($1, $2, $3, $3, NULL, 'enabled', $4, $5, $6, $7, $7, 1, $8)`,
					id, orgID, email, strings.ToLower(last), search, indexKey(&roster.User{Memberships: []roster.Membership{{OrganizationID: orgID, Roles: []string{"member"}}}}), created, string(doc))
				exec(`INSERT INTO memberships (user_id, organization_id, role) VALUES ($1, $2, 'member')`, id, orgID)
				ids = append(ids, id)
			}
			conn.Close(ctx)

			db, err := Open(ctx, url, Config{})
			if err != nil {
				t.Fatalf("open a database at level %d: %v", n, err)
			}
			if err := db.Ping(ctx); err != nil {
				t.Fatalf("Ping after the upgrade: %v", err)
			}
			for i, id := range ids {
				got, err := db.FindUser(ctx, id)
				if err != nil || got.Email != fmt.Sprintf("old%d@example.com", i) || got.Version != 1 {
					t.Fatalf("FindUser after the upgrade: %+v, %v", got, err)
				}
			}
			found, _, err := db.FindUsers(ctx, roster.UserFilter{Query: "upgrade1", Limit: 10})
			if err != nil || len(found) != 1 || found[0].ID != ids[1] {
				t.Fatalf("search after the upgrade: %d users, %v", len(found), err)
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
			cur, _ := db.FindUser(ctx, ids[0])
			changed := cur.Clone()
			changed.Version++
			changed.FirstName = "Changed"
			if err := db.Update(ctx, func(tx roster.Tx) error {
				if _, err := tx.FindUser(ctx, changed.ID); err != nil {
					return err
				}
				changed.UpdatedAt = tx.Now()
				return tx.UpdateUser(changed)
			}); err != nil {
				t.Fatalf("update an old user after the upgrade: %v", err)
			}
			db.Close()
			db = mustOpen(t, url, Config{})
			if got, err := db.FindUser(ctx, nu.ID); err != nil || got.Email != "new@example.com" {
				t.Errorf("new user after a reopen: %v, %v", got, err)
			}
			if got, err := db.FindUser(ctx, ids[0]); err != nil || got.FirstName != "Changed" || got.Version != 2 {
				t.Errorf("changed old user after a reopen: %+v, %v", got, err)
			}
		})
	}
}
