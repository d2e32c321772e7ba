-- Merge the trigram index's segments less eagerly: every group commit
-- writes a new segment, and merging at the default of 4 segments per level
-- costs more write time than the extra segments cost searches.
INSERT INTO users_fts (users_fts, rank) VALUES ('automerge', 16);
