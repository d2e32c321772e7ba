// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

var eventBehaviours = []behaviour{
	{"Events/RoundTrip", testEventsRoundTrip},
	{"Events/Filters", testEventsFilters},
	{"Events/WebhooksVisible", testEventsWebhooksVisible},
	{"Events/KeysVisible", testEventsKeysVisible},
	{"Events/Pages", testEventsPages},
	{"Events/CommitOrder", testEventsCommitOrder},
	{"Events/ResourceOrder", testEventsResourceOrder},
	{"Events/RollBack", testEventsRollBack},
	{"Events/ReadYourWrites", testEventsReadYourWrites},
	{"Events/ReturnCopies", testEventsReturnCopies},
	{"Events/Documents", testEventsDocuments},
	{"Events/Purge", testEventsPurge},
	{"Events/PurgeKeepsUndelivered", testEventsPurgeKeepsUndelivered},
}

// newEvent returns an event of type typ about the resource id (of type
// resType) in organisation org, by the user actor. Its id and time are
// set when it is appended, unless set before.
func newEvent(typ, resType, id, org, actor string) *roster.Event {
	return &roster.Event{Type: typ, Actor: roster.Actor{UserID: actor}, Resource: roster.ResourceRef{Type: resType, ID: id},
		OrgID: org, Patch: json.RawMessage(`[]`)}
}

// appendEvent gives e, unless set, a new id and the transaction's time,
// as the service does, and appends it.
func appendEvent(tx roster.Tx, e *roster.Event) error {
	if e.ID == "" {
		e.ID = roster.NewID(roster.PrefixEvent)
	}
	if e.OccurredAt.IsZero() {
		e.OccurredAt = tx.Now()
	}
	return tx.AppendEvent(e)
}

// appendEvents appends the events, in order, in one transaction.
func appendEvents(tb testing.TB, s roster.Store, events ...*roster.Event) {
	tb.Helper()
	mustUpdate(tb, s, func(tx roster.Tx) error {
		for _, e := range events {
			if err := appendEvent(tx, e); err != nil {
				return fmt.Errorf("append %s: %w", e.Type, err)
			}
		}
		return nil
	})
}

// findEvents returns what FindEvents(f) returns, with a limit of 1,000
// when f sets none.
func findEvents(tb testing.TB, r roster.Reader, f roster.EventFilter) []roster.StoredEvent {
	tb.Helper()
	if f.Limit == 0 {
		f.Limit = 1000
	}
	found, err := r.FindEvents(context.Background(), f)
	if err != nil {
		tb.Fatalf("FindEvents(%+v): %v", f, err)
	}
	return found
}

func eventIDs(found []roster.StoredEvent) []string {
	ids := make([]string, len(found))
	for i, se := range found {
		ids[i] = se.Event.ID
	}
	return ids
}

func wantIDs(events ...*roster.Event) []string {
	ids := make([]string, len(events))
	for i, e := range events {
		ids[i] = e.ID
	}
	return ids
}

// checkEvent fails the test unless got holds what want holds. Documents
// compare as JSON values; times as instants.
func checkEvent(tb testing.TB, what string, got, want *roster.Event) {
	tb.Helper()
	if got == nil {
		tb.Errorf("%s: got no event, want %s", what, want.ID)
		return
	}
	g, w := *got, *want
	g.OccurredAt, w.OccurredAt = g.OccurredAt.UTC(), w.OccurredAt.UTC()
	if d := jsonDiff(&g, &w); d != "" {
		tb.Errorf("%s: event %s differs:%s", what, want.Type, d)
	}
	if g.ClientIP != w.ClientIP {
		tb.Errorf("%s: event %s: client IP %q, want %q", what, want.Type, g.ClientIP, w.ClientIP)
	}
}

// checkSeqs fails the test unless the events found come in growing seq
// order and EventSeq agrees with each seq.
func checkSeqs(tb testing.TB, r roster.Reader, what string, found []roster.StoredEvent) {
	tb.Helper()
	for i, se := range found {
		if i > 0 && se.Seq <= found[i-1].Seq {
			tb.Errorf("%s: seq %d after seq %d: not in commit order", what, se.Seq, found[i-1].Seq)
		}
		seq, err := r.EventSeq(context.Background(), se.Event.ID)
		if err != nil || seq != se.Seq {
			tb.Errorf("%s: EventSeq(%s) = %d, %v; FindEvents gave seq %d", what, se.Event.ID, seq, err, se.Seq)
		}
	}
}

