// SPDX-License-Identifier: Apache-2.0

package roster

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"slices"
	"time"
)

// Credentials other than API keys: passwords, OAuth 2.0 tokens, service
// clients and the record of failed sign-ins. Each lives in a table of its
// own, never in the user's document, so that no secret or hash can reach
// a response, an event or the audit log by way of the user.

// PrefixClient is the id prefix of OAuth clients (their client_id) and
// PrefixToken that of access and refresh tokens.
const (
	PrefixClient = "cli"
	PrefixToken  = "tok"
)

// Token kinds.
const (
	TokenAccess  = "access"
	TokenRefresh = "refresh"
)

// Token is an OAuth 2.0 access or refresh token. Only the SHA-256 of its
// secret is stored. The tokens of one sign-in share a Family: a refresh
// rotates within it, and a refresh token used twice revokes the family.
// A token acts for a user (UserID; ClientID is then the app it was
// issued to, if any) or for a service client (ClientID alone).
type Token struct {
	ID        string
	Kind      string
	Family    string
	UserID    string
	ClientID  string
	Scopes    []string
	CreatedAt time.Time
	ExpiresAt time.Time
	Used      bool // a refresh token that was already exchanged
	Hash      []byte
	// SessionID is the browser session the token was issued in ("" for
	// the token endpoint's own grants): ending the session revokes it.
	SessionID string
}

// OAuthClient is an app of the product: a service client for the
// client_credentials grant, which acts for its organisation with exactly
// its scopes, and an app users sign in to (PRODUCT.md section 9). Only
// the hash of a confidential client's secret is stored (empty for public
// clients); the secret is shown once. Read stored clients with
// DecodeOAuthClient.
type OAuthClient struct {
	ID             string    `json:"client_id" readOnly:"true" doc:"The client_id (cli_…)."`
	OrganizationID string    `json:"organization_id" doc:"The organisation the client acts for."`
	Name           string    `json:"name" maxLength:"255"`
	Scopes         []string  `json:"scopes" doc:"Exactly what the client's own tokens (client_credentials) may do."`
	CreatedAt      time.Time `json:"created_at" readOnly:"true"`
	CreatedBy      string    `json:"created_by,omitempty" readOnly:"true" doc:"The user who made the client."`
	UpdatedAt      time.Time `json:"updated_at" readOnly:"true"`
	Version        int64     `json:"version" readOnly:"true" doc:"Raised by every change; the ETag."`
	Hash           []byte    `json:"-"`

	// Sign-in for apps (PRODUCT.md section 9).
	Type                   string   `json:"type" enum:"confidential,public" doc:"confidential clients hold a secret; public clients (single-page and mobile apps) send client_id only and must use PKCE."`
	FirstParty             bool     `json:"first_party" doc:"The product's own app: its users are not asked for consent."`
	RedirectURIs           []string `json:"redirect_uris" doc:"Where the authorization endpoint may send the browser back, compared exactly."`
	PostLogoutRedirectURIs []string `json:"post_logout_redirect_uris" doc:"Where RP-initiated logout may send the browser back, compared exactly."`
	GrantTypes             []string `json:"grant_types" doc:"authorization_code, refresh_token, client_credentials, password (first-party clients only)."`
	AllowedScopes          []string `json:"allowed_scopes" doc:"What users may grant the client at sign-in: openid, profile, email, phone, offline_access and Roster's API scopes."`
	IDTokenAlg             string   `json:"id_token_signed_response_alg" enum:"RS256,ES256" doc:"How the client's ID tokens are signed (OpenID Connect Dynamic Client Registration's name); RS256 unless the client asks for ES256."`
}

// OAuth client types.
const (
	ClientConfidential = "confidential"
	ClientPublic       = "public"
)

// NewTokenSecret returns a new random secret with a prefix that says what
// it is (rat_ access token, rrt_ refresh token, rcs_ client secret).
func NewTokenSecret(prefix string) string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// CloneToken returns a deep copy of t.
func (t *Token) Clone() *Token {
	c := *t
	c.Scopes = slices.Clone(t.Scopes)
	c.Hash = slices.Clone(t.Hash)
	return &c
}

