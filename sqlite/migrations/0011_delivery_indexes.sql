-- A delivery written once with its result touched five b-trees (the
-- table, its id, deliveries_event, deliveries_list, deliveries_finished),
-- each a page rewritten in the log at every commit. The list now reads
-- deliveries_event (newest event first) and the purge the id's range (an
-- id holds its creation time), so those two indexes go.
DROP INDEX deliveries_list;
DROP INDEX deliveries_finished;
