// SPDX-License-Identifier: Apache-2.0

package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rosterhq/roster"
)

// Credentials: passwords, tokens, OAuth clients and sign-in failures.

func (r reader) FindPasswordHash(ctx context.Context, userID string) (string, error) {
	var hash string
	err := r.q.QueryRow(ctx, `SELECT hash FROM passwords WHERE user_id = $1`, userID).Scan(&hash)
	return hash, translate(err, "password")
}

func (r reader) FindToken(ctx context.Context, hash []byte) (*roster.Token, error) {
	var t roster.Token
	var user, client, session *string
	var scopes []byte
	err := r.q.QueryRow(ctx, `SELECT id, kind, family, user_id, client_id, scopes, created_at, expires_at, used, session_id FROM tokens WHERE hash = $1`, hash).
		Scan(&t.ID, &t.Kind, &t.Family, &user, &client, &scopes, &t.CreatedAt, &t.ExpiresAt, &t.Used, &session)
	if err != nil {
		return nil, translate(err, "token")
	}
	if user != nil {
		t.UserID = *user
	}
	if client != nil {
		t.ClientID = *client
	}
	if session != nil {
		t.SessionID = *session
	}
	t.CreatedAt, t.ExpiresAt, t.Hash = t.CreatedAt.UTC(), t.ExpiresAt.UTC(), hash
	return &t, json.Unmarshal(scopes, &t.Scopes)
}

// FindOAuthClient locks the client's row in a transaction, so that two
// changes of one client queue (and their events keep their order).
func (r reader) FindOAuthClient(ctx context.Context, id string) (*roster.OAuthClient, error) {
	var doc, hash []byte
	if err := r.q.QueryRow(ctx, `SELECT doc, hash FROM oauth_clients WHERE id = $1`+r.locking(), id).Scan(&doc, &hash); err != nil {
		return nil, translate(err, "OAuth client")
	}
	c, err := roster.DecodeOAuthClient(doc)
	if err != nil {
		return nil, err
	}
	c.Hash = hash
	return c, nil
}

func (r reader) FindOAuthClients(ctx context.Context, v *roster.Visibility, pg roster.Page) ([]*roster.OAuthClient, *roster.Cursor, error) {
	var p params
	var where []string
	if v != nil {
		where = append(where, `c.organization_id IN (`+visibleOrgs(&p, v)+`)`)
	}
	cond, tail, err := creationPage(&p, pg, roster.SortOAuthClients, "c", true, where)
	if err != nil {
		return nil, nil, err
	}
	rows, err := r.q.Query(ctx, `SELECT c.created_at, c.doc FROM oauth_clients c`+cond+tail, p...)
	if err != nil {
		return nil, nil, err
	}
	return collectPage(rows, pg, roster.SortOAuthClients, func(rows pgx.Rows) (time.Time, string, *roster.OAuthClient, error) {
		var created time.Time
		var doc []byte
		if err := rows.Scan(&created, &doc); err != nil {
			return time.Time{}, "", nil, err
		}
		c, err := roster.DecodeOAuthClient(doc)
		if err != nil {
			return time.Time{}, "", nil, err
		}
		return created, c.ID, c, nil
	})
}

func (r reader) SignInFailures(ctx context.Context, key string, since time.Time) (int, time.Time, error) {
	var n int
	var last *time.Time
	if err := r.q.QueryRow(ctx, `SELECT count(*), max(at) FROM sign_in_failures WHERE key = $1 AND at >= $2`, key, since).Scan(&n, &last); err != nil {
		return 0, time.Time{}, err
	}
	if last == nil {
		return n, time.Time{}, nil
	}
	return n, last.UTC(), nil
}

func (t *tx) PutPasswordHash(userID, hash string) error {
	_, err := t.conn.Exec(t.ctx, `INSERT INTO passwords (user_id, hash, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (user_id) DO UPDATE SET hash = excluded.hash, updated_at = excluded.updated_at`, userID, hash, t.Now())
	return translate(err, "password")
}