func testEventsRoundTrip(t *testing.T, s roster.Store) {
	ctx := context.Background()
	checkIDs(t, "FindEvents on an empty store", eventIDs(findEvents(t, s, roster.EventFilter{})), nil)
	for _, id := range []string{roster.NewID(roster.PrefixEvent), ""} {
		_, err := s.EventSeq(ctx, id)
		wantCode(t, fmt.Sprintf("EventSeq(%q) on an empty store", id), err, roster.CodeNotFound)
	}
	root := MustCreateOrg(t, s, "", "Root")
	uid, kid := roster.NewID(roster.PrefixUser), roster.NewID(roster.PrefixKey)
	created := newEvent("user.created", "user", uid, root.ID, uid)
	created.Actor = roster.Actor{UserID: uid, KeyID: kid, ClientID: "cli_console"}
	created.RequestID, created.ClientIP = "req-1", "203.0.113.7"
	created.Data = json.RawMessage(`{"id": "` + uid + `", "first_name": "Ann", "n": 3, "tags": [{"name": "VIP"}], "settings": {"b": [1, 2], "a": null}}`)
	created.Patch = json.RawMessage(`[{"op": "add", "path": "", "value": {"id": "` + uid + `"}}]`)
	updated := newEvent("user.updated", "user", uid, root.ID, uid)
	updated.ClientIP = "2001:db8::1"
	updated.Previous, updated.Data = created.Data, json.RawMessage(`{"id":"`+uid+`","first_name":"Änne ✓","n":4}`)
	updated.Patch = json.RawMessage(`[{"op":"replace","path":"/first_name","value":"Änne ✓"},{"op":"replace","path":"/n","value":4}]`)
	deleted := newEvent("user.deleted", "user", uid, root.ID, "")
	deleted.Previous = updated.Data
	deleted.OccurredAt = at(5).In(time.FixedZone("UTC+5", 5*3600))
	appendEvents(t, s, created, updated)
	appendEvents(t, s, deleted)

	found := findEvents(t, s, roster.EventFilter{})
	checkIDs(t, "FindEvents", eventIDs(found), wantIDs(created, updated, deleted))
	for i, want := range []*roster.Event{created, updated, deleted} {
		if i < len(found) {
			checkEvent(t, "FindEvents", found[i].Event, want)
			if found[i].Seq <= 0 {
				t.Errorf("FindEvents: event %s has seq %d, want a positive one", want.Type, found[i].Seq)
			}
		}
	}
	checkSeqs(t, s, "FindEvents", found)
	_, err := s.EventSeq(ctx, roster.NewID(roster.PrefixEvent))
	wantCode(t, "EventSeq(unknown)", err, roster.CodeNotFound)
}

