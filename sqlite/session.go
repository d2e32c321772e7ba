// SPDX-License-Identifier: Apache-2.0

package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/rosterhq/roster"
)

// Browser sessions, authorization codes and consents. Like the other
// credentials they are never cached: ending a session shows at once.

const sessionColumns = `id, hash, user_id, created_at, last_seen_at, expires_at, auth_time, amr, impersonator_id, user_agent, address`

func scanSession(row interface{ Scan(...any) error }) (*roster.Session, error) {
	var s roster.Session
	var created, seen, expires, auth int64
	var amr []byte
	var imp sql.NullString
	if err := row.Scan(&s.ID, &s.Hash, &s.UserID, &created, &seen, &expires, &auth, &amr, &imp, &s.UserAgent, &s.Address); err != nil {
		return nil, translate(err, "session")
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt, s.AuthTime = fromMicros(created), fromMicros(seen), fromMicros(expires), fromMicros(auth)
	s.ImpersonatorID = imp.String
	return &s, json.Unmarshal(amr, &s.AMR)
}

func (r reader) FindSession(ctx context.Context, hash []byte) (*roster.Session, error) {
	return scanSession(r.q.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE hash = ?`, hash))
}

func (r reader) FindSessionByID(ctx context.Context, id string) (*roster.Session, error) {
	return scanSession(r.q.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE id = ?`, id))
}

func (r reader) FindUserSessions(ctx context.Context, userID string, live time.Time, p roster.Page) ([]*roster.Session, *roster.Cursor, error) {
	cond, tail, pargs, err := creationPage(p, roster.SortSessions, "s", true, []string{`s.user_id = ?`, `s.expires_at > ?`})
	if err != nil {
		return nil, nil, err
	}
	rows, err := r.q.QueryContext(ctx, `SELECT `+sessionColumns+` FROM sessions s`+cond+tail, append([]any{userID, micros(live)}, pargs...)...)
	if err != nil {
		return nil, nil, err
	}
	return collectPage(rows, p, roster.SortSessions, func(rows *sql.Rows) (int64, string, *roster.Session, error) {
		s, err := scanSession(rows)
		if err != nil {
			return 0, "", nil, err
		}
		return micros(s.CreatedAt), s.ID, s, nil
	})
}

func (r reader) FindConsent(ctx context.Context, userID, clientID string) (*roster.Consent, error) {
	c := roster.Consent{UserID: userID, ClientID: clientID}
	var scopes []byte
	var updated int64
	err := r.q.QueryRowContext(ctx, `SELECT scopes, updated_at FROM consents WHERE user_id = ? AND client_id = ?`, userID, clientID).Scan(&scopes, &updated)
	if err != nil {
		return nil, translate(err, "consent")
	}
	c.UpdatedAt = fromMicros(updated)
	return &c, json.Unmarshal(scopes, &c.Scopes)
}

func (t *tx) CreateSession(s *roster.Session) error {
	amr := jsonList(s.AMR)
	_, err := t.exec(`INSERT INTO sessions (`+sessionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.ID, s.Hash, s.UserID, micros(s.CreatedAt), micros(s.LastSeenAt), micros(s.ExpiresAt), micros(s.AuthTime), amr,
		nullable(s.ImpersonatorID), s.UserAgent, s.Address)
	return translate(err, "session")
}

func (t *tx) TouchSession(id string, at time.Time) error {
	n, err := t.exec(`UPDATE sessions SET last_seen_at = ? WHERE id = ?`, micros(at), id)
	if err == nil && n == 0 {
		return roster.Errorf(roster.CodeNotFound, "session not found")
	}
	return err
}

func (t *tx) DeleteSession(id string) (bool, error) {
	if _, err := t.exec(`DELETE FROM tokens WHERE session_id = ?`, id); err != nil {
		return false, err
	}
	n, err := t.exec(`DELETE FROM sessions WHERE id = ?`, id)
	return n == 1, err
}

// MoveSessionTokens narrows the codes by expires_at, whose index keeps
// the scan to the last minute's codes: auth_codes has none on session_id.
func (t *tx) MoveSessionTokens(from, to string, live time.Time) error {
	if _, err := t.exec(`UPDATE tokens SET session_id = ? WHERE session_id = ?`, to, from); err != nil {
		return err
	}
	_, err := t.exec(`UPDATE auth_codes SET session_id = ? WHERE expires_at > ? AND session_id = ? AND used = 0`, to, micros(live), from)
	return err
}

