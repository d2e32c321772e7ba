// SPDX-License-Identifier: Apache-2.0

package service

import (
	"context"
	"slices"

	"github.com/rosterhq/roster"
)

// CreateOAuthClient makes a client and returns it with its secret, which
// is shown only this once ("" for a public client, which has none).
func (s *Service) CreateOAuthClient(ctx context.Context, c *roster.Caller, in *roster.OAuthClientInput) (*roster.OAuthClient, string, error) {
	if err := needScope(c, roster.ScopeKeysWrite); err != nil {
		return nil, "", err
	}
	cl, err := roster.BuildOAuthClient(nil, in)
	if err != nil {
		return nil, "", err
	}
	if cl.OrganizationID == "" {
		cl.OrganizationID = c.User.OrganizationID
	} else if ok, err := s.canSeeOrg(ctx, s.store, c, cl.OrganizationID); err != nil {
		return nil, "", err
	} else if !ok {
		return nil, "", roster.Invalid(roster.FieldError{Location: "body.organization_id", Message: "organization_id does not name an organisation", Value: cl.OrganizationID})
	}
	if err := s.checkAdminAt(ctx, s.store, c, cl.OrganizationID, nil, "create OAuth clients for this organisation"); err != nil {
		return nil, "", err
	}
	if err := checkGrantable(c, nil, cl); err != nil {
		return nil, "", err
	}
	if err := s.checkFirstParty(ctx, c, cl); err != nil {
		return nil, "", err
	}
	cl.ID, cl.CreatedBy, cl.Version = roster.NewID(roster.PrefixClient), c.User.ID, 1
	secret := newClientSecret(nil, cl)
	err = s.update(ctx, func(tx roster.Tx) error {
		cl.CreatedAt, cl.UpdatedAt = tx.Now(), tx.Now()
		if err := tx.CreateOAuthClient(cl); err != nil {
			return err
		}
		return s.recordCredential(ctx, tx, c, EventClientCreated, "oauth_client", cl.ID, cl.OrganizationID, nil, cl)
	})
	if err != nil {
		return nil, "", err
	}
	s.clientsChanged()
	return cl, secret, nil
}

// checkGrantable refuses scopes that next gives and cur did not (nil cur:
// all of them) beyond what the caller's own token holds: nobody makes a
// client that can do more than they can. The OpenID Connect scopes of
// allowed_scopes are not API scopes and need nothing.
func checkGrantable(c *roster.Caller, cur, next *roster.OAuthClient) error {
	var had []string
	if cur != nil {
		had = append(slices.Clone(cur.Scopes), cur.AllowedScopes...)
	}
	for _, sc := range append(slices.Clone(next.Scopes), next.AllowedScopes...) {
		if slices.Contains(roster.AllScopes, sc) && !slices.Contains(had, sc) && !c.HasScope(sc) {
			return forbidden("scope %s is beyond what your own token allows", sc)
		}
	}
	return nil
}

// newClientSecret gives next a secret when it needs one it does not have
// (a new confidential client, or a public one made confidential) and
// returns it; a public client loses its secret. "" when nothing was made.
func newClientSecret(cur, next *roster.OAuthClient) string {
	if next.Type == roster.ClientPublic {
		next.Hash = nil
		return ""
	}
	if cur != nil && len(cur.Hash) > 0 {
		return ""
	}
	secret := roster.NewTokenSecret(clientSecretPrefix)
	next.Hash = roster.HashKeySecret(secret)
	return secret
}

// OAuthClients lists the clients of the organisations the caller
// administers, for a token with keys:write.
func (s *Service) OAuthClients(ctx context.Context, c *roster.Caller, p roster.Page) ([]*roster.OAuthClient, *roster.Cursor, error) {
	return s.store.FindOAuthClients(ctx, s.administeredWith(ctx, c, roster.ScopeKeysWrite), p)
}

// OAuthClient returns one client, without its secret's hash.
func (s *Service) OAuthClient(ctx context.Context, c *roster.Caller, id string) (*roster.OAuthClient, error) {
	cl, err := s.findOAuthClient(ctx, s.store, c, id)
	if err != nil {
		return nil, err
	}
	cl.Hash = nil
	return cl, nil
}

