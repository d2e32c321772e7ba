-- head marks the oldest pending delivery of its (webhook, resource): the
-- only one of the resource that may be sent. The claim reads the due heads
-- through deliveries_heads instead of testing every pending delivery for
-- an older one. A leased delivery's next_at is its lease's end (it is not
-- due before), and a new one's its creation, so the range next_at <= now
-- holds only deliveries that may go, in the order they came due.
ALTER TABLE deliveries ADD COLUMN head boolean NOT NULL DEFAULT false;
UPDATE deliveries d SET head = true WHERE state = 'pending' AND NOT EXISTS (SELECT 1 FROM deliveries p
	WHERE p.webhook_id = d.webhook_id AND p.resource_id = d.resource_id AND p.state = 'pending' AND p.seq < d.seq);
UPDATE deliveries SET next_at = greatest(next_at, lease_until) WHERE state = 'pending' AND lease_owner <> '';
DROP INDEX deliveries_due;
CREATE INDEX deliveries_heads ON deliveries (webhook_id, next_at, seq) WHERE head;
