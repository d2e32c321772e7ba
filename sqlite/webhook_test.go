// SPDX-License-Identifier: Apache-2.0

package sqlite

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/storetest"
)

// TestUpgradeMarksDeliveryHeads opens a database as the migrations before
// 0008 left it (no head column, new deliveries due at 0, a lease held by
// a process that died), and checks that reopening marks the oldest
// pending delivery of each resource and that the claim finds them.
func TestUpgradeMarksDeliveryHeads(t *testing.T) {
	ctx := context.Background()
	db, path := openToReopen(t)
	org := storetest.MustCreateOrg(t, db, "", "Root")
	w := &roster.Webhook{ID: roster.NewID(roster.PrefixWebhook), OrganizationID: org.ID, Name: "w", URL: "https://example.com/hook",
		Method: "POST", Status: roster.StatusEnabled, EventTypes: []string{"user.*"}, Version: 1}
	update := func(fn func(tx roster.Tx) error) {
		t.Helper()
		if err := db.Update(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	update(func(tx roster.Tx) error { return tx.CreateWebhook(w) })
	resources := []string{"usr_a", "usr_a", "usr_b", "usr_c", "usr_c"}
	update(func(tx roster.Tx) error {
		for _, r := range resources {
			e := &roster.Event{ID: roster.NewID(roster.PrefixEvent), Type: "user.updated", OccurredAt: tx.Now(),
				Resource: roster.ResourceRef{Type: "user", ID: r}, OrgID: org.ID, Patch: json.RawMessage(`[]`)}
			if err := tx.AppendEvent(e); err != nil {
				return err
			}
		}
		return nil
	})
	found, err := db.FindEvents(ctx, roster.EventFilter{After: w.Cursor, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var ds []*roster.Delivery
	for _, se := range found {
		ds = append(ds, &roster.Delivery{ID: roster.NewID(roster.PrefixDelivery), WebhookID: w.ID, EventID: se.Event.ID, EventType: se.Event.Type,
			ResourceID: se.Event.Resource.ID, Status: roster.DeliveryPending, Attempts: []roster.Attempt{}, Seq: se.Seq})
	}
	update(func(tx roster.Tx) error {
		return tx.AdvanceStream(w.ID, "old", w.Cursor, found[len(found)-1].Seq, tx.Now().Add(time.Hour), ds)
	})
	// a's first succeeds; b's is leased by a process that then dies.
	var claimed []*roster.Delivery
	update(func(tx roster.Tx) (err error) {
		claimed, err = tx.ClaimDeliveries(w.ID, "old", tx.Now().Add(time.Hour), 2)
		return err
	})
	if len(claimed) != 2 || claimed[0].ID != ds[0].ID || claimed[1].ID != ds[2].ID {
		t.Fatalf("claimed %d before the downgrade", len(claimed))
	}
	claimed[0].Status = roster.DeliverySucceeded
	update(func(tx roster.Tx) error { return tx.SaveDelivery(claimed[0], "old") })
	// Back to the schema and the data of before 0008.
	for _, q := range []string{
		`DROP INDEX deliveries_heads`,
		`ALTER TABLE deliveries DROP COLUMN head`,
		`CREATE INDEX deliveries_due ON deliveries (webhook_id, seq) WHERE state = 'pending'`,
		`UPDATE deliveries SET next_at = 0 WHERE state = 'pending'`,
		`DELETE FROM schema_migrations WHERE name = 'migrations/0008_delivery_heads.sql'`,
	} {
		if _, err := db.conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	db = mustOpen(t, path)
	var heads []string
	rows, err := db.read.QueryContext(ctx, `SELECT id FROM deliveries WHERE head ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		rows.Scan(&id)
		heads = append(heads, id)
	}
	rows.Close()
	if want := []string{ds[1].ID, ds[2].ID, ds[3].ID}; !slices.Equal(heads, want) {
		t.Errorf("heads after the upgrade: %v, want %v (a's second, b's, c's first)", heads, want)
	}
	if err := db.Update(ctx, func(tx roster.Tx) (err error) {
		claimed, err = tx.ClaimDeliveries(w.ID, "new", tx.Now().Add(time.Hour), 10)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range claimed {
		ids = append(ids, d.ID)
	}
	if !slices.Equal(ids, heads) {
		t.Errorf("claimed after the upgrade: %v, want the heads %v", ids, heads)
	}
}
