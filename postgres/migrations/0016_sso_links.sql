-- Reseller SSO links (PRODUCT.md section 9): one-time sign-in links by
-- the SHA-256 of their secret. A used link stays until it expires so that
-- a second opening is told it was used; the janitor purges expired ones.

CREATE TABLE sso_links (
	hash         bytea PRIMARY KEY,
	id           text NOT NULL UNIQUE,
	user_id      text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	client_id    text NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
	redirect_uri text NOT NULL,
	created_by   text NOT NULL,
	created_at   timestamptz NOT NULL,
	expires_at   timestamptz NOT NULL,
	used         boolean NOT NULL DEFAULT false
);
CREATE INDEX sso_links_expires ON sso_links (expires_at);