func testEventsFilters(t *testing.T, s roster.Store) {
	v := newVisTree(t, s)
	e1 := newEvent("user.created", "user", v.ua.ID, v.a.ID, v.ur.ID)
	e2 := newEvent("user.updated", "user", v.ua.ID, v.a.ID, v.ua.ID)
	e3 := newEvent("org.created", "organization", v.a1.ID, v.a1.ID, v.ur.ID)
	e4 := newEvent("membership.created", "membership", v.ub.ID, v.b.ID, v.ur.ID)
	e5 := newEvent("user.deleted", "user", v.ub.ID, v.b.ID, v.ua.ID)
	e6 := newEvent("org.settings_schema_updated", "organization", v.root.ID, v.root.ID, "")
	e7 := newEvent("userAs.created", "user", v.ub2.ID, v.b.ID, v.ur.ID) // for the prefix's escaping
	all := []*roster.Event{e1, e2, e3, e4, e5, e6, e7}
	for i, e := range all {
		e.OccurredAt = at(i + 1)
	}
	appendEvents(t, s, e1, e2, e3)
	appendEvents(t, s, e4, e5, e6, e7)
	found := findEvents(t, s, roster.EventFilter{})
	checkIDs(t, "FindEvents", eventIDs(found), wantIDs(all...))
	if len(found) != len(all) {
		t.FailNow()
	}
	seq := func(i int) int64 { return found[i-1].Seq }
	tp := func(n int) *time.Time { v := at(n); return &v }
	micro := func(n int, d time.Duration) *time.Time { v := at(n).Add(d); return &v }
	ev := func(events ...*roster.Event) []*roster.Event { return events }
	for _, c := range []struct {
		f    roster.EventFilter
		want []*roster.Event
	}{
		{roster.EventFilter{Types: []string{"user.created"}}, ev(e1)},
		{roster.EventFilter{Types: []string{"user.created", "user.created"}}, ev(e1)},
		{roster.EventFilter{Types: []string{"user.*"}}, ev(e1, e2, e5)},
		{roster.EventFilter{Types: []string{"user.*", "org.created"}}, ev(e1, e2, e3, e5)},
		{roster.EventFilter{Types: []string{"org.*"}}, ev(e3, e6)},
		{roster.EventFilter{Types: []string{"membership.created", "membership.deleted"}}, ev(e4)},
		{roster.EventFilter{Types: []string{"user"}}, nil},     // a whole type, not a prefix
		{roster.EventFilter{Types: []string{"user.cr"}}, nil},  // nor this
		{roster.EventFilter{Types: []string{"user_s.*"}}, nil}, // _ is a plain character
		{roster.EventFilter{Types: []string{"use%.*"}}, nil},   // and so is %
		{roster.EventFilter{Types: []string{"userAs.*"}}, ev(e7)},
		{roster.EventFilter{Target: v.ua.ID}, ev(e1, e2)},
		{roster.EventFilter{Target: v.ub.ID}, ev(e4, e5)},
		{roster.EventFilter{Target: v.a1.ID}, ev(e3)},
		{roster.EventFilter{Target: roster.NewID(roster.PrefixUser)}, nil},
		{roster.EventFilter{Actor: v.ur.ID}, ev(e1, e3, e4, e7)},
		{roster.EventFilter{Actor: v.ua.ID}, ev(e2, e5)},
		{roster.EventFilter{Actor: v.ua1.ID}, nil},
		{roster.EventFilter{Target: v.ua.ID, Actor: v.ua.ID}, ev(e2)},
		{roster.EventFilter{OccurredAfter: tp(2)}, ev(e3, e4, e5, e6, e7)}, // exclusive
		{roster.EventFilter{OccurredAfter: micro(2, -time.Microsecond)}, ev(e2, e3, e4, e5, e6, e7)},
		{roster.EventFilter{OccurredAfter: inZone(tp(2))}, ev(e3, e4, e5, e6, e7)},
		{roster.EventFilter{Before: tp(3)}, ev(e1, e2)}, // exclusive
		{roster.EventFilter{Before: micro(3, time.Microsecond)}, ev(e1, e2, e3)},
		{roster.EventFilter{OccurredAfter: tp(1), Before: tp(4)}, ev(e2, e3)},
		{roster.EventFilter{OccurredAfter: tp(7)}, nil},
		{roster.EventFilter{After: seq(3)}, ev(e4, e5, e6, e7)},
		{roster.EventFilter{After: seq(7)}, nil},
		{roster.EventFilter{After: seq(2), Types: []string{"user.*"}}, ev(e5)},
		{roster.EventFilter{Visible: &roster.Visibility{Subtrees: []string{v.root.ID}}}, all},
		{roster.EventFilter{Visible: &roster.Visibility{Subtrees: []string{v.a.ID}}}, ev(e1, e2, e3)},
		{roster.EventFilter{Visible: &roster.Visibility{Subtrees: []string{v.b.ID}}}, ev(e4, e5, e7)},
		{roster.EventFilter{Visible: &roster.Visibility{Orgs: []string{v.a.ID}}}, ev(e1, e2)},
		{roster.EventFilter{Visible: &roster.Visibility{Orgs: []string{v.a1.ID, v.root.ID}}}, ev(e3, e6)},
		{roster.EventFilter{Visible: &roster.Visibility{Self: v.ub.ID}}, ev(e4, e5)},
		{roster.EventFilter{Visible: &roster.Visibility{Self: v.ua.ID, Orgs: []string{v.a.ID}}}, ev(e1, e2)}, // no duplicate
		{roster.EventFilter{Visible: &roster.Visibility{Self: v.ub.ID, Orgs: []string{v.root.ID}}}, ev(e4, e5, e6)},
		{roster.EventFilter{Visible: &roster.Visibility{}}, nil},
		{roster.EventFilter{Visible: &roster.Visibility{Subtrees: []string{}, Orgs: []string{}}}, nil},
		{roster.EventFilter{Visible: &roster.Visibility{Orgs: []string{v.b.ID}}, Types: []string{"user.*"}}, ev(e5)},
		{roster.EventFilter{Visible: &roster.Visibility{Subtrees: []string{v.a.ID}}, Actor: v.ur.ID, Before: tp(3)}, ev(e1)},
		{roster.EventFilter{Limit: 2}, ev(e1, e2)},
		{roster.EventFilter{Limit: 2, After: seq(2)}, ev(e3, e4)},
		{roster.EventFilter{Limit: 2, Actor: v.ur.ID, After: seq(1)}, ev(e3, e4)},
		{roster.EventFilter{Limit: 1, Types: []string{"org.*"}}, ev(e3)},
	} {
		got := findEvents(t, s, c.f)
		checkIDs(t, fmt.Sprintf("FindEvents(%+v visible=%s)", c.f, describeVis(c.f.Visible)), eventIDs(got), wantIDs(c.want...))
	}
}