// SecurityReader holds the reads of credentials. Find* return CodeNotFound
// when nothing matches.
type SecurityReader interface {
	// FindPasswordHash returns the encoded password hash of a user.
	FindPasswordHash(ctx context.Context, userID string) (string, error)
	// FindToken returns the token whose secret hashes to hash.
	FindToken(ctx context.Context, hash []byte) (*Token, error)
	FindOAuthClient(ctx context.Context, id string) (*OAuthClient, error)
	// FindOAuthClients returns one page, newest first (created_at, then
	// id, both descending), of the clients of the organisations v covers
	// (nil v: every client), and the cursor of the next page (nil on the
	// last). The cursor's sort is SortOAuthClients.
	FindOAuthClients(ctx context.Context, v *Visibility, p Page) ([]*OAuthClient, *Cursor, error)
	// SignInFailures returns how many failures were recorded under key
	// since a time, and the time of the latest.
	SignInFailures(ctx context.Context, key string, since time.Time) (int, time.Time, error)
	// FindTOTP returns a user's TOTP second factor (confirmed or pending).
	FindTOTP(ctx context.Context, userID string) (*TOTP, error)
}

// SecurityTx holds the writes of credentials.
type SecurityTx interface {
	// PutPasswordHash sets (or replaces) a user's password hash; the
	// user must exist (CodeConflict otherwise).
	PutPasswordHash(userID, hash string) error
	CreateToken(t *Token) error
	// UseToken marks a refresh token used and reports whether it was
	// unused until then (false: it is being reused) and, when it was, the
	// session it is in now ("" for none): a re-sign-in may have moved it
	// (MoveSessionTokens) since it was read.
	UseToken(hash []byte) (fresh bool, sessionID string, err error)
	// DeleteTokenFamily removes every token of a family.
	DeleteTokenFamily(family string) (int64, error)
	// DeleteUserTokens removes a user's tokens except those of the
	// family keep ("" keeps none).
	DeleteUserTokens(userID, keep string) (int64, error)
	CreateOAuthClient(c *OAuthClient) error
	// UpdateOAuthClient stores c (document and secret hash), whose
	// Version the caller has raised by one; CodeNotFound when it is gone.
	UpdateOAuthClient(c *OAuthClient) error
	// DeleteOAuthClient removes a client and its tokens.
	DeleteOAuthClient(id string) error
	AddSignInFailure(key string, at time.Time) error
	ClearSignInFailures(keys ...string) error
	// LockSignInKeys makes the transactions that lock one of these keys
	// run one after the other from here to their end, so that counting
	// a key's failures and then adding one is atomic (an attempt is
	// reserved before its password is checked). A transaction reads what
	// the one it waited for committed.
	LockSignInKeys(keys ...string) error
	// RemoveSignInFailure removes one failure recorded under key at at
	// (a reserved attempt that succeeded), if there is one.
	RemoveSignInFailure(key string, at time.Time) error
	// DeleteUserTokensOfKind removes a user's tokens of one kind (such
	// as its invitation links) and returns how many it removed.
	DeleteUserTokensOfKind(userID, kind string) (int64, error)
	// PurgeCredentials removes tokens that expired and failures recorded
	// before a time, and returns how many rows it removed.
	PurgeCredentials(before time.Time) (int64, error)

	// PutTOTP stores (or replaces) a user's TOTP second factor.
	PutTOTP(t *TOTP) error
	// UseTOTPStep records that a code of a time step was accepted and
	// reports whether that step was still unused (false: a replay).
	UseTOTPStep(userID string, step int64) (bool, error)
	// DeleteTOTP removes a user's TOTP second factor and recovery codes.
	DeleteTOTP(userID string) error
	// PutRecoveryCodes replaces a user's recovery codes (their hashes).
	PutRecoveryCodes(userID string, hashes [][]byte) error
	// UseRecoveryCode removes a recovery code and reports whether the
	// user had it.
	UseRecoveryCode(userID string, hash []byte) (bool, error)
}

// TOTP is a user's time-based one-time password second factor (RFC 6238).
// It is pending until a first code confirms it. LastStep is the newest
// time step whose code was accepted: a code is never accepted twice.
type TOTP struct {
	UserID    string
	Secret    string // base32
	Confirmed bool
	LastStep  int64
	CreatedAt time.Time
}
