-- TOTP second factors and their recovery codes (PRODUCT.md section 6). The
-- TOTP secret must be readable to check codes; recovery codes are kept as
-- their SHA-256 only.
CREATE TABLE totp (
	user_id    TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
	secret     TEXT NOT NULL,
	confirmed  INTEGER NOT NULL,
	last_step  INTEGER NOT NULL,
	created_at INTEGER NOT NULL
);

CREATE TABLE recovery_codes (
	user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	hash    BLOB NOT NULL,
	PRIMARY KEY (user_id, hash)
);
