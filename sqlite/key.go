// SPDX-License-Identifier: Apache-2.0

package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/rosterhq/roster"
)

func scanKey(row *sql.Row) (*roster.APIKey, error) {
	return scanDoc[roster.APIKey](row, "API key")
}

func (r reader) FindAPIKey(ctx context.Context, id string) (*roster.APIKey, error) {
	return scanKey(r.q.QueryRowContext(ctx, `SELECT doc FROM api_keys WHERE id = ?`, id))
}

func (r reader) FindAPIKeys(ctx context.Context, v *roster.Visibility, p roster.Page) ([]*roster.APIKey, *roster.Cursor, error) {
	var where []string
	var args []any
	if v != nil {
		cond, vargs := visibleOrgs(v)
		where = append(where, `(k.user_id = ? OR k.user_id IN (SELECT id FROM users WHERE organization_id IN (`+cond+`)))`)
		args = append(append(args, v.Self), vargs...)
	}
	cond, tail, pargs, err := creationPage(p, roster.SortAPIKeys, "k", true, where)
	if err != nil {
		return nil, nil, err
	}
	rows, err := r.q.QueryContext(ctx, `SELECT k.created_at, k.doc FROM api_keys k`+cond+tail, append(args, pargs...)...)
	if err != nil {
		return nil, nil, err
	}
	return collectPage(rows, p, roster.SortAPIKeys, func(rows *sql.Rows) (int64, string, *roster.APIKey, error) {
		var created int64
		var doc []byte
		if err := rows.Scan(&created, &doc); err != nil {
			return 0, "", nil, err
		}
		k := new(roster.APIKey)
		if err := json.Unmarshal(doc, k); err != nil {
			return 0, "", nil, err
		}
		return created, k.ID, k, nil
	})
}

func (t *tx) DeleteAPIKey(id string) error {
	res, err := t.q.ExecContext(context.Background(), `DELETE FROM api_keys WHERE id = ?`, id)
	if err != nil {
		return err
	}
	t.touched.keys = append(t.touched.keys, id)
	if n, _ := res.RowsAffected(); n == 0 {
		return roster.Errorf(roster.CodeNotFound, "API key not found")
	}
	return nil
}

func (r reader) FindCredential(ctx context.Context, hash []byte) (*roster.Credential, error) {
	rows, err := r.q.QueryContext(ctx, `SELECT k.doc, `+userColumns+`,
			(WITH RECURSIVE up(id, parent_id, status) AS (
				SELECT id, parent_id, status FROM orgs WHERE id = u.organization_id
				UNION ALL SELECT o.id, o.parent_id, o.status FROM orgs o JOIN up ON o.id = up.parent_id)
			SELECT count(*) FROM up WHERE status <> 'enabled')
		FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.hash = ?`, hash)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, err
		}
		return nil, roster.Errorf(roster.CodeNotFound, "API key not found")
	}
	var keyDoc, userDoc sql.RawBytes
	var row userRow
	var disabled int
	if err := rows.Scan(append(append([]any{&keyDoc}, row.dest(&userDoc)...), &disabled)...); err != nil {
		return nil, err
	}
	row.doc = userDoc
	var k roster.APIKey
	if err := json.Unmarshal(keyDoc, &k); err != nil {
		return nil, err
	}
	u, _, err := r.decodeUser(&row)
	if err != nil {
		return nil, err
	}
	return &roster.Credential{Key: &k, User: u.Clone(), OrgDisabled: disabled > 0}, nil
}

func (t *tx) CreateAPIKey(k *roster.APIKey) error {
	doc, err := json.Marshal(k)
	if err != nil {
		return err
	}
	_, err = t.q.ExecContext(context.Background(), `INSERT INTO api_keys (id, user_id, hash, created_at, doc) VALUES (?, ?, ?, ?, ?)`,
		k.ID, k.UserID, k.Hash, micros(k.CreatedAt), doc)
	return translate(err, "API key")
}

