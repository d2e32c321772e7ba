// SPDX-License-Identifier: Apache-2.0

package roster

import "time"

// PrefixSSOLink is the id prefix of reseller SSO links.
const PrefixSSOLink = "ssl"

// SSOLink is a reseller's one-time sign-in link (PRODUCT.md section 9):
// opening it starts a browser session as UserID, made by CreatedBy (the
// session's ImpersonatorID), then sends the browser to RedirectURI, one
// of ClientID's. Only the SHA-256 of its secret is stored, like every
// other one-time token.
type SSOLink struct {
	ID          string
	Hash        []byte
	UserID      string
	ClientID    string
	RedirectURI string
	CreatedBy   string
	CreatedAt   time.Time
	ExpiresAt   time.Time
	Used        bool
}

// SSOLinkTx holds the writes of SSO links.
type SSOLinkTx interface {
	CreateSSOLink(l *SSOLink) error
	// TakeSSOLink marks a link used and returns it as it was: Used true
	// means it had been opened before. Of two transactions taking one
	// link, exactly one sees it unused. CodeNotFound when there is none
	// (or its user or client is gone).
	TakeSSOLink(hash []byte) (*SSOLink, error)
}
