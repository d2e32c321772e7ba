-- Webhooks and their delivery queue (the outbox is the events table: a
-- webhook's cursor is the pos of the last event it has considered).
CREATE TABLE webhooks (
	id            text PRIMARY KEY,
	org_id        text NOT NULL,
	created_at    timestamptz NOT NULL,
	version       bigint NOT NULL,
	cursor        bigint NOT NULL,
	failing_since timestamptz,
	doc           jsonb NOT NULL
);
CREATE INDEX webhooks_org ON webhooks (org_id);

-- One row per event per webhook; several nodes lease deliveries with
-- SELECT … FOR UPDATE SKIP LOCKED.
CREATE TABLE deliveries (
	id          text PRIMARY KEY,
	webhook_id  text NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
	seq         bigint NOT NULL,
	resource_id text NOT NULL,
	state       text NOT NULL,
	next_at     timestamptz NOT NULL,
	lease_until timestamptz NOT NULL DEFAULT '-infinity',
	lease_owner text NOT NULL DEFAULT '',
	updated_at  timestamptz NOT NULL,
	doc         jsonb NOT NULL
);
CREATE UNIQUE INDEX deliveries_event ON deliveries (webhook_id, seq);
CREATE INDEX deliveries_pending ON deliveries (webhook_id, resource_id, seq) WHERE state = 'pending';
CREATE INDEX deliveries_due ON deliveries (webhook_id, seq) WHERE state = 'pending';
CREATE INDEX deliveries_list ON deliveries (webhook_id, id COLLATE "C");
CREATE INDEX deliveries_finished ON deliveries (updated_at) WHERE state <> 'pending';
