// SPDX-License-Identifier: Apache-2.0

package eventdoc

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

// plain is the form every event had before the compact one: its JSON
// with the client address.
func plain(t *testing.T, e *roster.Event) []byte {
	t.Helper()
	b, err := json.Marshal(struct {
		*roster.Event
		ClientIP string `json:"client_ip,omitempty"`
	}{e, e.ClientIP})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sampleEvents() map[string]*roster.Event {
	user := `{"id":"usr_01M95GR86119C6JB8S0Y67NTS0","organization_id":"org_01M95GR85X9YS75AWC3A0B14JY","email":"a<b>&c@example.com","first_name":"Änne ✓","version":1}`
	next := strings.Replace(strings.Replace(user, `"Änne ✓"`, `"Ann"`, 1), `"version":1`, `"version":2`, 1)
	base := roster.Event{ID: "evt_01M95GR86119C6JB8S0Y67NTS1", OccurredAt: time.Date(2026, 12, 6, 11, 10, 15, 745252000, time.UTC),
		Actor: roster.Actor{UserID: "usr_1", KeyID: "key_1", ClientID: "cli_1"}, RequestID: "req-1", ClientIP: "2001:db8::1",
		Resource: roster.ResourceRef{Type: "user", ID: "usr_01M95GR86119C6JB8S0Y67NTS0"}, OrgID: "org_01M95GR85X9YS75AWC3A0B14JY"}
	created, updated, deleted, odd := base, base, base, base
	created.Type, created.Data = "user.created", json.RawMessage(user)
	created.Patch = roster.CreationPatch(created.Data)
	updated.Type, updated.Previous, updated.Data, updated.Reason = "user.updated", json.RawMessage(user), json.RawMessage(next), "support ticket 7"
	updated.Patch = json.RawMessage(`[{"value":"Ann","op":"replace","path":"/first_name"},{"value":2,"op":"replace","path":"/version"}]`)
	deleted.Type, deleted.Previous, deleted.Patch = "user.deleted", json.RawMessage(next), json.RawMessage(`[{"op":"replace","path":"","value":null}]`)
	// A creation whose patch is not the derived one is kept as it is.
	odd.Type, odd.Data, odd.Patch = "user.created", json.RawMessage(user), json.RawMessage(`[]`)
	return map[string]*roster.Event{"created": &created, "updated": &updated, "deleted": &deleted, "odd": &odd}
}

// TestCompactReadsAsPlain checks that an event stored compact reads back
// exactly as the same event stored in the plain form does, byte for byte
// in its documents, and that the plain form is still read.
func TestCompactReadsAsPlain(t *testing.T) {
	for name, e := range sampleEvents() {
		t.Run(name, func(t *testing.T) {
			var fromPlain, fromCompact roster.Event
			if err := Decode(plain(t, e), &fromPlain); err != nil {
				t.Fatal(err)
			}
			stored, err := Encode(e)
			if err != nil {
				t.Fatal(err)
			}
			if err := Decode(stored, &fromCompact); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(fromPlain, fromCompact) {
				t.Errorf("compact reads back as\n%+v\nplain as\n%+v", fromCompact, fromPlain)
			}
			for _, f := range []struct{ name, got, want string }{{"data", string(fromCompact.Data), string(e.Data)},
				{"previous", string(fromCompact.Previous), string(e.Previous)}, {"patch", string(fromCompact.Patch), string(e.Patch)}} {
				want, _ := json.Marshal(json.RawMessage(f.want)) // as the plain form always gave it back
				if f.want == "" {
					want = nil
				}
				if f.got != string(want) {
					t.Errorf("%s reads back as %s, want %s", f.name, f.got, want)
				}
			}
			if p := plain(t, e); len(stored) >= len(p) {
				t.Errorf("compact form is %d bytes, the plain one %d", len(stored), len(p))
			}
		})
	}
}

func TestDecodeRefusesDamage(t *testing.T) {
	stored, err := Encode(sampleEvents()["updated"])
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range [][]byte{stored[:len(stored)/2], {compactV1}, []byte("{"), bytes.Repeat([]byte{compactV1}, 8)} {
		if err := Decode(b, &roster.Event{}); err == nil {
			t.Errorf("Decode(%x) succeeded", b)
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	e := sampleEvents()["updated"]
	for b.Loop() {
		if _, err := Encode(e); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	stored, _ := Encode(sampleEvents()["updated"])
	for b.Loop() {
		if err := Decode(stored, &roster.Event{}); err != nil {
			b.Fatal(err)
		}
	}
}
