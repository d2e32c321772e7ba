// SPDX-License-Identifier: Apache-2.0

package webhook

import (
	"fmt"
	"testing"
)

// TestPathCacheBounded: parsing ever new projection expressions keeps at
// most maxCachedPaths of them.
func TestPathCacheBounded(t *testing.T) {
	for i := range 3 * maxCachedPaths {
		if _, err := parsePath(fmt.Sprintf("$.field_%d", i)); err != nil {
			t.Fatal(err)
		}
		if n := paths.Len(); n > maxCachedPaths {
			t.Fatalf("after %d expressions the cache holds %d, bound %d", i+1, n, maxCachedPaths)
		}
	}
	a, _ := parsePath("$.email")
	b, _ := parsePath("$.email")
	if a != b {
		t.Fatal("an expression used twice in a row was parsed twice")
	}
}
