// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

var webhookBehaviours = []behaviour{
	{"Webhooks/RoundTrip", testWebhooksRoundTrip},
	{"Webhooks/CursorStartsAtNewestEvent", testWebhooksCursor},
	{"Webhooks/Enqueue", testWebhooksEnqueue},
	{"Webhooks/ClaimInResourceOrder", testWebhooksClaimOrder},
	{"Webhooks/LeaseAndSave", testWebhooksLease},
	{"Webhooks/DeleteCascades", testWebhooksDelete},
}

func newWebhook(org *roster.Organization) *roster.Webhook {
	return &roster.Webhook{ID: roster.NewID(roster.PrefixWebhook), OrganizationID: org.ID, Name: "w", URL: "https://example.com/hook",
		Method: "POST", Status: roster.StatusEnabled, EventTypes: []string{"user.*"}, Headers: map[string]string{"X-A": "1"},
		Auth: &roster.WebhookAuth{Type: roster.AuthBasic, Username: "u"}, Sealed: []byte{1, 2, 3}, CreatedAt: at(0), UpdatedAt: at(0), Version: 1}
}

func mustCreateWebhook(tb testing.TB, s roster.Store, w *roster.Webhook) {
	tb.Helper()
	mustUpdate(tb, s, func(tx roster.Tx) error { return tx.CreateWebhook(w) })
}

func testWebhooksRoundTrip(t *testing.T, s roster.Store) {
	ctx := context.Background()
	org := MustCreateOrg(t, s, "", "root")
	child := MustCreateOrg(t, s, org.ID, "child")
	w, v := newWebhook(org), newWebhook(child)
	mustCreateWebhook(t, s, w)
	mustCreateWebhook(t, s, v)
	got, err := s.FindWebhook(ctx, w.ID)
	must(t, "FindWebhook", err)
	if d := jsonDiff(got, w); d != "" || string(got.Sealed) != string(w.Sealed) {
		t.Errorf("FindWebhook: %s", d)
	}
	next := got.Clone()
	next.Name, next.Version, next.UpdatedAt = "renamed", 2, at(1)
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.UpdateWebhook(next) })
	stale := got.Clone()
	stale.Version = 2
	wantCode(t, "UpdateWebhook of an old version", update(s, func(tx roster.Tx) error { return tx.UpdateWebhook(stale) }), roster.CodePreconditionFailed)
	since := at(5)
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.SetWebhookFailing(w.ID, &since) })
	got, _ = s.FindWebhook(ctx, w.ID)
	if got.Name != "renamed" || got.FailingSince == nil || !got.FailingSince.Equal(since) {
		t.Errorf("after update and SetWebhookFailing: %+v", got)
	}
	all, err := s.FindWebhooks(ctx, nil)
	must(t, "FindWebhooks", err)
	if len(all) != 2 || all[0].ID != w.ID || all[1].ID != v.ID {
		t.Errorf("FindWebhooks(nil): %d webhooks", len(all))
	}
	sub, err := s.FindWebhooks(ctx, &roster.Visibility{Self: "-", Subtrees: []string{child.ID}, Orgs: []string{}})
	must(t, "FindWebhooks(subtree)", err)
	if len(sub) != 1 || sub[0].ID != v.ID {
		t.Errorf("FindWebhooks(child subtree): %d webhooks", len(sub))
	}
	_, err = s.FindWebhook(ctx, roster.NewID(roster.PrefixWebhook))
	wantCode(t, "FindWebhook of a missing id", err, roster.CodeNotFound)
}

func testWebhooksCursor(t *testing.T, s roster.Store) {
	org := MustCreateOrg(t, s, "", "root")
	appendEvents(t, s, newEvent("user.created", "user", "usr_x", org.ID, ""), newEvent("user.updated", "user", "usr_x", org.ID, ""))
	w := newWebhook(org)
	mustCreateWebhook(t, s, w)
	evs := findEvents(t, s, roster.EventFilter{})
	if w.Cursor != evs[len(evs)-1].Seq {
		t.Errorf("a new webhook's cursor is %d, want the newest event's seq %d", w.Cursor, evs[len(evs)-1].Seq)
	}
	got, _ := s.FindWebhook(context.Background(), w.ID)
	if got.Cursor != w.Cursor {
		t.Errorf("stored cursor %d, want %d", got.Cursor, w.Cursor)
	}
}