// testEventsWebhooksVisible checks that WebhooksVisible limits the events
// about webhooks, and only those, to the organisations it covers.
func testEventsWebhooksVisible(t *testing.T, s roster.Store) {
	testEventsRestricted(t, s, "webhooks", func(f *roster.EventFilter, v *roster.Visibility) { f.WebhooksVisible = v },
		func(org string) *roster.Event {
			return newEvent("webhook.created", "webhook", roster.NewID(roster.PrefixWebhook), org, "")
		})
}

// testEventsKeysVisible: events about API keys and OAuth clients only in
// the organisations of KeysVisible.
func testEventsKeysVisible(t *testing.T, s roster.Store) {
	n := 0
	testEventsRestricted(t, s, "keys", func(f *roster.EventFilter, v *roster.Visibility) { f.KeysVisible = v },
		func(org string) *roster.Event {
			if n++; n%2 == 1 {
				return newEvent("api_key.created", "api_key", roster.NewID(roster.PrefixKey), org, "")
			}
			return newEvent("oauth_client.deleted", "oauth_client", roster.NewID(roster.PrefixClient), org, "")
		})
}

// testEventsRestricted checks a filter that keeps the events of some
// resource types (made by restricted) only in the organisations of a
// visibility (set by set), and every other event.
func testEventsRestricted(t *testing.T, s roster.Store, what string, set func(*roster.EventFilter, *roster.Visibility), restricted func(org string) *roster.Event) {
	root := MustCreateOrg(t, s, "", "Root")
	a := MustCreateOrg(t, s, root.ID, "A")
	a1 := MustCreateOrg(t, s, a.ID, "A1")
	b := MustCreateOrg(t, s, root.ID, "B")
	u := newEvent("user.created", "user", roster.NewID(roster.PrefixUser), b.ID, "")
	ra, rb := restricted(a1.ID), restricted(b.ID)
	appendEvents(t, s, u, ra, rb)
	first := findEvents(t, s, roster.EventFilter{Target: u.Resource.ID})
	if len(first) != 1 {
		t.Fatalf("FindEvents(target %s): got %d events, want 1", u.Resource.ID, len(first))
	}
	after := first[0].Seq - 1
	for _, c := range []struct {
		f    roster.EventFilter
		v    *roster.Visibility
		want []*roster.Event
	}{
		{roster.EventFilter{}, nil, []*roster.Event{u, ra, rb}},
		{roster.EventFilter{}, &roster.Visibility{}, []*roster.Event{u}},
		{roster.EventFilter{}, &roster.Visibility{Subtrees: []string{a.ID}}, []*roster.Event{u, ra}},
		{roster.EventFilter{}, &roster.Visibility{Orgs: []string{a.ID, b.ID}}, []*roster.Event{u, rb}},
		{roster.EventFilter{}, &roster.Visibility{Subtrees: []string{root.ID}}, []*roster.Event{u, ra, rb}},
		{roster.EventFilter{Visible: &roster.Visibility{Orgs: []string{b.ID}}}, &roster.Visibility{}, []*roster.Event{u}},
		{roster.EventFilter{Bare: true}, &roster.Visibility{}, []*roster.Event{u}},
	} {
		c.f.After = after
		set(&c.f, c.v)
		got := findEvents(t, s, c.f)
		checkIDs(t, fmt.Sprintf("FindEvents(%+v %s visible=%s)", c.f, what, describeVis(c.v)), eventIDs(got), wantIDs(c.want...))
	}
}

