// SPDX-License-Identifier: Apache-2.0

package postgres

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rosterhq/roster"
)

// Browser sessions, authorization codes and consents.

const sessionColumns = `id, hash, user_id, created_at, last_seen_at, expires_at, auth_time, amr, impersonator_id, user_agent, address`

func scanSession(row pgx.Row) (*roster.Session, error) {
	var s roster.Session
	var amr []byte
	var imp *string
	if err := row.Scan(&s.ID, &s.Hash, &s.UserID, &s.CreatedAt, &s.LastSeenAt, &s.ExpiresAt, &s.AuthTime, &amr, &imp, &s.UserAgent, &s.Address); err != nil {
		return nil, translate(err, "session")
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt, s.AuthTime = s.CreatedAt.UTC(), s.LastSeenAt.UTC(), s.ExpiresAt.UTC(), s.AuthTime.UTC()
	if imp != nil {
		s.ImpersonatorID = *imp
	}
	return &s, json.Unmarshal(amr, &s.AMR)
}

func (r reader) FindSession(ctx context.Context, hash []byte) (*roster.Session, error) {
	return scanSession(r.q.QueryRow(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE hash = $1`, hash))
}

func (r reader) FindSessionByID(ctx context.Context, id string) (*roster.Session, error) {
	return scanSession(r.q.QueryRow(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE id = $1`+r.locking(), id))
}

func (r reader) FindUserSessions(ctx context.Context, userID string, live time.Time, pg roster.Page) ([]*roster.Session, *roster.Cursor, error) {
	var p params
	where := []string{`s.user_id = ` + p.add(userID), `s.expires_at > ` + p.add(live)}
	cond, tail, err := creationPage(&p, pg, roster.SortSessions, "s", true, where)
	if err != nil {
		return nil, nil, err
	}
	rows, err := r.q.Query(ctx, `SELECT `+sessionColumns+` FROM sessions s`+cond+tail, p...)
	if err != nil {
		return nil, nil, err
	}
	return collectPage(rows, pg, roster.SortSessions, func(rows pgx.Rows) (time.Time, string, *roster.Session, error) {
		s, err := scanSession(rows)
		if err != nil {
			return time.Time{}, "", nil, err
		}
		return s.CreatedAt, s.ID, s, nil
	})
}

func (r reader) FindConsent(ctx context.Context, userID, clientID string) (*roster.Consent, error) {
	c := roster.Consent{UserID: userID, ClientID: clientID}
	var scopes []byte
	err := r.q.QueryRow(ctx, `SELECT scopes, updated_at FROM consents WHERE user_id = $1 AND client_id = $2`, userID, clientID).Scan(&scopes, &c.UpdatedAt)
	if err != nil {
		return nil, translate(err, "consent")
	}
	c.UpdatedAt = c.UpdatedAt.UTC()
	return &c, json.Unmarshal(scopes, &c.Scopes)
}

// listJSON is a list column's value: never null.
func listJSON(v []string) []byte {
	if v == nil {
		return []byte("[]")
	}
	b, _ := json.Marshal(v)
	return b
}

func (t *tx) CreateSession(s *roster.Session) error {
	_, err := t.exec(`INSERT INTO sessions (`+sessionColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		s.ID, s.Hash, s.UserID, s.CreatedAt, s.LastSeenAt, s.ExpiresAt, s.AuthTime, listJSON(s.AMR),
		nullable(s.ImpersonatorID), s.UserAgent, s.Address)
	return translate(err, "session")
}

func (t *tx) TouchSession(id string, at time.Time) error {
	n, err := t.exec(`UPDATE sessions SET last_seen_at = $1 WHERE id = $2`, at, id)
	if err == nil && n == 0 {
		return roster.Errorf(roster.CodeNotFound, "session not found")
	}
	return err
}

func (t *tx) DeleteSession(id string) (bool, error) {
	if _, err := t.exec(`DELETE FROM tokens WHERE session_id = $1`, id); err != nil {
		return false, err
	}
	n, err := t.exec(`DELETE FROM sessions WHERE id = $1`, id)
	return n == 1, err
}

// MoveSessionTokens locks from's row first: a code issued in it
// (issueCode touches the session in its transaction) then either commits
// before and is moved, or waits and finds the session gone. Codes move
// before tokens, and tokens twice, for the grants running in the session
// meanwhile, which lock no session row: an exchange holds its code's row,
// so the codes' UPDATE waits for it to commit (and skips the used code),
// and the tokens' UPDATE, a later statement, sees the token it issued; a
// refresh holds its old token's row, which the first tokens' UPDATE waits
// for, and the second, seeing what committed since, moves the token the
// refresh issued. Nothing issued in the earlier session is left for
// DeleteSession to revoke. The codes are narrowed by expires_at, whose
// index keeps the scan to the last minute's codes: auth_codes has none on
// session_id.
func (t *tx) MoveSessionTokens(from, to string, live time.Time) error {
	if _, err := t.exec(`SELECT 1 FROM sessions WHERE id = $1 FOR UPDATE`, from); err != nil {
		return err
	}
	if _, err := t.exec(`UPDATE auth_codes SET session_id = $1 WHERE expires_at > $2 AND session_id = $3 AND NOT used`, to, live, from); err != nil {
		return err
	}
	for range 2 {
		if _, err := t.exec(`UPDATE tokens SET session_id = $1 WHERE session_id = $2`, to, from); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) DeleteUserSessions(userID string) (int64, error) {
	if _, err := t.exec(`DELETE FROM tokens WHERE session_id IN (SELECT id FROM sessions WHERE user_id = $1)`, userID); err != nil {
		return 0, err
	}
	return t.exec(`DELETE FROM sessions WHERE user_id = $1`, userID)
}

func (t *tx) CreateAuthCode(c *roster.AuthCode) error {
	_, err := t.exec(`INSERT INTO auth_codes (hash, client_id, user_id, session_id, family, redirect_uri, scopes, nonce, code_challenge, auth_time, created_at, expires_at, used)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		c.Hash, c.ClientID, c.UserID, c.SessionID, c.Family, c.RedirectURI, listJSON(c.Scopes), c.Nonce, c.CodeChallenge,
		c.AuthTime, c.CreatedAt, c.ExpiresAt, c.Used)
	return translate(err, "authorization code")
}

// TakeAuthCode locks the code's row before it reads it, so that of two
// transactions taking one code the second waits and then sees it used.
func (t *tx) TakeAuthCode(hash []byte) (*roster.AuthCode, error) {
	c := roster.AuthCode{Hash: hash}
	var scopes []byte
	err := t.conn.QueryRow(t.ctx, `SELECT client_id, user_id, session_id, family, redirect_uri, scopes, nonce, code_challenge, auth_time, created_at, expires_at, used
		FROM auth_codes WHERE hash = $1 FOR UPDATE`, hash).
		Scan(&c.ClientID, &c.UserID, &c.SessionID, &c.Family, &c.RedirectURI, &scopes, &c.Nonce, &c.CodeChallenge, &c.AuthTime, &c.CreatedAt, &c.ExpiresAt, &c.Used)
	if err != nil {
		return nil, translate(err, "authorization code")
	}
	c.AuthTime, c.CreatedAt, c.ExpiresAt = c.AuthTime.UTC(), c.CreatedAt.UTC(), c.ExpiresAt.UTC()
	if err := json.Unmarshal(scopes, &c.Scopes); err != nil {
		return nil, err
	}
	if !c.Used {
		if _, err := t.exec(`UPDATE auth_codes SET used = true WHERE hash = $1`, hash); err != nil {
			return nil, err
		}
	}
	return &c, nil
}

func (t *tx) PutConsent(c *roster.Consent) error {
	_, err := t.exec(`INSERT INTO consents (user_id, client_id, scopes, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (user_id, client_id) DO UPDATE SET scopes = excluded.scopes, updated_at = excluded.updated_at`,
		c.UserID, c.ClientID, listJSON(c.Scopes), c.UpdatedAt)
	return translate(err, "consent")
}
