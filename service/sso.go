// SPDX-License-Identifier: Apache-2.0

package service

import (
	"context"
	"slices"
	"time"

	"github.com/rosterhq/roster"
)

// Reseller SSO (PRODUCT.md section 9): an administrator makes a one-time
// link that signs a user it administers in to one of the product's apps
// without the user's password or second factor. The session it opens
// names the administrator (Session.ImpersonatorID), so do the tokens
// issued in it (through their session) and every change they make
// (actor.impersonator_id).

// EventSSOLinkCreated is written when an SSO link is made.
const EventSSOLinkCreated = "sso_link.created"

// ssoLinkPrefix is the prefix of SSO links' secrets.
const ssoLinkPrefix = "rsl_"

// SSOLinkInput is the body of POST /v1/users/{id}/sso-links.
type SSOLinkInput struct {
	ClientID    string `json:"client_id" required:"true" doc:"The app to open: a client with the authorization_code grant of the user's organisation or one above it (a reseller's product app serves its clients' users)."`
	RedirectURI string `json:"redirect_uri" required:"true" doc:"Where the browser goes once signed in: one of the client's redirect_uris, exactly. The app then starts its usual authorization request, which finds the session."`
}

// SSOLinkCreated is the answer: the link, shown only this once.
type SSOLinkCreated struct {
	URL       string    `json:"url" doc:"Open it in a browser to be signed in as the user. Single use; only its hash is stored."`
	ExpiresAt time.Time `json:"expires_at" doc:"It works until then (5 minutes by default, --sso-link-ttl)."`
}

