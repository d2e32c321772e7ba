-- One value sealed with the secret key by the first node to start
-- (service.CheckSecretKey): a node whose key does not open it (another
-- ROSTER_SECRET_KEY) refuses to start, instead of failing later on every
-- sealed secret the other nodes wrote.
CREATE TABLE key_check (
    id         int PRIMARY KEY CHECK (id = 1),
    sealed     bytea NOT NULL,
    created_at timestamptz NOT NULL
);
