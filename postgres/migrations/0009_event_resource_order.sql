-- The events of one resource are in the order of the transactions that
-- changed it. pos comes from the writing transaction's id, which a
-- transaction gets at its first write or row lock: one that wrote
-- something else before it locked the resource's row (and waited there
-- for another change of the resource to commit) would otherwise be placed
-- before that change. Its insert fails instead with a serialization
-- failure, and Update runs the transaction again, with a newer id. The
-- service locks the resource first, so this is the exception (event.go).
CREATE FUNCTION events_resource_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF EXISTS (SELECT 1 FROM events WHERE resource_id = NEW.resource_id AND pos > NEW.pos) THEN
		RAISE EXCEPTION 'event % of % would come before an event of it committed earlier', NEW.id, NEW.resource_id
			USING ERRCODE = 'serialization_failure';
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER events_resource_order BEFORE INSERT ON events
	FOR EACH ROW EXECUTE FUNCTION events_resource_order();
