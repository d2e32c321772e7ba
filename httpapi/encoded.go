// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"encoding/json"
	"sync"

	"github.com/rosterhq/roster"
)

// encodedCache keeps the JSON form of recently answered users by id and
// version. A version's JSON never changes, so an entry is valid as long as
// the user is at that version.
type encodedCache struct {
	mu sync.Mutex
	m  map[string]encodedEntry
}

type encodedEntry struct {
	version int64
	json    []byte
}

const encodedCacheSize = 100_000

func (c *encodedCache) user(u *roster.User) ([]byte, error) {
	c.mu.Lock()
	e, ok := c.m[u.ID]
	c.mu.Unlock()
	if ok && e.version == u.Version {
		return e.json, nil
	}
	b, err := json.Marshal(userResource(u))
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]encodedEntry)
	} else if len(c.m) >= encodedCacheSize {
		// Drop an arbitrary tenth (map order is random), not everything:
		// clearing the whole map made every user's next read encode anew
		// once as many users as the cache holds had been read.
		n := len(c.m) / 10
		for k := range c.m {
			if n == 0 {
				break
			}
			delete(c.m, k)
			n--
		}
	}
	c.m[u.ID] = encodedEntry{u.Version, b}
	return b, nil
}

// encodedUser marshals a user through the cache.
type encodedUser struct {
	s *server
	u *roster.User
}

func (e encodedUser) MarshalJSON() ([]byte, error) { return e.s.encoded.user(e.u) }
