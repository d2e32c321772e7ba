-- The writer merges the trigram index while it is idle (sqlite.go,
-- tidyStep) with FTS5's merge command, which merges a level once it holds
-- usermerge segments. At 4, idle time leaves at most three segments per
-- level (automerge leaves up to 15), so a search seeks in a handful of
-- segments instead of dozens; at 2 the merging after every burst of
-- updates also rewrote the largest segment (the whole index), which cost
-- searches a quarter of their rate for seconds.
INSERT INTO users_fts (users_fts, rank) VALUES ('usermerge', 4);
