-- Fewer bytes per user (issue 20: a million users in under 1.5 GB).
--
-- users_org held (organization_id, created_at, id); the rowid (seq, made
-- from created_at) follows every key of an index, so (organization_id)
-- alone lists an organisation's users in creation order, as the queries
-- ask (ORDER BY u.seq), in about half the bytes.
DROP INDEX users_org;
CREATE INDEX users_org ON users (organization_id);

-- users_created held (created_at, id) for the created_at conditions; the
-- order of equal times is the rowid's, which every index holds already,
-- and no query sorts on the column (creation order is seq).
DROP INDEX users_created;
CREATE INDEX users_created ON users (created_at);

-- index_key summed up the tags and memberships, to tell an update whether
-- to rewrite their tables; the writer now compares the previous version's
-- tags and memberships themselves.
ALTER TABLE users DROP COLUMN index_key;

-- The trigram index without positions (detail=none): about half its
-- bytes. A search asks for every trigram of its term and then checks the
-- term in users.search (ftsTrigrams in user.go), since without positions
-- FTS5 cannot match a phrase. Nor does it keep each row's token count
-- (columnsize=0), which only ranking uses. Rebuilt from users.search, with
-- the merge settings of migrations 0003 and 0009.
DROP TABLE users_fts;
CREATE VIRTUAL TABLE users_fts USING fts5 (search, content = 'users', content_rowid = 'seq', tokenize = 'trigram', detail = none, columnsize = 0);
INSERT INTO users_fts (users_fts) VALUES ('rebuild');
INSERT INTO users_fts (users_fts, rank) VALUES ('automerge', 16);
INSERT INTO users_fts (users_fts, rank) VALUES ('usermerge', 4);
