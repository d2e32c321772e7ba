// SPDX-License-Identifier: Apache-2.0

package service

import (
	"context"
	"strings"

	"github.com/rosterhq/roster"
)

// Introspection is a token introspection answer (RFC 7662 section 2.2).
// A token that does not work, or that the caller may not learn about, is
// {"active": false} and nothing else.
type Introspection struct {
	Active    bool   `json:"active"`
	Scope     string `json:"scope,omitempty" doc:"Space-separated scopes; absent when the token has every scope its user's roles allow."`
	ClientID  string `json:"client_id,omitempty" doc:"The client the token was issued to, when one was."`
	Username  string `json:"username,omitempty"`
	TokenType string `json:"token_type,omitempty" enum:"Bearer,refresh_token" doc:"Bearer for an access token, refresh_token for a refresh token."`
	Exp       int64  `json:"exp,omitempty"`
	Iat       int64  `json:"iat,omitempty"`
	Sub       string `json:"sub,omitempty" doc:"The user id, or the client id of a client's own token."`
	Iss       string `json:"iss,omitempty"`
	OrgID     string `json:"org_id,omitempty" doc:"The organisation of the token's user or client."`
}

// IntrospectAsClient answers an introspection request of a confidential
// OAuth client (client_secret_basic or client_secret_post, basic: by HTTP
// Basic), which learns about the tokens of the organisations it acts for
// (its own and those below it).
func (s *Service) IntrospectAsClient(ctx context.Context, clientID, secret string, basic bool, token string) (*Introspection, error) {
	cl, att, err := s.authenticateClient(ctx, &TokenRequest{ClientID: clientID, ClientSecret: secret, ClientBasic: basic}, "")
	if err != nil {
		return nil, err
	}
	s.settle(ctx, att, false) // introspection writes nothing to take it back in
	// Any confidential client may introspect, an app as well as a
	// service client: it is asked about as the admin of its organisation
	// it stands in for, whatever its grants and scopes.
	return s.introspect(ctx, &roster.Caller{User: clientStandIn(cl), ClientID: cl.ID}, token)
}

// Introspect answers an introspection request made with an API key or an
// access token, which needs the keys:write scope; the caller learns about
// its own tokens and those of the organisations it administers.
func (s *Service) Introspect(ctx context.Context, c *roster.Caller, token string) (*Introspection, error) {
	if !c.HasScope(roster.ScopeKeysWrite) {
		return nil, &BearerError{Code: "insufficient_scope", Description: "introspection needs the keys:write scope (or authenticate as a confidential OAuth client)", Status: 403, Scope: roster.ScopeKeysWrite}
	}
	return s.introspect(ctx, c, token)
}

func (s *Service) introspect(ctx context.Context, c *roster.Caller, token string) (*Introspection, error) {
	if token == "" {
		return nil, oauthErr("invalid_request", "token is required")
	}
	inactive := &Introspection{}
	h, err := s.liveToken(ctx, token)
	if err != nil || h == nil {
		return inactive, err
	}
	if mine := h.user != nil && c.User.ID != "" && h.user.ID == c.User.ID; !mine {
		rank, err := s.rankAt(ctx, s.store, c, h.orgID)
		if err != nil {
			return nil, err
		}
		if rank < roster.RankAdmin {
			return inactive, nil // as if unknown: the caller learns nothing of others' tokens
		}
	}
	t := h.token
	out := &Introspection{Active: true, Scope: strings.Join(t.Scopes, " "), ClientID: t.ClientID, TokenType: "Bearer",
		Exp: t.ExpiresAt.Unix(), Iat: t.CreatedAt.Unix(), Sub: t.ClientID, Iss: s.Issuer(), OrgID: h.orgID}
	if t.Kind == roster.TokenRefresh {
		out.TokenType = "refresh_token"
	}
	if h.user != nil {
		out.Sub, out.Username = h.user.ID, h.user.Username
	}
	return out, nil
}