func (t *tx) CreateToken(k *roster.Token) error {
	scopes, err := json.Marshal(k.Scopes)
	if err != nil {
		return err
	}
	if k.Scopes == nil {
		scopes = []byte("[]")
	}
	_, err = t.conn.Exec(t.ctx, `INSERT INTO tokens (hash, id, kind, family, user_id, client_id, scopes, created_at, expires_at, used, session_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		k.Hash, k.ID, k.Kind, k.Family, nullable(k.UserID), nullable(k.ClientID), scopes, k.CreatedAt, k.ExpiresAt, k.Used, nullable(k.SessionID))
	return translate(err, "token")
}

// UseToken flips used in one conditional UPDATE, so that of two
// concurrent refreshes with the same token exactly one wins.
func (t *tx) UseToken(hash []byte) (bool, string, error) {
	var session string
	err := t.conn.QueryRow(t.ctx, `UPDATE tokens SET used = true WHERE hash = $1 AND NOT used RETURNING coalesce(session_id, '')`, hash).Scan(&session)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, "", nil
	}
	return err == nil, session, err
}

func (t *tx) DeleteTokenFamily(family string) (int64, error) {
	return t.exec(`DELETE FROM tokens WHERE family = $1`, family)
}

func (t *tx) DeleteUserTokens(userID, keep string) (int64, error) {
	return t.exec(`DELETE FROM tokens WHERE user_id = $1 AND family <> $2`, userID, keep)
}

func (t *tx) CreateOAuthClient(c *roster.OAuthClient) error {
	doc, err := json.Marshal(c)
	if err != nil {
		return err
	}
	_, err = t.conn.Exec(t.ctx, `INSERT INTO oauth_clients (id, organization_id, hash, created_at, doc) VALUES ($1, $2, $3, $4, $5)`,
		c.ID, c.OrganizationID, c.StoredHash(), c.CreatedAt, doc)
	return translate(err, "OAuth client")
}

func (t *tx) UpdateOAuthClient(c *roster.OAuthClient) error {
	doc, err := json.Marshal(c)
	if err != nil {
		return err
	}
	n, err := t.exec(`UPDATE oauth_clients SET hash = $1, doc = $2 WHERE id = $3`, c.StoredHash(), doc, c.ID)
	if err == nil && n == 0 {
		return roster.Errorf(roster.CodeNotFound, "OAuth client not found")
	}
	return err
}

func (t *tx) DeleteOAuthClient(id string) error {
	n, err := t.exec(`DELETE FROM oauth_clients WHERE id = $1`, id)
	if err == nil && n == 0 {
		return roster.Errorf(roster.CodeNotFound, "OAuth client not found")
	}
	return err
}

func (t *tx) AddSignInFailure(key string, at time.Time) error {
	_, err := t.exec(`INSERT INTO sign_in_failures (key, at) VALUES ($1, $2)`, key, at)
	return err
}

func (t *tx) ClearSignInFailures(keys ...string) error {
	_, err := t.exec(`DELETE FROM sign_in_failures WHERE key = ANY($1::text[])`, keys)
	return err
}

// signInLockClass is the first key of the advisory locks that
// LockSignInKeys takes (the two-key form: a space apart from the one-key
// locks of bootstrap and migrations); the second is the key's hash.
const signInLockClass = 0x526f7374

// LockSignInKeys takes a transaction-level advisory lock per key, in
// order (so that two transactions never wait for each other), each in a
// statement of its own, so that the queries after it see what the
// transaction it waited for committed.
func (t *tx) LockSignInKeys(keys ...string) error {
	keys = slices.Clone(keys)
	slices.Sort(keys)
	for _, k := range slices.Compact(keys) {
		if _, err := t.conn.Exec(t.ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, int32(signInLockClass), k); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) RemoveSignInFailure(key string, at time.Time) error {
	_, err := t.exec(`DELETE FROM sign_in_failures WHERE ctid IN (SELECT ctid FROM sign_in_failures WHERE key = $1 AND at = $2 LIMIT 1)`, key, at)
	return err
}

func (t *tx) DeleteUserTokensOfKind(userID, kind string) (int64, error) {
	return t.exec(`DELETE FROM tokens WHERE user_id = $1 AND kind = $2`, userID, kind)
}

func (t *tx) PurgeCredentials(before time.Time) (int64, error) {
	a, err := t.exec(`DELETE FROM tokens WHERE expires_at < $1`, before)
	if err != nil {
		return 0, err
	}
	b, err := t.exec(`DELETE FROM sign_in_failures WHERE at < $1`, before)
	if err != nil {
		return 0, err
	}
	c, err := t.exec(`DELETE FROM sessions WHERE expires_at < $1`, before)
	if err != nil {
		return 0, err
	}
	d, err := t.exec(`DELETE FROM auth_codes WHERE expires_at < $1`, before)
	if err != nil {
		return 0, err
	}
	e, err := t.exec(`DELETE FROM sso_links WHERE expires_at < $1`, before)
	return a + b + c + d + e, err
}

// exec runs a write and returns how many rows it changed.
func (t *tx) exec(query string, args ...any) (int64, error) {
	tag, err := t.conn.Exec(t.ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (r reader) FindTOTP(ctx context.Context, userID string) (*roster.TOTP, error) {
	t := roster.TOTP{UserID: userID}
	err := r.q.QueryRow(ctx, `SELECT secret, confirmed, last_step, created_at FROM totp WHERE user_id = $1`, userID).
		Scan(&t.Secret, &t.Confirmed, &t.LastStep, &t.CreatedAt)
	if err != nil {
		return nil, translate(err, "second factor")
	}
	t.CreatedAt = t.CreatedAt.UTC()
	return &t, nil
}

func (t *tx) PutTOTP(k *roster.TOTP) error {
	_, err := t.conn.Exec(t.ctx, `INSERT INTO totp (user_id, secret, confirmed, last_step, created_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, confirmed = excluded.confirmed, last_step = excluded.last_step, created_at = excluded.created_at`,
		k.UserID, k.Secret, k.Confirmed, k.LastStep, k.CreatedAt)
	return translate(err, "second factor")
}

// UseTOTPStep is one conditional UPDATE, so that of two concurrent
// sign-ins with the same code exactly one succeeds.
func (t *tx) UseTOTPStep(userID string, step int64) (bool, error) {
	n, err := t.exec(`UPDATE totp SET last_step = $1 WHERE user_id = $2 AND last_step < $1`, step, userID)
	return n == 1, err
}

func (t *tx) DeleteTOTP(userID string) error {
	if _, err := t.exec(`DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
		return err
	}
	_, err := t.exec(`DELETE FROM totp WHERE user_id = $1`, userID)
	return err
}

func (t *tx) PutRecoveryCodes(userID string, hashes [][]byte) error {
	if _, err := t.exec(`DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
		return err
	}
	_, err := t.exec(`INSERT INTO recovery_codes (user_id, hash) SELECT $1, unnest($2::bytea[])`, userID, hashes)
	return translate(err, "recovery code")
}

func (t *tx) UseRecoveryCode(userID string, hash []byte) (bool, error) {
	n, err := t.exec(`DELETE FROM recovery_codes WHERE user_id = $1 AND hash = $2`, userID, hash)
	return n == 1, err
}
