-- The mail outbox and pending email changes (PRODUCT.md section 6).
CREATE TABLE mail_outbox (
	id              TEXT PRIMARY KEY,
	status          TEXT NOT NULL,
	next_attempt_at INTEGER NOT NULL,
	attempts        INTEGER NOT NULL,
	last_error      TEXT NOT NULL,
	created_at      INTEGER NOT NULL,
	doc             TEXT NOT NULL
);
CREATE INDEX mail_outbox_due ON mail_outbox (status, next_attempt_at);

CREATE TABLE email_changes (
	user_id    TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
	email      TEXT NOT NULL,
	code_hash  BLOB NOT NULL,
	token_hash BLOB NOT NULL,
	attempts   INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	created_at INTEGER NOT NULL
);
