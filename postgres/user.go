// SPDX-License-Identifier: Apache-2.0

package postgres

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rosterhq/roster"
)

// querier is what both the pool and a transaction's connection offer.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// reader implements roster.Reader over a querier. Inside a write
// transaction lock is set: single-row reads then lock the row they
// return until the transaction ends, so that what a transaction read is
// still current when it writes.
type reader struct {
	q    querier
	lock bool
}

// locking returns the clause that locks what a single-row read returns.
// NO KEY UPDATE does not block inserts that refer to the row (a user
// created in an organisation that is being read).
func (r reader) locking() string {
	if r.lock {
		return ` FOR NO KEY UPDATE`
	}
	return ""
}

// params collects positional parameters for a query built in pieces.
type params []any

// add appends v and returns its placeholder.
func (p *params) add(v any) string {
	*p = append(*p, v)
	return "$" + strconv.Itoa(len(*p))
}

// args returns the arguments of a query. With search set the query is
// planned for its values every time (an unnamed statement) rather than
// prepared once: the best plan for LIKE depends on the pattern (the
// trigram index for a rare one, the sort order's index for a common one),
// and a generic plan made without it can read every row.
func (p params) args(search bool) []any {
	if search {
		return append([]any{pgx.QueryExecModeExec}, p...)
	}
	return p
}