func (r reader) FindIdempotent(ctx context.Context, scope, key string) (*roster.IdempotentResponse, error) {
	var rec roster.IdempotentResponse
	var header []byte
	var created int64
	err := r.q.QueryRowContext(ctx, `SELECT request_hash, done, status, header, body, created_at FROM idempotency WHERE scope = ? AND key = ?`, scope, key).
		Scan(&rec.RequestHash, &rec.Done, &rec.Status, &header, &rec.Body, &created)
	if err != nil {
		return nil, translate(err, "idempotency key")
	}
	rec.Scope, rec.Key, rec.CreatedAt = scope, key, fromMicros(created)
	if err := json.Unmarshal(header, &rec.Header); err != nil {
		return nil, err
	}
	return &rec, nil
}

func (t *tx) PutIdempotent(r *roster.IdempotentResponse) error {
	header, err := json.Marshal(r.Header)
	if err != nil {
		return err
	}
	body := r.Body
	if body == nil {
		body = []byte{}
	}
	if r.Done {
		_, err = t.q.ExecContext(context.Background(), `UPDATE idempotency SET done = 1, status = ?, header = ?, body = ? WHERE scope = ? AND key = ?`,
			r.Status, header, body, r.Scope, r.Key)
		return translate(err, "idempotency key")
	}
	// A record older than 24 hours no longer counts: it is replaced.
	_, err = t.q.ExecContext(context.Background(), `DELETE FROM idempotency WHERE scope = ? AND key = ? AND created_at < ?`,
		r.Scope, r.Key, micros(t.now.Add(-roster.IdempotencyTTL)))
	if err != nil {
		return err
	}
	_, err = t.q.ExecContext(context.Background(), `INSERT INTO idempotency (scope, key, request_hash, done, status, header, body, created_at) VALUES (?, ?, ?, 0, 0, ?, ?, ?)`,
		r.Scope, r.Key, r.RequestHash, header, body, micros(r.CreatedAt))
	return translate(err, "idempotency key")
}

func (t *tx) DeleteIdempotent(scope, key string) error {
	_, err := t.q.ExecContext(context.Background(), `DELETE FROM idempotency WHERE scope = ? AND key = ?`, scope, key)
	return err
}

func (t *tx) PurgeIdempotent(before time.Time) (int64, error) {
	res, err := t.q.ExecContext(context.Background(), `DELETE FROM idempotency WHERE created_at < ?`, micros(before))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (t *tx) KeyCheck(check []byte) ([]byte, error) {
	ctx := context.Background()
	_, err := t.q.ExecContext(ctx, `INSERT INTO key_check (id, sealed, created_at) VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING`, check, micros(t.now))
	if err != nil {
		return nil, err
	}
	var stored []byte
	err = t.q.QueryRowContext(ctx, `SELECT sealed FROM key_check WHERE id = 1`).Scan(&stored)
	return stored, err
}

func (t *tx) FindCredential(ctx context.Context, hash []byte) (*roster.Credential, error) {
	return t.reader().FindCredential(ctx, hash)
}
func (db *DB) FindCredential(ctx context.Context, hash []byte) (*roster.Credential, error) {
	if c := db.cache.credential(hash); c != nil {
		return c.Clone(), nil
	}
	epoch := db.cache.now()
	c, err := db.reader().FindCredential(ctx, hash)
	if err == nil {
		db.cache.putCredential(epoch, hash, c)
		c = c.Clone()
	}
	return c, err
}
func (t *tx) FindAPIKey(ctx context.Context, id string) (*roster.APIKey, error) {
	return t.reader().FindAPIKey(ctx, id)
}
func (t *tx) FindAPIKeys(ctx context.Context, v *roster.Visibility, p roster.Page) ([]*roster.APIKey, *roster.Cursor, error) {
	return t.reader().FindAPIKeys(ctx, v, p)
}
func (db *DB) FindAPIKey(ctx context.Context, id string) (*roster.APIKey, error) {
	return db.reader().FindAPIKey(ctx, id)
}
func (db *DB) FindAPIKeys(ctx context.Context, v *roster.Visibility, p roster.Page) ([]*roster.APIKey, *roster.Cursor, error) {
	return db.reader().FindAPIKeys(ctx, v, p)
}
func (t *tx) FindIdempotent(ctx context.Context, scope, key string) (*roster.IdempotentResponse, error) {
	return t.reader().FindIdempotent(ctx, scope, key)
}

func (db *DB) FindIdempotent(ctx context.Context, scope, key string) (*roster.IdempotentResponse, error) {
	return db.reader().FindIdempotent(ctx, scope, key)
}
