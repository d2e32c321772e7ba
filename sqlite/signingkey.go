// SPDX-License-Identifier: Apache-2.0

package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/rosterhq/roster"
)

func (r reader) FindSigningKeys(ctx context.Context) ([]*roster.SigningKey, error) {
	rows, err := r.q.QueryContext(ctx, `SELECT id, alg, sealed, public_jwk, created_at, retired_at, expires_at FROM signing_keys ORDER BY created_at, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*roster.SigningKey
	for rows.Next() {
		var k roster.SigningKey
		var jwk string
		var created int64
		var retired, expires sql.NullInt64
		if err := rows.Scan(&k.ID, &k.Alg, &k.Sealed, &jwk, &created, &retired, &expires); err != nil {
			return nil, err
		}
		k.PublicJWK, k.CreatedAt = []byte(jwk), fromMicros(created)
		k.RetiredAt, k.ExpiresAt = nullTime(retired), nullTime(expires)
		out = append(out, &k)
	}
	return out, rows.Err()
}

// nullTime reads a nullable time column.
func nullTime(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	at := fromMicros(n.Int64)
	return &at
}

func (t *tx) FindSigningKeys(ctx context.Context) ([]*roster.SigningKey, error) {
	return t.reader().FindSigningKeys(ctx)
}
func (db *DB) FindSigningKeys(ctx context.Context) ([]*roster.SigningKey, error) {
	return db.reader().FindSigningKeys(ctx)
}

func (t *tx) AddSigningKey(k *roster.SigningKey) (bool, error) {
	n, err := t.exec(`INSERT INTO signing_keys (id, alg, sealed, public_jwk, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (alg) WHERE retired_at IS NULL DO NOTHING`, k.ID, k.Alg, k.Sealed, string(k.PublicJWK), micros(k.CreatedAt))
	return n == 1, translate(err, "signing key")
}

func (t *tx) RetireSigningKeys(at, expires time.Time) (int64, error) {
	return t.exec(`UPDATE signing_keys SET retired_at = ?, expires_at = ? WHERE retired_at IS NULL`, micros(at), micros(expires))
}

func (t *tx) PurgeSigningKeys(before time.Time) (int64, error) {
	return t.exec(`DELETE FROM signing_keys WHERE expires_at < ?`, micros(before))
}
