// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

var webhookBehaviours = []behaviour{
	{"Webhooks/RoundTrip", testWebhooksRoundTrip},
	{"Webhooks/CursorStartsAtNewestEvent", testWebhooksCursor},
	{"Webhooks/Enqueue", testWebhooksEnqueue},
	{"Webhooks/ClaimInResourceOrder", testWebhooksClaimOrder},
	{"Webhooks/ClaimAfterRetry", testWebhooksClaimAfterRetry},
	{"Webhooks/ClaimDueRetriesWithNew", testWebhooksClaimDueRetries},
	{"Webhooks/LeaseAndSave", testWebhooksLease},
	{"Webhooks/LeaseExpires", testWebhooksLeaseExpires},
	{"Webhooks/BareEvents", testWebhooksBareEvents},
	{"Webhooks/StreamHeldByOneOwner", testWebhooksStreamHold},
	{"Webhooks/StreamRecordsOnce", testWebhooksStreamRecordsOnce},
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
	all, _, err := s.FindWebhooks(ctx, nil, roster.Page{})
	must(t, "FindWebhooks", err)
	if len(all) != 2 || all[0].ID != w.ID || all[1].ID != v.ID {
		t.Errorf("FindWebhooks(nil): %d webhooks", len(all))
	}
	sub, _, err := s.FindWebhooks(ctx, &roster.Visibility{Self: "-", Subtrees: []string{child.ID}, Orgs: []string{}}, roster.Page{})
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
	mustUpdate(t, s, func(tx roster.Tx) error {
		return tx.AdvanceStream(w.ID, "fan-out", w.Cursor, to, tx.Now().Add(time.Hour), ds)
	})
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
	// A second enqueue from the old cursor is refused.
	wantCode(t, "AdvanceStream from a stale cursor", update(s, func(tx roster.Tx) error {
		return tx.AdvanceStream(w.ID, "fan-out", from, w.Cursor, tx.Now().Add(time.Hour), nil)
	}), roster.CodeConflict)
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

// claimer returns a function that leases up to n of w's deliveries to
// owner for an hour.
func claimer(t *testing.T, s roster.Store, w *roster.Webhook) func(owner string, n int) []*roster.Delivery {
	return func(owner string, n int) []*roster.Delivery {
		t.Helper()
		var got []*roster.Delivery
		mustUpdate(t, s, func(tx roster.Tx) (err error) {
			got, err = tx.ClaimDeliveries(w.ID, owner, tx.Now().Add(time.Hour), n)
			return err
		})
		return got
	}
}

// wantClaimed fails t unless got holds exactly the deliveries want, in
// commit order.
func wantClaimed(t *testing.T, what string, got []*roster.Delivery, want ...*roster.Delivery) {
	t.Helper()
	var g, w []string
	for _, d := range got {
		g = append(g, d.ID)
	}
	for _, d := range want {
		w = append(w, d.ID)
	}
	if !slices.Equal(g, w) {
		t.Fatalf("%s: claimed %v, want %v", what, g, w)
	}
}

func testWebhooksClaimOrder(t *testing.T, s roster.Store) {
	org := MustCreateOrg(t, s, "", "root")
	w := newWebhook(org)
	mustCreateWebhook(t, s, w)
	ds := enqueueAll(t, s, w, org, "usr_a", "usr_a", "usr_b", "usr_a", "usr_c")
	claim := claimer(t, s, w)
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
	// A later batch queues behind the resource's pending deliveries, and
	// a new resource's first delivery is its head at once.
	more := enqueueAll(t, s, w, org, "usr_b", "usr_d")
	wantClaimed(t, "after a second enqueue", claim("n1", 10), more[1])
	// b's first fails for good, a's second gets a retry at once: b's
	// second and a's second go.
	b := got[1]
	b.Log(roster.Attempt{At: at(2), StatusCode: 410})
	b.Status, b.UpdatedAt = roster.DeliveryFailed, at(2)
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.SaveDelivery(b, "n1") })
	a := next[0]
	a.Log(roster.Attempt{At: at(2), StatusCode: 500})
	a.NextAttempt, a.UpdatedAt = &a.UpdatedAt, at(2)
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.SaveDelivery(a, "n2") })
	wantClaimed(t, "after b's first failed and a's second is due again", claim("n1", 10), ds[1], more[0])
}

