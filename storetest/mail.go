// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

// mailBehaviours cover the mail outbox and pending email changes.
var mailBehaviours = []behaviour{
	{"Mail/Outbox", testMailOutbox},
	{"Mail/EmailChanges", testEmailChanges},
}

func testMailOutbox(t *testing.T, s roster.Store) {
	org := MustCreateOrg(t, s, "", "Root")
	u := MustCreateUser(t, s, org, "outbox@example.com")
	var ids []string
	mustUpdate(t, s, func(tx roster.Tx) error {
		for i := range 3 {
			m := &roster.Mail{ID: roster.NewID(roster.PrefixMail), Kind: "invite", UserID: u.ID, To: "to@example.com", Subject: "S", Text: "T", HTML: "<p>H</p>",
				Status: roster.MailQueued, NextAttemptAt: at(i), CreatedAt: at(0)}
			if i == 1 { // a sealed body, as the service stores it
				m.Text, m.HTML, m.Sealed = "", "", []byte{0, 1, 2, 0xff}
			}
			ids = append(ids, m.ID)
			if err := tx.EnqueueMail(m); err != nil {
				return err
			}
		}
		return nil
	})
	claim := func(now time.Time, limit int) []*roster.Mail {
		t.Helper()
		var got []*roster.Mail
		mustUpdate(t, s, func(tx roster.Tx) (err error) {
			got, err = tx.ClaimMail(now, time.Minute, limit)
			return err
		})
		return got
	}
	idsOf := func(ms []*roster.Mail) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.ID)
		}
		slices.Sort(out)
		return out
	}
	// At minute 1 the first two are due; a limit of 1 takes the first.
	got := claim(at(1), 1)
	if len(got) != 1 || got[0].ID != ids[0] || got[0].Attempts != 1 || got[0].Subject != "S" || got[0].HTML != "<p>H</p>" || got[0].To != "to@example.com" {
		t.Fatalf("first claim: %+v", got)
	}
	// Claimed mails are leased: not due again within the lease.
	if got := claim(at(1), 10); !slices.Equal(idsOf(got), []string{ids[1]}) {
		t.Fatalf("second claim: %v, want only the second mail", idsOf(got))
	}
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.FinishMail(ids[0], roster.MailSent, at(1), "") })
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.FinishMail(ids[1], roster.MailQueued, at(5), "451 later") })
	// After the lease: the retried one when due, never the sent one.
	if got := claim(at(4), 10); !slices.Equal(idsOf(got), []string{ids[2]}) {
		t.Fatalf("claim at 4: %v, want the third mail", idsOf(got))
	}
	got = claim(at(10), 10)
	if !slices.Equal(idsOf(got), []string{ids[1], ids[2]}) {
		t.Fatalf("claim at 10: %v", idsOf(got))
	}
	for _, m := range got {
		// A mail that is retried keeps its sealed body.
		if m.ID == ids[1] && (m.Attempts != 2 || string(m.Sealed) != "\x00\x01\x02\xff" || m.Text != "" || m.Subject != "S") {
			t.Errorf("the retried mail: %+v, want attempt 2 with its sealed body", m)
		}
	}
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.FinishMail(ids[1], roster.MailAbandoned, at(10), "gave up") })
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.FinishMail(ids[2], roster.MailSent, at(10), "") })
	if got := claim(at(100), 10); len(got) != 0 {
		t.Fatalf("sent and abandoned mails were claimed: %v", idsOf(got))
	}
}

func testEmailChanges(t *testing.T, s roster.Store) {
	ctx := context.Background()
	org := MustCreateOrg(t, s, "", "Root")
	u := MustCreateUser(t, s, org, "change@example.com")
	_, err := s.FindEmailChange(ctx, u.ID)
	wantCode(t, "FindEmailChange with none pending", err, roster.CodeNotFound)
	want := &roster.EmailChange{UserID: u.ID, Email: "new@example.com", CodeHash: []byte{1, 2}, TokenHash: []byte{3, 4}, ExpiresAt: at(60), CreatedAt: at(0)}
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.PutEmailChange(want) })
	for i := 1; i <= 2; i++ {
		mustUpdate(t, s, func(tx roster.Tx) error {
			n, err := tx.FailEmailChange(u.ID)
			if err == nil && n != i {
				t.Errorf("FailEmailChange = %d, want %d", n, i)
			}
			return err
		})
	}
	got, err := s.FindEmailChange(ctx, u.ID)
	if err != nil || got.Email != want.Email || string(got.CodeHash) != "\x01\x02" || string(got.TokenHash) != "\x03\x04" || got.Attempts != 2 ||
		!got.ExpiresAt.Equal(at(60)) || !got.CreatedAt.Equal(at(0)) {
		t.Fatalf("FindEmailChange = %+v, %v", got, err)
	}
	want.Email = "newer@example.com" // a new request replaces the pending one
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.PutEmailChange(want) })
	if got, _ := s.FindEmailChange(ctx, u.ID); got == nil || got.Email != "newer@example.com" || got.Attempts != 0 {
		t.Fatalf("after replacing: %+v", got)
	}
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.DeleteEmailChange(u.ID) })
	_, err = s.FindEmailChange(ctx, u.ID)
	wantCode(t, "FindEmailChange after DeleteEmailChange", err, roster.CodeNotFound)
	err = update(s, func(tx roster.Tx) error {
		_, err := tx.FailEmailChange(u.ID)
		return err
	})
	wantCode(t, "FailEmailChange with none pending", err, roster.CodeNotFound)
}