// findOAuthClient finds a client the caller administers with keys:write;
// a client of an organisation the caller does not administer is "not
// found".
func (s *Service) findOAuthClient(ctx context.Context, r roster.Reader, c *roster.Caller, id string) (*roster.OAuthClient, error) {
	if err := needScope(c, roster.ScopeKeysWrite); err != nil {
		return nil, err
	}
	if !roster.ValidID(roster.PrefixClient, id) {
		return nil, notFound("OAuth client")
	}
	cl, err := r.FindOAuthClient(ctx, id)
	if err != nil {
		return nil, asNotFound(err, "OAuth client")
	}
	if rank, err := s.rankAt(ctx, r, c, cl.OrganizationID); err != nil {
		return nil, err
	} else if rank < roster.RankAdmin {
		return nil, notFound("OAuth client")
	}
	return cl, nil
}

// clientChange computes a client's next state from the current one, and
// the secret it made for it ("" for none).
type clientChange func(cur *roster.OAuthClient) (*roster.OAuthClient, string, error)

// updateOAuthClient changes a client with change and writes the event
// typ. It returns the client and the secret the change made, if it made
// one. The change is tried once outside the write transaction, so that a
// request it refuses never waits for the writer.
func (s *Service) updateOAuthClient(ctx context.Context, c *roster.Caller, id string, pre Precondition, typ string, change clientChange) (*roster.OAuthClient, string, error) {
	if err := keptByServer(id); err != nil {
		return nil, "", err
	}
	cur, err := s.findOAuthClient(ctx, s.store, c, id)
	if err != nil {
		return nil, "", err
	}
	if err := pre.check(cur.Version); err != nil {
		return nil, "", err
	}
	next, _, err := change(cur)
	if err != nil {
		return nil, "", err
	}
	if cur.FirstParty {
		next = cur // a first-party client's every change is the operator's
	}
	if err := s.checkFirstParty(ctx, c, next); err != nil {
		return nil, "", err
	}
	var out *roster.OAuthClient
	var secret string
	err = s.update(ctx, func(tx roster.Tx) error {
		cur, err := tx.FindOAuthClient(ctx, id)
		if err != nil {
			return asNotFound(err, "OAuth client")
		}
		if err := pre.check(cur.Version); err != nil {
			return err
		}
		next, made, err := change(cur)
		if err != nil {
			return err
		}
		if sameClient(cur, next) {
			out, secret = cur, ""
			return nil
		}
		next.Version, next.UpdatedAt = cur.Version+1, tx.Now()
		if err := tx.UpdateOAuthClient(next); err != nil {
			return asNotFound(err, "OAuth client")
		}
		out, secret = next, made
		return s.recordCredential(ctx, tx, c, typ, "oauth_client", id, cur.OrganizationID, cur, next)
	})
	if err != nil {
		return nil, "", err
	}
	s.clientsChanged()
	out = out.Clone()
	out.Hash = nil
	return out, secret, nil
}

// sameClient reports whether a change leaves a client as it was: the
// same fields and the same secret.
func sameClient(cur, next *roster.OAuthClient) bool {
	a, b := *cur, *next
	a.Hash, b.Hash = nil, nil
	return string(document(&a)) == string(document(&b)) && string(cur.Hash) == string(next.Hash)
}

// replaceClient is the change that replaces a client's writable fields
// with in (PUT; PATCH decodes the patched client into in). A client made
// confidential gets a secret.
func replaceClient(c *roster.Caller, cur *roster.OAuthClient, in *roster.OAuthClientInput) (*roster.OAuthClient, string, error) {
	next, err := roster.BuildOAuthClient(cur, in)
	if err != nil {
		return nil, "", err
	}
	if err := checkGrantable(c, cur, next); err != nil {
		return nil, "", err
	}
	return next, newClientSecret(cur, next), nil
}

// ReplaceOAuthClient replaces every writable field of a client (PUT);
// omitted ones take their defaults. Making a public client confidential
// returns its new secret, shown this once.
func (s *Service) ReplaceOAuthClient(ctx context.Context, c *roster.Caller, id string, in *roster.OAuthClientInput, pre Precondition) (*roster.OAuthClient, string, error) {
	return s.updateOAuthClient(ctx, c, id, pre, EventClientUpdated, func(cur *roster.OAuthClient) (*roster.OAuthClient, string, error) {
		return replaceClient(c, cur, in)
	})
}

