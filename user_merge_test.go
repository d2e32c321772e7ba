// SPDX-License-Identifier: Apache-2.0

package roster

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestMergeUserPatch holds the direct merge of a scalar merge patch to the
// general path (encode the document, merge, decode strictly) on users with
// and without their optional parts, and checks that every other patch is
// left to the general path.
func TestMergeUserPatch(t *testing.T) {
	// Every field of the full user's input is set: a field added to User
	// and UserInput but not to userInputOf would be reset by every scalar
	// merge patch.
	full, _ := userInputOf(mergeUsers()[1])
	v := reflect.ValueOf(full).Elem()
	notInDocument := []string{"Links", "SendInvite", "SettingsFromXML"} // no user document holds them
	for i := range v.NumField() {
		if v.Field(i).IsZero() && !slices.Contains(notInDocument, v.Type().Field(i).Name) {
			t.Errorf("userInputOf of the full user leaves %s out: add it there (and to the full user)", v.Type().Field(i).Name)
		}
	}
	deep := mergeUsers()[1]
	deep.Settings = json.RawMessage(strings.Repeat(`{"a":`, 64) + `1` + strings.Repeat(`}`, 64))
	if _, ok := MergeUserPatch(deep, []byte(`{"first_name":"x"}`)); ok {
		t.Errorf("settings nested 65 deep in the document: merged directly, want the general path (which refuses it)")
	}
	for _, u := range mergeUsers() {
		before := mustJSON(u)
		for _, patch := range mergedDirectly {
			if !checkMergeUserPatch(t, u, []byte(patch)) {
				t.Errorf("%s on %s: not merged directly", patch, u.LastName)
			}
		}
		for _, patch := range mergedInGeneral {
			if _, ok := MergeUserPatch(u, []byte(patch)); ok {
				t.Errorf("%s: merged directly, want the general path", patch)
			}
		}
		if after := mustJSON(u); string(after) != string(before) {
			t.Errorf("the user changed:\n%s\n%s", before, after)
		}
	}
}

// FuzzMergeUserPatch: whatever patch MergeUserPatch takes, the general
// path takes too and gives the same input; the user is left as it was.
func FuzzMergeUserPatch(f *testing.F) {
	for _, patch := range append(slices.Clone(mergedDirectly), mergedInGeneral...) {
		f.Add([]byte(patch))
	}
	users := mergeUsers()
	f.Fuzz(func(t *testing.T, patch []byte) {
		for _, u := range users {
			before := mustJSON(u)
			checkMergeUserPatch(t, u, patch)
			if after := mustJSON(u); string(after) != string(before) {
				t.Fatalf("%q changed the user:\n%s\n%s", patch, before, after)
			}
		}
	})
}

// checkMergeUserPatch reports whether MergeUserPatch takes patch, and
// fails t when the general path does not give the same input.
func checkMergeUserPatch(t *testing.T, u *User, patch []byte) bool {
	t.Helper()
	got, ok := MergeUserPatch(u, patch)
	if !ok {
		return false
	}
	doc, err := ApplyPatch(MergePatch, mustJSON(u.Document()), patch)
	if err != nil {
		t.Fatalf("%q: merged directly, but the general path refuses it: %v", patch, err)
	}
	var want UserInput
	if err := DecodeStrict(doc, &want); err != nil {
		t.Fatalf("%q: merged directly, but the general path refuses it: %v", patch, err)
	}
	if !sameInput(got, &want) {
		t.Errorf("%q on %s:\n got %s\nwant %s", patch, mustJSON(u), mustJSON(got), mustJSON(&want))
	}
	return true
}

var mergedDirectly = []string{`{}`, ` {"first_name":"Grace"} `, "{ \"first_name\" :\t\"Grace\" , \"phone\" : null\n}", `{"display_name":null}`, `{"phone":null,"mobile":null}`, `{"settings":null}`,
	`{"unknown":null}`, `{"version":5,"created_at":"2026-12-06T17:00:00+01:00"}`, `{"first_name":"a","first_name":"b"}`,
	`{"manager_id":"usr_01JD3M5B8Q6T9V2W4X7Y0Z1A2D","external_id":""}`, `{"status":"disabled","last_name":""}`,
	`{"email_verified":true,"memberships":null,"tags":null,"roles":null}`, `{"first_name":"\u00e9\ud83d\ude00"}`}

