// SPDX-License-Identifier: Apache-2.0

package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rosterhq/roster"
)

// The mail outbox and pending email changes.

// mailQueuedSealed is the status column of a queued mail whose body is
// sealed (roster.Mail.Sealed); the mail itself says MailQueued. Versions
// before sealing claim only 'queued' rows: during a rolling upgrade they
// leave sealed mails to the nodes that can open them, instead of sending
// them with an empty body.
const mailQueuedSealed = "queued_sealed"

// mailStatus is the status column of m.
func mailStatus(m *roster.Mail) string {
	if m.Status == roster.MailQueued && len(m.Sealed) > 0 {
		return mailQueuedSealed
	}
	return m.Status
}

func (t *tx) EnqueueMail(m *roster.Mail) error {
	doc, err := json.Marshal(m)
	if err != nil {
		return err
	}
	_, err = t.conn.Exec(t.ctx, `INSERT INTO mail_outbox (id, status, next_attempt_at, attempts, last_error, created_at, doc) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		m.ID, mailStatus(m), m.NextAttemptAt, m.Attempts, m.LastError, m.CreatedAt, doc)
	return translate(err, "mail")
}

// ClaimMail skips rows another node has locked, so that nodes share the
// outbox without sending a mail twice at once.
func (t *tx) ClaimMail(now time.Time, lease time.Duration, limit int) ([]*roster.Mail, error) {
	rows, err := t.conn.Query(t.ctx, `UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = $1
		WHERE id IN (SELECT id FROM mail_outbox WHERE status IN ('queued', 'queued_sealed') AND next_attempt_at <= $2
			ORDER BY next_attempt_at, id COLLATE "C" LIMIT $3 FOR UPDATE SKIP LOCKED)
		RETURNING attempts, doc`, now.Add(lease), now, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (*roster.Mail, error) {
		var attempts int
		var doc []byte
		if err := row.Scan(&attempts, &doc); err != nil {
			return nil, err
		}
		var m roster.Mail
		if err := json.Unmarshal(doc, &m); err != nil {
			return nil, err
		}
		m.Attempts = attempts
		return &m, nil
	})
}

func (t *tx) FinishMail(id, status string, next time.Time, lastError string) error {
	// A finished mail's body goes: it held the mail's secrets.
	// A sealed mail that waits for its next attempt stays queued_sealed.
	_, err := t.exec(`UPDATE mail_outbox SET status = CASE WHEN $1 = 'queued' AND status = 'queued_sealed' THEN status ELSE $1 END,
		next_attempt_at = $2, last_error = $3,
		doc = CASE WHEN $1 = 'queued' THEN doc ELSE (doc::jsonb - 'Text' - 'HTML' - 'Sealed')::json END WHERE id = $4`, status, next, lastError, id)
	return err
}

func (r reader) FindEmailChange(ctx context.Context, userID string) (*roster.EmailChange, error) {
	c := roster.EmailChange{UserID: userID}
	err := r.q.QueryRow(ctx, `SELECT email, code_hash, token_hash, attempts, expires_at, created_at FROM email_changes WHERE user_id = $1`, userID).
		Scan(&c.Email, &c.CodeHash, &c.TokenHash, &c.Attempts, &c.ExpiresAt, &c.CreatedAt)
	if err != nil {
		return nil, translate(err, "email change")
	}
	c.ExpiresAt, c.CreatedAt = c.ExpiresAt.UTC(), c.CreatedAt.UTC()
	return &c, nil
}

func (t *tx) PutEmailChange(c *roster.EmailChange) error {
	_, err := t.conn.Exec(t.ctx, `INSERT INTO email_changes (user_id, email, code_hash, token_hash, attempts, expires_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, code_hash = excluded.code_hash,
		token_hash = excluded.token_hash, attempts = excluded.attempts, expires_at = excluded.expires_at, created_at = excluded.created_at`,
		c.UserID, c.Email, c.CodeHash, c.TokenHash, c.Attempts, c.ExpiresAt, c.CreatedAt)
	return translate(err, "email change")
}

func (t *tx) FailEmailChange(userID string) (int, error) {
	var n int
	err := t.conn.QueryRow(t.ctx, `UPDATE email_changes SET attempts = attempts + 1 WHERE user_id = $1 RETURNING attempts`, userID).Scan(&n)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, roster.Errorf(roster.CodeNotFound, "email change not found")
	}
	return n, err
}

func (t *tx) DeleteEmailChange(userID string) error {
	_, err := t.exec(`DELETE FROM email_changes WHERE user_id = $1`, userID)
	return err
}
