-- Credentials other than API keys (PRODUCT.md section 6), each in a table
-- of its own so that no hash ever sits in a user's document.

-- Password hashes, in the PHC string format of argon2id.
CREATE TABLE passwords (
	user_id    TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
	hash       TEXT NOT NULL,
	updated_at INTEGER NOT NULL
);

-- OAuth service clients (client_credentials); only the secret's SHA-256.
CREATE TABLE oauth_clients (
	id              TEXT PRIMARY KEY,
	organization_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
	hash            BLOB NOT NULL,
	created_at      INTEGER NOT NULL,
	doc             TEXT NOT NULL
);
CREATE INDEX oauth_clients_org ON oauth_clients (organization_id);

-- Access and refresh tokens, by the SHA-256 of their secret. A token acts
-- for a user or for a client; the tokens of one sign-in share a family.
CREATE TABLE tokens (
	hash       BLOB PRIMARY KEY,
	id         TEXT NOT NULL,
	kind       TEXT NOT NULL,
	family     TEXT NOT NULL,
	user_id    TEXT REFERENCES users(id) ON DELETE CASCADE,
	client_id  TEXT REFERENCES oauth_clients(id) ON DELETE CASCADE,
	scopes     TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	used       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX tokens_family ON tokens (family);
CREATE INDEX tokens_user ON tokens (user_id);
CREATE INDEX tokens_client ON tokens (client_id);
CREATE INDEX tokens_expires ON tokens (expires_at);

-- Failed sign-ins, by account ("user:<username>") and by client address
-- ("ip:<address>"), for the sign-in limits.
CREATE TABLE sign_in_failures (
	key TEXT NOT NULL,
	at  INTEGER NOT NULL
);
CREATE INDEX sign_in_failures_key ON sign_in_failures (key, at);
CREATE INDEX sign_in_failures_at ON sign_in_failures (at);