// walkEvents reads every event of f, limit events a page, as the feed
// does: each page after the last seq of the one before.
func walkEvents(tb testing.TB, r roster.Reader, f roster.EventFilter) []roster.StoredEvent {
	tb.Helper()
	var all []roster.StoredEvent
	for page := 1; ; page++ {
		found := findEvents(tb, r, f)
		if len(found) > f.Limit {
			tb.Fatalf("FindEvents page %d: got %d events, over the limit %d", page, len(found), f.Limit)
		}
		all = append(all, found...)
		if len(found) < f.Limit {
			return all
		}
		if page > 1000 {
			tb.Fatal("FindEvents: more than 1,000 pages: After does not advance")
		}
		f.After = found[len(found)-1].Seq
	}
}

func testEventsPages(t *testing.T, s roster.Store) {
	root := MustCreateOrg(t, s, "", "Root")
	var all []*roster.Event
	for i := range 5 {
		batch := make([]*roster.Event, 5)
		for j := range batch {
			typ := []string{"user.created", "user.updated", "org.updated"}[(i*5+j)%3]
			batch[j] = newEvent(typ, "user", roster.NewID(roster.PrefixUser), root.ID, "")
		}
		appendEvents(t, s, batch...)
		all = append(all, batch...)
	}
	for _, limit := range []int{1, 4, 5, 25, 26} {
		got := walkEvents(t, s, roster.EventFilter{Limit: limit})
		checkIDs(t, fmt.Sprintf("all pages of FindEvents(limit=%d)", limit), eventIDs(got), wantIDs(all...))
		checkSeqs(t, s, fmt.Sprintf("all pages of FindEvents(limit=%d)", limit), got)
	}
	var users []*roster.Event
	for _, e := range all {
		if e.Type != "org.updated" {
			users = append(users, e)
		}
	}
	got := walkEvents(t, s, roster.EventFilter{Limit: 3, Types: []string{"user.*"}, Visible: &roster.Visibility{Orgs: []string{root.ID}}})
	checkIDs(t, "all pages of FindEvents(limit=3 types=user.* visible=root)", eventIDs(got), wantIDs(users...))
}

