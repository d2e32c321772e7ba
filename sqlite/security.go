// SPDX-License-Identifier: Apache-2.0

package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/rosterhq/roster"
)

// Credentials: passwords, tokens, OAuth clients and sign-in failures. None
// of them is cached: they are read once per sign-in or per request that
// uses an access token, and a revocation must show at once.

func (r reader) FindPasswordHash(ctx context.Context, userID string) (string, error) {
	var hash string
	err := r.q.QueryRowContext(ctx, `SELECT hash FROM passwords WHERE user_id = ?`, userID).Scan(&hash)
	return hash, translate(err, "password")
}

func (r reader) FindToken(ctx context.Context, hash []byte) (*roster.Token, error) {
	var t roster.Token
	var user, client, session sql.NullString
	var scopes []byte
	var created, expires int64
	err := r.q.QueryRowContext(ctx, `SELECT id, kind, family, user_id, client_id, scopes, created_at, expires_at, used, session_id FROM tokens WHERE hash = ?`, hash).
		Scan(&t.ID, &t.Kind, &t.Family, &user, &client, &scopes, &created, &expires, &t.Used, &session)
	if err != nil {
		return nil, translate(err, "token")
	}
	t.UserID, t.ClientID, t.SessionID = user.String, client.String, session.String
	t.CreatedAt, t.ExpiresAt, t.Hash = fromMicros(created), fromMicros(expires), hash
	return &t, json.Unmarshal(scopes, &t.Scopes)
}

func (r reader) FindOAuthClient(ctx context.Context, id string) (*roster.OAuthClient, error) {
	var doc, hash []byte
	if err := r.q.QueryRowContext(ctx, `SELECT doc, hash FROM oauth_clients WHERE id = ?`, id).Scan(&doc, &hash); err != nil {
		return nil, translate(err, "OAuth client")
	}
	c, err := roster.DecodeOAuthClient(doc)
	if err != nil {
		return nil, err
	}
	c.Hash = hash
	return c, nil
}

func (r reader) FindOAuthClients(ctx context.Context, v *roster.Visibility, p roster.Page) ([]*roster.OAuthClient, *roster.Cursor, error) {
	var where []string
	var args []any
	if v != nil {
		cond, vargs := visibleOrgs(v)
		where = append(where, `c.organization_id IN (`+cond+`)`)
		args = vargs
	}
	cond, tail, pargs, err := creationPage(p, roster.SortOAuthClients, "c", true, where)
	if err != nil {
		return nil, nil, err
	}
	rows, err := r.q.QueryContext(ctx, `SELECT c.created_at, c.doc FROM oauth_clients c`+cond+tail, append(args, pargs...)...)
	if err != nil {
		return nil, nil, err
	}
	return collectPage(rows, p, roster.SortOAuthClients, func(rows *sql.Rows) (int64, string, *roster.OAuthClient, error) {
		var created int64
		var doc []byte
		if err := rows.Scan(&created, &doc); err != nil {
			return 0, "", nil, err
		}
		c, err := roster.DecodeOAuthClient(doc)
		if err != nil {
			return 0, "", nil, err
		}
		return created, c.ID, c, nil
	})
}

func (r reader) SignInFailures(ctx context.Context, key string, since time.Time) (int, time.Time, error) {
	var n int
	var last sql.NullInt64
	err := r.q.QueryRowContext(ctx, `SELECT count(*), max(at) FROM sign_in_failures WHERE key = ? AND at >= ?`, key, micros(since)).Scan(&n, &last)
	if err != nil {
		return 0, time.Time{}, err
	}
	var at time.Time
	if last.Valid {
		at = fromMicros(last.Int64)
	}
	return n, at, nil
}

