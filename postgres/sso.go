// SPDX-License-Identifier: Apache-2.0

package postgres

import "github.com/rosterhq/roster"

// Reseller SSO links.

func (t *tx) CreateSSOLink(l *roster.SSOLink) error {
	_, err := t.exec(`INSERT INTO sso_links (hash, id, user_id, client_id, redirect_uri, created_by, created_at, expires_at, used)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		l.Hash, l.ID, l.UserID, l.ClientID, l.RedirectURI, l.CreatedBy, l.CreatedAt, l.ExpiresAt, l.Used)
	return translate(err, "SSO link")
}

// TakeSSOLink locks the link's row before it reads it, so that of two
// transactions taking one link the second waits and then sees it used.
func (t *tx) TakeSSOLink(hash []byte) (*roster.SSOLink, error) {
	l := roster.SSOLink{Hash: hash}
	err := t.conn.QueryRow(t.ctx, `SELECT id, user_id, client_id, redirect_uri, created_by, created_at, expires_at, used
		FROM sso_links WHERE hash = $1 FOR UPDATE`, hash).
		Scan(&l.ID, &l.UserID, &l.ClientID, &l.RedirectURI, &l.CreatedBy, &l.CreatedAt, &l.ExpiresAt, &l.Used)
	if err != nil {
		return nil, translate(err, "SSO link")
	}
	l.CreatedAt, l.ExpiresAt = l.CreatedAt.UTC(), l.ExpiresAt.UTC()
	if !l.Used {
		if _, err := t.exec(`UPDATE sso_links SET used = true WHERE hash = $1`, hash); err != nil {
			return nil, err
		}
	}
	return &l, nil
}