func testEventsReadYourWrites(t *testing.T, s roster.Store) {
	ctx := context.Background()
	root := MustCreateOrg(t, s, "", "Root")
	first := newEvent("user.created", "user", roster.NewID(roster.PrefixUser), root.ID, "")
	appendEvents(t, s, first)
	second := newEvent("user.updated", "user", first.Resource.ID, root.ID, "")
	err := update(s, func(tx roster.Tx) error {
		if err := appendEvent(tx, second); err != nil {
			return err
		}
		checkIDs(t, "tx.FindEvents after tx.AppendEvent", eventIDs(findEvents(t, tx, roster.EventFilter{})), wantIDs(first, second))
		if _, err := tx.EventSeq(ctx, second.ID); err != nil {
			t.Errorf("tx.EventSeq after tx.AppendEvent: %v", err)
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Update: got %v, want fn's error", err)
	}
	checkIDs(t, "FindEvents after a rolled back append", eventIDs(findEvents(t, s, roster.EventFilter{})), wantIDs(first))
	for i := range 10 {
		e := newEvent("user.updated", "user", first.Resource.ID, root.ID, "")
		appendEvents(t, s, e)
		found := findEvents(t, s, roster.EventFilter{Target: first.Resource.ID})
		if len(found) != i+2 || found[len(found)-1].Event.ID != e.ID {
			t.Fatalf("FindEvents right after Update %d returned: got %d events ending %v, want %d ending %s", i, len(found), eventIDs(found[max(len(found)-1, 0):]), i+2, e.ID)
		}
		if _, err := s.EventSeq(ctx, e.ID); err != nil {
			t.Fatalf("EventSeq right after Update %d returned: %v", i, err)
		}
	}
}

func testEventsReturnCopies(t *testing.T, s roster.Store) {
	root := MustCreateOrg(t, s, "", "Root")
	e := newEvent("user.updated", "user", roster.NewID(roster.PrefixUser), root.ID, "")
	e.Data, e.Previous = json.RawMessage(`{"first_name":"Ann"}`), json.RawMessage(`{"first_name":"Bob"}`)
	appendEvents(t, s, e)
	for range 2 {
		found := findEvents(t, s, roster.EventFilter{})
		if len(found) != 1 {
			t.Fatalf("FindEvents: got %d events, want 1", len(found))
		}
		g := found[0].Event
		g.Type, g.Resource.ID, g.Actor.UserID = "scribbled", "scribbled", "scribbled"
		for _, doc := range []json.RawMessage{g.Data, g.Previous, g.Patch} {
			for i := range doc {
				doc[i] = ' '
			}
		}
		again := findEvents(t, s, roster.EventFilter{})
		if len(again) == 1 {
			checkEvent(t, "FindEvents after a change to what it returned", again[0].Event, e)
		}
	}
}

// testEventsDocuments checks that an event's documents read back byte for
// byte as encoding/json writes them (compact, HTML characters escaped),
// whatever form the store keeps them in: a creation (whose patch a store
// may derive from its document), a creation with some other patch, an
// update, a deletion, and documents of a megabyte.
func testEventsDocuments(t *testing.T, s roster.Store) {
	root := MustCreateOrg(t, s, "", "Root")
	uid := roster.NewID(roster.PrefixUser)
	doc := `{"id":"` + uid + `","email":"a<b>&c@example.com","first_name":"Änne ✓","n":1e400,"tags":[]}`
	next := `{"id":"` + uid + `","email":"a<b>&c@example.com","first_name":"Ann","n":2,"tags":[]}`
	big := `{"id":"` + uid + `","notes":"` + strings.Repeat("x", 1<<20) + `"}`
	created := newEvent("user.created", "user", uid, root.ID, uid)
	created.Data = json.RawMessage(doc)
	created.Patch = roster.CreationPatch(created.Data)
	other := newEvent("user.created", "user", uid, root.ID, uid)
	other.Data = json.RawMessage(`{ "id" : "` + uid + `" }`)
	other.Patch = json.RawMessage(`[{"op":"add","path":"","value":{"id":"x"}}]`)
	updated := newEvent("user.updated", "user", uid, root.ID, uid)
	updated.Previous, updated.Data, updated.Reason = json.RawMessage(doc), json.RawMessage(next), "ticket <7>"
	updated.Patch = json.RawMessage(`[{"value":"Ann","op":"replace","path":"/first_name"},{"value":2,"op":"replace","path":"/n"}]`)
	deleted := newEvent("user.deleted", "user", uid, root.ID, uid)
	deleted.Previous, deleted.Patch = json.RawMessage(next), json.RawMessage(`[{"op":"replace","path":"","value":null}]`)
	large := newEvent("user.updated", "user", uid, root.ID, uid)
	large.Previous, large.Data = json.RawMessage(big), json.RawMessage(strings.Replace(big, "xx", "yy", 1))
	large.Patch = json.RawMessage(`[{"op":"replace","path":"/notes","value":"yy"}]`)
	all := []*roster.Event{created, other, updated, deleted, large}
	appendEvents(t, s, all...)
	found := findEvents(t, s, roster.EventFilter{})
	checkIDs(t, "FindEvents", eventIDs(found), wantIDs(all...))
	for i, want := range all {
		if i >= len(found) {
			break
		}
		got := found[i].Event
		for _, f := range []struct {
			name      string
			got, want json.RawMessage
		}{{"data", got.Data, want.Data}, {"previous", got.Previous, want.Previous}, {"patch", got.Patch, want.Patch}} {
			var written []byte
			if f.want != nil {
				written, _ = json.Marshal(f.want)
			}
			if string(f.got) != string(written) {
				t.Errorf("event %d (%s): %s reads back as %.200s, want %.200s", i, want.Type, f.name, f.got, written)
			}
		}
		if got.Reason != want.Reason {
			t.Errorf("event %d: reason %q, want %q", i, got.Reason, want.Reason)
		}
	}
}

// expire runs ExpireEvents and PurgeEvents in one transaction each and
// returns their counts.
func expire(t *testing.T, s roster.Store, before time.Time, limit int) int64 {
	t.Helper()
	var n int64
	mustUpdate(t, s, func(tx roster.Tx) (err error) { n, err = tx.ExpireEvents(before, limit); return err })
	return n
}

func purge(t *testing.T, s roster.Store, before time.Time, limit int) int64 {
	t.Helper()
	var n int64
	mustUpdate(t, s, func(tx roster.Tx) (err error) { n, err = tx.PurgeEvents(before, limit); return err })
	return n
}

func feedStart(t *testing.T, s roster.Store) int64 {
	t.Helper()
	seq, err := s.FeedStart(context.Background())
	must(t, "FeedStart", err)
	return seq
}

// testEventsPurge checks the two steps of retention: ExpireEvents moves
// the feed's start past the oldest events, in commit order and at most a
// batch at a time, up to the first that is not old enough; PurgeEvents
// removes only events that have left the feed, oldest first.
func testEventsPurge(t *testing.T, s roster.Store) {
	org := MustCreateOrg(t, s, "", "root")
	var evs []*roster.Event
	for _, minute := range []int{1, 2, 3, 10} {
		e := newEvent("user.updated", "user", "usr_x", org.ID, "")
		e.OccurredAt = at(minute)
		appendEvents(t, s, e)
		evs = append(evs, e)
	}
	seqOf := func(e *roster.Event) int64 {
		seq, err := s.EventSeq(context.Background(), e.ID)
		must(t, "EventSeq", err)
		return seq
	}
	seqs := []int64{seqOf(evs[0]), seqOf(evs[1]), seqOf(evs[2]), seqOf(evs[3])}
	if got := feedStart(t, s); got != 0 {
		t.Errorf("FeedStart of a new store = %d, want 0", got)
	}
	if n := purge(t, s, at(20), 10); n != 0 {
		t.Errorf("PurgeEvents before any expired: %d removed, want 0", n)
	}
	if n := expire(t, s, at(3), 1); n != 1 || feedStart(t, s) != seqs[0] {
		t.Errorf("ExpireEvents(limit 1): %d expired, start %d; want 1, %d", n, feedStart(t, s), seqs[0])
	}
	if n := expire(t, s, at(3), 10); n != 1 || feedStart(t, s) != seqs[1] {
		t.Errorf("ExpireEvents(minute 3): %d expired, start %d; want 1 (minute 2), %d", n, feedStart(t, s), seqs[1])
	}
	checkIDs(t, "FindEvents after expiring", eventIDs(findEvents(t, s, roster.EventFilter{})), wantIDs(evs...))
	if n := purge(t, s, at(2), 10); n != 1 {
		t.Errorf("PurgeEvents(minute 2): %d removed, want 1 (minute 1)", n)
	}
	if n := purge(t, s, at(20), 10); n != 1 {
		t.Errorf("PurgeEvents(minute 20): %d removed, want 1: only what left the feed", n)
	}
	checkIDs(t, "FindEvents after purging", eventIDs(findEvents(t, s, roster.EventFilter{})), wantIDs(evs[2:]...))
	checkIDs(t, "FindEvents(bare) after purging", eventIDs(findEvents(t, s, roster.EventFilter{Bare: true})), wantIDs(evs[2:]...))
	_, err := s.EventSeq(context.Background(), evs[0].ID)
	wantCode(t, "EventSeq of a purged event", err, roster.CodeNotFound)
	if n := expire(t, s, at(20), 10); n != 2 || feedStart(t, s) != seqs[3] {
		t.Errorf("ExpireEvents(minute 20): %d expired, start %d; want 2, %d", n, feedStart(t, s), seqs[3])
	}
	if n := purge(t, s, at(20), 10); n != 2 || len(findEvents(t, s, roster.EventFilter{})) != 0 {
		t.Errorf("PurgeEvents(minute 20): %d removed, want the last 2", n)
	}
	later := newEvent("user.updated", "user", "usr_x", org.ID, "")
	appendEvents(t, s, later)
	if seq := seqOf(later); seq <= seqs[3] {
		t.Errorf("an event after purging has seq %d, not after the purged %d", seq, seqs[3])
	}
}

// testEventsPurgeKeepsUndelivered checks that events stay in the feed
// while an enabled webhook has not yet read them or one of its deliveries
// of them is pending; a disabled webhook keeps nothing.
func testEventsPurgeKeepsUndelivered(t *testing.T, s roster.Store) {
	ctx := context.Background()
	org := MustCreateOrg(t, s, "", "root")
	w, off := newWebhook(org), newWebhook(org)
	off.Status = roster.StatusDisabled
	mustCreateWebhook(t, s, w)
	mustCreateWebhook(t, s, off)
	ds := enqueueAll(t, s, w, org, "usr_a", "usr_b") // pending deliveries of both
	unread := newEvent("user.updated", "user", "usr_c", org.ID, "")
	appendEvents(t, s, unread) // after the webhook's cursor
	old := time.Now().Add(time.Hour)
	if n := expire(t, s, old, 10); n != 0 {
		t.Errorf("ExpireEvents with every event pending or unread: %d expired, want 0", n)
	}
	// The first delivery succeeds: its event may go, the next stays.
	done := *ds[0]
	done.Status = roster.DeliverySucceeded
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.SaveDelivery(&done, "") })
	if n := expire(t, s, old, 10); n != 1 || feedStart(t, s) != ds[0].Seq {
		t.Errorf("ExpireEvents after the first delivery: %d expired, start %d; want 1, %d", n, feedStart(t, s), ds[0].Seq)
	}
	failed := *ds[1]
	failed.Status = roster.DeliveryFailed
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.SaveDelivery(&failed, "") })
	if n := expire(t, s, old, 10); n != 1 {
		t.Errorf("ExpireEvents after the second delivery failed for good: %d expired, want 1 (the unread event stays)", n)
	}
	seq, err := s.EventSeq(ctx, unread.ID)
	must(t, "EventSeq", err)
	mustUpdate(t, s, func(tx roster.Tx) error {
		return tx.AdvanceStream(w.ID, "fan-out", w.Cursor, seq, tx.Now().Add(time.Hour), nil)
	})
	if n := expire(t, s, old, 10); n != 1 {
		t.Errorf("ExpireEvents once the webhook read the last event: %d expired, want 1", n)
	}
	if n := purge(t, s, old, 10); n != 3 {
		t.Errorf("PurgeEvents: %d removed, want 3", n)
	}
}

