// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

var backlogBehaviours = []behaviour{
	{"Backlog", testBacklog},
}

// testBacklog: the backlog counts pending deliveries and queued mail with
// the creation of the oldest of each, and nothing once they are done.
func testBacklog(t *testing.T, s roster.Store) {
	ctx := context.Background()
	b, err := s.Backlog(ctx)
	if err != nil || b != (roster.Backlog{}) {
		t.Fatalf("Backlog of an empty store = %+v, %v", b, err)
	}
	org := MustCreateOrg(t, s, "", "root")
	w := newWebhook(org)
	mustCreateWebhook(t, s, w)
	before := time.Now().Add(-time.Second)
	ds := enqueueAll(t, s, w, org, "usr_a", "usr_b", "usr_c")
	u := NewUser(t, org, unique("backlog")+"@example.com")
	mustUpdate(t, s, func(tx roster.Tx) error { stamp(tx, u); return tx.CreateUser(u) })
	mailAt := at(0)
	mustUpdate(t, s, func(tx roster.Tx) error {
		for i := range 2 {
			m := &roster.Mail{ID: roster.NewID(roster.PrefixMail), Kind: "invite", UserID: u.ID, To: "to@example.com", Subject: "S", Text: "T",
				Status: roster.MailQueued, NextAttemptAt: at(i), CreatedAt: mailAt.Add(time.Duration(i) * time.Minute)}
			if err := tx.EnqueueMail(m); err != nil {
				return err
			}
		}
		return nil
	})
	b, err = s.Backlog(ctx)
	if err != nil || b.PendingDeliveries != 3 || b.QueuedMail != 2 || !b.OldestQueuedMail.Equal(mailAt) ||
		b.OldestPendingDelivery.Before(before) || b.OldestPendingDelivery.After(time.Now()) {
		t.Fatalf("Backlog = %+v, %v; want 3 deliveries made about now, 2 mails, the oldest at %v", b, err, mailAt)
	}
	if want, _ := roster.IDTime(ds[0].ID); !b.OldestPendingDelivery.Equal(want) {
		t.Errorf("oldest pending delivery at %v, want the first one's %v", b.OldestPendingDelivery, want)
	}
	// Sent and abandoned mail no longer waits.
	claimed := []*roster.Mail{}
	mustUpdate(t, s, func(tx roster.Tx) (err error) {
		claimed, err = tx.ClaimMail(at(10), time.Minute, 10)
		return err
	})
	mustUpdate(t, s, func(tx roster.Tx) error {
		for i, m := range claimed {
			if err := tx.FinishMail(m.ID, []string{roster.MailSent, roster.MailAbandoned}[i%2], time.Time{}, ""); err != nil {
				return err
			}
		}
		return nil
	})
	if b, err = s.Backlog(ctx); err != nil || b.QueuedMail != 0 || !b.OldestQueuedMail.IsZero() || b.PendingDeliveries != 3 {
		t.Fatalf("Backlog after the mail went = %+v, %v", b, err)
	}
}
