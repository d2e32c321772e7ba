-- The writer merges the trigram index while it is idle (sqlite.go,
-- tidyStep) with FTS5's merge command, which merges a level once it holds
-- usermerge segments: at 2, idle time leaves at most one segment per level
-- and a search seeks in a handful of segments instead of dozens.
INSERT INTO users_fts (users_fts, rank) VALUES ('usermerge', 2);
