// SPDX-License-Identifier: Apache-2.0

package sizedmap

import (
	"strconv"
	"testing"
)

// TestBound: filled far past its bound, with values of mixed sizes, the
// map never counts more bytes than the bound, its count matches its
// entries, and it keeps most of what fits rather than emptying itself.
func TestBound(t *testing.T) {
	const bound = 64 << 10
	m := New[int](bound)
	for i := range 20_000 {
		m.Put(strconv.Itoa(i%5000), i, int64(100+i%900))
		if m.Bytes() > bound {
			t.Fatalf("after %d puts the map counts %d bytes, bound %d", i+1, m.Bytes(), bound)
		}
	}
	var sum int64
	for k, e := range m.m {
		sum += e.size
		if v, ok := m.Get(k); !ok || v != e.v {
			t.Fatalf("Get(%q) = %d, %v", k, v, ok)
		}
	}
	if sum != m.Bytes() {
		t.Fatalf("entries hold %d bytes, the map counts %d", sum, m.Bytes())
	}
	if m.Bytes() < bound/2 {
		t.Fatalf("the map keeps %d bytes of a %d bound: it sheds too much", m.Bytes(), bound)
	}
}

// TestTooLargeAndDelete: a value larger than the bound is not kept and
// forgets the older value of its key; Delete and Clear give bytes back.
func TestTooLargeAndDelete(t *testing.T) {
	m := New[string](1000)
	m.Put("a", "small", 100)
	m.Put("a", "huge", 5000)
	if _, ok := m.Get("a"); ok || m.Bytes() != 0 {
		t.Fatalf("a value past the bound was kept, or the old one: %d bytes", m.Bytes())
	}
	m.Put("a", "x", 100)
	m.Put("b", "y", 100)
	m.Delete("a")
	if m.Len() != 1 || m.Bytes() != 100+1+entryOverhead {
		t.Fatalf("after Delete: %d entries, %d bytes", m.Len(), m.Bytes())
	}
	m.Clear()
	if m.Len() != 0 || m.Bytes() != 0 {
		t.Fatalf("after Clear: %d entries, %d bytes", m.Len(), m.Bytes())
	}
	if z := New[int](0); func() bool { z.Put("k", 1, 0); return z.Len() != 0 }() {
		t.Fatal("a map bounded at 0 bytes kept an entry")
	}
}
