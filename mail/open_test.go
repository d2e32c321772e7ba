// SPDX-License-Identifier: Apache-2.0

package mail

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/sqlite"
)

// sent is a Sender that keeps what it is given.
type sent []*roster.Mail

func (s *sent) Send(_ context.Context, m *roster.Mail) error {
	*s = append(*s, m)
	return nil
}

// TestDispatcherOpensSealedMail: a sealed mail is opened before it is
// sent; one that does not open is a failed attempt, never sent with an
// empty body, and neither is one the dispatcher has no Open for.
func TestDispatcherOpensSealedMail(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	enqueue := func(sealed string) string {
		m := &roster.Mail{ID: roster.NewID(roster.PrefixMail), Kind: "invite", To: "a@example.com", Subject: "S", Sealed: []byte(sealed),
			Status: roster.MailQueued, NextAttemptAt: time.Now().Add(-time.Second), CreatedAt: time.Now()}
		if err := store.Update(ctx, func(tx roster.Tx) error { return tx.EnqueueMail(m) }); err != nil {
			t.Fatal(err)
		}
		return m.ID
	}
	var out sent
	d := &Dispatcher{Store: store, Sender: &out, Log: slog.New(slog.DiscardHandler), MaxAge: time.Hour}
	enqueue("no open")
	if d.Once(ctx) != 1 || len(out) != 0 {
		t.Fatalf("without Open a sealed mail was sent: %+v", out)
	}
	d.Open = func(m *roster.Mail) error {
		if string(m.Sealed) != "good" {
			return errors.New("does not open")
		}
		m.Text, m.HTML, m.Sealed = "the link", "<p>the link</p>", nil
		return nil
	}
	good := enqueue("good")
	enqueue("bad")
	if n := d.Once(ctx); n != 2 {
		t.Fatalf("claimed %d, want 2", n)
	}
	if len(out) != 1 || out[0].ID != good || out[0].Text != "the link" {
		t.Fatalf("sent %+v, want only the mail that opened, opened", out)
	}
}
