// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"encoding/json"
	"sync"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/sizedmap"
)

// DefaultEncodedCacheBytes is Config.EncodedCacheBytes when it is not set.
const DefaultEncodedCacheBytes = 12 << 20

// encodedCache keeps the JSON form of recently answered users by id and
// version, within a bound in bytes (Config.EncodedCacheBytes). A
// version's JSON never changes, so an entry is valid as long as the user
// is at that version. Past the bound an arbitrary tenth is forgotten,
// not everything: clearing the whole cache made every user's next read
// encode anew once as many users as it holds had been read.
type encodedCache struct {
	mu sync.Mutex
	m  *sizedmap.Map[encodedEntry]
	// hits and misses count the lookups, for the hit ratio.
	hits, misses uint64
}

type encodedEntry struct {
	version int64
	json    []byte
}

func newEncodedCache(bytes int64) *encodedCache {
	if bytes <= 0 {
		bytes = DefaultEncodedCacheBytes
	}
	return &encodedCache{m: sizedmap.New[encodedEntry](bytes)}
}

func (c *encodedCache) user(u *roster.User) ([]byte, error) {
	c.mu.Lock()
	e, ok := c.m.Get(u.ID)
	ok = ok && e.version == u.Version
	if ok {
		c.hits++
	} else {
		c.misses++
	}
	c.mu.Unlock()
	if ok {
		return e.json, nil
	}
	b, err := json.Marshal(userResource(u))
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m.Put(u.ID, encodedEntry{u.Version, b}, int64(cap(b)))
	return b, nil
}

// encodedCacheStats is what the cache holds and how its lookups went.
type encodedCacheStats struct {
	entries         int
	bytes, maxBytes int64
	hits, misses    uint64
}

func (c *encodedCache) stats() encodedCacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return encodedCacheStats{c.m.Len(), c.m.Bytes(), c.m.Max(), c.hits, c.misses}
}

// encodedUser marshals a user through the cache.
type encodedUser struct {
	s *server
	u *roster.User
}

func (e encodedUser) MarshalJSON() ([]byte, error) { return e.s.encoded.user(e.u) }
