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

// testBacklog: the backlog counts pending deliveries by their webhook's
// status and queued mail, with the creation of the oldest of each, and
// nothing once they are done.
func testBacklog(t *testing.T, s roster.Store) {
	ctx := context.Background()
	b, err := s.Backlog(ctx)
	if err != nil || len(b.Deliveries) != 0 || b.Mail != (roster.Waiting{}) {
		t.Fatalf("Backlog of an empty store = %+v, %v", b, err)
	}
	org := MustCreateOrg(t, s, "", "root")
	w := newWebhook(org)
	mustCreateWebhook(t, s, w)
	before := time.Now().Add(-time.Second)
	ds := enqueueAll(t, s, w, org, "usr_a", "usr_b", "usr_c")
	off := newWebhook(org)
	off.Status, off.Cursor = roster.StatusDisabled, ds[len(ds)-1].Seq
	mustCreateWebhook(t, s, off)
	offDs := enqueueAll(t, s, off, org, "usr_d")
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
	enabled := b.Deliveries[roster.StatusEnabled]
	if err != nil || enabled.Count != 3 || b.Mail.Count != 2 || !b.Mail.Oldest.Equal(mailAt) ||
		enabled.Oldest.Before(before) || enabled.Oldest.After(time.Now()) {
		t.Fatalf("Backlog = %+v, %v; want 3 deliveries of the enabled webhook made about now, 2 mails, the oldest at %v", b, err, mailAt)
	}
	if want, _ := roster.IDTime(ds[0].ID); !enabled.Oldest.Equal(want) {
		t.Errorf("oldest pending delivery at %v, want the first one's %v", enabled.Oldest, want)
	}
	if want, _ := roster.IDTime(offDs[0].ID); len(b.Deliveries) != 2 || b.Deliveries[roster.StatusDisabled] != (roster.Waiting{Count: 1, Oldest: want}) {
		t.Errorf("deliveries by webhook status = %+v, want 1 of the disabled webhook made at %v", b.Deliveries, want)
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
	if b, err = s.Backlog(ctx); err != nil || b.Mail != (roster.Waiting{}) || b.Deliveries[roster.StatusEnabled].Count != 3 {
		t.Fatalf("Backlog after the mail went = %+v, %v", b, err)
	}
}
