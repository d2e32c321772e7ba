// SPDX-License-Identifier: Apache-2.0

package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"sync"
	"testing"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/storetest"
)

// TestEventTailMatchesTable writes events from concurrent requests, some
// of which roll back, and checks that every bare read of the events after
// a position the tail answers is what the table holds, from a store
// reopened on events written before too.
func TestEventTailMatchesTable(t *testing.T) {
	ctx := context.Background()
	db, path := openToReopen(t)
	org := storetest.MustCreateOrg(t, db, "", "Root")
	write := func(db *DB, n int) {
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				err := db.Update(ctx, func(tx roster.Tx) error {
					e := &roster.Event{ID: roster.NewID(roster.PrefixEvent), Type: "user.updated", OccurredAt: tx.Now(),
						Resource: roster.ResourceRef{Type: "user", ID: "usr_x"}, OrgID: org.ID, Patch: json.RawMessage(`[]`)}
					if err := tx.AppendEvent(e); err != nil {
						return err
					}
					if i%3 == 0 {
						return errors.New("rolled back")
					}
					return nil
				})
				if err != nil && err.Error() != "rolled back" {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
	check := func(db *DB, wantTail bool) {
		t.Helper()
		all, err := db.reader().FindEvents(ctx, roster.EventFilter{Limit: 1000, Bare: true})
		if err != nil {
			t.Fatal(err)
		}
		for i := -1; i < len(all); i++ {
			after := int64(0)
			if i >= 0 {
				after = all[i].Seq
			}
			for _, limit := range []int{1, 7, 1000} {
				want, err := db.reader().FindEvents(ctx, roster.EventFilter{After: after, Limit: limit, Bare: true})
				if err != nil {
					t.Fatal(err)
				}
				got, ok := db.tail.after(after, limit)
				if !ok {
					if wantTail && i >= 0 {
						t.Fatalf("the tail does not answer for the events after %d", after)
					}
					continue
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("after %d, limit %d: the tail has %d events, the table %d", after, limit, len(got), len(want))
				}
			}
		}
	}
	write(db, 60)
	check(db, true)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = mustOpen(t, path)
	check(db, false) // only the events after the newest at opening
	write(db, 30)
	check(db, false)
	if got, _ := db.FindEvents(ctx, roster.EventFilter{Limit: 1000, Bare: true}); len(got) != 60-20+30-10 {
		t.Errorf("FindEvents through the tail: %d events, want 60", len(got))
	}
}

// TestEventTailDropsOldest: past tailSize events, the tail keeps the
// newest half and answers only for positions from its oldest.
func TestEventTailDropsOldest(t *testing.T) {
	var tail eventTail
	for seq := int64(1); seq <= tailSize+1; seq++ {
		tail.add([]roster.StoredEvent{{Seq: seq * 2, Event: &roster.Event{ID: "e"}}})
	}
	if _, ok := tail.after(2, 1); ok {
		t.Errorf("the tail answers for an event it dropped")
	}
	first := int64(tailSize+1-tailSize/2) * 2 // the newest event dropped
	if got, ok := tail.after(first, 2); !ok || len(got) != 2 || got[0].Seq != first+2 {
		t.Errorf("after the newest dropped event: %v, %v", got, ok)
	}
	if got, ok := tail.after(first+1, 1); !ok || got[0].Seq != first+2 {
		t.Errorf("after a position between events: %v, %v", got, ok)
	}
	if got, ok := tail.after(int64(tailSize+1)*2, 5); !ok || len(got) != 0 {
		t.Errorf("after the newest: %v, %v", got, ok)
	}
}
