-- TOTP second factors and their recovery codes (PRODUCT.md section 6). The
-- TOTP secret must be readable to check codes; recovery codes are kept as
-- their SHA-256 only.
CREATE TABLE totp (
	user_id    text PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	secret     text NOT NULL,
	confirmed  boolean NOT NULL,
	last_step  bigint NOT NULL,
	created_at timestamptz NOT NULL
);

CREATE TABLE recovery_codes (
	user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	hash    bytea NOT NULL,
	PRIMARY KEY (user_id, hash)
);
