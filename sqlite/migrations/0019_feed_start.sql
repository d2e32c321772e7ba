-- The feed keeps events for --event-retention; the audit trail keeps them
-- for --audit-retention, which is at least as long. seq is the position
-- the feed starts after (events at or before it have left the feed and
-- stay for the audit trail until they are purged); the janitor moves it
-- past old events that no webhook may still send.
CREATE TABLE feed_start (seq INTEGER NOT NULL);
INSERT INTO feed_start (seq) VALUES (0);
