// SPDX-License-Identifier: Apache-2.0

package service

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/go-jose/go-jose/v4"

	"github.com/rosterhq/roster"
)

// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0).

// LogoutParams are a logout request's parameters.
type LogoutParams struct {
	IDTokenHint, ClientID, PostLogoutRedirectURI, State string
}

// Logout is what a logout request leads to.
type Logout struct {
	// Redirect is where the browser goes afterwards ("" : the signed-out
	// page): a post_logout_redirect_uri registered for the client.
	Redirect string
	// Hinted says the request carried a valid id_token_hint for the
	// browser's user, which is enough to sign out without asking.
	Hinted bool
	// ClientID is the client the request came from, for the pages'
	// branding ("" when unknown).
	ClientID string
}

// logoutHint is what Roster reads of an id_token_hint.
type logoutHint struct {
	Iss string `json:"iss"`
	Sub string `json:"sub"`
	Aud any    `json:"aud"`
	Sid string `json:"sid"`
}

// PrepareLogout checks a logout request: the id_token_hint must be an ID
// token this server signed (expired ones are fine: it is a hint), its
// audience and client_id must agree, and post_logout_redirect_uri must be
// one registered for that client, or nothing is redirected. u is the
// browser's signed-in user (nil: none).
func (s *Service) PrepareLogout(ctx context.Context, p LogoutParams, u *roster.User) (*Logout, error) {
	out := &Logout{ClientID: p.ClientID}
	if p.IDTokenHint != "" {
		h, err := s.readHint(ctx, p.IDTokenHint)
		if err != nil {
			return nil, err
		}
		aud := hintAudience(h.Aud)
		if p.ClientID != "" && !slices.Contains(aud, p.ClientID) {
			return nil, errorf("client_id is not the audience of the id_token_hint")
		}
		if out.ClientID == "" && len(aud) == 1 {
			out.ClientID = aud[0]
		}
		out.Hinted = u != nil && h.Sub == u.ID
	}
	if p.PostLogoutRedirectURI == "" {
		return out, nil
	}
	if out.ClientID == "" || !roster.ValidID(roster.PrefixClient, out.ClientID) {
		return nil, errorf("post_logout_redirect_uri needs client_id or id_token_hint to say which application it belongs to")
	}
	cl, err := s.store.FindOAuthClient(ctx, out.ClientID)
	if roster.ErrorCode(err) == roster.CodeNotFound {
		return nil, errorf("there is no application with this client_id")
	} else if err != nil {
		return nil, err
	}
	if !slices.Contains(cl.PostLogoutRedirectURIs, p.PostLogoutRedirectURI) {
		return nil, errorf("post_logout_redirect_uri is not one registered for this application: nothing is sent back to it")
	}
	out.Redirect = p.PostLogoutRedirectURI
	if p.State != "" {
		out.Redirect = withQuery(out.Redirect, map[string][]string{"state": {p.State}})
	}
	return out, nil
}

// readHint verifies an ID token against this server's keys and issuer.
func (s *Service) readHint(ctx context.Context, token string) (*logoutHint, error) {
	bad := errorf("id_token_hint is not an ID token from this server")
	if len(token) > 16384 {
		return nil, bad
	}
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
	if err != nil {
		return nil, bad
	}
	raw, err := s.JWKS(ctx)
	if err != nil {
		return nil, err
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(raw, &set); err != nil {
		return nil, err
	}
	payload, err := jws.Verify(&set)
	if err != nil {
		return nil, bad
	}
	var h logoutHint
	if json.Unmarshal(payload, &h) != nil || h.Iss != s.Issuer() {
		return nil, bad
	}
	return &h, nil
}

// hintAudience reads aud, a string or a list of strings.
func hintAudience(aud any) []string {
	switch a := aud.(type) {
	case string:
		return []string{a}
	case []any:
		var out []string
		for _, v := range a {
			if s, ok := v.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
