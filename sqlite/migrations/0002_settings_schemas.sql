-- The JSON Schema an organisation registers for its users' settings.
CREATE TABLE settings_schemas (
	org_id TEXT PRIMARY KEY REFERENCES orgs(id) ON DELETE CASCADE,
	doc    TEXT NOT NULL
);
