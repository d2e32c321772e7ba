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

// encodedCache keeps the JSON of recently answered users' documents
// (without _links, which derive from the ids and are appended to each
// answer) by id and version, within a bound in bytes
// (Config.EncodedCacheBytes). Leaving the links out nearly halves an
// entry (they repeat the id five times), so twice as many users fit. A
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

// document returns the JSON of the user's document, without _links.
func (c *encodedCache) document(u *roster.User) ([]byte, error) {
	c.mu.Lock()
	b := c.lookup(u)
	c.mu.Unlock()
	if b != nil {
		return b, nil
	}
	return c.encode(u)
}

// documents is document for a page of users, looked up under one lock:
// fifty lookups each taking the lock were a twentieth of a search's CPU.
func (c *encodedCache) documents(users []*roster.User) ([][]byte, error) {
	docs := make([][]byte, len(users))
	c.mu.Lock()
	for i, u := range users {
		docs[i] = c.lookup(u)
	}
	c.mu.Unlock()
	for i, u := range users {
		if docs[i] == nil {
			b, err := c.encode(u)
			if err != nil {
				return nil, err
			}
			docs[i] = b
		}
	}
	return docs, nil
}

// lookup returns the kept JSON of the user's version, or nil, and counts
// the lookup; c.mu is held.
func (c *encodedCache) lookup(u *roster.User) []byte {
	if e, ok := c.m.Get(u.ID); ok && e.version == u.Version {
		c.hits++
		return e.json
	}
	c.misses++
	return nil
}

// encode encodes the user's document and keeps it.
func (c *encodedCache) encode(u *roster.User) ([]byte, error) {
	b, err := json.Marshal(u.Document())
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m.Put(u.ID, encodedEntry{u.Version, b}, int64(cap(b)))
	return b, nil
}

// appendUser appends the user's resource to dst, byte for byte what
// json.Marshal(userResource(u)) writes.
func (c *encodedCache) appendUser(dst []byte, u *roster.User) ([]byte, error) {
	doc, err := c.document(u)
	if err != nil {
		return dst, err
	}
	return appendUserResource(dst, doc, u)
}

// appendUserResource appends the resource of u whose document's JSON is
// doc.
func appendUserResource(dst, doc []byte, u *roster.User) ([]byte, error) {
	// The resource is the document's members, then _links (UserResource
	// embeds the user).
	dst = append(dst, doc[:len(doc)-1]...)
	if len(doc) > 2 {
		dst = append(dst, ',')
	}
	dst = append(dst, `"_links":`...)
	dst, err := appendUserLinks(dst, u)
	if err != nil {
		return dst, err
	}
	return append(dst, '}'), nil
}

// userResourceSize is about what appendUser adds beside the document:
// the links, with ids of the usual length.
const userResourceSize = 480

// appendUserLinks appends the JSON of userLinks(u): written directly for
// ids that JSON carries as they are (all that Roster makes), through the
// map otherwise. Encoding the map was most of a cache miss's cost beside
// the document.
func appendUserLinks(dst []byte, u *roster.User) ([]byte, error) {
	if !plainID(u.ID) || !plainID(u.OrganizationID) {
		b, err := json.Marshal(userLinks(u))
		return append(dst, b...), err
	}
	self := func(dst []byte, tail string) []byte {
		dst = append(dst, `{"href":"/v1/users/`...)
		dst = append(dst, u.ID...)
		return append(dst, tail...)
	}
	dst = self(append(dst, `{"email_change":`...), `/email-change","method":"POST"}`)
	dst = self(append(dst, `,"mfa":`...), `/mfa/totp","method":"POST"}`)
	dst = append(dst, `,"organization":{"href":"/v1/orgs/`...)
	dst = append(dst, u.OrganizationID...)
	dst = self(append(dst, `"},"password":`...), `/password","method":"POST"}`)
	dst = self(append(dst, `,"self":`...), `"}`)
	dst = self(append(dst, `,"tags":`...), `/tags","method":"POST"}`)
	return append(dst, '}'), nil
}

// plainID reports whether id holds only characters that JSON writes
// unescaped (letters, digits, '_' and '-').
func plainID(id string) bool {
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
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

func (e encodedUser) MarshalJSON() ([]byte, error) { return e.s.encoded.appendUser(nil, e.u) }
