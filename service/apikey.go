// SPDX-License-Identifier: Apache-2.0

package service

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster"
)

// APIKeyInput is the body of an API key creation.
type APIKeyInput struct {
	Name      string     `json:"name" required:"true" minLength:"1" maxLength:"255"`
	Scopes    []string   `json:"scopes,omitempty" doc:"Scopes the key is limited to; empty: every scope its user's roles allow."`
	ExpiresAt *time.Time `json:"expires_at,omitempty" doc:"When the key stops working; must be in the future."`
	UserID    string     `json:"user_id,omitempty" doc:"Whose key it is; defaults to the caller. An admin may create keys for users it administers."`
}

// CreateAPIKey makes a key and returns it with its secret, which is shown
// only this once.
func (s *Service) CreateAPIKey(ctx context.Context, c *roster.Caller, in *APIKeyInput) (*roster.APIKey, string, error) {
	if err := needScope(c, roster.ScopeKeysWrite); err != nil {
		return nil, "", err
	}
	var fe []roster.FieldError
	name := strings.TrimSpace(in.Name)
	if name == "" || len(name) > 255 {
		fe = append(fe, roster.FieldError{Location: "body.name", Message: "name is required (1 to 255 characters)", Value: in.Name})
	}
	if in.ExpiresAt != nil && !in.ExpiresAt.After(time.Now()) {
		fe = append(fe, roster.FieldError{Location: "body.expires_at", Message: "expires_at must be in the future", Value: in.ExpiresAt})
	}
	scopes := []string{}
	for i, sc := range in.Scopes {
		if !slices.Contains(roster.AllScopes, sc) {
			fe = append(fe, roster.FieldError{Location: "body.scopes[" + itoa(i) + "]", Message: "unknown scope: use one of " + strings.Join(roster.AllScopes, ", "), Value: sc})
		} else if !slices.Contains(scopes, sc) {
			scopes = append(scopes, sc)
		}
	}
	if len(fe) > 0 {
		return nil, "", roster.Invalid(fe...)
	}
	owner := c.User
	if in.UserID != "" && in.UserID != c.User.ID {
		u, err := s.findVisibleUser(ctx, s.store, c, in.UserID)
		if err != nil {
			return nil, "", err
		}
		if err := s.actOnUser(ctx, s.store, c, u, "create API keys for this user"); err != nil {
			return nil, "", err
		}
		owner = u
	}
	// A key never carries more than its user's roles allow, nor more than
	// the token that makes it.
	allowed := roster.ScopesForRank(owner.BestRank())
	for _, sc := range scopes {
		if !slices.Contains(allowed, sc) {
			return nil, "", forbidden("scope %s is beyond what the user's roles allow", sc)
		}
		if !c.HasScope(sc) {
			return nil, "", forbidden("scope %s is beyond what your own token allows", sc)
		}
	}
	if len(scopes) == 0 && len(c.Scopes) > 0 {
		// A narrowed token makes narrowed keys, with the token's API
		// scopes: a key signs no one in, so the OpenID ones (openid,
		// profile, … of a console sign-in) mean nothing to it. The list
		// is never empty (which would mean every scope): the token holds
		// keys:write.
		scopes = slices.DeleteFunc(slices.Clone(c.Scopes), func(sc string) bool { return !slices.Contains(roster.AllScopes, sc) })
	}
	secret := roster.NewKeySecret()
	k := &roster.APIKey{ID: roster.NewID(roster.PrefixKey), UserID: owner.ID, Name: name, Scopes: scopes, ExpiresAt: in.ExpiresAt, Hash: roster.HashKeySecret(secret)}
	err := s.update(ctx, func(tx roster.Tx) error {
		k.CreatedAt = tx.Now()
		if err := tx.CreateAPIKey(k); err != nil {
			return err
		}
		return s.recordCredential(ctx, tx, c, EventAPIKeyCreated, "api_key", k.ID, owner.OrganizationID, nil, k)
	})
	if err != nil {
		return nil, "", err
	}
	return k, secret, nil
}

// APIKeys lists a page of the keys the caller may see: its own, and, with
// keys:write, those of the users it administers.
func (s *Service) APIKeys(ctx context.Context, c *roster.Caller, p roster.Page) ([]*roster.APIKey, *roster.Cursor, error) {
	return s.store.FindAPIKeys(ctx, s.administeredWith(ctx, c, roster.ScopeKeysWrite), p)
}

// DeleteAPIKey revokes a key: the caller's own, or one of a user it
// administers.
func (s *Service) DeleteAPIKey(ctx context.Context, c *roster.Caller, id string) error {
	if err := needScope(c, roster.ScopeKeysWrite); err != nil {
		return err
	}
	if !roster.ValidID(roster.PrefixKey, id) {
		return notFound("API key")
	}
	k, err := s.store.FindAPIKey(ctx, id)
	if err != nil {
		return asNotFound(err, "API key")
	}
	orgID := c.User.OrganizationID
	if k.UserID != c.User.ID {
		u, err := s.findVisibleUser(ctx, s.store, c, k.UserID)
		if err != nil {
			return notFound("API key")
		}
		rank, err := s.rankAt(ctx, s.store, c, u.OrganizationID)
		if err != nil {
			return err
		}
		if rank < roster.RankAdmin {
			return notFound("API key")
		}
		orgID = u.OrganizationID
	}
	return s.update(ctx, func(tx roster.Tx) error {
		if err := tx.DeleteAPIKey(id); err != nil {
			return asNotFound(err, "API key")
		}
		return s.recordCredential(ctx, tx, c, EventAPIKeyDeleted, "api_key", k.ID, orgID, k, nil)
	})
}

func itoa(n int) string { return strconv.Itoa(n) }
