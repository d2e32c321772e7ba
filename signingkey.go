// SPDX-License-Identifier: Apache-2.0

package roster

import (
	"context"
	"time"
)

// Signing key algorithms (JWS "alg"): every ID token is signed with the
// current key of one of them.
const (
	AlgRS256 = "RS256"
	AlgES256 = "ES256"
)

// SigningAlgs are the algorithms that always have a current key.
var SigningAlgs = []string{AlgRS256, AlgES256}

// SigningKey is a key that signs ID tokens. Each algorithm has one
// current key (RetiredAt nil); a rotation retires it and keeps it in the
// JWKS until ExpiresAt, when every token it signed has expired, so that
// relying parties can still verify them.
type SigningKey struct {
	ID        string // the JWS "kid"
	Alg       string
	Sealed    []byte // the private key (PKCS #8), sealed with the secret key
	PublicJWK []byte // the public key as a JWK (JSON)
	CreatedAt time.Time
	RetiredAt *time.Time
	ExpiresAt *time.Time // when it leaves the JWKS; nil while current
}

// SigningKeyReader holds the reads of signing keys.
type SigningKeyReader interface {
	// FindSigningKeys returns every stored signing key (current, and
	// retired ones not yet purged), oldest first.
	FindSigningKeys(ctx context.Context) ([]*SigningKey, error)
}

// SigningKeyTx holds the writes of signing keys.
type SigningKeyTx interface {
	// AddSigningKey stores k as the current key of its algorithm unless
	// that algorithm has a current key already (also one that another
	// process is adding at this moment), and reports whether it stored it.
	// Nodes that start together each generate keys; one set wins.
	AddSigningKey(k *SigningKey) (bool, error)
	// RetireSigningKeys retires the current keys (at), keeping them until
	// expires, and returns how many it retired.
	RetireSigningKeys(at, expires time.Time) (int64, error)
	// PurgeSigningKeys removes the retired keys that expired before a
	// time and returns how many it removed.
	PurgeSigningKeys(before time.Time) (int64, error)
}
