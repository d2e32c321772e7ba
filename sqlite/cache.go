// SPDX-License-Identifier: Apache-2.0

package sqlite

import (
	"slices"
	"sync"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/sizedmap"
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
//
// It is bounded in bytes (Options.CacheBytes), by an estimate of what
// each entry holds (userBytes and the like), split between the kinds of
// value by cacheShares.
type readCache struct {
	mu     sync.Mutex
	epoch  uint64
	users  *sizedmap.Map[*roster.User]
	creds  *sizedmap.Map[*roster.Credential] // by key hash
	byUser map[string][]string               // user id → key hashes cached for it
	orgs   *sizedmap.Map[*roster.Organization]
	schema *sizedmap.Map[[]byte] // org id → the settings schema that applies (empty: none)
	orgOff *sizedmap.Map[bool]   // org id → whether it or an ancestor is disabled
	client *sizedmap.Map[*roster.OAuthClient]
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

// cacheShares are the parts of the read cache's bound each kind may use,
// in thousandths: users are what GETs and writes read; credentials come
// next (one per API key in use); organisations, schemas and OAuth clients
// are few.
var cacheShares = [cacheKinds]int64{cacheUser: 700, cacheCredential: 200, cacheOrg: 40, cacheSchema: 30, cacheOrgDisabled: 10, cacheClient: 20}

// CacheCount is how many lookups of one kind of value the read cache
// answered (Hits) and left to the database (Misses) since the store
// opened, and what it holds now: Entries, their estimated Bytes, within
// MaxBytes.
type CacheCount struct {
	Kind            string // user, credential, organization, settings_schema, org_disabled or oauth_client
	Hits, Misses    uint64
	Entries         int
	Bytes, MaxBytes int64
}

// CacheCounts returns the read cache's lookups and sizes by kind, for the
// hit ratio and the memory gauges.
func (db *DB) CacheCounts() []CacheCount { return db.cache.counts() }

func (c *readCache) counts() []CacheCount {
	c.mu.Lock()
	defer c.mu.Unlock()
	sizes := [cacheKinds]interface {
		Len() int
		Bytes() int64
		Max() int64
	}{c.users, c.creds, c.orgs, c.schema, c.orgOff, c.client}
	out := make([]CacheCount, cacheKinds)
	for k := range out {
		m := sizes[k]
		out[k] = CacheCount{Kind: cacheKindNames[k], Hits: c.hits[k], Misses: c.misses[k], Entries: m.Len(), Bytes: m.Bytes(), MaxBytes: m.Max()}
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

// newReadCache returns an empty cache that holds at most about bytes.
func newReadCache(bytes int64) *readCache {
	share := func(kind int) int64 { return bytes / 1000 * cacheShares[kind] }
	return &readCache{users: sizedmap.New[*roster.User](share(cacheUser)),
		creds: sizedmap.New[*roster.Credential](share(cacheCredential)), byUser: map[string][]string{},
		orgs: sizedmap.New[*roster.Organization](share(cacheOrg)), schema: sizedmap.New[[]byte](share(cacheSchema)),
		orgOff: sizedmap.New[bool](share(cacheOrgDisabled)), client: sizedmap.New[*roster.OAuthClient](share(cacheClient))}
}

// clearOrgs forgets everything that depends on organisations.
func (c *readCache) clearOrgs() {
	c.clearCreds()
	c.orgs.Clear()
	c.schema.Clear()
	c.orgOff.Clear()
	c.client.Clear() // deleting an organisation deletes its clients
}

func (c *readCache) clearCreds() {
	c.creds.Clear()
	clear(c.byUser)
}

func (c *readCache) now() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.epoch
}

func (c *readCache) user(id string) *roster.User {
	c.mu.Lock()
	defer c.mu.Unlock()
	u, _ := c.users.Get(id)
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
	u, _ := c.users.Get(id)
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
	c.users.Put(u.ID, u, userBytes(u))
}

func (c *readCache) credential(hash []byte) *roster.Credential {
	c.mu.Lock()
	defer c.mu.Unlock()
	cred, _ := c.creds.Get(string(hash))
	c.count(cacheCredential, cred != nil)
	return cred
}

func (c *readCache) putCredential(epoch uint64, hash []byte, cred *roster.Credential) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if epoch != c.epoch {
		return
	}
	h := string(hash)
	c.creds.Put(h, cred, credentialBytes(cred))
	if !slices.Contains(c.byUser[cred.User.ID], h) {
		c.byUser[cred.User.ID] = append(c.byUser[cred.User.ID], h)
	}
	if len(c.byUser) > 2*c.creds.Len()+1024 {
		c.reindexCreds()
	}
}

// reindexCreds rebuilds byUser from the credentials still cached: the
// bound forgets credentials without telling byUser.
func (c *readCache) reindexCreds() {
	clear(c.byUser)
	for h, cred := range c.creds.All() {
		c.byUser[cred.User.ID] = append(c.byUser[cred.User.ID], h)
	}
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
		c.users.Delete(id)
		for _, h := range c.byUser[id] {
			c.creds.Delete(h)
		}
		delete(c.byUser, id)
	}
	if t.committed {
		for _, u := range t.written { // in the order written
			if u.Version < 0 {
				c.users.Delete(u.ID)
				continue
			}
			c.users.Put(u.ID, u, userBytes(u))
		}
	}
	switch {
	case t.orgs:
		// Organisation changes (status, parent, schemas) are rare: forget
		// everything that depends on them.
		c.clearOrgs()
	case len(t.keys) > 0:
		c.clearCreds()
	}
	if t.clients {
		c.client.Clear()
	}
}

// lookup returns what m holds under key, counting the lookup as kind.
func lookup[V any](c *readCache, m *sizedmap.Map[V], kind int, key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := m.Get(key)
	c.count(kind, ok)
	return v, ok
}

// remember keeps v (of about size bytes) under key in m, unless a batch
// ended since the read that found it began (epoch).
func remember[V any](c *readCache, epoch uint64, m *sizedmap.Map[V], key string, v V, size int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if epoch != c.epoch {
		return
	}
	m.Put(key, v, size)
}

func (c *readCache) org(id string) *roster.Organization {
	o, _ := lookup(c, c.orgs, cacheOrg, id)
	return o
}

func (c *readCache) putOrg(epoch uint64, o *roster.Organization) {
	remember(c, epoch, c.orgs, o.ID, o, orgBytes)
}

func (c *readCache) settingsSchema(orgID string) ([]byte, bool) {
	return lookup(c, c.schema, cacheSchema, orgID)
}

func (c *readCache) putSettingsSchema(epoch uint64, orgID string, doc []byte) {
	remember(c, epoch, c.schema, orgID, doc, int64(cap(doc)))
}

func (c *readCache) orgDisabled(orgID string) (off, ok bool) {
	return lookup(c, c.orgOff, cacheOrgDisabled, orgID)
}

func (c *readCache) putOrgDisabled(epoch uint64, orgID string, off bool) {
	remember(c, epoch, c.orgOff, orgID, off, 0)
}

func (c *readCache) oauthClient(id string) *roster.OAuthClient {
	cl, _ := lookup(c, c.client, cacheClient, id)
	return cl
}

func (c *readCache) putOAuthClient(epoch uint64, cl *roster.OAuthClient) {
	remember(c, epoch, c.client, cl.ID, cl, clientBytes)
}

// Estimates of what a cached value holds in memory, beside its key:
// a decoded user's fixed part (the struct, its slices' and strings'
// headers, allocation rounding) and what each element of its lists adds;
// organisations and OAuth clients are counted as a whole (they are few).
const (
	userFixedBytes   = 768
	userElementBytes = 96
	credentialBytes0 = 256
	orgBytes         = 1024
	clientBytes      = 1024
)

// userBytes estimates the memory a decoded user holds.
func userBytes(u *roster.User) int64 {
	n := userFixedBytes + len(u.ID) + len(u.OrganizationID) + len(u.Username) + len(u.Email) + len(u.FirstName) + len(u.LastName) +
		len(u.DisplayName) + len(u.ManagerID) + len(u.ExternalID) + cap(u.Settings) +
		userElementBytes*(len(u.Tags)+len(u.Roles)+len(u.Memberships))
	for _, p := range []*roster.Phone{u.Phone, u.Mobile} {
		if p != nil {
			n += userElementBytes
		}
	}
	for _, t := range u.Tags {
		n += len(t.Name) + len(t.Color)
	}
	pr := u.Preferences
	n += len(pr.Language) + len(pr.TimeZone) + len(pr.DefaultCountry) + len(pr.ColorMode) + len(pr.DateFormat) + len(pr.NumberFormat) + len(pr.DefaultOutboundNumber)
	// Notifications: up to 1,000 blocked ids and 20 addresses and numbers
	// each, and a map entry per event with its channels.
	no := u.Notifications
	for _, list := range [][]string{no.EmailAddresses, no.SMSNumbers, no.BlockedUserIDs} {
		for _, v := range list {
			n += 16 + len(v)
		}
	}
	for name, e := range no.Events {
		n += userElementBytes + len(name) + 16*len(e.Channels)
	}
	return int64(n)
}

// credentialBytes estimates the memory a cached credential holds: its key
// and the user it carries.
func credentialBytes(cred *roster.Credential) int64 {
	n := int64(credentialBytes0)
	if cred.User != nil {
		n += userBytes(cred.User)
	}
	return n
}