// ssoLinkDoc is an SSO link as events show it: no secret.
type ssoLinkDoc struct {
	ID          string    `json:"id"`
	UserID      string    `json:"user_id"`
	ClientID    string    `json:"client_id"`
	RedirectURI string    `json:"redirect_uri"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
	ExpiresAt   time.Time `json:"expires_at"`
}

// CreateSSOLink makes a one-time sign-in link for a user the caller
// administers under the rank rule (an owner's call for admins and
// owners: the link takes the account over for a session).
func (s *Service) CreateSSOLink(ctx context.Context, c *roster.Caller, ref string, in *SSOLinkInput) (*SSOLinkCreated, error) {
	const what = "create a sign-in link for this user"
	u, err := s.findVisibleUser(ctx, s.store, c, ref)
	if err != nil {
		return nil, err
	}
	if u.ID == c.User.ID {
		return nil, forbidden("an SSO link signs an administrator in as another user; to sign in as yourself, use the app's sign-in")
	}
	if err := s.actOnUser(ctx, s.store, c, u, what); err != nil {
		return nil, err
	}
	if err := needScope(c, roster.ScopeUsersWriteAll); err != nil {
		return nil, err
	}
	if c.ImpersonatorID != "" {
		return nil, forbidden("a session opened with an SSO link may not make SSO links: ask the administrator behind it")
	}
	if err := s.checkSSOTarget(ctx, u, in); err != nil {
		return nil, err
	}
	if off, err := s.refused(ctx, u); err != nil {
		return nil, err
	} else if off {
		return nil, roster.Errorf(roster.CodeConflict, "the user or its organisation is disabled, so it cannot sign in: enable it first")
	}
	secret := roster.NewTokenSecret(ssoLinkPrefix)
	l := &roster.SSOLink{ID: roster.NewID(roster.PrefixSSOLink), Hash: roster.HashKeySecret(secret), UserID: u.ID, ClientID: in.ClientID,
		RedirectURI: in.RedirectURI, CreatedBy: c.User.ID}
	err = s.update(ctx, func(tx roster.Tx) error {
		cur, err := s.lockCheckedUser(ctx, tx, c, u, what)
		if err != nil {
			return err
		}
		l.CreatedAt = tx.Now()
		l.ExpiresAt = l.CreatedAt.Add(s.secure().cfg.SSOLinkTTL)
		if err := tx.CreateSSOLink(l); err != nil {
			return err
		}
		return s.recordCredential(ctx, tx, c, EventSSOLinkCreated, "sso_link", l.ID, cur.OrganizationID, nil, ssoLinkDoc{ID: l.ID, UserID: l.UserID,
			ClientID: l.ClientID, RedirectURI: l.RedirectURI, CreatedBy: l.CreatedBy, CreatedAt: l.CreatedAt, ExpiresAt: l.ExpiresAt})
	})
	if err != nil {
		return nil, err
	}
	return &SSOLinkCreated{URL: s.Issuer() + "/oauth2/sso?link=" + secret, ExpiresAt: l.ExpiresAt}, nil
}

// checkSSOTarget checks a link's app: a sign-in client of the user's
// organisation or one above it, and one of its redirect URIs exactly. An
// unknown client and one elsewhere are refused alike.
func (s *Service) checkSSOTarget(ctx context.Context, u *roster.User, in *SSOLinkInput) error {
	badClient := roster.Invalid(roster.FieldError{Location: "body.client_id", Value: in.ClientID,
		Message: "client_id must name an app (OAuth client) of the user's organisation or of one above it"})
	if !roster.ValidID(roster.PrefixClient, in.ClientID) {
		return badClient
	}
	cl, err := s.store.FindOAuthClient(ctx, in.ClientID)
	if roster.ErrorCode(err) == roster.CodeNotFound {
		return badClient
	} else if err != nil {
		return err
	}
	if cl.OrganizationID != u.OrganizationID {
		up, err := s.store.OrgAncestors(ctx, u.OrganizationID)
		if err != nil {
			return err
		}
		if !slices.Contains(up, cl.OrganizationID) {
			return badClient
		}
	}
	if !cl.HasGrant(roster.GrantAuthorizationCode) {
		return roster.Invalid(roster.FieldError{Location: "body.client_id", Value: in.ClientID,
			Message: "the client does not sign users in: it lacks the authorization_code grant"})
	}
	if !slices.Contains(cl.RedirectURIs, in.RedirectURI) {
		return roster.Invalid(roster.FieldError{Location: "body.redirect_uri", Value: in.RedirectURI,
			Message: "redirect_uri must be one of the client's redirect_uris, exactly"})
	}
	return nil
}

// SSOLinkError is why an SSO link did not sign anyone in.
type SSOLinkError struct{ Reason string }

// Reasons of an SSOLinkError.
const (
	SSOLinkUnknown = "unknown" // no such link (or a mistyped one)
	SSOLinkUsed    = "used"    // opened before
	SSOLinkExpired = "expired"
	SSOLinkRefused = "refused" // the user, its organisation or the link's maker may no longer
)

func (e *SSOLinkError) Error() string { return "the SSO link is " + e.Reason }

// SSOLanding is what opening a link does: a new session's cookie, then
// the browser goes to Redirect.
type SSOLanding struct {
	Redirect      string
	SessionSecret string
	Session       *roster.Session
}

// OpenSSOLink takes a link, once, and opens a browser session as its
// user on its maker's word: the link's use and the new session (with its
// session.created event) are one transaction, so of two concurrent
// openings one signs in. Checked again at opening: the user and its
// organisations are enabled, the maker still administers the user under
// the rank rule, and the app still has the redirect URI.
func (s *Service) OpenSSOLink(ctx context.Context, secret string, b BrowserInfo) (*SSOLanding, error) {
	if secret == "" || len(secret) > 128 {
		return nil, &SSOLinkError{SSOLinkUnknown}
	}
	cookie := roster.NewTokenSecret(sessionPrefix)
	var out *SSOLanding
	err := s.update(ctx, func(tx roster.Tx) error {
		l, err := tx.TakeSSOLink(roster.HashKeySecret(secret))
		switch {
		case roster.ErrorCode(err) == roster.CodeNotFound:
			return &SSOLinkError{SSOLinkUnknown}
		case err != nil:
			return err
		case l.Used:
			return &SSOLinkError{SSOLinkUsed}
		case !tx.Now().Before(l.ExpiresAt):
			return &SSOLinkError{SSOLinkExpired}
		}
		u, err := lockUser(ctx, tx, l.UserID)
		if err != nil {
			return err
		}
		if err := s.checkSSOStillValid(ctx, tx, l, u); err != nil {
			return err
		}
		ses := s.newSession(ctx, tx.Now(), u.ID, cookie, []string{roster.AMRSSO}, b)
		ses.ImpersonatorID = l.CreatedBy
		c := SessionCaller(u, ses)
		if err := tx.CreateSession(ses); err != nil {
			return err
		}
		if err := s.endEarlierSession(ctx, tx, c, b, ses); err != nil {
			return err
		}
		out = &SSOLanding{Redirect: l.RedirectURI, SessionSecret: cookie, Session: ses}
		return s.recordCredential(ctx, tx, c, EventSessionCreated, "session", ses.ID,
			u.OrganizationID, nil, docOfSession(ses, l.ClientID))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkSSOStillValid repeats at opening what held when the link was made
// and may have changed since.
func (s *Service) checkSSOStillValid(ctx context.Context, tx roster.Tx, l *roster.SSOLink, u *roster.User) error {
	refused := &SSOLinkError{SSOLinkRefused}
	maker, err := tx.FindUser(ctx, l.CreatedBy)
	if roster.ErrorCode(err) == roster.CodeNotFound {
		return refused
	} else if err != nil {
		return err
	}
	for _, who := range []*roster.User{u, maker} {
		if off, err := s.refused(ctx, who); err != nil {
			return err
		} else if off {
			return refused
		}
	}
	if err := s.actOnUser(ctx, tx, &roster.Caller{User: maker}, u, "sign in as this user"); roster.ErrorCode(err) == roster.CodeForbidden {
		return refused
	} else if err != nil {
		return err
	}
	cl, err := tx.FindOAuthClient(ctx, l.ClientID)
	if err != nil {
		return err
	}
	if !cl.HasGrant(roster.GrantAuthorizationCode) || !slices.Contains(cl.RedirectURIs, l.RedirectURI) {
		return refused
	}
	return nil
}

// SessionCaller is the caller of a browser session's own steps (a
// consent, a logout): its user, and the administrator who opened it with
// an SSO link, so that their events name both.
func SessionCaller(u *roster.User, ses *roster.Session) *roster.Caller {
	return &roster.Caller{User: u, ImpersonatorID: ses.ImpersonatorID}
}

// impersonatorClaim is the act claim (RFC 8693 section 4.1) of an ID
// token issued in a session opened with an SSO link: the app learns that
// an administrator acts as the user, and who.
func impersonatorClaim(ses *roster.Session) map[string]string {
	return map[string]string{"sub": ses.ImpersonatorID}
}

// sessionImpersonator returns the administrator behind a session opened
// with an SSO link ("" for the user's own sign-in). A session that has
// ended took its tokens with it, so one gone now ended meanwhile.
func (s *Service) sessionImpersonator(ctx context.Context, sessionID string) (string, error) {
	ses, err := s.store.FindSessionByID(ctx, sessionID)
	if roster.ErrorCode(err) == roster.CodeNotFound {
		return "", roster.Errorf(roster.CodeUnauthorized, "the bearer token is not valid: the session it was issued in has ended")
	} else if err != nil {
		return "", err
	}
	return ses.ImpersonatorID, nil
}