// testWebhooksClaimAfterRetry: a failed delivery retried by hand is again
// the oldest pending one of its resource, so the later ones wait for it.
func testWebhooksClaimAfterRetry(t *testing.T, s roster.Store) {
	org := MustCreateOrg(t, s, "", "root")
	w := newWebhook(org)
	mustCreateWebhook(t, s, w)
	ds := enqueueAll(t, s, w, org, "usr_a", "usr_a", "usr_a")
	claim := claimer(t, s, w)
	got := claim("n1", 10)
	wantClaimed(t, "first claim", got, ds[0])
	first := got[0]
	first.Log(roster.Attempt{At: at(1), StatusCode: 410})
	first.Status, first.UpdatedAt = roster.DeliveryFailed, at(1)
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.SaveDelivery(first, "n1") })
	got = claim("n1", 10)
	wantClaimed(t, "after the first failed", got, ds[1])
	// The second fails once and waits for its next attempt, due now.
	second := got[0]
	second.Log(roster.Attempt{At: at(2), StatusCode: 500})
	second.NextAttempt, second.UpdatedAt = &second.UpdatedAt, at(2)
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.SaveDelivery(second, "n1") })
	// The first is retried: it goes before the second, again.
	first.Status, first.NextAttempt, first.UpdatedAt, first.RetryingSince = roster.DeliveryPending, nil, at(3), at(3)
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.SaveDelivery(first, "") })
	got = claim("n2", 10)
	wantClaimed(t, "after the first was retried", got, ds[0])
	got[0].Status, got[0].UpdatedAt = roster.DeliverySucceeded, at(4)
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.SaveDelivery(got[0], "n2") })
	wantClaimed(t, "after the retried first succeeded", claim("n2", 10), ds[1])
}

// testWebhooksClaimDueRetries: deliveries go in the order they came due,
// so a retry due before new deliveries were made is not left behind them.
func testWebhooksClaimDueRetries(t *testing.T, s roster.Store) {
	org := MustCreateOrg(t, s, "", "root")
	w := newWebhook(org)
	mustCreateWebhook(t, s, w)
	ds := enqueueAll(t, s, w, org, "usr_a")
	claim := claimer(t, s, w)
	got := claim("n1", 10)
	wantClaimed(t, "first claim", got, ds[0])
	d := got[0]
	d.Log(roster.Attempt{At: at(1), StatusCode: 500})
	d.NextAttempt, d.UpdatedAt = &d.UpdatedAt, at(1) // due at(0)
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.SaveDelivery(d, "n1") })
	// New deliveries made at(1), after the retry came due.
	var evs []*roster.Event
	for _, r := range []string{"usr_b", "usr_c", "usr_d"} {
		evs = append(evs, newEvent("user.updated", "user", r, org.ID, ""))
	}
	appendEvents(t, s, evs...)
	found := findEvents(t, s, roster.EventFilter{After: w.Cursor})
	var fresh []*roster.Delivery
	for _, se := range found {
		n := delivery(w, se)
		n.CreatedAt, n.UpdatedAt, n.RetryingSince = at(1), at(1), at(1)
		fresh = append(fresh, n)
	}
	mustUpdate(t, s, func(tx roster.Tx) error {
		return tx.AdvanceStream(w.ID, "fan-out", w.Cursor, found[len(found)-1].Seq, tx.Now().Add(time.Hour), fresh)
	})
	wantClaimed(t, "one of a due retry and new deliveries", claim("n1", 1), ds[0])
	wantClaimed(t, "the rest", claim("n1", 10), fresh...)
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
	// Finished deliveries last changed before a time are purged (their
	// ids were made before that, as a delivery's id is made before its
	// attempts).
	d.Status, d.NextAttempt, d.UpdatedAt = roster.DeliveryFailed, nil, time.Now().UTC().Truncate(time.Microsecond)
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.SaveDelivery(d, "") })
	for _, c := range []struct {
		before time.Time
		want   int64
	}{{d.UpdatedAt, 0}, {d.UpdatedAt.Add(time.Microsecond), 1}} {
		var n int64
		mustUpdate(t, s, func(tx roster.Tx) (err error) { n, err = tx.PurgeDeliveries(c.before); return err })
		if n != c.want {
			t.Errorf("PurgeDeliveries(last change + %s) removed %d, want %d", c.before.Sub(d.UpdatedAt), n, c.want)
		}
	}
}

