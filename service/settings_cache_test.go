// SPDX-License-Identifier: Apache-2.0

package service

import (
	"fmt"
	"testing"
)

// TestSchemaCacheBounded: compiling ever new settings schemas (every
// organisation's, every version of each) keeps at most maxCachedSchemas
// of them, and a schema used lately is still compiled once.
func TestSchemaCacheBounded(t *testing.T) {
	var c schemaCache
	hot := []byte(`{"type": "object", "properties": {"hot": {"type": "string"}}}`)
	first, err := c.compile(hot)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 * maxCachedSchemas {
		doc := fmt.Appendf(nil, `{"type": "object", "properties": {"f%d": {"type": "integer"}}}`, i)
		if _, err := c.compile(doc); err != nil {
			t.Fatal(err)
		}
		if n := c.m.Len(); n > maxCachedSchemas {
			t.Fatalf("after %d schemas the cache holds %d, bound %d", i+2, n, maxCachedSchemas)
		}
		if again, _ := c.compile(hot); again != first {
			t.Fatalf("a schema in use was compiled again after %d others", i+1)
		}
	}
}
