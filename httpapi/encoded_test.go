// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

// TestEncodedCacheBound: filled far past its bound, the cache of users'
// JSON never holds more bytes than the bound, still answers a user's
// current version, and never an older version's JSON.
func TestEncodedCacheBound(t *testing.T) {
	const bound = 64 << 10
	c := newEncodedCache(bound)
	for i := range 5000 {
		u := &roster.User{ID: fmt.Sprintf("usr_%d", i%2000), FirstName: "Ada", Version: int64(i)}
		b, err := c.appendUser(nil, u)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), fmt.Sprintf(`"version":%d`, i)) {
			t.Fatalf("version %d answered %s", i, b)
		}
		if again, _ := c.appendUser(nil, u); string(again) != string(b) {
			t.Fatalf("the cache answered %s for %s", again, b)
		}
		if st := c.stats(); st.bytes > bound || st.maxBytes != bound {
			t.Fatalf("after %d users the cache holds %d bytes, bound %d", i+1, st.bytes, st.maxBytes)
		}
	}
	if st := c.stats(); st.entries < 10 || st.hits < 5000 {
		t.Fatalf("the cache kept %d users and answered %d lookups", st.entries, st.hits)
	}
}

// TestAppendUserResource: a user's answer assembled from its cached
// document and the links written directly is byte for byte what
// json.Marshal writes for the resource, for ids Roster makes and for
// ids JSON must escape (which take the map).
func TestAppendUserResource(t *testing.T) {
	at := time.Date(2026, 12, 6, 17, 20, 2, 645644000, time.UTC)
	users := []*roster.User{
		{ID: "usr_01M965XB2Y7CBS600S2E5G5QQ4", OrganizationID: "org_01M965XB2N2EZ2K8FP1NDMDYYR", Username: "ada", Email: "ada@example.com",
			FirstName: "Ada <&>", LastName: "Løvelace\u2028", Status: roster.StatusEnabled, CreatedAt: at, UpdatedAt: at, Version: 3,
			Tags: []roster.Tag{{Name: "a&b"}}, Roles: []string{"admin"}},
		{ID: "usr_x", Version: 1},
		{ID: `usr_<&>"\é`, OrganizationID: "org_\u2028"},
		{},
	}
	c := newEncodedCache(1 << 20)
	for _, u := range users {
		want, err := json.Marshal(userResource(u))
		if err != nil {
			t.Fatal(err)
		}
		for range 2 { // encoded, then from the cache
			got, err := c.appendUser([]byte("prefix"), u)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != "prefix"+string(want) {
				t.Fatalf("assembled\n%s\nwant\n%s", got, want)
			}
		}
	}
	// A page looks its users up at once, and finds what they left.
	users[1] = &roster.User{ID: "usr_y", Version: 2} // not yet cached
	before := c.stats()
	docs, err := c.documents(users)
	if err != nil {
		t.Fatal(err)
	}
	for i, u := range users {
		want, _ := json.Marshal(u.Document())
		if string(docs[i]) != string(want) {
			t.Fatalf("page item %d: %s, want %s", i, docs[i], want)
		}
	}
	if st := c.stats(); st.hits-before.hits != 3 || st.misses-before.misses != 1 {
		t.Fatalf("a page of 3 cached users and 1 new counted %d hits, %d misses", st.hits-before.hits, st.misses-before.misses)
	}
}
