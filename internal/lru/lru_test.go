// SPDX-License-Identifier: Apache-2.0

package lru

import (
	"sync"
	"testing"
)

// TestBound: the cache never holds more than Max entries, forgets the
// least recently used first, and keeps what was used lately.
func TestBound(t *testing.T) {
	c := &Cache[int, int]{Max: 10}
	for i := range 1000 {
		c.Add(i, i*i)
		if c.Len() > 10 {
			t.Fatalf("after %d adds the cache holds %d entries, bound 10", i+1, c.Len())
		}
		if _, ok := c.Get(0); !ok {
			t.Fatalf("the entry used after every add was forgotten at %d", i)
		}
	}
	if v, ok := c.Get(999); !ok || v != 999*999 {
		t.Fatalf("the newest entry: %d %v", v, ok)
	}
	if _, ok := c.Get(500); ok {
		t.Fatal("an old entry was kept")
	}
	c.Add(999, 1) // replacing does not grow it
	if v, _ := c.Get(999); v != 1 || c.Len() != 10 {
		t.Fatalf("replaced: %d, len %d", v, c.Len())
	}
}

// TestZeroValueAndConcurrency: the zero value works, bound DefaultMax,
// under concurrent use (run with -race).
func TestZeroValueAndConcurrency(t *testing.T) {
	var c Cache[int, string]
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 1000 {
				c.Add(g*1000+i, "x")
				c.Get(i)
			}
		})
	}
	wg.Wait()
	if c.Len() != DefaultMax {
		t.Fatalf("len %d, want %d", c.Len(), DefaultMax)
	}
}
