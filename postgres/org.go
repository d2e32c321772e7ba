// SPDX-License-Identifier: Apache-2.0

package postgres

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rosterhq/roster"
)

func (r reader) FindOrg(ctx context.Context, id string) (*roster.Organization, error) {
	return scanDoc[roster.Organization](r.q.QueryRow(ctx, `SELECT doc FROM orgs WHERE id = $1`+r.locking(), id), "organization")
}

func (r reader) FindOrgs(ctx context.Context, f roster.OrgFilter) ([]*roster.Organization, *roster.Cursor, error) {
	if f.Limit < 1 {
		return nil, nil, roster.Errorf(roster.CodeInvalid, "limit must be 1 or more")
	}
	var where []string
	var p params
	if f.ParentID != "" {
		where = append(where, `o.parent_id = `+p.add(f.ParentID))
	}
	if f.Status != "" {
		where = append(where, `o.status = `+p.add(f.Status))
	}
	if f.Feature != "" {
		where = append(where, `o.id IN (SELECT org_id FROM org_features WHERE feature = `+p.add(f.Feature)+`)`)
	}
	if v := f.Visible; v != nil {
		where = append(where, `o.id IN (`+visibleOrgs(&p, v)+`)`)
	}
	if q := strings.ToLower(strings.TrimSpace(f.Query)); q != "" {
		where = append(where, `o.search LIKE `+p.add("%"+escapeLike(q)+"%"))
	}
	for _, c := range []struct {
		t    *time.Time
		cond string
	}{{f.CreatedAfter, `o.created_at > `}, {f.CreatedBefore, `o.created_at < `}} {
		if c.t != nil {
			where = append(where, c.cond+p.add(*c.t))
		}
	}
	if c := f.Cursor; c != nil {
		n, err := strconv.ParseInt(c.Key, 10, 64)
		if err != nil {
			return nil, nil, roster.Errorf(roster.CodeMalformed, "cursor is not valid")
		}
		where = append(where, `(o.created_at, o.id COLLATE "C") > (`+p.add(time.UnixMicro(n).UTC())+`, `+p.add(c.ID)+`)`)
	}
	query := `SELECT o.created_at, o.doc FROM orgs o`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	query += ` ORDER BY o.created_at, o.id COLLATE "C" LIMIT ` + p.add(f.Limit+1)
	rows, err := r.q.Query(ctx, query, p.args(f.Query != "")...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var out []*roster.Organization
	var next *roster.Cursor
	var created time.Time
	for rows.Next() {
		if len(out) == f.Limit {
			next = &roster.Cursor{Sort: "created_at", Key: strconv.FormatInt(created.UnixMicro(), 10), ID: out[len(out)-1].ID}
			break
		}
		var doc []byte
		if err := rows.Scan(&created, &doc); err != nil {
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
	rows, err := r.q.Query(ctx, `WITH RECURSIVE up(id, parent_id, depth) AS (
			SELECT id, parent_id, 0 FROM orgs WHERE id = $1
			UNION ALL SELECT o.id, o.parent_id, up.depth + 1 FROM orgs o JOIN up ON o.id = up.parent_id)
		SELECT id FROM up WHERE depth > 0 ORDER BY depth`, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

func (r reader) OrgInUse(ctx context.Context, id string) (bool, error) {
	var inUse bool
	err := r.q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE organization_id = $1) OR EXISTS (SELECT 1 FROM orgs WHERE parent_id = $1)
		OR EXISTS (SELECT 1 FROM memberships WHERE organization_id = $1)`, id).Scan(&inUse)
	return inUse, err
}

func (r reader) OrgDisabled(ctx context.Context, id string) (bool, error) {
	var disabled bool
	err := r.q.QueryRow(ctx, `WITH RECURSIVE up(id, parent_id, status) AS (
			SELECT id, parent_id, status FROM orgs WHERE id = $1
			UNION ALL SELECT o.id, o.parent_id, o.status FROM orgs o JOIN up ON o.id = up.parent_id)
		SELECT EXISTS (SELECT 1 FROM up WHERE status <> 'enabled')`, id).Scan(&disabled)
	return disabled, err
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
	err := r.q.QueryRow(ctx, `WITH RECURSIVE up(id, parent_id, depth) AS (
			SELECT id, parent_id, 0 FROM orgs WHERE id = $1
			UNION ALL SELECT o.id, o.parent_id, up.depth + 1 FROM orgs o JOIN up ON o.id = up.parent_id)
		SELECT s.org_id, s.version, s.doc FROM up JOIN settings_schemas s ON s.org_id = up.id ORDER BY up.depth LIMIT 1`, orgID).
		Scan(&out.OrgID, &out.Version, &out.Doc)
	if err != nil {
		return nil, translate(err, "settings schema")
	}
	return &out, nil
}

func (r reader) Empty(ctx context.Context) (bool, error) {
	var empty bool
	err := r.q.QueryRow(ctx, `SELECT NOT EXISTS (SELECT 1 FROM orgs)`).Scan(&empty)
	return empty, err
}

// bootstrapLock is the key of the advisory lock that tx.Empty takes.
const bootstrapLock = 0x526f737465720001

// Empty, in a transaction, first takes a transaction-level advisory lock:
// nodes that start together on an empty database then bootstrap it one
// after the other, and the later ones find it no longer empty. The lock
// comes in a statement of its own, so that the query after it sees what
// the transaction it waited for committed.
func (t *tx) Empty(ctx context.Context) (bool, error) {
	if _, err := t.conn.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(bootstrapLock)); err != nil {
		return false, err
	}
	return t.reader.Empty(ctx)
}

func (t *tx) PutSettingsSchema(orgID string, schema []byte) error {
	var err error
	if schema == nil {
		_, err = t.conn.Exec(t.ctx, `DELETE FROM settings_schemas WHERE org_id = $1`, orgID)
	} else {
		_, err = t.conn.Exec(t.ctx, `INSERT INTO settings_schemas (org_id, doc, version) VALUES ($1, $2, 1)
			ON CONFLICT (org_id) DO UPDATE SET doc = excluded.doc, version = settings_schemas.version + 1`, orgID, schema)
	}
	return translate(err, "settings schema")
}

func orgSearch(o *roster.Organization) string {
	return strings.ToLower(o.Name + "\n" + o.Domain + "\n" + o.ExternalID)
}

func (t *tx) CreateOrg(o *roster.Organization) error {
	doc, err := json.Marshal(o)
	if err != nil {
		return err
	}
	_, err = t.conn.Exec(t.ctx, `INSERT INTO orgs (id, parent_id, external_id, status, search, created_at, updated_at, version, doc)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		o.ID, nullable(o.ParentID), nullable(o.ExternalID), o.Status, orgSearch(o), o.CreatedAt, o.UpdatedAt, o.Version, doc)
	if err != nil {
		return translate(err, "organization")
	}
	return t.writeFeatures(o, false)
}

func (t *tx) UpdateOrg(o *roster.Organization) error {
	doc, err := json.Marshal(o)
	if err != nil {
		return err
	}
	tag, err := t.conn.Exec(t.ctx, `UPDATE orgs SET parent_id = $1, external_id = $2, status = $3, search = $4, updated_at = $5, version = $6, doc = $7
		WHERE id = $8 AND version = $9`,
		nullable(o.ParentID), nullable(o.ExternalID), o.Status, orgSearch(o), o.UpdatedAt, o.Version, doc, o.ID, o.Version-1)
	if err != nil {
		return translate(err, "organization")
	}
	if tag.RowsAffected() == 0 {
		if _, err := t.FindOrg(t.ctx, o.ID); err != nil {
			return err
		}
		return roster.Errorf(roster.CodePreconditionFailed, "the organisation was changed by another request: fetch it again and retry")
	}
	return t.writeFeatures(o, true)
}

func (t *tx) writeFeatures(o *roster.Organization, replace bool) error {
	b := &pgx.Batch{}
	if replace {
		b.Queue(`DELETE FROM org_features WHERE org_id = $1`, o.ID)
	}
	if len(o.Features) > 0 {
		b.Queue(`INSERT INTO org_features (feature, org_id) SELECT DISTINCT unnest($1::text[]), $2 ON CONFLICT DO NOTHING`, o.Features, o.ID)
	}
	if b.Len() == 0 {
		return nil
	}
	return translate(t.conn.SendBatch(t.ctx, b).Close(), "organization")
}

func (t *tx) DeleteOrg(id string) error {
	tag, err := t.conn.Exec(t.ctx, `DELETE FROM orgs WHERE id = $1`, id)
	if err != nil {
		return translate(err, "organization")
	}
	if tag.RowsAffected() == 0 {
		return roster.Errorf(roster.CodeNotFound, "organization not found")
	}
	return nil
}
