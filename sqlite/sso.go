// SPDX-License-Identifier: Apache-2.0

package sqlite

import (
	"context"

	"github.com/rosterhq/roster"
)

// Reseller SSO links, never cached: a used link shows at once.

func (t *tx) CreateSSOLink(l *roster.SSOLink) error {
	_, err := t.exec(`INSERT INTO sso_links (hash, id, user_id, client_id, redirect_uri, created_by, created_at, expires_at, used)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		l.Hash, l.ID, l.UserID, l.ClientID, l.RedirectURI, l.CreatedBy, micros(l.CreatedAt), micros(l.ExpiresAt), l.Used)
	return translate(err, "SSO link")
}

// TakeSSOLink reads and then marks the link: the one writer runs write
// transactions one after the other, so no other can take it in between.
func (t *tx) TakeSSOLink(hash []byte) (*roster.SSOLink, error) {
	l := roster.SSOLink{Hash: hash}
	var created, expires int64
	err := t.q.QueryRowContext(context.Background(), `SELECT id, user_id, client_id, redirect_uri, created_by, created_at, expires_at, used
		FROM sso_links WHERE hash = ?`, hash).
		Scan(&l.ID, &l.UserID, &l.ClientID, &l.RedirectURI, &l.CreatedBy, &created, &expires, &l.Used)
	if err != nil {
		return nil, translate(err, "SSO link")
	}
	l.CreatedAt, l.ExpiresAt = fromMicros(created), fromMicros(expires)
	if !l.Used {
		if _, err := t.exec(`UPDATE sso_links SET used = 1 WHERE hash = ?`, hash); err != nil {
			return nil, err
		}
	}
	return &l, nil
}
