// SPDX-License-Identifier: Apache-2.0

package service

// A throwaway stand-in for what the keys branch builds (SignJWT, JWKS,
// UserClaims and the OpenID scope names), so that the sign-in flow can be
// built and tested before it is merged. This file is deleted when that
// branch is merged into this one.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"slices"
	"sync"

	"github.com/go-jose/go-jose/v4"

	"github.com/rosterhq/roster"
)

const (
	ScopeOpenID        = "openid"
	ScopeProfile       = "profile"
	ScopeEmail         = "email"
	ScopePhone         = "phone"
	ScopeOfflineAccess = "offline_access"
)

// OpenIDScopes are the OpenID scopes Roster offers, beside its API scopes.
var OpenIDScopes = []string{ScopeOpenID, ScopeProfile, ScopeEmail, ScopePhone, ScopeOfflineAccess}

var pendingKeys struct {
	once sync.Once
	rsa  *rsa.PrivateKey
	ec   *ecdsa.PrivateKey
}

func pendingKey() {
	pendingKeys.once.Do(func() {
		pendingKeys.rsa, _ = rsa.GenerateKey(rand.Reader, 2048)
		pendingKeys.ec, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	})
}

// SignJWT signs claims with the process's key of alg ("" = RS256).
func (s *Service) SignJWT(ctx context.Context, alg string, claims map[string]any) (string, error) {
	pendingKey()
	key := jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: pendingKeys.rsa, KeyID: "rs1", Algorithm: "RS256"}}
	if alg == "ES256" {
		key = jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: pendingKeys.ec, KeyID: "es1", Algorithm: "ES256"}}
	}
	signer, err := jose.NewSigner(key, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

// JWKS returns the public keys as a JWK Set.
func (s *Service) JWKS(ctx context.Context) ([]byte, error) {
	pendingKey()
	return json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &pendingKeys.rsa.PublicKey, KeyID: "rs1", Algorithm: "RS256", Use: "sig"},
		{Key: &pendingKeys.ec.PublicKey, KeyID: "es1", Algorithm: "ES256", Use: "sig"},
	}})
}

// UserClaims returns a few claims of u that the scopes cover.
func (s *Service) UserClaims(ctx context.Context, u *roster.User, scopes []string) (map[string]any, error) {
	c := map[string]any{}
	if slices.Contains(scopes, ScopeOpenID) {
		c["sub"] = u.ID
	}
	if slices.Contains(scopes, ScopeEmail) {
		c["email"], c["email_verified"] = u.Email, u.EmailVerified
	}
	if slices.Contains(scopes, ScopeProfile) {
		c["preferred_username"] = u.Username
	}
	return c, nil
}
