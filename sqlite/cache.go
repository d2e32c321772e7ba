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
	orgs   map[string]*roster.Organization
	schema map[string][]byte // org id → the settings schema that applies (empty: none)
	orgOff map[string]bool   // org id → whether it or an ancestor is disabled
	client map[string]*roster.OAuthClient
	// hits and misses count the lookups of each kind (CacheCounts).
	hits, misses [cacheKinds]uint64
}

// The kinds of value the cache holds, by which its lookups are counted.
const (
	cacheUser = iota
	cacheCredential
	cacheOrg
	cacheSchema
	cacheOrgDisabled
	cacheClient
	cacheKinds
)

var cacheKindNames = [cacheKinds]string{"user", "credential", "organization", "settings_schema", "org_disabled", "oauth_client"}

// CacheCount is how many lookups of one kind of value the read cache
// answered (Hits) and left to the database (Misses) since the store opened.
type CacheCount struct {
	Kind         string // user, credential, organization, settings_schema, org_disabled or oauth_client
	Hits, Misses uint64
}

// CacheCounts returns the read cache's lookups by kind, for the hit ratio.
func (db *DB) CacheCounts() []CacheCount {
	c := db.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]CacheCount, cacheKinds)
	for k := range out {
		out[k] = CacheCount{Kind: cacheKindNames[k], Hits: c.hits[k], Misses: c.misses[k]}
	}
	return out
}

// count counts a lookup; c.mu is held.
func (c *readCache) count(kind int, hit bool) {
	if hit {
		c.hits[kind]++
	} else {
		c.misses[kind]++
	}
}

// cacheSize bounds each map; past it an arbitrary tenth is dropped.
const cacheSize = 100_000

// touched is what one writer batch changed: ids to forget, and the users
// its successful jobs wrote, which become the cached versions once the
// batch has committed (write-through).
type touched struct {
	users     []string
	keys      []string
	orgs      bool
	clients   bool
	written   []*roster.User
	committed bool
}

func newReadCache() *readCache {
	c := &readCache{users: map[string]*roster.User{}}
	c.clearOrgs()
	return c
}

// clearOrgs forgets everything that depends on organisations.
func (c *readCache) clearOrgs() {
	c.creds, c.byUser = map[string]*roster.Credential{}, map[string][]string{}
	c.orgs, c.schema, c.orgOff = map[string]*roster.Organization{}, map[string][]byte{}, map[string]bool{}
	c.client = map[string]*roster.OAuthClient{} // deleting an organisation deletes its clients
}

func (c *readCache) now() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.epoch
}

func (c *readCache) user(id string) *roster.User {
	c.mu.Lock()
	defer c.mu.Unlock()
	u := c.users[id]
	c.count(cacheUser, u != nil)
	return u
}

// userAt returns the cached user if it is at the version given.
func (c *readCache) userAt(id string, version int64) *roster.User {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	u := c.users[id]
	if u != nil && u.Version != version {
		u = nil
	}
	c.count(cacheUser, u != nil)
	return u
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
	cred := c.creds[string(hash)]
	c.count(cacheCredential, cred != nil)
	return cred
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
	if len(t.users) == 0 && len(t.keys) == 0 && !t.orgs && !t.clients && len(t.written) == 0 {
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
	if t.committed {
		for _, u := range t.written { // in the order written
			if u.Version < 0 {
				delete(c.users, u.ID)
				continue
			}
			if len(c.users) >= cacheSize {
				shrink(c.users)
			}
			c.users[u.ID] = u
		}
	}
	switch {
	case t.orgs:
		// Organisation changes (status, parent, schemas) are rare: forget
		// everything that depends on them.
		c.clearOrgs()
	case len(t.keys) > 0:
		c.creds, c.byUser = map[string]*roster.Credential{}, map[string][]string{}
	}
	if t.clients {
		c.client = map[string]*roster.OAuthClient{}
	}
}

// lookup returns what *m holds under key, counting the lookup as kind.
// (m points at the field: clearing the cache replaces the maps.)
func lookup[V any](c *readCache, m *map[string]V, kind int, key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := (*m)[key]
	c.count(kind, ok)
	return v, ok
}

// remember keeps v under key in *m, unless a batch ended since the read
// that found it began (epoch).
func remember[V any](c *readCache, epoch uint64, m *map[string]V, key string, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if epoch != c.epoch {
		return
	}
	if len(*m) >= cacheSize {
		shrink(*m)
	}
	(*m)[key] = v
}

func (c *readCache) org(id string) *roster.Organization {
	o, _ := lookup(c, &c.orgs, cacheOrg, id)
	return o
}

func (c *readCache) putOrg(epoch uint64, o *roster.Organization) {
	remember(c, epoch, &c.orgs, o.ID, o)
}

func (c *readCache) settingsSchema(orgID string) ([]byte, bool) {
	return lookup(c, &c.schema, cacheSchema, orgID)
}

func (c *readCache) putSettingsSchema(epoch uint64, orgID string, doc []byte) {
	remember(c, epoch, &c.schema, orgID, doc)
}

func (c *readCache) orgDisabled(orgID string) (off, ok bool) {
	return lookup(c, &c.orgOff, cacheOrgDisabled, orgID)
}

func (c *readCache) putOrgDisabled(epoch uint64, orgID string, off bool) {
	remember(c, epoch, &c.orgOff, orgID, off)
}

func (c *readCache) oauthClient(id string) *roster.OAuthClient {
	cl, _ := lookup(c, &c.client, cacheClient, id)
	return cl
}

func (c *readCache) putOAuthClient(epoch uint64, cl *roster.OAuthClient) {
	remember(c, epoch, &c.client, cl.ID, cl)
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
