// SPDX-License-Identifier: Apache-2.0

package postgres

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rosterhq/roster"
)

func (r reader) FindAPIKey(ctx context.Context, id string) (*roster.APIKey, error) {
	return scanDoc[roster.APIKey](r.q.QueryRow(ctx, `SELECT doc FROM api_keys WHERE id = $1`, id), "API key")
}

func (r reader) FindAPIKeys(ctx context.Context, v *roster.Visibility, pg roster.Page) ([]*roster.APIKey, *roster.Cursor, error) {
	var p params
	var where []string
	if v != nil {
		where = append(where, `(k.user_id = `+p.add(v.Self)+` OR k.user_id IN (SELECT id FROM users WHERE organization_id IN (`+visibleOrgs(&p, v)+`)))`)
	}
	cond, tail, err := creationPage(&p, pg, roster.SortAPIKeys, "k", true, where)
	if err != nil {
		return nil, nil, err
	}
	rows, err := r.q.Query(ctx, `SELECT k.created_at, k.doc FROM api_keys k`+cond+tail, p...)
	if err != nil {
		return nil, nil, err
	}
	return collectPage(rows, pg, roster.SortAPIKeys, func(rows pgx.Rows) (time.Time, string, *roster.APIKey, error) {
		var created time.Time
		var doc []byte
		if err := rows.Scan(&created, &doc); err != nil {
			return time.Time{}, "", nil, err
		}
		k := new(roster.APIKey)
		if err := json.Unmarshal(doc, k); err != nil {
			return time.Time{}, "", nil, err
		}
		return created, k.ID, k, nil
	})
}

// FindCredential reads a key, its user and whether the user's
// organisation or one of its ancestors is disabled in one query.
func (r reader) FindCredential(ctx context.Context, hash []byte) (*roster.Credential, error) {
	var keyDoc, userDoc []byte
	var disabled bool
	err := r.q.QueryRow(ctx, `SELECT k.doc, u.doc, EXISTS (
			WITH RECURSIVE up(id, parent_id, status) AS (
				SELECT id, parent_id, status FROM orgs WHERE id = u.organization_id
				UNION ALL SELECT o.id, o.parent_id, o.status FROM orgs o JOIN up ON o.id = up.parent_id)
			SELECT 1 FROM up WHERE status <> 'enabled')
		FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.hash = $1`, hash).Scan(&keyDoc, &userDoc, &disabled)
	if err != nil {
		return nil, translate(err, "API key")
	}
	var k roster.APIKey
	var u roster.User
	if err := json.Unmarshal(keyDoc, &k); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(userDoc, &u); err != nil {
		return nil, err
	}
	return &roster.Credential{Key: &k, User: &u, OrgDisabled: disabled}, nil
}

func (t *tx) CreateAPIKey(k *roster.APIKey) error {
	doc, err := json.Marshal(k)
	if err != nil {
		return err
	}
	_, err = t.conn.Exec(t.ctx, `INSERT INTO api_keys (id, user_id, hash, created_at, doc) VALUES ($1, $2, $3, $4, $5)`,
		k.ID, k.UserID, k.Hash, k.CreatedAt, doc)
	return translate(err, "API key")
}

func (t *tx) DeleteAPIKey(id string) error {
	tag, err := t.conn.Exec(t.ctx, `DELETE FROM api_keys WHERE id = $1`, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return roster.Errorf(roster.CodeNotFound, "API key not found")
	}
	return nil
}

func (r reader) FindIdempotent(ctx context.Context, scope, key string) (*roster.IdempotentResponse, error) {
	rec := roster.IdempotentResponse{Scope: scope, Key: key}
	var header []byte
	err := r.q.QueryRow(ctx, `SELECT request_hash, done, status, header, body, created_at FROM idempotency WHERE scope = $1 AND key = $2`, scope, key).
		Scan(&rec.RequestHash, &rec.Done, &rec.Status, &header, &rec.Body, &rec.CreatedAt)
	if err != nil {
		return nil, translate(err, "idempotency key")
	}
	rec.CreatedAt = rec.CreatedAt.UTC()
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
		_, err = t.conn.Exec(t.ctx, `UPDATE idempotency SET done = true, status = $1, header = $2, body = $3 WHERE scope = $4 AND key = $5`,
			r.Status, header, body, r.Scope, r.Key)
		return translate(err, "idempotency key")
	}
	// A record older than 24 hours no longer counts: it is replaced. A
	// taken key is a conflict without an error from the server, which
	// would end the whole transaction.
	tag, err := t.conn.Exec(t.ctx, `INSERT INTO idempotency (scope, key, request_hash, done, status, header, body, created_at)
		VALUES ($1, $2, $3, false, 0, $4, $5, $6)
		ON CONFLICT (scope, key) DO UPDATE SET request_hash = excluded.request_hash, done = false, status = 0,
			header = excluded.header, body = excluded.body, created_at = excluded.created_at
		WHERE idempotency.created_at < $7`,
		r.Scope, r.Key, r.RequestHash, header, body, r.CreatedAt, t.Now().Add(-roster.IdempotencyTTL))
	if err != nil {
		return translate(err, "idempotency key")
	}
	if tag.RowsAffected() == 0 {
		return roster.Errorf(roster.CodeConflict, "%s", uniqueMessage("idempotency_pkey"))
	}
	return nil
}

func (t *tx) PurgeIdempotent(before time.Time) (int64, error) {
	tag, err := t.conn.Exec(t.ctx, `DELETE FROM idempotency WHERE created_at < $1`, before)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (t *tx) KeyCheck(check []byte) ([]byte, error) {
	// A node that starts while another inserts waits for its commit, then
	// reads its check (READ COMMITTED: each statement sees what committed).
	_, err := t.conn.Exec(t.ctx, `INSERT INTO key_check (id, sealed, created_at) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING`, check, t.Now())
	if err != nil {
		return nil, err
	}
	var stored []byte
	err = t.conn.QueryRow(t.ctx, `SELECT sealed FROM key_check WHERE id = 1`).Scan(&stored)
	return stored, err
}

func (t *tx) DeleteIdempotent(scope, key string) error {
	_, err := t.conn.Exec(t.ctx, `DELETE FROM idempotency WHERE scope = $1 AND key = $2`, scope, key)
	return err
}
