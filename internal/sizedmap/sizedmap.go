// SPDX-License-Identifier: Apache-2.0

// Package sizedmap is a map bounded in bytes, for the read caches: each
// entry carries an estimate of the memory it holds, and an addition that
// would pass the bound first forgets arbitrary entries (a tenth at a
// time; map order is random). Forgetting a tenth rather than everything
// keeps the hit ratio up once the working set is larger than the bound;
// forgetting arbitrary entries rather than the least recently used keeps
// a lookup a plain map read, without a list to reorder under a lock.
package sizedmap

import "iter"

// entryOverhead is what an entry costs beside its key and value: the
// map's slot, the key's string header and the size field.
const entryOverhead = 48

// Map maps strings to values within a bound in bytes. It has no lock of
// its own: its owner serialises the calls. A nil *Map is not usable.
type Map[V any] struct {
	max, bytes int64
	m          map[string]entry[V]
}

type entry[V any] struct {
	v    V
	size int64
}

// New returns an empty map that holds at most max bytes (by its entries'
// estimates); max ≤ 0 holds nothing.
func New[V any](max int64) *Map[V] {
	return &Map[V]{max: max, m: map[string]entry[V]{}}
}

// Get returns the value under key.
func (m *Map[V]) Get(key string) (V, bool) {
	e, ok := m.m[key]
	return e.v, ok
}

// Put keeps v under key, counting size bytes for the value (the key and
// the entry's own overhead are added). A value larger than the whole
// bound is not kept (and an older value under key is forgotten).
func (m *Map[V]) Put(key string, v V, size int64) {
	m.Delete(key)
	size += int64(len(key)) + entryOverhead
	if size > m.max {
		return
	}
	for m.bytes+size > m.max {
		m.shed()
	}
	m.m[key] = entry[V]{v, size}
	m.bytes += size
}

// shed forgets an arbitrary tenth of the entries, at least one.
func (m *Map[V]) shed() {
	n := max(len(m.m)/10, 1)
	for k, e := range m.m {
		if n == 0 {
			return
		}
		delete(m.m, k)
		m.bytes -= e.size
		n--
	}
}

// Delete forgets key.
func (m *Map[V]) Delete(key string) {
	if e, ok := m.m[key]; ok {
		delete(m.m, key)
		m.bytes -= e.size
	}
}

// Clear forgets everything.
func (m *Map[V]) Clear() {
	clear(m.m)
	m.bytes = 0
}

// Len is the number of entries.
func (m *Map[V]) Len() int { return len(m.m) }

// Bytes is the estimated memory the entries hold; never above the bound.
func (m *Map[V]) Bytes() int64 { return m.bytes }

// Max is the bound in bytes.
func (m *Map[V]) Max() int64 { return m.max }

// All iterates over the keys and values.
func (m *Map[V]) All() iter.Seq2[string, V] {
	return func(yield func(string, V) bool) {
		for k, e := range m.m {
			if !yield(k, e.v) {
				return
			}
		}
	}
}
