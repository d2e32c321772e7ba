// SPDX-License-Identifier: Apache-2.0

package service

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/rosterhq/roster"
)

// The keys that sign ID tokens. They live in the store, their private
// halves sealed with the secret key, so that every node signs with the
// same keys and a rotation by `roster keys rotate` (another process)
// reaches every node: each re-reads the keys at least every
// keysMaxAge (SecurityConfig.KeysRefresh), and at once when it finds no
// current key of an algorithm.

const (
	// keysMaxAge is how long a node signs with the keys it read before
	// reading them again, unless configured otherwise.
	keysMaxAge = 30 * time.Second
	// retiredMargin keeps a retired key in the JWKS beyond the lifetime
	// of the last ID token it signed: nodes may sign with it for up to
	// keysMaxAge after the rotation, and clocks differ.
	retiredMargin = 5 * time.Minute
	// rsaBits is the size of generated RSA keys.
	rsaBits = 2048
)

// keyRing is the node's copy of the signing keys.
type keyRing struct {
	mu  sync.Mutex // one reader of the store at a time
	set atomic.Pointer[keySet]
}

// keySet is the signing keys as read at one time. It is never changed.
type keySet struct {
	read    time.Time
	current map[string]*liveKey // by algorithm
	jwks    []byte              // the public keys not yet expired, as a JWK Set
}

// liveKey is a current key with its private half opened.
type liveKey struct {
	id     string
	signer jose.Signer
}

// errNoSecretKey is the answer of key operations on a service without a
// secret key, which only tests set up.
var errNoSecretKey = errors.New("signing keys need the secret key (SetSecretBox)")

// keyAAD binds a sealed private key to its key id.
func keyAAD(kid string) []byte { return []byte("signing-key:" + kid) }

// newSigningKey generates a key of alg, sealed for the store; the
// transaction that stores it dates it.
func (s *Service) newSigningKey(alg string) (*roster.SigningKey, error) {
	if s.box == nil {
		return nil, errNoSecretKey
	}
	var priv crypto.Signer
	var err error
	switch alg {
	case roster.AlgRS256:
		priv, err = rsa.GenerateKey(rand.Reader, rsaBits)
	case roster.AlgES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		return nil, fmt.Errorf("unknown signing algorithm %q", alg)
	}
	if err != nil {
		return nil, err
	}
	pub := jose.JSONWebKey{Key: priv.Public(), Algorithm: alg, Use: "sig"}
	// The key id is the RFC 7638 thumbprint: derived from the key, unique
	// without coordination.
	thumb, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, err
	}
	pub.KeyID = base64.RawURLEncoding.EncodeToString(thumb)
	jwk, err := pub.MarshalJSON()
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	return &roster.SigningKey{ID: pub.KeyID, Alg: alg, Sealed: s.box.Seal(der, keyAAD(pub.KeyID)), PublicJWK: jwk}, nil
}

