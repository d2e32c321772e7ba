// SPDX-License-Identifier: Apache-2.0

package sqlite

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

// storedUsers are users whose stored documents must give them back
// exactly: with the defaults, and with each default left.
func storedUsers() []*roster.User {
	at := time.Date(2026, 12, 6, 17, 0, 0, 123456000, time.UTC)
	plain := func() *roster.User {
		return &roster.User{ID: "usr_01", OrganizationID: "org_01", Username: "ann@example.com", Email: "ann@example.com",
			FirstName: "Ann", LastName: "Lee", Status: roster.StatusEnabled, Availability: roster.AvailabilityAvailable,
			Settings: json.RawMessage(`{}`), Tags: []roster.Tag{}, Roles: []string{"member"},
			Memberships: []roster.Membership{{OrganizationID: "org_01", Roles: []string{"member"}}},
			CreatedAt:   at, UpdatedAt: at.Add(time.Second), Version: 3}
	}
	var out []*roster.User
	for _, change := range []func(u *roster.User){
		func(*roster.User) {},
		func(u *roster.User) {
			u.EmailVerified, u.MFAEnabled, u.DisplayName, u.Availability = true, true, "A", roster.AvailabilityUnavailable
		},
		func(u *roster.User) {
			u.Availability, u.Tags, u.Settings, u.Roles, u.Memberships = "", nil, nil, nil, nil
		},
		func(u *roster.User) {
			u.Memberships = append(u.Memberships, roster.Membership{OrganizationID: "org_02", Roles: []string{"admin"}})
		},
		func(u *roster.User) { u.Memberships[0].Roles = []string{"admin"} },
		func(u *roster.User) { u.Memberships = []roster.Membership{} },
		func(u *roster.User) {
			u.Preferences.Language, u.Settings, u.Tags = "nl", json.RawMessage(`{"a":1}`), []roster.Tag{{ID: "tag_1", Name: "x"}}
			u.Notifications.EmailAddresses = []string{"b@example.com"}
		},
		func(u *roster.User) { u.CreatedAt = u.CreatedAt.Add(7) }, // finer than the column
	} {
		u := plain()
		change(u)
		out = append(out, u)
	}
	return out
}

// TestStoredUserRoundTrip checks that a user's stored document reads back
// as the whole API form did before (which is the user itself, but for a
// nil settings, which both read as null), and that rows in that form still
// read.
func TestStoredUserRoundTrip(t *testing.T) {
	for i, u := range storedUsers() {
		api, _ := json.Marshal(u)
		want := new(roster.User)
		if err := json.Unmarshal(api, want); err != nil {
			t.Fatal(err)
		}
		doc, err := encodeUser(u)
		if err != nil {
			t.Fatal(err)
		}
		row := userRow{id: u.ID, org: u.OrganizationID, status: u.Status, version: u.Version,
			created: micros(u.CreatedAt), updated: micros(u.UpdatedAt), doc: doc}
		got, err := row.decode()
		if err != nil {
			t.Fatalf("%d: %s: %v", i, doc, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%d: stored as %s\n got %+v\nwant %+v", i, doc, got, want)
		}
		row.doc = api
		if got, err := row.decode(); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%d: API form read as %+v, %v", i, got, err)
		}
	}
	if doc, _ := encodeUser(storedUsers()[0]); len(doc) > 120 {
		t.Errorf("a user with defaults only is stored in %d bytes: %s", len(doc), doc)
	}
}

// BenchmarkUserDecode compares what a cache miss decodes: the whole API
// form (before) and the stored form with its columns.
func BenchmarkUserDecode(b *testing.B) {
	u := storedUsers()[0]
	full, _ := json.Marshal(u)
	stored, _ := encodeUser(u)
	row := userRow{id: u.ID, org: u.OrganizationID, status: u.Status, version: u.Version,
		created: micros(u.CreatedAt), updated: micros(u.UpdatedAt), doc: stored}
	b.Run("api-form", func(b *testing.B) {
		for b.Loop() {
			var v roster.User
			if err := json.Unmarshal(full, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("stored", func(b *testing.B) {
		for b.Loop() {
			if _, err := row.decode(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encode-api-form", func(b *testing.B) {
		for b.Loop() {
			if _, err := json.Marshal(u); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encode-stored", func(b *testing.B) {
		for b.Loop() {
			if _, err := encodeUser(u); err != nil {
				b.Fatal(err)
			}
		}
	})
}
