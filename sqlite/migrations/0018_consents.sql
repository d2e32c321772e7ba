-- What users granted third-party clients on the consent page.
CREATE TABLE consents (
	user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	client_id  TEXT NOT NULL REFERENCES oauth_clients(id) ON DELETE CASCADE,
	scopes     TEXT NOT NULL,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (user_id, client_id)
);
