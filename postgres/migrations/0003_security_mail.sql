-- The mail outbox and pending email changes (PRODUCT.md section 6).
CREATE TABLE mail_outbox (
	id              text PRIMARY KEY,
	status          text NOT NULL,
	next_attempt_at timestamptz NOT NULL,
	attempts        integer NOT NULL,
	last_error      text NOT NULL,
	created_at      timestamptz NOT NULL,
	doc             json NOT NULL
);
CREATE INDEX mail_outbox_due ON mail_outbox (status, next_attempt_at);

CREATE TABLE email_changes (
	user_id    text PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	email      text NOT NULL,
	code_hash  bytea NOT NULL,
	token_hash bytea NOT NULL,
	attempts   integer NOT NULL,
	expires_at timestamptz NOT NULL,
	created_at timestamptz NOT NULL
);
