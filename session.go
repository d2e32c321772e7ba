// SPDX-License-Identifier: Apache-2.0

package roster

import (
	"context"
	"slices"
	"time"
)

// Browser sign-in (PRODUCT.md section 9): the sessions behind the hosted
// pages' cookie, the authorization codes the authorization endpoint hands
// a client, and the consents users gave third-party clients. Like every
// credential they live in tables of their own, by the SHA-256 of their
// secret, never in a user's document.

// PrefixSession is the id prefix of browser sessions (the ID token's sid).
const PrefixSession = "ses"

// Authentication methods (OpenID Connect amr values, RFC 8176).
const (
	AMRPassword = "pwd"
	AMROTP      = "otp"
	// AMRSSO marks a session opened with a reseller's SSO link: no
	// password or second factor, on an administrator's word.
	AMRSSO = "sso"
)

// Session is a user's browser session: the hosted pages' cookie holds its
// secret, whose SHA-256 is Hash. Tokens issued in it carry its ID
// (Token.SessionID), so that ending it revokes them. ImpersonatorID is the
// admin who opened it with an SSO link ("" for the user's own sign-in).
type Session struct {
	ID             string    `json:"id"`
	UserID         string    `json:"user_id"`
	CreatedAt      time.Time `json:"created_at"`
	LastSeenAt     time.Time `json:"last_seen_at"`
	ExpiresAt      time.Time `json:"expires_at"`
	AuthTime       time.Time `json:"auth_time"`
	AMR            []string  `json:"amr"`
	ImpersonatorID string    `json:"impersonator_id,omitempty"`
	UserAgent      string    `json:"user_agent,omitempty"`
	Address        string    `json:"address,omitempty"`
	Hash           []byte    `json:"-"`
}

// Clone returns a deep copy of s.
func (s *Session) Clone() *Session {
	c := *s
	c.AMR = slices.Clone(s.AMR)
	c.Hash = slices.Clone(s.Hash)
	return &c
}

// AuthCode is an authorization code (RFC 6749 section 4.1) by the SHA-256
// of its secret. Family is the token family the code's exchange issues,
// chosen at its creation, so that a code used twice can revoke the tokens
// it gave (section 4.1.2).
type AuthCode struct {
	Hash          []byte
	ClientID      string
	UserID        string
	SessionID     string
	Family        string
	RedirectURI   string
	Scopes        []string
	Nonce         string
	CodeChallenge string // S256 of the verifier, base64url; "" without PKCE
	AuthTime      time.Time
	CreatedAt     time.Time
	ExpiresAt     time.Time
	Used          bool
}

// Consent is what a user granted a third-party client: the scopes it was
// asked for and allowed. A client that asks for more asks again.
type Consent struct {
	UserID    string
	ClientID  string
	Scopes    []string
	UpdatedAt time.Time
}

// SessionReader holds the reads of sessions and consents. Find* return
// CodeNotFound when nothing matches.
type SessionReader interface {
	// FindSession returns the session whose cookie secret hashes to hash.
	FindSession(ctx context.Context, hash []byte) (*Session, error)
	// FindSessionByID returns a session by its id.
	FindSessionByID(ctx context.Context, id string) (*Session, error)
	// FindUserSessions returns one page of a user's sessions that expire
	// after live, newest first (created_at, then id, both descending), and
	// the cursor of the next page (nil on the last). The cursor's sort is
	// SortSessions.
	FindUserSessions(ctx context.Context, userID string, live time.Time, p Page) ([]*Session, *Cursor, error)
	// FindConsent returns what a user granted a client.
	FindConsent(ctx context.Context, userID, clientID string) (*Consent, error)
}

// SessionTx holds the writes of sessions, authorization codes and
// consents.
type SessionTx interface {
	CreateSession(s *Session) error
	// TouchSession sets a session's last_seen_at (CodeNotFound when it is
	// gone).
	TouchSession(id string, at time.Time) error
	// DeleteSession removes a session and every token issued in it, and
	// reports whether there was one.
	DeleteSession(id string) (bool, error)
	// MoveSessionTokens gives session to the tokens issued in session
	// from, and the authorization codes of from that are unused and expire
	// after live (the others are never exchanged, and a replay goes by
	// family): ending from then leaves them, ending to revokes them. A
	// re-sign-in of the same user takes over its earlier session's apps
	// this way. The sessions themselves are not touched.
	MoveSessionTokens(from, to string, live time.Time) error
	// DeleteUserSessions removes a user's sessions and the tokens issued
	// in them, and returns how many sessions it removed.
	DeleteUserSessions(userID string) (int64, error)

	CreateAuthCode(c *AuthCode) error
	// TakeAuthCode marks a code used and returns it as it was: Used true
	// means it had been taken before (a replay). Of two transactions
	// taking one code, exactly one sees it unused.
	TakeAuthCode(hash []byte) (*AuthCode, error)

	// PutConsent stores (or replaces) what a user granted a client.
	PutConsent(c *Consent) error
}