var mergedInGeneral = []string{`{"preferences":{"language":"en"}}`, "{ \"preferences\" :\n {\"language\":\"en\"} , \"roles\": \t[\"admin\"] }", `{"tags":[]}`, `{"First_Name":"x"}`, `{"version":"5"}`, `{"nope":1}`,
	`[]`, `null`, `{"first_name":"a"} x`, `{"first_name":"a\u0001"}`, `{"phone":"0201234567"}`, `{"settings":"text"}`, ``}

// mergeUsers are users without their optional parts, with all of them,
// and with them empty but not nil.
func mergeUsers() []*User {
	at := time.Date(2026, 12, 6, 16, 0, 0, 123456789, time.UTC)
	bare := &User{ID: "usr_01JD3M5B8Q6T9V2W4X7Y0Z1A2B", OrganizationID: "org_01JD3M5B8Q6T9V2W4X7Y0Z1A2B", Email: "a@example.com",
		Username: "a@example.com", FirstName: "Ada", Status: StatusEnabled, Availability: AvailabilityAvailable, CreatedAt: at, UpdatedAt: at, Version: 1}
	full := bare.Clone()
	full.LastName, full.DisplayName, full.ManagerID, full.ExternalID = "Lovelace", "Countess", "usr_01JD3M5B8Q6T9V2W4X7Y0Z1A2C", "ext-1"
	full.Phone = &Phone{Country: "NL", Number: "020 123 4567", E164: "+31201234567"}
	full.Mobile = &Phone{Country: "NL", Number: "06 1234 5678", E164: "+31612345678"}
	full.Preferences = Preferences{Language: "nl", TimeZone: "Europe/Amsterdam"}
	full.Notifications = Notifications{Events: map[string]NotificationSetting{"voicemail": {Enabled: true, Channels: []string{"email"}}, "fax_sent": {}},
		EmailAddresses: []string{"b@example.com"}}
	full.Settings = json.RawMessage(`{ "b": "<x> & y", "a": [1.50, null] }`)
	full.Tags, full.Roles = []Tag{{ID: "tag_1", Name: "vip", Color: "#ff0000"}}, []string{"admin"}
	full.Memberships = []Membership{{OrganizationID: full.OrganizationID, Roles: []string{"admin"}}}
	empty := bare.Clone()
	empty.Tags, empty.Roles, empty.Memberships, empty.Settings = []Tag{}, []string{}, []Membership{}, json.RawMessage(`{}`)
	empty.Notifications.Events = map[string]NotificationSetting{}
	return []*User{bare, full, empty}
}

// sameInput compares two inputs field by field, nil apart from empty, and
// times by their JSON text (decoding drops the monotonic reading).
func sameInput(a, b *UserInput) bool {
	x, y := *a, *b
	for _, p := range [][2]**time.Time{{&x.CreatedAt, &y.CreatedAt}, {&x.UpdatedAt, &y.UpdatedAt}} {
		if string(mustJSON(*p[0])) != string(mustJSON(*p[1])) {
			return false
		}
		*p[0], *p[1] = nil, nil
	}
	return reflect.DeepEqual(x, y)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// TestSameContentIsJSONEquality: the field checks that decide most
// changes agree with comparing the encodings, also for text that is not
// UTF-8 (two such strings can encode alike).
func TestSameContentIsJSONEquality(t *testing.T) {
	a := &User{ID: "usr_1", FirstName: "Ada", LastName: "\xff", Status: StatusEnabled, Version: 1, UpdatedAt: time.Unix(1, 0)}
	changes := []func(u *User){
		func(u *User) {},
		func(u *User) { u.FirstName = "Grace" },
		func(u *User) { u.LastName = "\xfe" }, // encodes as "\ufffd" too
		func(u *User) { u.LastName = "x" },
		func(u *User) { u.Version, u.UpdatedAt = 2, time.Unix(2, 0) },
		func(u *User) { u.EmailVerified = true },
		func(u *User) { u.Roles = []string{"member"} },
		func(u *User) { u.Settings = json.RawMessage(`{}`) },
	}
	for i, change := range changes {
		b := a.Clone()
		change(b)
		x, y := *a, *b
		x.Version, y.Version, x.UpdatedAt, y.UpdatedAt = 0, 0, time.Time{}, time.Time{}
		if got, want := SameContent(a, b), string(mustJSON(&x)) == string(mustJSON(&y)); got != want {
			t.Errorf("change %d: SameContent = %v, want %v", i, got, want)
		}
	}
}
