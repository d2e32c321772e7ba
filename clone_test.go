// SPDX-License-Identifier: Apache-2.0

package roster

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestCloneIsDeep fills every field of a user, clones it, changes every
// field of the clone, and checks the original did not change.
func TestCloneIsDeep(t *testing.T) {
	u := &User{ID: "usr_1", Phone: &Phone{Number: "1"}, Mobile: &Phone{Number: "2"},
		Notifications: Notifications{Events: map[string]NotificationSetting{"voicemail": {Enabled: true, Channels: []string{"email"}}},
			EmailAddresses: []string{"a@example.com"}, SMSNumbers: []string{"+1"}, BlockedUserIDs: []string{"usr_2"}},
		Settings: json.RawMessage(`{"a":1}`), Tags: []Tag{{ID: "tag_1", Name: "x"}}, Roles: []string{"member"},
		Memberships: []Membership{{OrganizationID: "org_1", Roles: []string{"member"}}}}
	before, _ := json.Marshal(u)
	c := u.Clone()
	if !reflect.DeepEqual(c, u) {
		t.Fatal("clone differs")
	}
	c.Phone.Number, c.Mobile.Number = "9", "9"
	c.Notifications.Events["voicemail"].Channels[0] = "sms"
	c.Notifications.Events["missed_call"] = NotificationSetting{}
	c.Notifications.EmailAddresses[0], c.Notifications.SMSNumbers[0], c.Notifications.BlockedUserIDs[0] = "x", "x", "x"
	c.Settings[2] = 'b'
	c.Tags[0].Name, c.Roles[0], c.Memberships[0].Roles[0], c.Memberships[0].OrganizationID = "y", "admin", "admin", "org_2"
	if after, _ := json.Marshal(u); string(after) != string(before) {
		t.Fatalf("changing the clone changed the original:\n%s\n%s", before, after)
	}
}
