-- A settings schema's version: 1 when an organisation's schema is first
-- set, one more at every change. With the organisation it came from it
-- makes the ETag of GET /v1/orgs/{id}/settings-schema, which PUT's
-- If-Match is checked against.
ALTER TABLE settings_schemas ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
