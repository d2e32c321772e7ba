-- Browser sign-in (PRODUCT.md section 9): sessions behind the hosted
-- pages' cookie, authorization codes and consents, each by the SHA-256 of
-- its secret where it has one.

CREATE TABLE sessions (
	id              text PRIMARY KEY,
	hash            bytea NOT NULL UNIQUE,
	user_id         text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at      timestamptz NOT NULL,
	last_seen_at    timestamptz NOT NULL,
	expires_at      timestamptz NOT NULL,
	auth_time       timestamptz NOT NULL,
	amr             json NOT NULL,
	impersonator_id text,
	user_agent      text NOT NULL,
	address         text NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id, created_at);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- The session a token was issued in, so that ending it revokes them.
ALTER TABLE tokens ADD COLUMN session_id text;
CREATE INDEX tokens_session ON tokens (session_id) WHERE session_id IS NOT NULL;

-- Authorization codes live 60 seconds; a used one stays until it expires
-- so that a second use is recognised (and revokes what the first gave).
CREATE TABLE auth_codes (
	hash           bytea PRIMARY KEY,
	client_id      text NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
	user_id        text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	session_id     text NOT NULL,
	family         text NOT NULL,
	redirect_uri   text NOT NULL,
	scopes         json NOT NULL,
	nonce          text NOT NULL,
	code_challenge text NOT NULL,
	auth_time      timestamptz NOT NULL,
	created_at     timestamptz NOT NULL,
	expires_at     timestamptz NOT NULL,
	used           boolean NOT NULL DEFAULT false
);
CREATE INDEX auth_codes_expires ON auth_codes (expires_at);
