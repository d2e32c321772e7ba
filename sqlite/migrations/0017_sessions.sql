-- Browser sign-in (PRODUCT.md section 9): sessions behind the hosted
-- pages' cookie, authorization codes and consents, each by the SHA-256 of
-- its secret where it has one.

CREATE TABLE sessions (
	id              TEXT PRIMARY KEY,
	hash            BLOB NOT NULL UNIQUE,
	user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	created_at      INTEGER NOT NULL,
	last_seen_at    INTEGER NOT NULL,
	expires_at      INTEGER NOT NULL,
	auth_time       INTEGER NOT NULL,
	amr             TEXT NOT NULL,
	impersonator_id TEXT,
	user_agent      TEXT NOT NULL,
	address         TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id, created_at);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- The session a token was issued in, so that ending it revokes them.
ALTER TABLE tokens ADD COLUMN session_id TEXT;
CREATE INDEX tokens_session ON tokens (session_id) WHERE session_id IS NOT NULL;

-- Authorization codes live 60 seconds; a used one stays until it expires
-- so that a second use is recognised (and revokes what the first gave).
CREATE TABLE auth_codes (
	hash           BLOB PRIMARY KEY,
	client_id      TEXT NOT NULL REFERENCES oauth_clients(id) ON DELETE CASCADE,
	user_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	session_id     TEXT NOT NULL,
	family         TEXT NOT NULL,
	redirect_uri   TEXT NOT NULL,
	scopes         TEXT NOT NULL,
	nonce          TEXT NOT NULL,
	code_challenge TEXT NOT NULL,
	auth_time      INTEGER NOT NULL,
	created_at     INTEGER NOT NULL,
	expires_at     INTEGER NOT NULL,
	used           INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX auth_codes_expires ON auth_codes (expires_at);
