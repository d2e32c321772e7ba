-- Every change's event, written in the change's own transaction. seq is
-- the commit order (one writer commits batches in order).
CREATE TABLE events (
	seq           INTEGER PRIMARY KEY AUTOINCREMENT,
	id            TEXT NOT NULL UNIQUE,
	type          TEXT NOT NULL,
	resource_type TEXT NOT NULL,
	resource_id   TEXT NOT NULL,
	org_id        TEXT NOT NULL,
	actor_id      TEXT NOT NULL,
	occurred_at   INTEGER NOT NULL,
	doc           TEXT NOT NULL
);
CREATE INDEX events_resource ON events (resource_id, seq);
CREATE INDEX events_actor ON events (actor_id, seq);
CREATE INDEX events_org ON events (org_id, seq);