func delivery(w *roster.Webhook, se roster.StoredEvent) *roster.Delivery {
	return &roster.Delivery{ID: roster.NewID(roster.PrefixDelivery), WebhookID: w.ID, EventID: se.Event.ID, EventType: se.Event.Type,
		ResourceID: se.Event.Resource.ID, Status: roster.DeliveryPending, Attempts: []roster.Attempt{}, RetryingSince: at(0),
		CreatedAt: at(0), UpdatedAt: at(0), Seq: se.Seq}
}

// enqueueAll appends events for resources and enqueues a delivery of each.
func enqueueAll(t *testing.T, s roster.Store, w *roster.Webhook, org *roster.Organization, resources ...string) []*roster.Delivery {
	t.Helper()
	var evs []*roster.Event
	for _, r := range resources {
		evs = append(evs, newEvent("user.updated", "user", r, org.ID, ""))
	}
	appendEvents(t, s, evs...)
	found := findEvents(t, s, roster.EventFilter{After: w.Cursor})
	var ds []*roster.Delivery
	for _, se := range found {
		ds = append(ds, delivery(w, se))
	}
	to := found[len(found)-1].Seq
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.EnqueueDeliveries(w.ID, w.Cursor, to, ds) })
	w.Cursor = to
	return ds
}

func testWebhooksEnqueue(t *testing.T, s roster.Store) {
	ctx := context.Background()
	org := MustCreateOrg(t, s, "", "root")
	w := newWebhook(org)
	mustCreateWebhook(t, s, w)
	from := w.Cursor
	ds := enqueueAll(t, s, w, org, "usr_a", "usr_b")
	// A second enqueue from the old cursor (another node) is refused.
	wantCode(t, "EnqueueDeliveries from a stale cursor", update(s, func(tx roster.Tx) error { return tx.EnqueueDeliveries(w.ID, from, w.Cursor, nil) }), roster.CodeConflict)
	got, err := s.FindDeliveries(ctx, roster.DeliveryFilter{WebhookID: w.ID, Limit: 10})
	must(t, "FindDeliveries", err)
	if len(got) != 2 || got[0].ID != ds[1].ID || got[1].ID != ds[0].ID {
		t.Fatalf("FindDeliveries: want the two deliveries newest first, got %d", len(got))
	}
	page, _ := s.FindDeliveries(ctx, roster.DeliveryFilter{WebhookID: w.ID, Limit: 10, Before: ds[1].ID})
	if len(page) != 1 || page[0].ID != ds[0].ID {
		t.Errorf("FindDeliveries before the newest: %d", len(page))
	}
	one, err := s.FindDelivery(ctx, ds[0].ID)
	must(t, "FindDelivery", err)
	if d := jsonDiff(one, ds[0]); d != "" || one.Seq != ds[0].Seq {
		t.Errorf("FindDelivery: %s", d)
	}
}

func testWebhooksClaimOrder(t *testing.T, s roster.Store) {
	org := MustCreateOrg(t, s, "", "root")
	w := newWebhook(org)
	mustCreateWebhook(t, s, w)
	ds := enqueueAll(t, s, w, org, "usr_a", "usr_a", "usr_b", "usr_a", "usr_c")
	claim := func(owner string, n int) []*roster.Delivery {
		var got []*roster.Delivery
		mustUpdate(t, s, func(tx roster.Tx) (err error) {
			got, err = tx.ClaimDeliveries(w.ID, owner, tx.Now().Add(time.Hour), n)
			return err
		})
		return got
	}
	got := claim("n1", 10)
	// The oldest of each resource: a's first, b's and c's.
	if len(got) != 3 || got[0].ID != ds[0].ID || got[1].ID != ds[2].ID || got[2].ID != ds[4].ID {
		t.Fatalf("ClaimDeliveries: got %d, want the oldest delivery of each resource, in order", len(got))
	}
	if got[0].Event == nil || got[0].Event.ID != ds[0].EventID {
		t.Errorf("a claimed delivery comes with its event")
	}
	if again := claim("n2", 10); len(again) != 0 {
		t.Errorf("leased deliveries claimed again by another node: %d", len(again))
	}
	// a's first succeeds: a's second is next.
	d := got[0]
	d.Status, d.UpdatedAt = roster.DeliverySucceeded, at(1)
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.SaveDelivery(d, "n1") })
	next := claim("n2", 10)
	if len(next) != 1 || next[0].ID != ds[1].ID {
		t.Fatalf("after a's first succeeded: claimed %d, want a's second", len(next))
	}
}

