// SPDX-License-Identifier: Apache-2.0

package sqlite

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster"
)

func (r reader) FindOrg(ctx context.Context, id string) (*roster.Organization, error) {
	return scanDoc[roster.Organization](r.q.QueryRowContext(ctx, `SELECT doc FROM orgs WHERE id = ?`, id), "organization")
}

func (r reader) FindOrgs(ctx context.Context, f roster.OrgFilter) ([]*roster.Organization, *roster.Cursor, error) {
	if f.Limit < 1 {
		return nil, nil, roster.Errorf(roster.CodeInvalid, "limit must be 1 or more")
	}
	var where []string
	var args []any
	if f.ParentID != "" {
		where = append(where, `o.parent_id = ?`)
		args = append(args, f.ParentID)
	}
	if f.Status != "" {
		where = append(where, `o.status = ?`)
		args = append(args, f.Status)
	}
	if f.Feature != "" {
		where = append(where, `o.id IN (SELECT org_id FROM org_features WHERE feature = ?)`)
		args = append(args, f.Feature)
	}
	if v := f.Visible; v != nil {
		cond, vargs := visibleOrgs(v)
		where = append(where, `o.id IN (`+cond+`)`)
		args = append(args, vargs...)
	}
	if q := strings.ToLower(strings.TrimSpace(f.Query)); q != "" {
		where = append(where, `o.search LIKE ? ESCAPE '\'`)
		args = append(args, "%"+escapeLike(q)+"%")
	}
	for _, c := range []struct {
		t    *time.Time
		cond string
	}{{f.CreatedAfter, `o.created_at > ?`}, {f.CreatedBefore, `o.created_at < ?`}} {
		if c.t != nil {
			where = append(where, c.cond)
			args = append(args, micros(*c.t))
		}
	}
	if c := f.Cursor; c != nil {
		n, err := strconv.ParseInt(c.Key, 10, 64)
		if err != nil {
			return nil, nil, roster.Errorf(roster.CodeMalformed, "cursor is not valid")
		}
		where = append(where, `(o.created_at, o.id) > (?, ?)`)
		args = append(args, n, c.ID)
	}
	query := `SELECT o.doc FROM orgs o`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	query += ` ORDER BY o.created_at, o.id LIMIT ?`
	rows, err := r.q.QueryContext(ctx, query, append(args, f.Limit+1)...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var out []*roster.Organization
	var next *roster.Cursor
	for rows.Next() {
		if len(out) == f.Limit {
			last := out[len(out)-1]
			next = &roster.Cursor{Sort: "created_at", Key: strconv.FormatInt(micros(last.CreatedAt), 10), ID: last.ID}
			break
		}
		var doc []byte
		if err := rows.Scan(&doc); err != nil {
			return nil, nil, err
		}
		var o roster.Organization
		if err := json.Unmarshal(doc, &o); err != nil {
			return nil, nil, err
		}
		out = append(out, &o)
	}
	return out, next, rows.Err()
}

func (r reader) OrgAncestors(ctx context.Context, id string) ([]string, error) {
	rows, err := r.q.QueryContext(ctx, `WITH RECURSIVE up(id, parent_id, depth) AS (
			SELECT id, parent_id, 0 FROM orgs WHERE id = ?
			UNION ALL SELECT o.id, o.parent_id, up.depth + 1 FROM orgs o JOIN up ON o.id = up.parent_id)
		SELECT id FROM up WHERE depth > 0 ORDER BY depth`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func (r reader) OrgInUse(ctx context.Context, id string) (bool, error) {
	var n int
	err := r.q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE organization_id = ?) OR EXISTS (SELECT 1 FROM orgs WHERE parent_id = ?)
		OR EXISTS (SELECT 1 FROM memberships WHERE organization_id = ?)`, id, id, id).Scan(&n)
	return n != 0, err
}

func (r reader) OrgDisabled(ctx context.Context, id string) (bool, error) {
	var n int
	err := r.q.QueryRowContext(ctx, `WITH RECURSIVE up(id, parent_id, status) AS (
			SELECT id, parent_id, status FROM orgs WHERE id = ?
			UNION ALL SELECT o.id, o.parent_id, o.status FROM orgs o JOIN up ON o.id = up.parent_id)
		SELECT EXISTS (SELECT 1 FROM up WHERE status <> 'enabled')`, id).Scan(&n)
	return n != 0, err
}

func (r reader) FindSettingsSchema(ctx context.Context, orgID string) ([]byte, error) {
	sch, err := r.FindSettingsSchemaVersion(ctx, orgID)
	if err != nil {
		return nil, err
	}
	return sch.Doc, nil
}

func (r reader) FindSettingsSchemaVersion(ctx context.Context, orgID string) (*roster.SettingsSchema, error) {
	var out roster.SettingsSchema
	err := r.q.QueryRowContext(ctx, `WITH RECURSIVE up(id, parent_id, depth) AS (
			SELECT id, parent_id, 0 FROM orgs WHERE id = ?
			UNION ALL SELECT o.id, o.parent_id, up.depth + 1 FROM orgs o JOIN up ON o.id = up.parent_id)
		SELECT s.org_id, s.version, s.doc FROM up JOIN settings_schemas s ON s.org_id = up.id ORDER BY up.depth LIMIT 1`, orgID).
		Scan(&out.OrgID, &out.Version, &out.Doc)
	if err != nil {
		return nil, translate(err, "settings schema")
	}
	return &out, nil
}

func (t *tx) PutSettingsSchema(orgID string, schema []byte) error {
	t.touched.orgs = true
	var err error
	if schema == nil {
		_, err = t.q.ExecContext(context.Background(), `DELETE FROM settings_schemas WHERE org_id = ?`, orgID)
	} else {
		_, err = t.q.ExecContext(context.Background(), `INSERT INTO settings_schemas (org_id, doc, version) VALUES (?, ?, 1)
			ON CONFLICT (org_id) DO UPDATE SET doc = excluded.doc, version = settings_schemas.version + 1`, orgID, schema)
	}
	return translate(err, "settings schema")
}

func (r reader) Empty(ctx context.Context) (bool, error) {
	var n int
	err := r.q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM orgs)`).Scan(&n)
	return n == 0, err
}

func orgSearch(o *roster.Organization) string {
	return strings.ToLower(o.Name + "\n" + o.Domain + "\n" + o.ExternalID)
}

func (t *tx) CreateOrg(o *roster.Organization) error {
	doc, err := json.Marshal(o)
	if err != nil {
		return err
	}
	_, err = t.q.ExecContext(context.Background(), `INSERT INTO orgs (id, parent_id, external_id, status, search, created_at, updated_at, version, doc)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		o.ID, nullable(o.ParentID), nullable(o.ExternalID), o.Status, orgSearch(o), micros(o.CreatedAt), micros(o.UpdatedAt), o.Version, doc)
	if err != nil {
		return translate(err, "organization")
	}
	t.touched.orgs = true // the cache may hold "no schema" for this id
	return t.writeFeatures(o, false)
}

func (t *tx) UpdateOrg(o *roster.Organization) error {
	doc, err := json.Marshal(o)
	if err != nil {
		return err
	}
	res, err := t.q.ExecContext(context.Background(), `UPDATE orgs SET parent_id = ?, external_id = ?, status = ?, search = ?, updated_at = ?, version = ?, doc = ?
		WHERE id = ? AND version = ?`,
		nullable(o.ParentID), nullable(o.ExternalID), o.Status, orgSearch(o), micros(o.UpdatedAt), o.Version, doc, o.ID, o.Version-1)
	if err != nil {
		return translate(err, "organization")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := t.FindOrg(context.Background(), o.ID); err != nil {
			return err
		}
		return roster.Errorf(roster.CodePreconditionFailed, "the organisation was changed by another request: fetch it again and retry")
	}
	t.touched.orgs = true
	return t.writeFeatures(o, true)
}

func (t *tx) writeFeatures(o *roster.Organization, replace bool) error {
	ctx := context.Background()
	if replace {
		if _, err := t.q.ExecContext(ctx, `DELETE FROM org_features WHERE org_id = ?`, o.ID); err != nil {
			return err
		}
	}
	for _, f := range o.Features {
		if _, err := t.q.ExecContext(ctx, `INSERT OR IGNORE INTO org_features (feature, org_id) VALUES (?, ?)`, f, o.ID); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) DeleteOrg(id string) error {
	res, err := t.q.ExecContext(context.Background(), `DELETE FROM orgs WHERE id = ?`, id)
	if err != nil {
		return translate(err, "organization")
	}
	t.touched.orgs = true
	if n, _ := res.RowsAffected(); n == 0 {
		return roster.Errorf(roster.CodeNotFound, "organization not found")
	}
	return nil
}

func (t *tx) FindOrg(ctx context.Context, id string) (*roster.Organization, error) {
	return t.reader().FindOrg(ctx, id)
}
func (t *tx) FindOrgs(ctx context.Context, f roster.OrgFilter) ([]*roster.Organization, *roster.Cursor, error) {
	return t.reader().FindOrgs(ctx, f)
}
func (t *tx) OrgAncestors(ctx context.Context, id string) ([]string, error) {
	return t.reader().OrgAncestors(ctx, id)
}
func (t *tx) OrgInUse(ctx context.Context, id string) (bool, error) {
	return t.reader().OrgInUse(ctx, id)
}
func (t *tx) Empty(ctx context.Context) (bool, error) { return t.reader().Empty(ctx) }
func (t *tx) OrgDisabled(ctx context.Context, id string) (bool, error) {
	return t.reader().OrgDisabled(ctx, id)
}
func (t *tx) FindSettingsSchema(ctx context.Context, orgID string) ([]byte, error) {
	return t.reader().FindSettingsSchema(ctx, orgID)
}
func (t *tx) FindSettingsSchemaVersion(ctx context.Context, orgID string) (*roster.SettingsSchema, error) {
	return t.reader().FindSettingsSchemaVersion(ctx, orgID)
}

// FindSettingsSchemaVersion reads past the cache, which keeps documents
// only.
func (db *DB) FindSettingsSchemaVersion(ctx context.Context, orgID string) (*roster.SettingsSchema, error) {
	return db.reader().FindSettingsSchemaVersion(ctx, orgID)
}

// OrgDisabled reports whether an organisation or one of its ancestors is
// disabled, through the read cache: every token request and sign-in asks
// it (for the user's and the client's organisation), and any
// organisation write forgets all the answers.
func (db *DB) OrgDisabled(ctx context.Context, id string) (bool, error) {
	if off, ok := db.cache.orgDisabled(id); ok {
		return off, nil
	}
	epoch := db.cache.now()
	off, err := db.reader().OrgDisabled(ctx, id)
	if err == nil {
		db.cache.putOrgDisabled(epoch, id, off)
	}
	return off, err
}

// FindSettingsSchema returns the schema that applies in an organisation,
// through the read cache (which also remembers that none applies).
func (db *DB) FindSettingsSchema(ctx context.Context, orgID string) ([]byte, error) {
	if doc, ok := db.cache.settingsSchema(orgID); ok {
		if len(doc) == 0 {
			return nil, roster.Errorf(roster.CodeNotFound, "settings schema not found")
		}
		return bytes.Clone(doc), nil
	}
	epoch := db.cache.now()
	doc, err := db.reader().FindSettingsSchema(ctx, orgID)
	switch {
	case err == nil:
		db.cache.putSettingsSchema(epoch, orgID, bytes.Clone(doc))
	case roster.ErrorCode(err) == roster.CodeNotFound:
		db.cache.putSettingsSchema(epoch, orgID, []byte{})
	}
	return doc, err
}

// FindOrg returns (a copy of) an organisation, from the read cache when
// it holds it.
func (db *DB) FindOrg(ctx context.Context, id string) (*roster.Organization, error) {
	if o := db.cache.org(id); o != nil {
		return o.Clone(), nil
	}
	epoch := db.cache.now()
	o, err := db.reader().FindOrg(ctx, id)
	if err == nil {
		db.cache.putOrg(epoch, o)
		o = o.Clone()
	}
	return o, err
}
func (db *DB) FindOrgs(ctx context.Context, f roster.OrgFilter) ([]*roster.Organization, *roster.Cursor, error) {
	return db.reader().FindOrgs(ctx, f)
}
func (db *DB) OrgAncestors(ctx context.Context, id string) ([]string, error) {
	return db.reader().OrgAncestors(ctx, id)
}
func (db *DB) OrgInUse(ctx context.Context, id string) (bool, error) {
	return db.reader().OrgInUse(ctx, id)
}
func (db *DB) Empty(ctx context.Context) (bool, error) { return db.reader().Empty(ctx) }
