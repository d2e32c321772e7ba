-- Webhooks and their delivery queue (the outbox is the events table: a
-- webhook's cursor is the seq of the last event it has considered).
CREATE TABLE webhooks (
	id            TEXT PRIMARY KEY,
	org_id        TEXT NOT NULL,
	created_at    INTEGER NOT NULL,
	version       INTEGER NOT NULL,
	cursor        INTEGER NOT NULL,
	failing_since INTEGER,
	doc           TEXT NOT NULL
);
CREATE INDEX webhooks_org ON webhooks (org_id);

-- One row per event per webhook. lease_until/lease_owner mark a delivery
-- being sent by one node.
CREATE TABLE deliveries (
	id          TEXT PRIMARY KEY,
	webhook_id  TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
	seq         INTEGER NOT NULL,
	resource_id TEXT NOT NULL,
	state       TEXT NOT NULL,
	next_at     INTEGER NOT NULL,
	lease_until INTEGER NOT NULL DEFAULT 0,
	lease_owner TEXT NOT NULL DEFAULT '',
	updated_at  INTEGER NOT NULL,
	doc         TEXT NOT NULL
);
CREATE UNIQUE INDEX deliveries_event ON deliveries (webhook_id, seq);
CREATE INDEX deliveries_pending ON deliveries (webhook_id, resource_id, seq) WHERE state = 'pending';
CREATE INDEX deliveries_due ON deliveries (webhook_id, seq) WHERE state = 'pending';
CREATE INDEX deliveries_list ON deliveries (webhook_id, id);
CREATE INDEX deliveries_finished ON deliveries (updated_at) WHERE state <> 'pending';