// PlainEvent is an event document as builds before the compact form wrote it:
// the event's whole JSON, with the client address and the creation's
// patch holding the document again. An engine test writes it into an
// event row (user.created of the user and organisation it names) and
// reads it back with CheckPlainEvent.
const PlainEvent = `{"id":"evt_01M95GR86119C6JB8S0Y67NTS1","type":"user.created","occurred_at":"2026-12-06T11:10:15.745252Z",` +
	`"actor":{"user_id":"usr_01M95GR85X9YS75AWC3A0B14K0","key_id":"key_01M95GR85YCNS17DVWK059MKRY"},"request_id":"req-1",` +
	`"resource":{"type":"user","id":"usr_01M95GR86119C6JB8S0Y67NTS0"},"organization_id":"org_01M95GR85X9YS75AWC3A0B14JY",` +
	`"data":{"id":"usr_01M95GR86119C6JB8S0Y67NTS0","first_name":"golijo","version":1},` +
	`"patch":[{"value":{"id":"usr_01M95GR86119C6JB8S0Y67NTS0","first_name":"golijo","version":1},"op":"add","path":""}],"client_ip":"203.0.113.7"}`

// CheckPlainEvent checks that the one event r holds is PlainEvent, read
// back as it was written.
func CheckPlainEvent(t *testing.T, r roster.Reader) {
	t.Helper()
	found, err := r.FindEvents(context.Background(), roster.EventFilter{Limit: 10})
	if err != nil || len(found) != 1 {
		t.Fatalf("FindEvents: %d events, %v", len(found), err)
	}
	e := found[0].Event
	doc := `{"id":"usr_01M95GR86119C6JB8S0Y67NTS0","first_name":"golijo","version":1}`
	if string(e.Data) != doc || string(e.Patch) != `[{"value":`+doc+`,"op":"add","path":""}]` || e.Previous != nil ||
		e.ClientIP != "203.0.113.7" || e.RequestID != "req-1" || e.Actor.KeyID != "key_01M95GR85YCNS17DVWK059MKRY" ||
		e.OccurredAt.Format("2006-01-02T15:04:05.999999Z07:00") != "2026-12-06T11:10:15.745252Z" {
		t.Errorf("an event in the plain form reads back as %+v", e)
	}
}
