// SPDX-License-Identifier: Apache-2.0

package postgres

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/pgtest"
)

// TestUpgradeDropsSentMailBodies opens a database as the migrations
// before 0011 left it, with mails in clear in the outbox (sent,
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
	if _, err := db.pool.Exec(ctx, `DELETE FROM schema_migrations WHERE name = 'migrations/0011_mail_body_dropped.sql'`); err != nil {
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

// TestSealedMailHiddenFromEarlierVersions: a queued mail with a sealed
// body is not a row that versions before sealing claim (status
// 'queued'), also after a failed attempt, so that during a rolling
// upgrade they do not send it with an empty body; this version claims it.
func TestSealedMailHiddenFromEarlierVersions(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t, pgtest.URL(t), Config{})
	now := time.Now().UTC().Truncate(time.Microsecond)
	m := &roster.Mail{ID: roster.NewID(roster.PrefixMail), Kind: "invite", To: "a@example.com", Subject: "S", Sealed: []byte{1, 2, 3},
		Status: roster.MailQueued, NextAttemptAt: now, CreatedAt: now}
	oldClaim := func(when string) {
		t.Helper()
		var n int
		if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM mail_outbox WHERE status = 'queued'`).Scan(&n); err != nil || n != 0 {
			t.Errorf("%s: an earlier version would claim %d sealed mails (%v)", when, n, err)
		}
	}
	claim := func(at time.Time) []*roster.Mail {
		var got []*roster.Mail
		if err := db.Update(ctx, func(tx roster.Tx) (err error) { got, err = tx.ClaimMail(at, time.Minute, 10); return err }); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if err := db.Update(ctx, func(tx roster.Tx) error { return tx.EnqueueMail(m) }); err != nil {
		t.Fatal(err)
	}
	oldClaim("queued")
	if got := claim(now); len(got) != 1 || got[0].Status != roster.MailQueued || string(got[0].Sealed) != "\x01\x02\x03" {
		t.Fatalf("claim: %+v", got)
	}
	if err := db.Update(ctx, func(tx roster.Tx) error { return tx.FinishMail(m.ID, roster.MailQueued, now.Add(time.Second), "451") }); err != nil {
		t.Fatal(err)
	}
	oldClaim("after a failed attempt")
	if got := claim(now.Add(2 * time.Minute)); len(got) != 1 || string(got[0].Sealed) != "\x01\x02\x03" {
		t.Fatalf("claim after a failed attempt: %+v", got)
	}
}
