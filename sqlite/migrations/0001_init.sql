-- Organisations. doc holds the whole resource as JSON; the other columns
-- exist to be indexed, filtered and kept unique.
CREATE TABLE orgs (
	seq         INTEGER PRIMARY KEY,
	id          TEXT NOT NULL UNIQUE,
	parent_id   TEXT REFERENCES orgs(id),
	external_id TEXT,
	status      TEXT NOT NULL,
	search      TEXT NOT NULL,
	created_at  INTEGER NOT NULL, -- Unix microseconds
	updated_at  INTEGER NOT NULL,
	version     INTEGER NOT NULL,
	doc         TEXT NOT NULL
);
CREATE UNIQUE INDEX orgs_external ON orgs (parent_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX orgs_parent ON orgs (parent_id, created_at, id);
CREATE INDEX orgs_created ON orgs (created_at, id);

CREATE TABLE org_features (
	feature TEXT NOT NULL,
	org_id  TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
	PRIMARY KEY (feature, org_id)
) WITHOUT ROWID;

CREATE TABLE users (
	seq             INTEGER PRIMARY KEY,
	id              TEXT NOT NULL UNIQUE,
	organization_id TEXT NOT NULL REFERENCES orgs(id),
	username_key    TEXT NOT NULL UNIQUE,
	email_key       TEXT NOT NULL UNIQUE,
	external_id     TEXT,
	status          TEXT NOT NULL,
	last_name_key   TEXT NOT NULL,
	search          TEXT NOT NULL,
	index_key       TEXT NOT NULL, -- tags and memberships as mirrored below
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL,
	version         INTEGER NOT NULL,
	doc             TEXT NOT NULL
);
CREATE UNIQUE INDEX users_external ON users (organization_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX users_created ON users (created_at, id);
CREATE INDEX users_updated ON users (updated_at);
CREATE INDEX users_last_name ON users (last_name_key, id);
CREATE INDEX users_org ON users (organization_id, created_at, id);

-- The q filter: a trigram index answers substring matches of three or
-- more characters without scanning every user.
CREATE VIRTUAL TABLE users_fts USING fts5 (search, content = 'users', content_rowid = 'seq', tokenize = 'trigram');
CREATE TRIGGER users_fts_insert AFTER INSERT ON users BEGIN
	INSERT INTO users_fts (rowid, search) VALUES (new.seq, new.search);
END;
CREATE TRIGGER users_fts_delete AFTER DELETE ON users BEGIN
	INSERT INTO users_fts (users_fts, rowid, search) VALUES ('delete', old.seq, old.search);
END;
CREATE TRIGGER users_fts_update AFTER UPDATE OF search ON users WHEN old.search <> new.search BEGIN
	INSERT INTO users_fts (users_fts, rowid, search) VALUES ('delete', old.seq, old.search);
	INSERT INTO users_fts (rowid, search) VALUES (new.seq, new.search);
END;

CREATE TABLE user_tags (
	name_key TEXT NOT NULL,
	user_id  TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	PRIMARY KEY (name_key, user_id)
) WITHOUT ROWID;

CREATE TABLE memberships (
	user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	organization_id TEXT NOT NULL REFERENCES orgs(id),
	role            TEXT NOT NULL,
	PRIMARY KEY (user_id, organization_id, role)
) WITHOUT ROWID;
CREATE INDEX memberships_org ON memberships (organization_id, role, user_id);

CREATE TABLE api_keys (
	id         TEXT PRIMARY KEY,
	user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	hash       BLOB NOT NULL UNIQUE,
	created_at INTEGER NOT NULL,
	doc        TEXT NOT NULL
);
CREATE INDEX api_keys_user ON api_keys (user_id);

CREATE TABLE idempotency (
	scope        TEXT NOT NULL,
	key          TEXT NOT NULL,
	request_hash BLOB NOT NULL,
	done         INTEGER NOT NULL,
	status       INTEGER NOT NULL,
	header       TEXT NOT NULL,
	body         BLOB NOT NULL,
	created_at   INTEGER NOT NULL,
	PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_created ON idempotency (created_at);
