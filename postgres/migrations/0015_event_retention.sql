-- Events are kept compact (internal/eventdoc: zstd against a dictionary,
-- a creation's patch derived from its document) in body; rows written
-- before keep their JSON in doc, which new rows leave null.
ALTER TABLE events ALTER COLUMN doc DROP NOT NULL;
ALTER TABLE events ADD COLUMN body bytea;

-- The feed keeps events for --event-retention; the audit trail keeps them
-- for --audit-retention, which is at least as long. pos is the position
-- the feed starts after (events at or before it have left the feed and
-- stay for the audit trail until they are purged); the janitor moves it
-- past old events that no webhook may still send.
CREATE TABLE feed_start (pos bigint NOT NULL);
INSERT INTO feed_start (pos) VALUES (0);
