// SPDX-License-Identifier: Apache-2.0

package sqlite

import (
	"sync"

	"github.com/rosterhq/roster"
)

// readCache keeps decoded users and credentials in memory, so that the
// hot reads (authentication, GET of a user) do not touch SQLite at all.
//
// It is exact, not eventually consistent, because the embedded store has
// one writer in one process: every write goes through the writer, which
// tells the cache what each batch touched before it answers any request
// of the batch. A read that fills the cache records the epoch it started
// in and is kept only if no batch ended meanwhile, so a fill can never
// put back a value that a concurrent write has just made stale.
type readCache struct {
	mu     sync.Mutex
	epoch  uint64
	users  map[string]*roster.User
	creds  map[string]*roster.Credential // by key hash
	byUser map[string][]string           // user id → key hashes cached for it
}

// cacheSize bounds each map; past it an arbitrary tenth is dropped.
const cacheSize = 200_000

// touched is what one writer batch changed.
type touched struct {
	users []string
	keys  []string
	orgs  bool
}

func newReadCache() *readCache {
	return &readCache{users: map[string]*roster.User{}, creds: map[string]*roster.Credential{}, byUser: map[string][]string{}}
}

func (c *readCache) now() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.epoch
}

func (c *readCache) user(id string) *roster.User {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.users[id]
}

// userAt returns the cached user if it is at the version given.
func (c *readCache) userAt(id string, version int64) *roster.User {
	if c == nil {
		return nil
	}
	if u := c.user(id); u != nil && u.Version == version {
		return u
	}
	return nil
}

func (c *readCache) putUser(epoch uint64, u *roster.User) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if epoch != c.epoch {
		return
	}
	if len(c.users) >= cacheSize {
		shrink(c.users)
	}
	c.users[u.ID] = u
}

func (c *readCache) credential(hash []byte) *roster.Credential {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.creds[string(hash)]
}

func (c *readCache) putCredential(epoch uint64, hash []byte, cred *roster.Credential) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if epoch != c.epoch {
		return
	}
	if len(c.creds) >= cacheSize {
		c.creds, c.byUser = map[string]*roster.Credential{}, map[string][]string{}
	}
	c.creds[string(hash)] = cred
	c.byUser[cred.User.ID] = append(c.byUser[cred.User.ID], string(hash))
}

// forget drops what a batch touched and starts a new epoch.
func (c *readCache) forget(t *touched) {
	if len(t.users) == 0 && len(t.keys) == 0 && !t.orgs {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	for _, id := range t.users {
		delete(c.users, id)
		for _, h := range c.byUser[id] {
			delete(c.creds, h)
		}
		delete(c.byUser, id)
	}
	if len(t.keys) > 0 || t.orgs {
		// Key deletions and organisation changes (status, parent) are
		// rare: forget every credential.
		c.creds, c.byUser = map[string]*roster.Credential{}, map[string][]string{}
	}
}

func shrink[V any](m map[string]V) {
	n := len(m) / 10
	for k := range m {
		if n == 0 {
			return
		}
		delete(m, k)
		n--
	}
}
