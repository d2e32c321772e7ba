-- One value sealed with the secret key by the first process to start
-- (service.CheckSecretKey): a process whose key does not open it refuses
-- to start, instead of failing later on every sealed secret.
CREATE TABLE key_check (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    sealed     BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
