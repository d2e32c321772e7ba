// SPDX-License-Identifier: Apache-2.0

package service

import (
	"context"
	"slices"
	"strings"

	"github.com/rosterhq/roster"
)

// ConsoleClientID is the client_id of the console (PRODUCT.md section
// 10), the first-party public client that /console signs in with. It is
// fixed, so that the page knows it without asking and every node that
// starts ensures the same row: two nodes starting at once cannot make
// two consoles.
const ConsoleClientID = "cli_0000000000000000000C0NS01E"

// ConsolePath is where the binary serves the console; its callback and
// the address logout returns to are under it.
const ConsolePath = "/console/"

// EnsureConsoleClient makes the console's client in the root
// organisation when it is missing, and puts it back when it differs from
// what the console needs: its redirect URIs follow this server's public
// URL (the default one follows the listen address, which may change
// between starts), and an admin may have changed it through the API.
// The console's sign-in calls it (GET /console/signin), so a server
// whose console is never used has no console client, and a start writes
// nothing; once it is right, a call costs one read.
//
// The client allows every scope a user may grant an app, so what a
// console token may do is decided by its user's roles alone; keys:write,
// which no app may list, the console may ask for too (consoleMayAsk).
//
// A public URL the redirect-URI rules refuse (plain http to a host that
// is not loopback) is a roster.Error with CodeInvalid.
func (s *Service) EnsureConsoleClient(ctx context.Context) error {
	want, err := s.consoleClient()
	if err != nil {
		return err
	}
	if cur, err := s.store.FindOAuthClient(ctx, ConsoleClientID); err == nil && sameConsole(cur, want) {
		return nil
	}
	err = s.update(ctx, func(tx roster.Tx) error { return s.ensureConsoleClient(ctx, tx, want) })
	if roster.ErrorCode(err) == roster.CodeConflict {
		// Another node made it between our read and our insert.
		err = s.update(ctx, func(tx roster.Tx) error { return s.ensureConsoleClient(ctx, tx, want) })
	}
	s.clientsChanged()
	return err
}

// consoleClient is the console's client as this server wants it.
func (s *Service) consoleClient() (*roster.OAuthClient, error) {
	base := strings.TrimSuffix(s.Issuer(), "/") + ConsolePath
	return roster.BuildOAuthClient(nil, &roster.OAuthClientInput{
		Name:                   "Roster console",
		Type:                   ptr(roster.ClientPublic),
		FirstParty:             ptr(true),
		RedirectURIs:           []string{base + "callback"},
		PostLogoutRedirectURIs: []string{base},
		GrantTypes:             []string{roster.GrantAuthorizationCode, roster.GrantRefreshToken},
		AllowedScopes:          roster.AllowedScopeChoices(),
	})
}

func (s *Service) ensureConsoleClient(ctx context.Context, tx roster.Tx, want *roster.OAuthClient) error {
	cur, err := tx.FindOAuthClient(ctx, ConsoleClientID)
	switch {
	case roster.ErrorCode(err) == roster.CodeNotFound:
		return s.createConsoleClient(ctx, tx, want)
	case err != nil:
		return err
	case sameConsole(cur, want):
		return nil
	}
	// Someone changed it through the API, or the public URL moved: the
	// console's sign-in depends on exactly these fields.
	next := cur.Clone()
	next.Type, next.FirstParty, next.GrantTypes, next.Hash = want.Type, want.FirstParty, want.GrantTypes, nil
	next.RedirectURIs, next.PostLogoutRedirectURIs, next.AllowedScopes = want.RedirectURIs, want.PostLogoutRedirectURIs, want.AllowedScopes
	next.UpdatedAt, next.Version = tx.Now(), cur.Version+1
	if err := tx.UpdateOAuthClient(next); err != nil {
		return err
	}
	return s.recordCredential(ctx, tx, nil, EventClientUpdated, "oauth_client", next.ID, next.OrganizationID, cur, next)
}

func (s *Service) createConsoleClient(ctx context.Context, tx roster.Tx, cl *roster.OAuthClient) error {
	orgs, _, err := tx.FindOrgs(ctx, roster.OrgFilter{Limit: 1})
	if err != nil {
		return err
	}
	if len(orgs) == 0 {
		return roster.Errorf(roster.CodeConflict, "the store has no organisation yet: bootstrap it first")
	}
	root := s.rootOrg(ctx, tx, orgs[0].ID)
	if root == "" {
		return roster.Errorf(roster.CodeInternal, "the root organisation could not be read")
	}
	cl.ID, cl.OrganizationID, cl.Version = ConsoleClientID, root, 1
	cl.CreatedAt, cl.UpdatedAt = tx.Now(), tx.Now()
	if err := tx.CreateOAuthClient(cl); err != nil {
		return err
	}
	return s.recordCredential(ctx, tx, nil, EventClientCreated, "oauth_client", cl.ID, cl.OrganizationID, nil, cl)
}

// sameConsole reports whether the stored client signs the console in as
// want says.
func sameConsole(cur, want *roster.OAuthClient) bool {
	return cur.Type == want.Type && cur.FirstParty == want.FirstParty && slices.Equal(cur.GrantTypes, want.GrantTypes) &&
		slices.Equal(cur.RedirectURIs, want.RedirectURIs) && slices.Equal(cur.PostLogoutRedirectURIs, want.PostLogoutRedirectURIs) &&
		slices.Equal(cur.AllowedScopes, want.AllowedScopes)
}

// consoleMayAsk reports whether sc is keys:write asked for by the
// console. No app may be given keys:write (roster.AllowedScopeChoices:
// an app must never mint credentials in its user's name), but the
// console is the server's own page, not an app: it is how a person
// manages their API keys and their organisations' OAuth clients, and
// what it may do must be what its user may (PRODUCT.md section 10). The
// scope is granted here rather than stored in the client's
// allowed_scopes, where every client's rules would have to make an
// exception for it. Keys are still limited by the user's roles, and a
// session opened with an SSO link cannot use the scope (needScope).
func consoleMayAsk(cl *roster.OAuthClient, sc string) bool {
	return cl.ID == ConsoleClientID && sc == roster.ScopeKeysWrite
}
