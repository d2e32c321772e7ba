-- The trigram index is now kept by the writer (sqlite/fts.go) once per
-- group-commit batch, in the batch's transaction, instead of by triggers
-- inside each request's savepoint: FTS5 writes its pending terms to a new
-- segment at every savepoint release, so the triggers made one segment
-- (and its merges) per request. The index already matches the table.
DROP TRIGGER users_fts_insert;
DROP TRIGGER users_fts_delete;
DROP TRIGGER users_fts_update;