// PatchOAuthClient applies a merge patch or JSON Patch to a client as GET
// shows it; like ReplaceOAuthClient, it returns a new secret when the
// client became confidential.
func (s *Service) PatchOAuthClient(ctx context.Context, c *roster.Caller, id, format string, patch []byte, pre Precondition) (*roster.OAuthClient, string, error) {
	return s.updateOAuthClient(ctx, c, id, pre, EventClientUpdated, func(cur *roster.OAuthClient) (*roster.OAuthClient, string, error) {
		shown := cur.Clone()
		shown.Hash = nil
		doc, err := roster.ApplyPatch(format, document(shown), patch)
		if err != nil {
			return nil, "", err
		}
		var in roster.OAuthClientInput
		if err := roster.DecodeStrict(doc, &in); err != nil {
			return nil, "", err
		}
		return replaceClient(c, cur, &in)
	})
}

// RotateOAuthClientSecret gives a confidential client a new secret and
// returns it; the old one stops working at once. Tokens already issued
// run until they expire.
func (s *Service) RotateOAuthClientSecret(ctx context.Context, c *roster.Caller, id string, pre Precondition) (*roster.OAuthClient, string, error) {
	return s.updateOAuthClient(ctx, c, id, pre, EventClientSecretRotated, func(cur *roster.OAuthClient) (*roster.OAuthClient, string, error) {
		if cur.Type == roster.ClientPublic {
			return nil, "", roster.Errorf(roster.CodeConflict, "a public client has no secret to rotate: make it confidential (type) to give it one")
		}
		next := cur.Clone()
		next.Hash = nil
		return next, newClientSecret(nil, next), nil
	})
}

// DeleteOAuthClient removes a client and revokes its tokens. A client of
// an organisation the caller does not administer is not found.
func (s *Service) DeleteOAuthClient(ctx context.Context, c *roster.Caller, id string, pre Precondition) error {
	if err := keptByServer(id); err != nil {
		return err
	}
	if _, err := s.findOAuthClient(ctx, s.store, c, id); err != nil {
		return err
	}
	err := s.update(ctx, func(tx roster.Tx) error {
		cur, err := tx.FindOAuthClient(ctx, id)
		if err != nil {
			return asNotFound(err, "OAuth client")
		}
		if err := pre.check(cur.Version); err != nil {
			return err
		}
		if err := tx.DeleteOAuthClient(id); err != nil {
			return asNotFound(err, "OAuth client")
		}
		return s.recordCredential(ctx, tx, c, EventClientDeleted, "oauth_client", cur.ID, cur.OrganizationID, cur, nil)
	})
	if err == nil {
		s.clientsChanged()
	}
	return err
}

// keptByServer refuses a change to the console's own client through the
// API: it alone may ask for keys:write and skips consent, so another
// redirect URI on it would send an owner's sign-in, with that scope, to
// whoever added the URI. The server keeps it as it must be
// (EnsureConsoleClient).
func keptByServer(id string) error {
	if id == ConsoleClientID {
		return forbidden("the console's own client is kept by the server and cannot be changed or deleted")
	}
	return nil
}

// checkFirstParty lets only an owner of the root organisation (an
// operator) make a client first-party or change one: a first-party app
// skips the consent page, so with prompt=none an owner's live session
// would hand a code, without a click, to whatever redirect URI the
// client's administrator gave it — an admin of any organisation could
// collect the tokens of the owners above it. Third-party clients ask each
// user first.
func (s *Service) checkFirstParty(ctx context.Context, c *roster.Caller, cl *roster.OAuthClient) error {
	if !cl.FirstParty {
		return nil
	}
	// The root has no ancestors: the roles held there are the rank.
	root := s.rootOrg(ctx, s.store, c.User.OrganizationID)
	if root == "" || roster.TopRank(c.User.RolesIn(root)) < roster.RankOwner {
		return forbidden("only an owner of the root organisation makes or changes a first-party client: it signs users in without asking them")
	}
	return nil
}
