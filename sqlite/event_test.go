// SPDX-License-Identifier: Apache-2.0

package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/storetest"
)

// TestOldEventsRead checks that an event written in the plain form
// before the compact one reads back as it was written.
func TestOldEventsRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roster.db")
	db := mustOpen(t, path)
	raw, err := sql.Open("sqlite", fileDSN(path, ""))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`INSERT INTO events (id, type, resource_type, resource_id, org_id, actor_id, occurred_at, doc) VALUES (?, 'user.created', 'user', ?, ?, ?, ?, ?)`,
		"evt_01M95GR86119C6JB8S0Y67NTS1", "usr_01M95GR86119C6JB8S0Y67NTS0", "org_01M95GR85X9YS75AWC3A0B14JY", "usr_01M95GR85X9YS75AWC3A0B14K0",
		int64(1796555415745252), storetest.PlainEvent); err != nil {
		t.Fatal(err)
	}
	storetest.CheckPlainEvent(t, db)
}

// TestQueuedEventsFollowSavepoints runs four jobs in one writer batch:
// each appends an event; the second fails, and the fourth reads the
// events (which inserts the queued ones inside its savepoint) before it
// fails. The batch must commit exactly the first and third events, in
// that order, and the tail must agree with the table.
func TestQueuedEventsFollowSavepoints(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t, filepath.Join(t.TempDir(), "roster.db"))
	org := storetest.MustCreateOrg(t, db, "", "Root")
	event := func(tx roster.Tx, name string) error {
		return tx.AppendEvent(&roster.Event{ID: roster.NewID(roster.PrefixEvent), Type: "user.updated", OccurredAt: tx.Now(),
			Resource: roster.ResourceRef{Type: "user", ID: name}, OrgID: org.ID, Patch: json.RawMessage(`[]`)})
	}
	failed := errors.New("rolled back")
	jobs := []func(roster.Tx) error{
		func(tx roster.Tx) error { return event(tx, "usr_1") },
		func(tx roster.Tx) error { event(tx, "usr_2"); return failed },
		func(tx roster.Tx) error { return event(tx, "usr_3") },
		func(tx roster.Tx) error {
			event(tx, "usr_4")
			if evs, err := tx.FindEvents(ctx, roster.EventFilter{Limit: 10, Bare: true}); err != nil || len(evs) != 3 || evs[2].Event.Resource.ID != "usr_4" {
				t.Errorf("inside the fourth job: %d events (%v), want 3", len(evs), err)
			}
			return failed
		},
	}
	inOneBatch(db, jobs...)
	all, err := db.reader().FindEvents(ctx, roster.EventFilter{Limit: 10, Bare: true})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range all {
		got = append(got, e.Event.Resource.ID)
	}
	if !slices.Equal(got, []string{"usr_1", "usr_3"}) {
		t.Fatalf("committed events of %v, want those of usr_1 and usr_3", got)
	}
	if tail, ok := db.tail.after(0, 10); !ok || !reflect.DeepEqual(tail, all) {
		t.Errorf("the tail holds %+v, the table %+v", tail, all)
	}
}

// TestWebhookCursorFollowsQueuedEvents: a webhook created in a batch
// after another job's change starts after that change's event, which is
// still queued when the webhook's row is written.
func TestWebhookCursorFollowsQueuedEvents(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t, filepath.Join(t.TempDir(), "roster.db"))
	org := storetest.MustCreateOrg(t, db, "", "Root")
	w := &roster.Webhook{ID: roster.NewID(roster.PrefixWebhook), OrganizationID: org.ID, Name: "w", URL: "https://example.com/hook", Version: 1}
	inOneBatch(db,
		func(tx roster.Tx) error {
			return tx.AppendEvent(&roster.Event{ID: roster.NewID(roster.PrefixEvent), Type: "user.updated", OccurredAt: tx.Now(),
				Resource: roster.ResourceRef{Type: "user", ID: "usr_1"}, OrgID: org.ID, Patch: json.RawMessage(`[]`)})
		},
		func(tx roster.Tx) error { return tx.CreateWebhook(w) })
	all, err := db.reader().FindEvents(ctx, roster.EventFilter{Limit: 10, Bare: true})
	if err != nil || len(all) == 0 {
		t.Fatalf("events %v, %v", all, err)
	}
	if last := all[len(all)-1].Seq; w.Cursor < last {
		t.Errorf("the webhook's cursor is %d, before the earlier job's event %d", w.Cursor, last)
	}
}

// inOneBatch runs the jobs in one writer batch, in order: a first job
// holds the writer until they are all queued behind it.
func inOneBatch(db *DB, jobs ...func(roster.Tx) error) {
	ctx := context.Background()
	release, running := make(chan struct{}), make(chan struct{})
	go db.Update(ctx, func(roster.Tx) error { close(running); <-release; return nil })
	<-running
	var wg sync.WaitGroup
	for i, fn := range jobs {
		wg.Go(func() { db.Update(ctx, fn) })
		for len(db.jobs) <= i {
			time.Sleep(time.Millisecond)
		}
	}
	close(release)
	wg.Wait()
}