// testWebhooksLeaseExpires: a lease keeps a delivery from other senders
// until it ends, then passes on.
func testWebhooksLeaseExpires(t *testing.T, s roster.Store) {
	org := MustCreateOrg(t, s, "", "root")
	w := newWebhook(org)
	mustCreateWebhook(t, s, w)
	ds := enqueueAll(t, s, w, org, "usr_a", "usr_a")
	lease := func(owner string, d time.Duration) []*roster.Delivery {
		var got []*roster.Delivery
		mustUpdate(t, s, func(tx roster.Tx) (err error) {
			got, err = tx.ClaimDeliveries(w.ID, owner, tx.Now().Add(d), 10)
			return err
		})
		return got
	}
	const d = 300 * time.Millisecond
	start := time.Now()
	wantClaimed(t, "n1's claim", lease("n1", d), ds[0])
	if again := lease("n2", time.Hour); time.Since(start) < d && len(again) != 0 {
		t.Fatalf("a delivery claimed again while its lease runs: %d", len(again))
	}
	time.Sleep(time.Until(start.Add(d + 50*time.Millisecond)))
	got := lease("n2", time.Hour)
	wantClaimed(t, "after n1's lease ended", got, ds[0])
	got[0].Status, got[0].UpdatedAt = roster.DeliverySucceeded, at(1)
	wantCode(t, "SaveDelivery by the owner of an ended lease", update(s, func(tx roster.Tx) error { return tx.SaveDelivery(got[0], "n1") }), roster.CodeConflict)
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.SaveDelivery(got[0], "n2") })
	wantClaimed(t, "after n2's success", lease("n1", time.Hour), ds[1])
}

// testWebhooksBareEvents: a bare read fills the columns and nothing else.
func testWebhooksBareEvents(t *testing.T, s roster.Store) {
	org := MustCreateOrg(t, s, "", "root")
	e := newEvent("user.updated", "user", "usr_x", org.ID, "usr_actor")
	e.Data, e.Previous, e.RequestID, e.ClientIP = json.RawMessage(`{"a":1}`), json.RawMessage(`{"a":0}`), "req", "192.0.2.1"
	appendEvents(t, s, newEvent("user.created", "user", "usr_x", org.ID, ""), e)
	full := findEvents(t, s, roster.EventFilter{})
	bare := findEvents(t, s, roster.EventFilter{After: full[0].Seq, Bare: true})
	if len(bare) != 1 || bare[0].Seq != full[1].Seq {
		t.Fatalf("bare read: %d events", len(bare))
	}
	want := &roster.Event{ID: e.ID, Type: e.Type, Resource: e.Resource, OrgID: e.OrgID}
	if !reflect.DeepEqual(bare[0].Event, want) {
		t.Errorf("bare event: %+v, want %+v", bare[0].Event, want)
	}
	if got := findEvents(t, s, roster.EventFilter{Bare: true, Types: []string{"user.created"}, Limit: 1}); len(got) != 1 || got[0].Event.Type != "user.created" {
		t.Errorf("bare read with a filter: %d events", len(got))
	}
}

// testWebhooksStreamHold: one owner at a time holds a webhook's stream,
// until its hold ends or it lets it go.
func testWebhooksStreamHold(t *testing.T, s roster.Store) {
	org := MustCreateOrg(t, s, "", "root")
	w := newWebhook(org)
	mustCreateWebhook(t, s, w)
	advance := func(owner string, until time.Duration) error {
		return update(s, func(tx roster.Tx) error {
			return tx.AdvanceStream(w.ID, owner, w.Cursor, w.Cursor, tx.Now().Add(until), nil)
		})
	}
	must(t, "n1 takes the stream", advance("n1", time.Hour))
	must(t, "n1 holds on", advance("n1", time.Hour))
	wantCode(t, "n2 while n1 holds the stream", advance("n2", time.Hour), roster.CodeConflict)
	must(t, "n1 lets it go", advance("n1", -time.Second))
	must(t, "n2 takes the stream", advance("n2", -time.Second)) // a hold that is already over
	must(t, "n1 takes it after n2's hold ended", advance("n1", time.Hour))
	wantCode(t, "a webhook that does not exist", update(s, func(tx roster.Tx) error {
		return tx.AdvanceStream(roster.NewID(roster.PrefixWebhook), "n1", 0, 0, tx.Now().Add(time.Hour), nil)
	}), roster.CodeConflict)
}

