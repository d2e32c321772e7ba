// SPDX-License-Identifier: Apache-2.0

package service

import (
	"context"
	"slices"
	"strings"

	"github.com/rosterhq/roster"
)

// OAuthClientInput is the body of an OAuth client creation.
type OAuthClientInput struct {
	Name           string   `json:"name" required:"true" minLength:"1" maxLength:"255"`
	Scopes         []string `json:"scopes" required:"true" minItems:"1" doc:"What the client's tokens may do: at least one scope; keys:write and users:write:self are not for clients."`
	OrganizationID string   `json:"organization_id,omitempty" doc:"The organisation the client acts for; defaults to the caller's. The caller must be an admin there."`
}

// clientScopes are the scopes a service client may hold: every scope but
// those that only make sense for a person.
func clientScopes() []string {
	return slices.DeleteFunc(slices.Clone(roster.AllScopes), func(s string) bool {
		return s == roster.ScopeKeysWrite || s == roster.ScopeUsersWriteSelf
	})
}

// CreateOAuthClient makes a service client and returns it with its
// secret, which is shown only this once.
func (s *Service) CreateOAuthClient(ctx context.Context, c *roster.Caller, in *OAuthClientInput) (*roster.OAuthClient, string, error) {
	if err := needScope(c, roster.ScopeKeysWrite); err != nil {
		return nil, "", err
	}
	var fe []roster.FieldError
	name := strings.TrimSpace(in.Name)
	if name == "" || len(name) > 255 {
		fe = append(fe, roster.FieldError{Location: "body.name", Message: "name is required (1 to 255 characters)", Value: in.Name})
	}
	allowed := clientScopes()
	scopes := []string{}
	for i, sc := range in.Scopes {
		if !slices.Contains(allowed, sc) {
			fe = append(fe, roster.FieldError{Location: "body.scopes[" + itoa(i) + "]", Message: "not a scope a client may hold: use one of " + strings.Join(allowed, ", "), Value: sc})
		} else if !slices.Contains(scopes, sc) {
			scopes = append(scopes, sc)
		}
	}
	if len(in.Scopes) == 0 {
		fe = append(fe, roster.FieldError{Location: "body.scopes", Message: "scopes must list at least one scope: a client does exactly what its scopes say"})
	}
	orgID := in.OrganizationID
	if orgID == "" {
		orgID = c.User.OrganizationID
	} else if !roster.ValidID(roster.PrefixOrg, orgID) {
		fe = append(fe, roster.FieldError{Location: "body.organization_id", Message: "organization_id does not name an organisation", Value: orgID})
	} else if ok, err := s.canSeeOrg(ctx, s.store, c, orgID); err != nil {
		return nil, "", err
	} else if !ok {
		fe = append(fe, roster.FieldError{Location: "body.organization_id", Message: "organization_id does not name an organisation", Value: orgID})
	}
	if len(fe) > 0 {
		return nil, "", roster.Invalid(fe...)
	}
	if err := s.checkAdminAt(ctx, s.store, c, orgID, nil, "create OAuth clients for this organisation"); err != nil {
		return nil, "", err
	}
	for _, sc := range scopes {
		if !c.HasScope(sc) {
			return nil, "", forbidden("scope %s is beyond what your own token allows", sc)
		}
	}
	secret := roster.NewTokenSecret(clientSecretPrefix)
	cl := &roster.OAuthClient{ID: roster.NewID(roster.PrefixClient), OrganizationID: orgID, Name: name, Scopes: scopes, CreatedBy: c.User.ID,
		Hash: roster.HashKeySecret(secret)}
	err := s.update(ctx, func(tx roster.Tx) error {
		cl.CreatedAt = tx.Now()
		if err := tx.CreateOAuthClient(cl); err != nil {
			return err
		}
		return s.recordCredential(ctx, tx, c, EventClientCreated, "oauth_client", cl.ID, orgID, nil, cl)
	})
	if err != nil {
		return nil, "", err
	}
	return cl, secret, nil
}

// OAuthClients lists the clients of the organisations the caller
// administers, for a token with keys:write.
func (s *Service) OAuthClients(ctx context.Context, c *roster.Caller, p roster.Page) ([]*roster.OAuthClient, *roster.Cursor, error) {
	return s.store.FindOAuthClients(ctx, s.administeredWith(ctx, c, roster.ScopeKeysWrite), p)
}

// DeleteOAuthClient removes a client and revokes its tokens. A client of
// an organisation the caller does not administer is not found.
func (s *Service) DeleteOAuthClient(ctx context.Context, c *roster.Caller, id string) error {
	if err := needScope(c, roster.ScopeKeysWrite); err != nil {
		return err
	}
	if !roster.ValidID(roster.PrefixClient, id) {
		return notFound("OAuth client")
	}
	cl, err := s.store.FindOAuthClient(ctx, id)
	if err != nil {
		return asNotFound(err, "OAuth client")
	}
	rank, err := s.rankAt(ctx, s.store, c, cl.OrganizationID)
	if err != nil {
		return err
	}
	if rank < roster.RankAdmin {
		return notFound("OAuth client")
	}
	return s.update(ctx, func(tx roster.Tx) error {
		if err := tx.DeleteOAuthClient(id); err != nil {
			return asNotFound(err, "OAuth client")
		}
		return s.recordCredential(ctx, tx, c, EventClientDeleted, "oauth_client", cl.ID, cl.OrganizationID, cl, nil)
	})
}
