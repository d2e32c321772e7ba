-- What users granted third-party clients on the consent page.
CREATE TABLE consents (
	user_id    text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	client_id  text NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
	scopes     json NOT NULL,
	updated_at timestamptz NOT NULL,
	PRIMARY KEY (user_id, client_id)
);
