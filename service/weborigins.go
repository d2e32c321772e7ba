// SPDX-License-Identifier: Apache-2.0

package service

import (
	"context"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rosterhq/roster"
)

// Web origins: the browser origins that may call the token, revocation
// and userinfo endpoints from script (CORS). As Keycloak derives a
// client's web origins from its redirect URIs, an origin is allowed when
// it is the origin of some OAuth client's registered redirect URI: a
// single-page app that may receive codes there may also redeem them.
//
// Every preflight and cross-origin call asks, so the set is kept in
// memory: it is read again after this node changes a client, and at
// least every webOriginsMaxAge for the changes of other nodes.

// webOriginsMaxAge bounds how long another node's client change takes to
// reach this node's set.
const webOriginsMaxAge = 30 * time.Second

// webOrigins is the node's copy of the allowed origins.
type webOrigins struct {
	mu  sync.Mutex // one reader of the store at a time
	set atomic.Pointer[originSet]
	// gen counts this node's client changes: a set read before the
	// latest change is stale even if young.
	gen atomic.Uint64
}

// originSet is the allowed origins as read at one time. Never changed.
type originSet struct {
	read    time.Time
	gen     uint64
	origins map[string]bool
}

func (o *originSet) fresh(gen uint64) bool {
	return o != nil && o.gen == gen && time.Since(o.read) < webOriginsMaxAge
}

// clientsChanged marks the set stale after a client was created, changed
// or deleted (called once the change is committed).
func (s *Service) clientsChanged() { s.origins.gen.Add(1) }

// WebOrigin reports whether a browser at origin (an Origin header) may
// call the token, revocation and userinfo endpoints from script.
func (s *Service) WebOrigin(ctx context.Context, origin string) (bool, error) {
	key, ok := originOf(origin)
	if !ok {
		return false, nil
	}
	set := s.origins.set.Load()
	if !set.fresh(s.origins.gen.Load()) {
		var err error
		if set, err = s.readWebOrigins(ctx); err != nil {
			return false, err
		}
	}
	return set.origins[key], nil
}

// readWebOrigins reads the origins of every client's redirect URIs.
// Callers that find the set stale at once wait for one read.
func (s *Service) readWebOrigins(ctx context.Context) (*originSet, error) {
	s.origins.mu.Lock()
	defer s.origins.mu.Unlock()
	gen := s.origins.gen.Load()
	if set := s.origins.set.Load(); set.fresh(gen) {
		return set, nil // read by another caller while this one waited
	}
	read := time.Now()
	clients, _, err := s.store.FindOAuthClients(ctx, nil, roster.Page{})
	if err != nil {
		return nil, err
	}
	set := &originSet{read: read, gen: gen, origins: map[string]bool{}}
	for _, cl := range clients {
		for _, uri := range cl.RedirectURIs {
			if key, ok := originOf(uri); ok {
				set.origins[key] = true
			}
		}
	}
	s.origins.set.Store(set)
	return set, nil
}

// originOf returns the web origin (RFC 6454) of a URL or Origin header
// in one spelling — scheme and host in lower case, the scheme's default
// port left out — or false when it has none (a native app's custom
// scheme, "null").
func originOf(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "https" && scheme != "http" {
		return "", false
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	switch {
	case port != "":
		host = net.JoinHostPort(host, port)
	case strings.Contains(host, ":"):
		host = "[" + host + "]" // an IPv6 literal
	}
	return scheme + "://" + host, true
}
