// SPDX-License-Identifier: Apache-2.0

package roster

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"time"
)

// APIKey is a long-lived bearer credential of a user. Only a hash of its
// secret is stored; the secret is shown once, when the key is made.
type APIKey struct {
	ID        string     `json:"id" readOnly:"true"`
	UserID    string     `json:"user_id"`
	Name      string     `json:"name" maxLength:"255"`
	Scopes    []string   `json:"scopes" doc:"Scopes that narrow what the user's roles allow; empty means every scope the roles allow."`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	CreatedAt time.Time  `json:"created_at" readOnly:"true"`
	Hash      []byte     `json:"-"`
}

// NewKeySecret returns a new random API key secret.
func NewKeySecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return "rk_" + base64.RawURLEncoding.EncodeToString(b[:])
}

// HashKeySecret returns the stored form of a key secret. Secrets are
// random and long, so one SHA-256 is enough (a slow hash is for passwords).
func HashKeySecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// Caller is who a request acts for: the user behind the credential, the
// credential's id and the scopes that narrow the user's roles.
type Caller struct {
	User   *User
	KeyID  string
	Scopes []string
	// ClientID is set for an OAuth service client's token; User is then
	// a stand-in that holds the admin role in the client's organisation
	// only, and Scopes (never empty) limit it to the client's scopes.
	ClientID string
	// Family is the sign-in an access token belongs to.
	Family string
	// ImpersonatorID is the administrator behind a token issued in a
	// session opened with an SSO link: the caller acts as User on its
	// word, and every change it makes names it.
	ImpersonatorID string
}

// IdempotencyTTL is how long an Idempotency-Key is remembered.
const IdempotencyTTL = 24 * time.Hour

// IdempotentResponse is the recorded answer to a POST sent with an
// Idempotency-Key, replayed when the same key comes again.
type IdempotentResponse struct {
	Scope       string // the calling key
	Key         string
	RequestHash []byte
	Done        bool // false while the first request is still running
	Status      int
	Header      map[string]string
	Body        []byte
	CreatedAt   time.Time
}
