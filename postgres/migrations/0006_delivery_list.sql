-- The list reads deliveries_event (newest event first), as the embedded
-- store does.
DROP INDEX deliveries_list;
