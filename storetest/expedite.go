// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

var expediteBehaviours = []behaviour{
	{"Webhooks/ExpediteDelivery", testWebhooksExpedite},
}

// testWebhooksExpedite: a pending delivery waiting out its back-off can
// be brought forward (it is then claimed at once), but not while a lease
// on it runs, nor once it is finished; an unknown one is not found.
func testWebhooksExpedite(t *testing.T, s roster.Store) {
	ctx := context.Background()
	org := MustCreateOrg(t, s, "", "root")
	w := newWebhook(org)
	mustCreateWebhook(t, s, w)
	enqueueAll(t, s, w, org, "usr_a")
	claim := claimer(t, s, w)
	got := claim("n1", 5)
	if len(got) != 1 {
		t.Fatalf("claimed %d", len(got))
	}
	d := got[0]

	// While n1's attempt is in flight (its lease runs), no expedite.
	early := copyDelivery(d)
	early.NextAttempt, early.UpdatedAt = nil, time.Now().UTC().Truncate(time.Microsecond)
	wantCode(t, "ExpediteDelivery of a leased delivery", update(s, func(tx roster.Tx) error { return tx.ExpediteDelivery(early) }), roster.CodeConflict)

	// The attempt fails: the next one is an hour away.
	next := time.Now().Add(time.Hour).UTC().Truncate(time.Microsecond)
	d.Log(roster.Attempt{At: at(2), StatusCode: 500, Response: "down"})
	d.NextAttempt, d.UpdatedAt = &next, at(2)
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.SaveDelivery(d, "n1") })
	if none := claim("n2", 5); len(none) != 0 {
		t.Fatalf("a delivery not yet due was claimed")
	}

	// Brought forward: due now, claimed at once, its log kept.
	now := time.Now().UTC().Truncate(time.Microsecond)
	fwd := copyDelivery(d)
	fwd.NextAttempt, fwd.UpdatedAt = nil, now
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.ExpediteDelivery(fwd) })
	stored, err := s.FindDelivery(ctx, d.ID)
	must(t, "FindDelivery", err)
	if stored.Status != roster.DeliveryPending || stored.NextAttempt != nil || !stored.UpdatedAt.Equal(now) || stored.AttemptCount != 1 {
		t.Errorf("after ExpediteDelivery: %+v", stored)
	}
	wantClaimed(t, "after ExpediteDelivery", claim("n2", 5), d)

	// Finished: no longer pending, so no expedite (a retry stores it).
	done := copyDelivery(d)
	done.Status, done.NextAttempt, done.UpdatedAt = roster.DeliverySucceeded, nil, time.Now().UTC().Truncate(time.Microsecond)
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.SaveDelivery(done, "n2") })
	wantCode(t, "ExpediteDelivery of a finished delivery", update(s, func(tx roster.Tx) error { return tx.ExpediteDelivery(fwd) }), roster.CodeConflict)

	gone := copyDelivery(fwd)
	gone.ID = roster.NewID(roster.PrefixDelivery)
	wantCode(t, "ExpediteDelivery of an unknown delivery", update(s, func(tx roster.Tx) error { return tx.ExpediteDelivery(gone) }), roster.CodeNotFound)
}

// copyDelivery returns a shallow copy of d with its own attempt log.
func copyDelivery(d *roster.Delivery) *roster.Delivery {
	c := *d
	c.Attempts = append([]roster.Attempt(nil), d.Attempts...)
	return &c
}
