// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

// appended is one Update of testEventsCommitOrder: its events and when it
// was called and returned.
type appended struct {
	events     []*roster.Event
	start, end time.Time
}

// testEventsCommitOrder appends events from many goroutines while a
// reader follows them as the feed does (each read after the last seq it
// saw). An Update that returned before another began must come first,
// every event must come exactly once, and the reader must miss none: seq
// order is commit order.
func testEventsCommitOrder(t *testing.T, s roster.Store) {
	root := MustCreateOrg(t, s, "", "Root")
	// The order is the commit order even for ids that sort otherwise
	// (made before, appended after): ids are kept as written.
	early, late := roster.NewID(roster.PrefixEvent), roster.NewID(roster.PrefixEvent)
	second := newEvent("test.second", "user", "usr_x", root.ID, "")
	second.ID = early
	first := newEvent("test.first", "user", "usr_x", root.ID, "")
	first.ID = late
	appendEvents(t, s, first)
	appendEvents(t, s, second)
	found := findEvents(t, s, roster.EventFilter{})
	checkIDs(t, "FindEvents of events whose ids sort against the commit order", eventIDs(found), wantIDs(first, second))
	checkSeqs(t, s, "FindEvents of events whose ids sort against the commit order", found)
	checkIDs(t, "FindEvents(limit=1)", eventIDs(findEvents(t, s, roster.EventFilter{Limit: 1})), wantIDs(first))
	if len(found) == 2 {
		checkIDs(t, "FindEvents(after=first)", eventIDs(findEvents(t, s, roster.EventFilter{After: found[0].Seq})), wantIDs(second))
	}
	base := len(found)

	const writers, each = 6, 10
	updates := make([][]*appended, writers)
	var wg, feed sync.WaitGroup
	done := make(chan struct{})
	var followed []roster.StoredEvent
	var after int64 // the feed follows from the events above
	if base > 0 {
		after = found[base-1].Seq
	}
	feed.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			found, err := s.FindEvents(context.Background(), roster.EventFilter{After: after, Limit: 7})
			if err != nil {
				t.Errorf("FindEvents while appending: %v", err)
				return
			}
			if len(found) > 0 {
				followed = append(followed, found...)
				after = found[len(found)-1].Seq
			}
		}
	})
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				u := &appended{}
				for j := range 1 + i%3 {
					u.events = append(u.events, newEvent(fmt.Sprintf("test.w%d", w), "user", fmt.Sprintf("usr_w%d_%d_%d", w, i, j), root.ID, ""))
				}
				u.start = time.Now()
				err := update(s, func(tx roster.Tx) error {
					for _, e := range u.events {
						if err := appendEvent(tx, e); err != nil {
							return err
						}
					}
					return nil
				})
				u.end = time.Now()
				if err != nil {
					t.Errorf("writer %d, update %d: %v", w, i, err)
					return
				}
				updates[w] = append(updates[w], u)
			}
		})
	}
	wg.Wait()
	close(done)
	feed.Wait()
	followed = append(followed, walkEvents(t, s, roster.EventFilter{After: after, Limit: 7})...)

	found = findEvents(t, s, roster.EventFilter{Limit: 10000})[base:]
	checkSeqs(t, s, "FindEvents after concurrent appends", found)
	checkIDs(t, "the events a feed reader saw while they were appended", eventIDs(followed), eventIDs(found))
	pos := map[string]int64{}
	for _, se := range found {
		if _, dup := pos[se.Event.ID]; dup {
			t.Errorf("FindEvents: event %s twice", se.Event.ID)
		}
		pos[se.Event.ID] = se.Seq
	}
	var all []*appended
	for _, us := range updates {
		all = append(all, us...)
	}
	n := 0
	for _, u := range all {
		for j, e := range u.events {
			n++
			if _, ok := pos[e.ID]; !ok {
				t.Errorf("FindEvents: event %s of a committed Update is missing", e.ID)
			} else if j > 0 && pos[e.ID] < pos[u.events[j-1].ID] {
				t.Errorf("FindEvents: events of one Update out of the order appended")
			}
		}
	}
	if len(found) != n {
		t.Errorf("FindEvents: got %d events, want the %d appended", len(found), n)
	}
	for _, a := range all {
		for _, b := range all {
			if a.end.Before(b.start) && pos[a.events[len(a.events)-1].ID] > pos[b.events[0].ID] {
				t.Fatalf("an Update that returned before another began has a later seq: %s (seq %d) after %s (seq %d)",
					a.events[0].ID, pos[a.events[0].ID], b.events[0].ID, pos[b.events[0].ID])
			}
		}
	}
}

