// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"fmt"
	"strings"
	"testing"

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
		b, err := c.user(u)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), fmt.Sprintf(`"version":%d`, i)) {
			t.Fatalf("version %d answered %s", i, b)
		}
		if again, _ := c.user(u); string(again) != string(b) {
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