func (t *tx) DeleteUserSessions(userID string) (int64, error) {
	if _, err := t.exec(`DELETE FROM tokens WHERE session_id IN (SELECT id FROM sessions WHERE user_id = ?)`, userID); err != nil {
		return 0, err
	}
	return t.exec(`DELETE FROM sessions WHERE user_id = ?`, userID)
}

func (t *tx) CreateAuthCode(c *roster.AuthCode) error {
	scopes := jsonList(c.Scopes)
	_, err := t.exec(`INSERT INTO auth_codes (hash, client_id, user_id, session_id, family, redirect_uri, scopes, nonce, code_challenge, auth_time, created_at, expires_at, used)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.Hash, c.ClientID, c.UserID, c.SessionID, c.Family, c.RedirectURI, scopes, c.Nonce, c.CodeChallenge,
		micros(c.AuthTime), micros(c.CreatedAt), micros(c.ExpiresAt), c.Used)
	return translate(err, "authorization code")
}

// TakeAuthCode reads and then marks the code: the one writer runs write
// transactions one after the other, so no other can take it in between.
func (t *tx) TakeAuthCode(hash []byte) (*roster.AuthCode, error) {
	c := roster.AuthCode{Hash: hash}
	var scopes []byte
	var auth, created, expires int64
	err := t.q.QueryRowContext(context.Background(), `SELECT client_id, user_id, session_id, family, redirect_uri, scopes, nonce, code_challenge, auth_time, created_at, expires_at, used
		FROM auth_codes WHERE hash = ?`, hash).
		Scan(&c.ClientID, &c.UserID, &c.SessionID, &c.Family, &c.RedirectURI, &scopes, &c.Nonce, &c.CodeChallenge, &auth, &created, &expires, &c.Used)
	if err != nil {
		return nil, translate(err, "authorization code")
	}
	c.AuthTime, c.CreatedAt, c.ExpiresAt = fromMicros(auth), fromMicros(created), fromMicros(expires)
	if err := json.Unmarshal(scopes, &c.Scopes); err != nil {
		return nil, err
	}
	if !c.Used {
		if _, err := t.exec(`UPDATE auth_codes SET used = 1 WHERE hash = ?`, hash); err != nil {
			return nil, err
		}
	}
	return &c, nil
}

func (t *tx) PutConsent(c *roster.Consent) error {
	scopes := jsonList(c.Scopes)
	_, err := t.exec(`INSERT INTO consents (user_id, client_id, scopes, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (user_id, client_id) DO UPDATE SET scopes = excluded.scopes, updated_at = excluded.updated_at`,
		c.UserID, c.ClientID, scopes, micros(c.UpdatedAt))
	return translate(err, "consent")
}

func (t *tx) FindSession(ctx context.Context, hash []byte) (*roster.Session, error) {
	return t.reader().FindSession(ctx, hash)
}
func (t *tx) FindSessionByID(ctx context.Context, id string) (*roster.Session, error) {
	return t.reader().FindSessionByID(ctx, id)
}
func (t *tx) FindUserSessions(ctx context.Context, userID string, live time.Time, p roster.Page) ([]*roster.Session, *roster.Cursor, error) {
	return t.reader().FindUserSessions(ctx, userID, live, p)
}
func (t *tx) FindConsent(ctx context.Context, userID, clientID string) (*roster.Consent, error) {
	return t.reader().FindConsent(ctx, userID, clientID)
}
func (db *DB) FindSession(ctx context.Context, hash []byte) (*roster.Session, error) {
	return db.reader().FindSession(ctx, hash)
}
func (db *DB) FindSessionByID(ctx context.Context, id string) (*roster.Session, error) {
	return db.reader().FindSessionByID(ctx, id)
}
func (db *DB) FindUserSessions(ctx context.Context, userID string, live time.Time, p roster.Page) ([]*roster.Session, *roster.Cursor, error) {
	return db.reader().FindUserSessions(ctx, userID, live, p)
}
func (db *DB) FindConsent(ctx context.Context, userID, clientID string) (*roster.Consent, error) {
	return db.reader().FindConsent(ctx, userID, clientID)
}