func testWebhooksLease(t *testing.T, s roster.Store) {
	ctx := context.Background()
	org := MustCreateOrg(t, s, "", "root")
	w := newWebhook(org)
	mustCreateWebhook(t, s, w)
	enqueueAll(t, s, w, org, "usr_a")
	var got []*roster.Delivery
	mustUpdate(t, s, func(tx roster.Tx) (err error) {
		got, err = tx.ClaimDeliveries(w.ID, "n1", tx.Now().Add(-time.Second), 5) // a lease already over
		return err
	})
	if len(got) != 1 {
		t.Fatalf("claimed %d", len(got))
	}
	var again []*roster.Delivery
	mustUpdate(t, s, func(tx roster.Tx) (err error) {
		again, err = tx.ClaimDeliveries(w.ID, "n2", tx.Now().Add(time.Hour), 5)
		return err
	})
	if len(again) != 1 {
		t.Fatalf("an expired lease is not claimed again: %d", len(again))
	}
	// n1's result comes too late: the lease is n2's.
	d := got[0]
	d.Status = roster.DeliverySucceeded
	wantCode(t, "SaveDelivery by a former lease owner", update(s, func(tx roster.Tx) error { return tx.SaveDelivery(d, "n1") }), roster.CodeConflict)
	// A failed attempt schedules the next one.
	d = again[0]
	next := time.Now().Add(time.Hour).UTC().Truncate(time.Microsecond)
	d.Log(roster.Attempt{At: at(2), StatusCode: 500, Response: "down"})
	d.NextAttempt, d.UpdatedAt = &next, at(2)
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.SaveDelivery(d, "n2") })
	var none []*roster.Delivery
	mustUpdate(t, s, func(tx roster.Tx) (err error) {
		none, err = tx.ClaimDeliveries(w.ID, "n3", tx.Now().Add(time.Hour), 5)
		return err
	})
	if len(none) != 0 {
		t.Errorf("a delivery not yet due was claimed")
	}
	stored, _ := s.FindDelivery(ctx, d.ID)
	if stored.AttemptCount != 1 || stored.Attempts[0].StatusCode != 500 || stored.NextAttempt == nil || !stored.NextAttempt.Equal(next) {
		t.Errorf("stored delivery: %+v", stored)
	}
	// Finished deliveries older than a time are purged.
	d.Status, d.NextAttempt, d.UpdatedAt = roster.DeliveryFailed, nil, at(3)
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.SaveDelivery(d, "") })
	var n int64
	mustUpdate(t, s, func(tx roster.Tx) (err error) { n, err = tx.PurgeDeliveries(at(4)); return err })
	if n != 1 {
		t.Errorf("PurgeDeliveries removed %d, want 1", n)
	}
}

func testWebhooksDelete(t *testing.T, s roster.Store) {
	ctx := context.Background()
	org := MustCreateOrg(t, s, "", "root")
	w := newWebhook(org)
	mustCreateWebhook(t, s, w)
	ds := enqueueAll(t, s, w, org, "usr_a")
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.DeleteWebhook(w.ID) })
	_, err := s.FindDelivery(ctx, ds[0].ID)
	wantCode(t, "FindDelivery after its webhook was deleted", err, roster.CodeNotFound)
	wantCode(t, "DeleteWebhook twice", update(s, func(tx roster.Tx) error { return tx.DeleteWebhook(w.ID) }), roster.CodeNotFound)
}
