-- The node that holds a webhook's stream of new events sends them straight
-- from the events table and writes each delivery once, with its result;
-- the cursor stays before the oldest event it has not yet recorded.
-- stream_owner and stream_until are that hold, so that two nodes never send
-- the same new event at the same time.
ALTER TABLE webhooks ADD COLUMN stream_owner TEXT NOT NULL DEFAULT '';
ALTER TABLE webhooks ADD COLUMN stream_until INTEGER NOT NULL DEFAULT 0;
