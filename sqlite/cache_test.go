// SPDX-License-Identifier: Apache-2.0

package sqlite

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/rosterhq/roster"
)

// TestReadCacheBound fills every kind of the read cache far past its
// bound, by reads and by the writer's write-through, and checks that no
// kind ever holds more than its share of the bound, that the shares add
// up to at most the bound, and that the cache still holds a good part of
// what fits (it sheds a tenth at a time, not everything).
func TestReadCacheBound(t *testing.T) {
	const bound = 1 << 20
	c := newReadCache(bound)
	check := func(when string) {
		t.Helper()
		var sum int64
		for _, k := range c.counts() {
			if k.Bytes > k.MaxBytes || k.Bytes < 0 {
				t.Fatalf("%s: %s holds %d bytes, bound %d", when, k.Kind, k.Bytes, k.MaxBytes)
			}
			sum += k.MaxBytes
		}
		if sum > bound {
			t.Fatalf("the kinds' bounds add up to %d, more than %d", sum, bound)
		}
	}
	settings := json.RawMessage(`{"theme":"` + strings.Repeat("x", 300) + `"}`)
	user := func(i int) *roster.User {
		return &roster.User{ID: fmt.Sprintf("usr_%08d", i), OrganizationID: "org_1", Email: fmt.Sprintf("u%d@example.com", i),
			FirstName: "Ada", LastName: "Lovelace", Settings: settings, Roles: []string{"member"}, Version: 1,
			Memberships: []roster.Membership{{OrganizationID: "org_1", Roles: []string{"member"}}}}
	}
	for i := range 20_000 {
		epoch := c.now()
		u := user(i)
		c.putUser(epoch, u)
		c.putCredential(epoch, []byte(fmt.Sprintf("hash%d", i)), &roster.Credential{Key: &roster.APIKey{ID: fmt.Sprint(i)}, User: u})
		org := fmt.Sprintf("org_%d", i)
		c.putOrg(epoch, &roster.Organization{ID: org, Name: "Acme"})
		c.putSettingsSchema(epoch, org, []byte(`{"type":"object"}`))
		c.putOrgDisabled(epoch, org, false)
		c.putOAuthClient(epoch, &roster.OAuthClient{ID: fmt.Sprintf("cl_%d", i)})
		if i%100 == 0 {
			c.forget(&touched{users: []string{user(i - 50).ID}, written: []*roster.User{user(i + 1)}, committed: true})
		}
		check(fmt.Sprintf("after %d fills", i+1))
	}
	users := c.counts()[cacheUser]
	if users.Bytes < users.MaxBytes/2 || users.Entries < 100 {
		t.Fatalf("users: %d entries in %d bytes of %d: the cache sheds too much", users.Entries, users.Bytes, users.MaxBytes)
	}
	if len(c.byUser) > 2*c.creds.Len()+1024 {
		t.Fatalf("the index of credentials by user grew to %d for %d credentials", len(c.byUser), c.creds.Len())
	}
	c.forget(&touched{orgs: true})
	check("after an organisation write")
	if k := c.counts()[cacheCredential]; k.Entries != 0 || k.Bytes != 0 {
		t.Fatalf("an organisation write left %d credentials (%d bytes)", k.Entries, k.Bytes)
	}
}

// TestUserBytesEstimate: the estimate of a cached user's memory is not
// far below what a user decoded as the store decodes it really holds on
// the heap, so that the bound in bytes is one in fact.
func TestUserBytesEstimate(t *testing.T) {
	plain := roster.User{ID: "usr_01JD3M5B8Q6T9V2W4X7Y0Z1A2B", OrganizationID: "org_01JD3M5B8Q6T9V2W4X7Y0Z1A2B",
		Username: "ada.lovelace@example.com", Email: "ada.lovelace@example.com", FirstName: "Ada", LastName: "Lovelace",
		DisplayName: "Ada Lovelace", Status: "enabled", Availability: "available", Settings: json.RawMessage(`{}`),
		Roles: []string{"member"}, Memberships: []roster.Membership{{OrganizationID: "org_01JD3M5B8Q6T9V2W4X7Y0Z1A2B", Roles: []string{"member"}}},
		Tags: []roster.Tag{}, Version: 3}
	// A user with full notification lists holds tens of kilobytes.
	full := plain
	for i := range 1000 {
		full.Notifications.BlockedUserIDs = append(full.Notifications.BlockedUserIDs, fmt.Sprintf("usr_01JD3M5B8Q6T9V2W4X7Y%06d", i))
	}
	for i := range 20 {
		full.Notifications.EmailAddresses = append(full.Notifications.EmailAddresses, fmt.Sprintf("alerts%02d@example.com", i))
	}
	full.Notifications.Events = map[string]roster.NotificationSetting{"voicemail": {Enabled: true, Channels: []string{"email", "sms"}}}
	for _, u := range []*roster.User{&plain, &full} {
		doc, err := json.Marshal(u)
		if err != nil {
			t.Fatal(err)
		}
		const n = 500
		users := make([]*roster.User, n)
		before := heapInUse()
		for i := range users {
			users[i] = new(roster.User)
			if err := json.Unmarshal(doc, users[i]); err != nil {
				t.Fatal(err)
			}
		}
		real := (heapInUse() - before) / n
		t.Logf("estimate %d, real %d, json %d", userBytes(users[0]), real, len(doc))
		if est := userBytes(users[0]); est < real*3/4 {
			t.Fatalf("a user of %d JSON bytes is estimated at %d bytes, holds %d", len(doc), est, real)
		}
		runtime.KeepAlive(users)
	}
}

func heapInUse() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}
