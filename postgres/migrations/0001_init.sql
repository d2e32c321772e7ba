-- Roster's schema on PostgreSQL: the same logical schema as the embedded
-- store's. Each resource is kept whole in doc (type json, which keeps the
-- text exactly as written, unlike jsonb); the other columns exist to be
-- indexed, filtered and kept unique. What lists sort by uses the "C"
-- collation, so that their order is byte order, as in the embedded store,
-- whatever the database's default collation: the sort key columns are
-- declared so, and ids (the tie-breakers) are sorted with COLLATE "C" in
-- the indexes and queries.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE orgs (
	id          text PRIMARY KEY,
	parent_id   text REFERENCES orgs (id),
	external_id text,
	status      text NOT NULL,
	search      text NOT NULL,
	created_at  timestamptz NOT NULL,
	updated_at  timestamptz NOT NULL,
	version     bigint NOT NULL,
	doc         json NOT NULL
);
CREATE UNIQUE INDEX orgs_external ON orgs (parent_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX orgs_parent ON orgs (parent_id, created_at, id COLLATE "C");
CREATE INDEX orgs_created ON orgs (created_at, id COLLATE "C");
CREATE INDEX orgs_search ON orgs USING gin (search gin_trgm_ops);

CREATE TABLE org_features (
	feature text NOT NULL,
	org_id  text NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
	PRIMARY KEY (feature, org_id)
);
CREATE INDEX org_features_org ON org_features (org_id);

CREATE TABLE users (
	id              text PRIMARY KEY,
	organization_id text NOT NULL REFERENCES orgs (id),
	username_key    text NOT NULL,
	email_key       text COLLATE "C" NOT NULL,
	external_id     text,
	status          text NOT NULL,
	last_name_key   text COLLATE "C" NOT NULL,
	search          text NOT NULL, -- lower-case names, email, username, phone digits
	index_key       text NOT NULL, -- tags and memberships as mirrored below
	created_at      timestamptz NOT NULL,
	updated_at      timestamptz NOT NULL,
	version         bigint NOT NULL,
	doc             json NOT NULL,
	CONSTRAINT users_username_key UNIQUE (username_key),
	CONSTRAINT users_email_key UNIQUE (email_key)
);
CREATE UNIQUE INDEX users_external ON users (organization_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX users_created ON users (created_at, id COLLATE "C");
CREATE INDEX users_updated ON users (updated_at);
CREATE INDEX users_last_name ON users (last_name_key, id COLLATE "C");
CREATE INDEX users_org ON users (organization_id, created_at, id COLLATE "C");
-- The q filter: a trigram index answers LIKE '%…%' without reading every
-- user.
CREATE INDEX users_search ON users USING gin (search gin_trgm_ops);

CREATE TABLE user_tags (
	name_key text NOT NULL,
	user_id  text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	PRIMARY KEY (name_key, user_id)
);
CREATE INDEX user_tags_user ON user_tags (user_id);

CREATE TABLE memberships (
	user_id         text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	organization_id text NOT NULL REFERENCES orgs (id),
	role            text NOT NULL,
	PRIMARY KEY (user_id, organization_id, role)
);
CREATE INDEX memberships_org ON memberships (organization_id, role, user_id);

CREATE TABLE api_keys (
	id         text PRIMARY KEY,
	user_id    text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	hash       bytea NOT NULL UNIQUE,
	created_at timestamptz NOT NULL,
	doc        json NOT NULL
);
CREATE INDEX api_keys_user ON api_keys (user_id);
CREATE INDEX api_keys_created ON api_keys (created_at, id COLLATE "C");

CREATE TABLE idempotency (
	scope        text NOT NULL,
	key          text NOT NULL,
	request_hash bytea NOT NULL,
	done         boolean NOT NULL,
	status       integer NOT NULL,
	header       json NOT NULL,
	body         bytea NOT NULL,
	created_at   timestamptz NOT NULL,
	PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_created ON idempotency (created_at);

-- The JSON Schema an organisation registers for its users' settings, kept
-- byte for byte.
CREATE TABLE settings_schemas (
	org_id text PRIMARY KEY REFERENCES orgs (id) ON DELETE CASCADE,
	doc    bytea NOT NULL
);

-- Every change's event, written in the change's own transaction. pos is
-- the event's place in the feed: the writing transaction's id shifted
-- left 16 bits, plus the event's number within it. Transaction ids are
-- handed out in start order, not commit order, so readers only return
-- events below the horizon of pg_snapshot_xmin (every transaction with a
-- smaller id has ended): that part of the feed never changes again, and
-- a reader that has passed it misses nothing (see event.go).
CREATE TABLE events (
	pos           bigint PRIMARY KEY,
	id            text NOT NULL UNIQUE,
	type          text NOT NULL,
	resource_type text NOT NULL,
	resource_id   text NOT NULL,
	org_id        text NOT NULL,
	actor_id      text NOT NULL,
	occurred_at   timestamptz NOT NULL,
	doc           json NOT NULL
);
CREATE INDEX events_resource ON events (resource_id, pos);
CREATE INDEX events_actor ON events (actor_id, pos);
CREATE INDEX events_org ON events (org_id, pos);
CREATE INDEX events_occurred ON events (occurred_at);
