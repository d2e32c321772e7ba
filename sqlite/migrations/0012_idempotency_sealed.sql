-- Answers recorded for an Idempotency-Key are sealed with the secret key
-- from now on; those recorded before were in clear and may show a
-- secret (a new API key, a webhook's signing secret): they go. A retry
-- of one of them within its 24 hours runs again.
DELETE FROM idempotency WHERE done;
