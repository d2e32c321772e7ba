-- The keys that sign ID tokens (service/keys.go). The private key is
-- sealed with the secret key. Each algorithm has at most one current key
-- (retired_at NULL): the partial unique index lets nodes that start
-- together each offer keys, of which one set is kept.
CREATE TABLE signing_keys (
    id         TEXT PRIMARY KEY,
    alg        TEXT NOT NULL,
    sealed     BLOB NOT NULL,
    public_jwk TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    retired_at INTEGER,
    expires_at INTEGER
);
CREATE UNIQUE INDEX signing_keys_current ON signing_keys (alg) WHERE retired_at IS NULL;
