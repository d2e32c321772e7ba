-- The keys that sign ID tokens (service/keys.go). The private key is
-- sealed with the secret key. Each algorithm has at most one current key
-- (retired_at NULL): the partial unique index lets nodes that start
-- together each offer keys, of which one set is kept.
CREATE TABLE signing_keys (
    id         text PRIMARY KEY,
    alg        text NOT NULL,
    sealed     bytea NOT NULL,
    public_jwk text NOT NULL,
    created_at timestamptz NOT NULL,
    retired_at timestamptz,
    expires_at timestamptz
);
CREATE UNIQUE INDEX signing_keys_current ON signing_keys (alg) WHERE retired_at IS NULL;
