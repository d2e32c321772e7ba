// SPDX-License-Identifier: Apache-2.0

// Package lru is a small, size-capped cache that forgets the least
// recently used entry first. It is for caches whose keys come from
// users (schemas, expressions): without a bound they grow for as long as
// the process runs.
package lru

import (
	"container/list"
	"sync"
)

// DefaultMax is the bound of a Cache whose Max is not set.
const DefaultMax = 256

// Cache maps keys to values, holding at most Max entries. The zero value
// is an empty cache of DefaultMax entries; it is safe for concurrent use.
type Cache[K comparable, V any] struct {
	Max int

	mu    sync.Mutex
	order *list.List // of *entry, most recently used first
	m     map[K]*list.Element
}

type entry[K comparable, V any] struct {
	key K
	val V
}

// Get returns the value of key and marks it used.
func (c *Cache[K, V]) Get(key K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[key]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*entry[K, V]).val, true
	}
	var zero V
	return zero, false
}

// Add stores a value, forgetting the least recently used entry when the
// cache is full.
func (c *Cache[K, V]) Add(key K, val V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m, c.order = map[K]*list.Element{}, list.New()
	}
	if e, ok := c.m[key]; ok {
		e.Value.(*entry[K, V]).val = val
		c.order.MoveToFront(e)
		return
	}
	c.m[key] = c.order.PushFront(&entry[K, V]{key, val})
	limit := c.Max
	if limit <= 0 {
		limit = DefaultMax
	}
	for len(c.m) > limit {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.m, last.Value.(*entry[K, V]).key)
	}
}

// Len returns how many entries the cache holds.
func (c *Cache[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
