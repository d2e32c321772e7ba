// SPDX-License-Identifier: Apache-2.0

package service

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/rosterhq/roster"
)

// BearerError is a protected resource's refusal of a bearer token (RFC
// 6750 section 3): the answer's WWW-Authenticate names Code, and Scope
// for insufficient_scope.
type BearerError struct {
	Code        string // invalid_request, invalid_token or insufficient_scope; "" when no token came at all
	Description string
	Status      int // 400, 401 or 403
	Scope       string
}

func (e *BearerError) Error() string { return e.Code + ": " + e.Description }

// invalidToken is the refusal of a token that does not work (any more).
func invalidToken(desc string) *BearerError {
	return &BearerError{Code: "invalid_token", Description: desc, Status: 401}
}

// UserInfo answers the OpenID Connect userinfo endpoint (Core section
// 5.3): the claims of the access token's user that its scopes cover. The
// token must be a user's access token granted the openid scope.
func (s *Service) UserInfo(ctx context.Context, token string) (map[string]any, error) {
	if token == "" {
		return nil, &BearerError{Description: "send the access token: Authorization: Bearer <token>", Status: 401}
	}
	h, err := s.liveToken(ctx, token)
	if err != nil {
		return nil, err
	}
	if h == nil || h.token.Kind != roster.TokenAccess {
		return nil, invalidToken("the access token is unknown, expired or revoked")
	}
	if h.user == nil {
		return nil, invalidToken("this token acts for a service client, not a user: userinfo needs a user's token")
	}
	if !slices.Contains(h.token.Scopes, ScopeOpenID) {
		return nil, &BearerError{Code: "insufficient_scope", Description: "the token was not granted the openid scope", Status: 403, Scope: ScopeOpenID}
	}
	return s.UserClaims(ctx, h.user, h.token.Scopes)
}

// heldToken is a token that works, with who holds it: a user, or a
// service client (user nil), and their organisation.
type heldToken struct {
	token *roster.Token
	user  *roster.User
	orgID string
}

// liveToken finds the access or refresh token whose secret is token, if
// it still works: not expired, not used (a refresh token already
// exchanged), its user (or client) there and its organisation enabled.
// It returns nil for a token that does not work.
func (s *Service) liveToken(ctx context.Context, token string) (*heldToken, error) {
	if len(token) > 512 || !(strings.HasPrefix(token, accessPrefix) || strings.HasPrefix(token, refreshPrefix)) {
		return nil, nil
	}
	t, err := s.store.FindToken(ctx, roster.HashKeySecret(token))
	if err != nil {
		return nil, ignoreNotFound(err)
	}
	if (t.Kind != roster.TokenAccess && t.Kind != roster.TokenRefresh) || t.Used || !time.Now().Before(t.ExpiresAt) {
		return nil, nil
	}
	h := &heldToken{token: t}
	if t.UserID != "" {
		if h.user, err = s.store.FindUser(ctx, t.UserID); err != nil {
			return nil, ignoreNotFound(err)
		}
		if h.user.Status != roster.StatusEnabled {
			return nil, nil
		}
		h.orgID = h.user.OrganizationID
	} else {
		cl, err := s.store.FindOAuthClient(ctx, t.ClientID)
		if err != nil {
			return nil, ignoreNotFound(err)
		}
		h.orgID = cl.OrganizationID
	}
	if off, err := s.store.OrgDisabled(ctx, h.orgID); err != nil || off {
		return nil, err
	}
	return h, nil
}

// ignoreNotFound drops a not-found error: what is gone does not work.
func ignoreNotFound(err error) error {
	if roster.ErrorCode(err) == roster.CodeNotFound {
		return nil
	}
	return err
}
