-- Reseller SSO links (PRODUCT.md section 9): one-time sign-in links by
-- the SHA-256 of their secret. A used link stays until it expires so that
-- a second opening is told it was used; the janitor purges expired ones.

CREATE TABLE sso_links (
	hash         BLOB PRIMARY KEY,
	id           TEXT NOT NULL UNIQUE,
	user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	client_id    TEXT NOT NULL REFERENCES oauth_clients(id) ON DELETE CASCADE,
	redirect_uri TEXT NOT NULL,
	created_by   TEXT NOT NULL,
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL,
	used         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sso_links_expires ON sso_links (expires_at);
