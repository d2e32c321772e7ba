// SPDX-License-Identifier: Apache-2.0

package postgres

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/pgtest"
)

// TestUpgradeDropsSentMailBodies opens a database as the migrations
// before 0010 left it, with mails in clear in the outbox (sent,
// abandoned and queued), and checks that opening it again drops the
// bodies of the sent and abandoned ones, whose links and codes nothing
// reads again, and keeps the queued one's, which is still to be sent.
func TestUpgradeDropsSentMailBodies(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	db := mustOpen(t, url, Config{})
	doc := `{"ID":"%s","Kind":"invite","To":"a@example.com","Subject":"S","Text":"link token=riv_clear","HTML":"<a href=\"?token=riv_clear\">","Status":"%s"}`
	for _, status := range []string{"sent", "abandoned", "queued"} {
		if _, err := db.pool.Exec(ctx, `INSERT INTO mail_outbox (id, status, next_attempt_at, attempts, last_error, created_at, doc) VALUES ($1, $2, now(), 1, '', now(), $3)`,
			"mail_"+status, status, fmt.Sprintf(doc, "mail_"+status, status)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.pool.Exec(ctx, `DELETE FROM schema_migrations WHERE name = 'migrations/0010_mail_body_dropped.sql'`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db = mustOpen(t, url, Config{})
	for status, clear := range map[string]bool{"sent": false, "abandoned": false, "queued": true} {
		var got string
		if err := db.pool.QueryRow(ctx, `SELECT doc::text FROM mail_outbox WHERE id = $1`, "mail_"+status).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(got, "riv_clear") != clear || !strings.Contains(got, `"Subject"`) {
			t.Errorf("%s mail after the upgrade: %s (body kept: want %v)", status, got, clear)
		}
	}
}