// testWebhooksStreamRecordsOnce: the stream records deliveries in any
// state, once per event, with pending ones queued behind the resource's
// pending ones; PendingResources says which resources wait.
func testWebhooksStreamRecordsOnce(t *testing.T, s roster.Store) {
	ctx := context.Background()
	org := MustCreateOrg(t, s, "", "root")
	w := newWebhook(org)
	mustCreateWebhook(t, s, w)
	appendEvents(t, s, newEvent("user.updated", "user", "usr_a", org.ID, ""), newEvent("user.updated", "user", "usr_b", org.ID, ""),
		newEvent("user.updated", "user", "usr_b", org.ID, ""))
	found := findEvents(t, s, roster.EventFilter{After: w.Cursor})
	sent, retry, behind := delivery(w, found[0]), delivery(w, found[1]), delivery(w, found[2])
	sent.Log(roster.Attempt{At: at(1), StatusCode: 204})
	sent.Status = roster.DeliverySucceeded
	retry.Log(roster.Attempt{At: at(1), StatusCode: 503})
	next := at(0) // due already
	retry.NextAttempt = &next
	to := found[2].Seq
	mustUpdate(t, s, func(tx roster.Tx) error {
		return tx.AdvanceStream(w.ID, "n1", w.Cursor, found[1].Seq, tx.Now().Add(time.Hour), []*roster.Delivery{sent, retry})
	})
	pending, err := s.PendingResources(ctx, w.ID, []string{"usr_a", "usr_b", "usr_c"})
	must(t, "PendingResources", err)
	if !reflect.DeepEqual(pending, map[string]bool{"usr_b": true}) {
		t.Errorf("PendingResources: %v, want usr_b only", pending)
	}
	// After a crash the stream sends the first two again: they stay as
	// recorded first.
	again := delivery(w, found[0])
	again.Status = roster.DeliveryFailed
	mustUpdate(t, s, func(tx roster.Tx) error {
		return tx.AdvanceStream(w.ID, "n1", found[1].Seq, to, tx.Now().Add(time.Hour), []*roster.Delivery{again, delivery(w, found[1]), behind})
	})
	got, err := s.FindDeliveries(ctx, roster.DeliveryFilter{WebhookID: w.ID, Limit: 10})
	must(t, "FindDeliveries", err)
	if len(got) != 3 || got[2].ID != sent.ID || got[2].Status != roster.DeliverySucceeded || got[1].ID != retry.ID || got[0].ID != behind.ID {
		t.Fatalf("FindDeliveries: want the first records of the three events, got %d", len(got))
	}
	if _, err := s.FindDelivery(ctx, again.ID); roster.ErrorCode(err) != roster.CodeNotFound {
		t.Errorf("a second delivery of an event was recorded: %v", err)
	}
	// Only the retry is a head; the later event of its resource waits.
	var claimed []*roster.Delivery
	mustUpdate(t, s, func(tx roster.Tx) (err error) {
		claimed, err = tx.ClaimDeliveries(w.ID, "n1", tx.Now().Add(time.Hour), 10)
		return err
	})
	wantClaimed(t, "the stream's pending deliveries", claimed, retry)
	claimed[0].Log(roster.Attempt{At: at(2), StatusCode: 200})
	claimed[0].Status, claimed[0].NextAttempt, claimed[0].UpdatedAt = roster.DeliverySucceeded, nil, at(2)
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.SaveDelivery(claimed[0], "n1") })
	mustUpdate(t, s, func(tx roster.Tx) (err error) {
		claimed, err = tx.ClaimDeliveries(w.ID, "n1", tx.Now().Add(time.Hour), 10)
		return err
	})
	wantClaimed(t, "after the retry succeeded", claimed, behind)
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