func testEventsRollBack(t *testing.T, s roster.Store) {
	ctx := context.Background()
	busy(t, s)
	root := MustCreateOrg(t, s, "", "Root")
	MustCreateUser(t, s, root, "taken@example.com")
	const n = 24
	events := make([]*roster.Event, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		events[i] = newEvent(fmt.Sprintf("test.mode%d", i%4), "user", roster.NewID(roster.PrefixUser), root.ID, "")
		dup := NewUser(t, root, "TAKEN@example.com", func(u *roster.User) { u.Username = unique("dup") })
		wg.Go(func() {
			errs[i] = update(s, func(tx roster.Tx) error {
				if err := appendEvent(tx, events[i]); err != nil {
					return err
				}
				switch i % 4 {
				case 1:
					return errBoom
				case 2:
					stamp(tx, dup)
					return tx.CreateUser(dup) // a conflict: the store's own error
				case 3:
					panic("crash on purpose")
				}
				return nil
			})
		})
	}
	wg.Wait()
	var kept []*roster.Event
	for i, e := range events {
		switch i % 4 {
		case 0:
			must(t, fmt.Sprintf("Update %d", i), errs[i])
			kept = append(kept, e)
			continue
		case 1:
			if !errors.Is(errs[i], errBoom) {
				t.Errorf("Update %d: got %v, want fn's error", i, errs[i])
			}
		case 2:
			wantCode(t, fmt.Sprintf("Update %d", i), errs[i], roster.CodeConflict)
		case 3:
			wantCode(t, fmt.Sprintf("Update %d", i), errs[i], roster.CodeInternal)
		}
		_, err := s.EventSeq(ctx, e.ID)
		wantCode(t, fmt.Sprintf("EventSeq(event of failed Update %d)", i), err, roster.CodeNotFound)
	}
	found := findEvents(t, s, roster.EventFilter{})
	got := eventIDs(found)
	slices.Sort(got)
	want := wantIDs(kept...)
	slices.Sort(want)
	checkIDs(t, "FindEvents after failed and successful Updates (sorted)", got, want)
}

// testEventsResourceOrder changes one user in two transactions that each
// read it first (a locking read on engines with row locks), interleaved by
// hand: the later one writes something else first, then, while it is
// open, the earlier one runs whole, and only then does the later one read
// and change the user. The user's events must come in the order of its
// versions. On an engine that runs one transaction at a time the earlier
// one cannot start meanwhile; the test then waits a moment and checks the
// order the engine chose.
func testEventsResourceOrder(t *testing.T, s roster.Store) {
	ctx := context.Background()
	root := MustCreateOrg(t, s, "", "Root")
	u := MustCreateUser(t, s, root, "order@example.com")
	bump := func(tx roster.Tx, name string) error {
		cur, err := tx.FindUser(ctx, u.ID)
		if err != nil {
			return err
		}
		next := cur.Clone()
		next.FirstName, next.Version, next.UpdatedAt = name, cur.Version+1, tx.Now()
		if err := tx.UpdateUser(next); err != nil {
			return err
		}
		e := newEvent("user.updated", "user", u.ID, root.ID, "")
		e.Data = json.RawMessage(fmt.Sprintf(`{"first_name":%q,"version":%d}`, name, next.Version))
		return appendEvent(tx, e)
	}
	var once sync.Once
	started := make(chan struct{}, 1)
	early := make(chan error, 1)
	err := update(s, func(tx roster.Tx) error {
		// Something else first (Update may run this function again).
		if err := tx.AddSignInFailure("user:order", tx.Now()); err != nil {
			return err
		}
		once.Do(func() {
			go func() {
				early <- update(s, func(tx roster.Tx) error {
					select {
					case started <- struct{}{}:
					default:
					}
					return bump(tx, "Early")
				})
			}()
			select {
			case <-started:
				// The user is not locked yet: the earlier one commits.
				if err := <-early; err != nil {
					t.Errorf("the Update that ran whole in between: %v", err)
				}
				early <- nil
			case <-time.After(3 * time.Second):
			}
		})
		return bump(tx, "Late")
	})
	must(t, "the Update that wrote before it read the user", err)
	must(t, "the other Update", <-early)
	var versions []string
	for _, se := range findEvents(t, s, roster.EventFilter{Target: u.ID}) {
		var d struct {
			FirstName string `json:"first_name"`
			Version   int    `json:"version"`
		}
		if err := json.Unmarshal(se.Event.Data, &d); err != nil {
			t.Fatalf("event data %s: %v", se.Event.Data, err)
		}
		versions = append(versions, fmt.Sprintf("%d %s", d.Version, d.FirstName))
	}
	if len(versions) != 2 || !strings.HasPrefix(versions[0], "2 ") || !strings.HasPrefix(versions[1], "3 ") {
		t.Errorf("the user's events in feed order: got versions %q, want 2 then 3", versions)
	}
}