func scanDoc[T any](row pgx.Row, what string) (*T, error) {
	var doc []byte
	if err := row.Scan(&doc); err != nil {
		return nil, translate(err, what)
	}
	var v T
	if err := json.Unmarshal(doc, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

func (r reader) FindUser(ctx context.Context, id string) (*roster.User, error) {
	return scanDoc[roster.User](r.q.QueryRow(ctx, `SELECT doc FROM users WHERE id = $1`+r.locking(), id), "user")
}

func (r reader) FindUserByUsername(ctx context.Context, username string) (*roster.User, error) {
	return scanDoc[roster.User](r.q.QueryRow(ctx, `SELECT doc FROM users WHERE username_key = $1`+r.locking(), strings.ToLower(username)), "user")
}

func (r reader) FindUserByEmail(ctx context.Context, email string) (*roster.User, error) {
	return scanDoc[roster.User](r.q.QueryRow(ctx, `SELECT doc FROM users WHERE email_key = $1`+r.locking(), strings.ToLower(email)), "user")
}

func (r reader) FindUserByExternalID(ctx context.Context, orgID, externalID string) (*roster.User, error) {
	return scanDoc[roster.User](r.q.QueryRow(ctx, `SELECT doc FROM users WHERE organization_id = $1 AND external_id = $2`+r.locking(), orgID, externalID), "user")
}

// userSorts maps each sort to its ORDER BY and keyset comparison (with
// %s for the cursor's values). Emails are unique, so the email sort needs
// no tie-breaker.
var userSorts = map[string]struct{ order, after string }{
	"created_at":  {`u.created_at, u.id COLLATE "C"`, `(u.created_at, u.id COLLATE "C") > (%s, %s)`},
	"-created_at": {`u.created_at DESC, u.id COLLATE "C" DESC`, `(u.created_at, u.id COLLATE "C") < (%s, %s)`},
	"last_name":   {`u.last_name_key, u.id COLLATE "C"`, `(u.last_name_key, u.id COLLATE "C") > (%s, %s)`},
	"-last_name":  {`u.last_name_key DESC, u.id COLLATE "C" DESC`, `(u.last_name_key, u.id COLLATE "C") < (%s, %s)`},
	"email":       {`u.email_key`, `u.email_key > %s`},
}

func (r reader) FindUsers(ctx context.Context, f roster.UserFilter) ([]*roster.User, *roster.Cursor, error) {
	if f.Limit < 1 {
		return nil, nil, roster.Errorf(roster.CodeInvalid, "limit must be 1 or more")
	}
	sort := f.Sort
	if sort == "" {
		sort = "created_at"
	}
	s, ok := userSorts[sort]
	if !ok {
		return nil, nil, roster.Errorf(roster.CodeInvalid, "unknown sort %q", sort)
	}
	var where []string
	var p params
	if q := roster.SearchTerm(f.Query); q != "" {
		// The trigram index answers this for three characters or more.
		where = append(where, `u.search LIKE `+p.add("%"+escapeLike(q)+"%"))
	}
	if f.Status != "" {
		where = append(where, `u.status = `+p.add(f.Status))
	}
	if f.OrganizationID != "" {
		if f.IncludeDescendants {
			where = append(where, `u.organization_id IN (`+subtree(&p, f.OrganizationID)+`)`)
		} else {
			where = append(where, `u.organization_id = `+p.add(f.OrganizationID))
		}
	}
	if f.MemberOf != "" {
		where = append(where, `u.id IN (SELECT user_id FROM memberships WHERE organization_id = `+p.add(f.MemberOf)+`)`)
	}
	if v := f.Visible; v != nil {
		where = append(where, `(u.id = `+p.add(v.Self)+` OR u.id IN (SELECT user_id FROM memberships WHERE organization_id IN (`+visibleOrgs(&p, v)+`)))`)
	}
	if f.Tag != "" {
		where = append(where, `u.id IN (SELECT user_id FROM user_tags WHERE name_key = `+p.add(strings.ToLower(f.Tag))+`)`)
	}
	if f.Role != "" {
		where = append(where, `EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id AND m.organization_id = u.organization_id AND m.role = `+p.add(f.Role)+`)`)
	}
	for _, c := range []struct {
		t    *time.Time
		cond string
	}{{f.CreatedAfter, `u.created_at > `}, {f.CreatedBefore, `u.created_at < `}, {f.UpdatedAfter, `u.updated_at > `}} {
		if c.t != nil {
			where = append(where, c.cond+p.add(*c.t))
		}
	}
	if c := f.Cursor; c != nil {
		switch sort {
		case "created_at", "-created_at":
			n, err := strconv.ParseInt(c.Key, 10, 64)
			if err != nil {
				return nil, nil, roster.Errorf(roster.CodeMalformed, "cursor is not valid")
			}
			where = append(where, sprintf(s.after, p.add(time.UnixMicro(n).UTC()), p.add(c.ID)))
		case "email":
			where = append(where, sprintf(s.after, p.add(c.Key)))
		default:
			where = append(where, sprintf(s.after, p.add(c.Key), p.add(c.ID)))
		}
	}
	query := `SELECT u.created_at, u.doc FROM users u`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	query += ` ORDER BY ` + s.order + ` LIMIT ` + p.add(f.Limit+1)
	rows, err := r.q.Query(ctx, query, p.args(f.Query != "")...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var out []*roster.User
	var next *roster.Cursor
	var created time.Time
	for rows.Next() {
		if len(out) == f.Limit {
			last := out[len(out)-1]
			next = &roster.Cursor{Sort: sort, ID: last.ID}
			switch sort {
			case "created_at", "-created_at":
				next.Key = strconv.FormatInt(created.UnixMicro(), 10)
			case "last_name", "-last_name":
				next.Key = strings.ToLower(last.LastName)
			default:
				next.Key = strings.ToLower(last.Email)
			}
			break
		}
		var doc []byte
		if err := rows.Scan(&created, &doc); err != nil {
			return nil, nil, err
		}
		var u roster.User
		if err := json.Unmarshal(doc, &u); err != nil {
			return nil, nil, err
		}
		out = append(out, &u)
	}
	return out, next, rows.Err()
}

// sprintf fills the %s of a keyset comparison with placeholders.
func sprintf(format string, placeholders ...string) string {
	for _, ph := range placeholders {
		format = strings.Replace(format, "%s", ph, 1)
	}
	return format
}

// visibleOrgs returns a query of the organisation ids a Visibility
// covers: the subtrees under v.Subtrees and the organisations v.Orgs.
func visibleOrgs(p *params, v *roster.Visibility) string {
	return `WITH RECURSIVE sub(id) AS (SELECT unnest(` + p.add(v.Subtrees) + `::text[]) UNION SELECT o.id FROM orgs o JOIN sub ON o.parent_id = sub.id)
		SELECT id FROM sub UNION SELECT unnest(` + p.add(v.Orgs) + `::text[])`
}

// escapeLike escapes LIKE's wildcards; backslash is LIKE's escape
// character by default.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// FindUser reads (and locks) a user and remembers it, so that an update
// of it knows what its index rows hold.
func (t *tx) FindUser(ctx context.Context, id string) (*roster.User, error) {
	u, err := t.reader.FindUser(ctx, id)
	if err == nil {
		if t.seen == nil {
			t.seen = map[string]*roster.User{}
		}
		t.seen[id] = u.Clone()
	}
	return u, err
}

func (t *tx) CreateUser(u *roster.User) error {
	doc, err := json.Marshal(u)
	if err != nil {
		return err
	}
	_, err = t.conn.Exec(t.ctx, `INSERT INTO users (id, organization_id, username_key, email_key, external_id, status, last_name_key, search, index_key, created_at, updated_at, version, doc)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		u.ID, u.OrganizationID, strings.ToLower(u.Username), strings.ToLower(u.Email), nullable(u.ExternalID), u.Status,
		strings.ToLower(u.LastName), u.SearchText(), indexKey(u), u.CreatedAt, u.UpdatedAt, u.Version, doc)
	if err != nil {
		return translate(err, "user")
	}
	return t.writeUserIndexes(u, false)
}

// indexKey sums up what writeUserIndexes mirrors, so that an update
// rewrites the tag and membership rows only when they changed. It is JSON
// so that it holds any name as text.
func indexKey(u *roster.User) string {
	k := struct {
		T []string
		M []roster.Membership
	}{M: u.Memberships}
	for _, t := range u.Tags {
		k.T = append(k.T, strings.ToLower(t.Name))
	}
	b, _ := json.Marshal(k)
	return string(b)
}

func (t *tx) UpdateUser(u *roster.User) error {
	doc, err := json.Marshal(u)
	if err != nil {
		return err
	}
	var oldKey string
	if old := t.seen[u.ID]; old != nil && old.Version == u.Version-1 {
		// The row is locked since this transaction read it: it holds
		// what was read.
		oldKey = indexKey(old)
	} else {
		var version int64
		err := t.conn.QueryRow(t.ctx, `SELECT version, index_key FROM users WHERE id = $1 FOR NO KEY UPDATE`, u.ID).Scan(&version, &oldKey)
		if err != nil {
			return translate(err, "user")
		}
		if version != u.Version-1 {
			return staleUser()
		}
	}
	key := indexKey(u)
	tag, err := t.conn.Exec(t.ctx, `UPDATE users SET organization_id = $1, username_key = $2, email_key = $3, external_id = $4, status = $5,
			last_name_key = $6, search = $7, index_key = $8, updated_at = $9, version = $10, doc = $11
		WHERE id = $12 AND version = $13`,
		u.OrganizationID, strings.ToLower(u.Username), strings.ToLower(u.Email), nullable(u.ExternalID), u.Status,
		strings.ToLower(u.LastName), u.SearchText(), key, u.UpdatedAt, u.Version, doc, u.ID, u.Version-1)
	if err != nil {
		return translate(err, "user")
	}
	if tag.RowsAffected() == 0 {
		return staleUser()
	}
	delete(t.seen, u.ID)
	if key == oldKey {
		return nil
	}
	return t.writeUserIndexes(u, true)
}

func staleUser() error {
	return roster.Errorf(roster.CodePreconditionFailed, "the user was changed by another request: fetch it again and retry")
}

// writeUserIndexes mirrors the user's tags and memberships into the
// tables that the list filters use, in one round trip.
func (t *tx) writeUserIndexes(u *roster.User, replace bool) error {
	b := &pgx.Batch{}
	if replace {
		b.Queue(`DELETE FROM user_tags WHERE user_id = $1`, u.ID)
		b.Queue(`DELETE FROM memberships WHERE user_id = $1`, u.ID)
	}
	var tags []string
	for _, tag := range u.Tags {
		tags = append(tags, strings.ToLower(tag.Name))
	}
	if len(tags) > 0 {
		b.Queue(`INSERT INTO user_tags (name_key, user_id) SELECT DISTINCT unnest($1::text[]), $2 ON CONFLICT DO NOTHING`, tags, u.ID)
	}
	var orgs, roles []string
	for _, m := range u.Memberships {
		for _, role := range m.Roles {
			orgs, roles = append(orgs, m.OrganizationID), append(roles, role)
		}
	}
	if len(orgs) > 0 {
		b.Queue(`INSERT INTO memberships (user_id, organization_id, role) SELECT $1, unnest($2::text[]), unnest($3::text[])`, u.ID, orgs, roles)
	}
	if b.Len() == 0 {
		return nil
	}
	return translate(t.conn.SendBatch(t.ctx, b).Close(), "membership")
}

func (t *tx) DeleteUser(id string) error {
	tag, err := t.conn.Exec(t.ctx, `DELETE FROM users WHERE id = $1`, id)
	if err != nil {
		return translate(err, "user")
	}
	delete(t.seen, id)
	if tag.RowsAffected() == 0 {
		return roster.Errorf(roster.CodeNotFound, "user not found")
	}
	return nil
}

// subtree selects the ids of orgID and of every organisation below it.
func subtree(p *params, orgID string) string {
	return `WITH RECURSIVE sub(id) AS (SELECT ` + p.add(orgID) + `::text UNION ALL SELECT o.id FROM orgs o JOIN sub ON o.parent_id = sub.id) SELECT id FROM sub`
}