func (t *tx) PutPasswordHash(userID, hash string) error {
	_, err := t.q.ExecContext(context.Background(), `INSERT INTO passwords (user_id, hash, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET hash = excluded.hash, updated_at = excluded.updated_at`, userID, hash, micros(t.now))
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
	_, err = t.q.ExecContext(context.Background(), `INSERT INTO tokens (hash, id, kind, family, user_id, client_id, scopes, created_at, expires_at, used, session_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		k.Hash, k.ID, k.Kind, k.Family, nullable(k.UserID), nullable(k.ClientID), scopes, micros(k.CreatedAt), micros(k.ExpiresAt), k.Used, nullable(k.SessionID))
	return translate(err, "token")
}

func (t *tx) UseToken(hash []byte) (bool, string, error) {
	var session string
	err := t.q.QueryRowContext(context.Background(), `UPDATE tokens SET used = 1 WHERE hash = ? AND used = 0 RETURNING coalesce(session_id, '')`, hash).Scan(&session)
	if errors.Is(err, sql.ErrNoRows) {
		return false, "", nil
	}
	return err == nil, session, err
}

func (t *tx) DeleteTokenFamily(family string) (int64, error) {
	return t.exec(`DELETE FROM tokens WHERE family = ?`, family)
}

func (t *tx) DeleteUserTokens(userID, keep string) (int64, error) {
	return t.exec(`DELETE FROM tokens WHERE user_id = ? AND family <> ?`, userID, keep)
}

func (t *tx) CreateOAuthClient(c *roster.OAuthClient) error {
	doc, err := json.Marshal(c)
	if err != nil {
		return err
	}
	_, err = t.q.ExecContext(context.Background(), `INSERT INTO oauth_clients (id, organization_id, hash, created_at, doc) VALUES (?, ?, ?, ?, ?)`,
		c.ID, c.OrganizationID, c.StoredHash(), micros(c.CreatedAt), doc)
	return translate(err, "OAuth client") // a new id is in no cache: misses are not kept
}

func (t *tx) UpdateOAuthClient(c *roster.OAuthClient) error {
	doc, err := json.Marshal(c)
	if err != nil {
		return err
	}
	n, err := t.exec(`UPDATE oauth_clients SET hash = ?, doc = ? WHERE id = ?`, c.StoredHash(), doc, c.ID)
	t.touched.clients = true
	if err == nil && n == 0 {
		return roster.Errorf(roster.CodeNotFound, "OAuth client not found")
	}
	return err
}

func (t *tx) DeleteOAuthClient(id string) error {
	n, err := t.exec(`DELETE FROM oauth_clients WHERE id = ?`, id)
	t.touched.clients = true
	if err == nil && n == 0 {
		return roster.Errorf(roster.CodeNotFound, "OAuth client not found")
	}
	return err
}

func (t *tx) AddSignInFailure(key string, at time.Time) error {
	_, err := t.exec(`INSERT INTO sign_in_failures (key, at) VALUES (?, ?)`, key, micros(at))
	return err
}

func (t *tx) ClearSignInFailures(keys ...string) error {
	for _, k := range keys {
		if _, err := t.exec(`DELETE FROM sign_in_failures WHERE key = ?`, k); err != nil {
			return err
		}
	}
	return nil
}

// LockSignInKeys has nothing to do: the one writer runs write
// transactions one after the other.
func (t *tx) LockSignInKeys(keys ...string) error { return nil }

func (t *tx) RemoveSignInFailure(key string, at time.Time) error {
	_, err := t.exec(`DELETE FROM sign_in_failures WHERE rowid IN (SELECT rowid FROM sign_in_failures WHERE key = ? AND at = ? LIMIT 1)`, key, micros(at))
	return err
}

func (t *tx) DeleteUserTokensOfKind(userID, kind string) (int64, error) {
	return t.exec(`DELETE FROM tokens WHERE user_id = ? AND kind = ?`, userID, kind)
}

func (t *tx) PurgeCredentials(before time.Time) (int64, error) {
	a, err := t.exec(`DELETE FROM tokens WHERE expires_at < ?`, micros(before))
	if err != nil {
		return 0, err
	}
	b, err := t.exec(`DELETE FROM sign_in_failures WHERE at < ?`, micros(before))
	if err != nil {
		return 0, err
	}
	c, err := t.exec(`DELETE FROM sessions WHERE expires_at < ?`, micros(before))
	if err != nil {
		return 0, err
	}
	d, err := t.exec(`DELETE FROM auth_codes WHERE expires_at < ?`, micros(before))
	if err != nil {
		return 0, err
	}
	e, err := t.exec(`DELETE FROM sso_links WHERE expires_at < ?`, micros(before))
	return a + b + c + d + e, err
}

// exec runs a write and returns how many rows it changed.
func (t *tx) exec(query string, args ...any) (int64, error) {
	res, err := t.q.ExecContext(context.Background(), query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (t *tx) FindPasswordHash(ctx context.Context, userID string) (string, error) {
	return t.reader().FindPasswordHash(ctx, userID)
}
func (t *tx) FindToken(ctx context.Context, hash []byte) (*roster.Token, error) {
	return t.reader().FindToken(ctx, hash)
}
func (t *tx) FindOAuthClient(ctx context.Context, id string) (*roster.OAuthClient, error) {
	return t.reader().FindOAuthClient(ctx, id)
}
func (t *tx) FindOAuthClients(ctx context.Context, v *roster.Visibility, p roster.Page) ([]*roster.OAuthClient, *roster.Cursor, error) {
	return t.reader().FindOAuthClients(ctx, v, p)
}
func (t *tx) SignInFailures(ctx context.Context, key string, since time.Time) (int, time.Time, error) {
	return t.reader().SignInFailures(ctx, key, since)
}
func (db *DB) FindPasswordHash(ctx context.Context, userID string) (string, error) {
	return db.reader().FindPasswordHash(ctx, userID)
}
func (db *DB) FindToken(ctx context.Context, hash []byte) (*roster.Token, error) {
	return db.reader().FindToken(ctx, hash)
}

// FindOAuthClient returns (a copy of) a client, from the read cache when
// it holds it: every token request and authorization request reads its
// client, and clients rarely change.
func (db *DB) FindOAuthClient(ctx context.Context, id string) (*roster.OAuthClient, error) {
	if cl := db.cache.oauthClient(id); cl != nil {
		return cl.Clone(), nil
	}
	epoch := db.cache.now()
	cl, err := db.reader().FindOAuthClient(ctx, id)
	if err == nil {
		db.cache.putOAuthClient(epoch, cl)
		cl = cl.Clone()
	}
	return cl, err
}
func (db *DB) FindOAuthClients(ctx context.Context, v *roster.Visibility, p roster.Page) ([]*roster.OAuthClient, *roster.Cursor, error) {
	return db.reader().FindOAuthClients(ctx, v, p)
}
func (db *DB) SignInFailures(ctx context.Context, key string, since time.Time) (int, time.Time, error) {
	return db.reader().SignInFailures(ctx, key, since)
}

func (r reader) FindTOTP(ctx context.Context, userID string) (*roster.TOTP, error) {
	t := roster.TOTP{UserID: userID}
	var created int64
	err := r.q.QueryRowContext(ctx, `SELECT secret, confirmed, last_step, created_at FROM totp WHERE user_id = ?`, userID).
		Scan(&t.Secret, &t.Confirmed, &t.LastStep, &created)
	if err != nil {
		return nil, translate(err, "second factor")
	}
	t.CreatedAt = fromMicros(created)
	return &t, nil
}

func (t *tx) FindTOTP(ctx context.Context, userID string) (*roster.TOTP, error) {
	return t.reader().FindTOTP(ctx, userID)
}
func (db *DB) FindTOTP(ctx context.Context, userID string) (*roster.TOTP, error) {
	return db.reader().FindTOTP(ctx, userID)
}

func (t *tx) PutTOTP(k *roster.TOTP) error {
	_, err := t.q.ExecContext(context.Background(), `INSERT INTO totp (user_id, secret, confirmed, last_step, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, confirmed = excluded.confirmed, last_step = excluded.last_step, created_at = excluded.created_at`,
		k.UserID, k.Secret, k.Confirmed, k.LastStep, micros(k.CreatedAt))
	return translate(err, "second factor")
}

func (t *tx) UseTOTPStep(userID string, step int64) (bool, error) {
	n, err := t.exec(`UPDATE totp SET last_step = ? WHERE user_id = ? AND last_step < ?`, step, userID, step)
	return n == 1, err
}

func (t *tx) DeleteTOTP(userID string) error {
	if _, err := t.exec(`DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
		return err
	}
	_, err := t.exec(`DELETE FROM totp WHERE user_id = ?`, userID)
	return err
}

func (t *tx) PutRecoveryCodes(userID string, hashes [][]byte) error {
	if _, err := t.exec(`DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
		return err
	}
	for _, h := range hashes {
		if _, err := t.exec(`INSERT INTO recovery_codes (user_id, hash) VALUES (?, ?)`, userID, h); err != nil {
			return translate(err, "recovery code")
		}
	}
	return nil
}

func (t *tx) UseRecoveryCode(userID string, hash []byte) (bool, error) {
	n, err := t.exec(`DELETE FROM recovery_codes WHERE user_id = ? AND hash = ?`, userID, hash)
	return n == 1, err
}