// newSigningKeys generates a key of each algorithm.
func (s *Service) newSigningKeys(algs []string) ([]*roster.SigningKey, error) {
	out := make([]*roster.SigningKey, 0, len(algs))
	for _, alg := range algs {
		k, err := s.newSigningKey(alg)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, nil
}

// EnsureSigningKeys makes a current key of every algorithm that has none
// (on a new database, at the first start). Nodes that start at once on
// one database each offer keys; the store keeps one per algorithm and
// every node then signs with those.
func (s *Service) EnsureSigningKeys(ctx context.Context) error {
	stored, err := s.store.FindSigningKeys(ctx)
	if err != nil {
		return err
	}
	current := map[string]bool{}
	for _, k := range stored {
		if k.RetiredAt == nil {
			current[k.Alg] = true
		}
	}
	var algs []string
	for _, alg := range roster.SigningAlgs {
		if !current[alg] {
			algs = append(algs, alg)
		}
	}
	if len(algs) > 0 {
		fresh, err := s.newSigningKeys(algs)
		if err != nil {
			return err
		}
		err = s.store.Update(ctx, func(tx roster.Tx) error {
			for _, k := range fresh {
				k.CreatedAt = tx.Now()
				if _, err := tx.AddSigningKey(k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	_, err = s.reloadKeys(ctx)
	return err
}

// RotateSigningKeys makes a new current key of every algorithm and
// retires the current ones, which stay in the JWKS until the ID tokens
// they signed have expired. It returns the new key ids.
func (s *Service) RotateSigningKeys(ctx context.Context) ([]string, error) {
	fresh, err := s.newSigningKeys(roster.SigningAlgs)
	if err != nil {
		return nil, err
	}
	keep := s.secure().cfg.AccessTokenTTL + retiredMargin
	err = s.store.Update(ctx, func(tx roster.Tx) error {
		now := tx.Now()
		if _, err := tx.RetireSigningKeys(now, now.Add(keep)); err != nil {
			return err
		}
		for _, k := range fresh {
			k.CreatedAt = now
			ok, err := tx.AddSigningKey(k)
			if err != nil {
				return err
			}
			if !ok {
				return roster.Errorf(roster.CodeConflict, "another rotation of the signing keys ran at the same time: run it again if its keys should be replaced too")
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(fresh))
	for i, k := range fresh {
		ids[i] = k.ID
	}
	if _, err := s.reloadKeys(ctx); err != nil {
		return nil, err
	}
	return ids, nil
}

// PurgeSigningKeys removes the retired keys that have left the JWKS.
func (s *Service) PurgeSigningKeys(ctx context.Context) (int64, error) {
	var n int64
	err := s.store.Update(ctx, func(tx roster.Tx) (err error) {
		n, err = tx.PurgeSigningKeys(tx.Now())
		return err
	})
	return n, err
}

// keys returns the signing keys, read again when they are older than
// keysMaxAge (or the configured KeysRefresh).
func (s *Service) keys(ctx context.Context) (*keySet, error) {
	maxAge := s.secure().cfg.KeysRefresh
	if maxAge <= 0 {
		maxAge = keysMaxAge
	}
	set := s.ring.set.Load()
	if set != nil && time.Since(set.read) < maxAge {
		return set, nil
	}
	fresh, err := s.reloadKeys(ctx)
	if err != nil && set != nil {
		// The keys read before still sign and verify: a failed read
		// (the database away for a moment) is retried at the next use.
		s.log.Warn("reading the signing keys again failed: using those read before", "error", err, "read_at", set.read)
		return set, nil
	}
	return fresh, err
}

// reloadKeys reads the signing keys from the store. Callers that find
// the keys stale at once wait for one read.
func (s *Service) reloadKeys(ctx context.Context) (*keySet, error) {
	asked := time.Now()
	s.ring.mu.Lock()
	defer s.ring.mu.Unlock()
	if set := s.ring.set.Load(); set != nil && !set.read.Before(asked) {
		return set, nil // read by another caller while this one waited
	}
	stored, err := s.store.FindSigningKeys(ctx)
	if err != nil {
		return nil, err
	}
	set, err := s.openKeys(stored, time.Now())
	if err != nil {
		return nil, err
	}
	s.ring.set.Store(set)
	return set, nil
}

// openKeys builds a key set from the stored keys: signers for the
// current ones, the JWKS of those not expired.
func (s *Service) openKeys(stored []*roster.SigningKey, now time.Time) (*keySet, error) {
	set := &keySet{read: now, current: map[string]*liveKey{}}
	var published jose.JSONWebKeySet
	for _, k := range stored {
		if k.ExpiresAt != nil && !now.Before(*k.ExpiresAt) {
			continue
		}
		var jwk jose.JSONWebKey
		if err := jwk.UnmarshalJSON(k.PublicJWK); err != nil {
			return nil, fmt.Errorf("signing key %s: its public key does not read: %w", k.ID, err)
		}
		published.Keys = append(published.Keys, jwk)
		if k.RetiredAt != nil {
			continue
		}
		live, err := s.openKey(k)
		if err != nil {
			return nil, err
		}
		set.current[k.Alg] = live
	}
	var err error
	set.jwks, err = json.Marshal(published)
	return set, err
}

// openKey opens a stored key's private half and makes its signer.
func (s *Service) openKey(k *roster.SigningKey) (*liveKey, error) {
	if s.box == nil {
		return nil, errNoSecretKey
	}
	der, err := s.box.Open(k.Sealed, keyAAD(k.ID))
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", k.ID, err)
	}
	priv, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: its private key does not read: %w", k.ID, err)
	}
	opts := (&jose.SignerOptions{}).WithType("JWT")
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(k.Alg), Key: jose.JSONWebKey{Key: priv, KeyID: k.ID}}, opts)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", k.ID, err)
	}
	return &liveKey{id: k.ID, signer: signer}, nil
}

// SignJWT signs claims with the current key of alg ("" or "RS256", or
// "ES256"), setting the kid header.
func (s *Service) SignJWT(ctx context.Context, alg string, claims map[string]any) (string, error) {
	if alg == "" {
		alg = roster.AlgRS256
	}
	if !slices.Contains(roster.SigningAlgs, alg) {
		return "", fmt.Errorf("unknown signing algorithm %q: use RS256 or ES256", alg)
	}
	set, err := s.keys(ctx)
	if err != nil {
		return "", err
	}
	key := set.current[alg]
	if key == nil {
		// Another process may have just made it: read again before
		// giving up.
		if set, err = s.reloadKeys(ctx); err != nil {
			return "", err
		}
		if key = set.current[alg]; key == nil {
			return "", fmt.Errorf("no current %s signing key: the server makes them at start (EnsureSigningKeys)", alg)
		}
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	jws, err := key.signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

// JWKS returns the public signing keys as a JWK Set (RFC 7517): the
// current keys and the retired ones whose tokens may still be live.
func (s *Service) JWKS(ctx context.Context) ([]byte, error) {
	set, err := s.keys(ctx)
	if err != nil {
		return nil, err
	}
	return set.jwks, nil
}
