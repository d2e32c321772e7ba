// SPDX-License-Identifier: Apache-2.0

package postgres

import (
	"context"
	"time"

	"github.com/rosterhq/roster"
)

func (r reader) FindSigningKeys(ctx context.Context) ([]*roster.SigningKey, error) {
	rows, err := r.q.Query(ctx, `SELECT id, alg, sealed, public_jwk, created_at, retired_at, expires_at FROM signing_keys ORDER BY created_at, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*roster.SigningKey
	for rows.Next() {
		var k roster.SigningKey
		var jwk string
		if err := rows.Scan(&k.ID, &k.Alg, &k.Sealed, &jwk, &k.CreatedAt, &k.RetiredAt, &k.ExpiresAt); err != nil {
			return nil, err
		}
		k.PublicJWK, k.CreatedAt = []byte(jwk), k.CreatedAt.UTC()
		k.RetiredAt, k.ExpiresAt = utcPtr(k.RetiredAt), utcPtr(k.ExpiresAt)
		out = append(out, &k)
	}
	return out, rows.Err()
}

// utcPtr returns a nullable time in UTC.
func utcPtr(at *time.Time) *time.Time {
	if at == nil {
		return nil
	}
	u := at.UTC()
	return &u
}

// AddSigningKey: under READ COMMITTED, an insert that meets another
// transaction's uncommitted current key of the same algorithm waits for
// it, then does nothing.
func (t *tx) AddSigningKey(k *roster.SigningKey) (bool, error) {
	n, err := t.exec(`INSERT INTO signing_keys (id, alg, sealed, public_jwk, created_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (alg) WHERE retired_at IS NULL DO NOTHING`, k.ID, k.Alg, k.Sealed, string(k.PublicJWK), k.CreatedAt)
	return n == 1, translate(err, "signing key")
}

func (t *tx) RetireSigningKeys(at, expires time.Time) (int64, error) {
	return t.exec(`UPDATE signing_keys SET retired_at = $1, expires_at = $2 WHERE retired_at IS NULL`, at, expires)
}

func (t *tx) PurgeSigningKeys(before time.Time) (int64, error) {
	return t.exec(`DELETE FROM signing_keys WHERE expires_at < $1`, before)
}
