// SPDX-License-Identifier: Apache-2.0

package service

import (
	"context"

	"github.com/rosterhq/roster"
)

// orgBranding returns the name of an organisation and the logo and
// colour of its white label, or of its nearest ancestor's when it has
// none. The pages check both before use (httpapi/branding.go).
func (s *Service) orgBranding(ctx context.Context, orgID string) Branding {
	var b Branding
	for id, depth := orgID, 0; id != "" && depth < 64; depth++ {
		o, err := s.store.FindOrg(ctx, id)
		if err != nil {
			break
		}
		if b.OrgName == "" {
			b.OrgName = o.Name
		}
		if wl := o.WhiteLabel; wl != nil && b.LogoURL == "" && b.Accent == "" {
			b.LogoURL, b.Accent = wl.LogoURL, wl.HeaderBackgroundColor
		}
		id = o.ParentID
	}
	return b
}

// UserBranding is the branding of a page about a known user: the app's
// (Branding) when one is named, else the user's organisation's.
func (s *Service) UserBranding(ctx context.Context, clientID string, u *roster.User) Branding {
	if clientID != "" {
		return s.Branding(ctx, clientID)
	}
	return s.orgBranding(ctx, u.OrganizationID)
}
