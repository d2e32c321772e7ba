// SPDX-License-Identifier: Apache-2.0

package service

import (
	"context"
	"slices"

	"github.com/rosterhq/roster"
)

// OpenID Connect scopes (Core section 5.4) and the claims each covers.
const (
	ScopeOpenID        = "openid"
	ScopeProfile       = "profile"
	ScopeEmail         = "email"
	ScopePhone         = "phone"
	ScopeOfflineAccess = "offline_access"
)

// OpenIDScopes are the OpenID scopes Roster offers, beside its API scopes.
var OpenIDScopes = []string{ScopeOpenID, ScopeProfile, ScopeEmail, ScopePhone, ScopeOfflineAccess}

// Claims lists every claim UserClaims may give (discovery's
// claims_supported).
var Claims = []string{"sub", "name", "given_name", "family_name", "preferred_username", "locale", "zoneinfo", "updated_at",
	"email", "email_verified", "phone_number", "phone_number_verified", "org_id", "roles"}

// UserClaims returns the OpenID claims of u that the scopes cover
// (PRODUCT.md section 9): openid → sub; profile → name, given_name,
// family_name, preferred_username, locale, zoneinfo, updated_at, and
// Roster's org_id (the home organisation) and roles (the user's roles
// there, a flat list of strings such as ["admin"], the form RPs match
// role checks against); email → email, email_verified; phone →
// phone_number (E.164: the phone, else the mobile) and
// phone_number_verified (always false: Roster does not verify numbers).
// Absent values are omitted, never null.
func (s *Service) UserClaims(ctx context.Context, u *roster.User, scopes []string) (map[string]any, error) {
	c := map[string]any{}
	if slices.Contains(scopes, ScopeOpenID) {
		c["sub"] = u.ID
	}
	if slices.Contains(scopes, ScopeProfile) {
		profileClaims(c, u)
	}
	if slices.Contains(scopes, ScopeEmail) && u.Email != "" {
		c["email"] = u.Email
		c["email_verified"] = u.EmailVerified
	}
	if slices.Contains(scopes, ScopePhone) {
		if n := phoneNumber(u); n != "" {
			c["phone_number"] = n
			c["phone_number_verified"] = false
		}
	}
	return c, nil
}

// profileClaims adds the claims of the profile scope.
func profileClaims(c map[string]any, u *roster.User) {
	put := func(name, v string) {
		if v != "" {
			c[name] = v
		}
	}
	put("name", u.ShownDisplayName())
	put("given_name", u.FirstName)
	put("family_name", u.LastName)
	put("preferred_username", u.Username)
	put("locale", u.Preferences.Language)
	put("zoneinfo", u.Preferences.TimeZone)
	put("org_id", u.OrganizationID)
	if !u.UpdatedAt.IsZero() {
		c["updated_at"] = u.UpdatedAt.Unix()
	}
	if len(u.Roles) > 0 {
		c["roles"] = slices.Clone(u.Roles)
	}
}

// phoneNumber is the number of the phone_number claim.
func phoneNumber(u *roster.User) string {
	for _, p := range []*roster.Phone{u.Phone, u.Mobile} {
		if p != nil && p.E164 != "" {
			return p.E164
		}
	}
	return ""
}
