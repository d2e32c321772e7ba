// SPDX-License-Identifier: Apache-2.0

package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/rosterhq/roster"
)

// querier is what both the read pool and the writer's connection offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// readStmts are the hot reads, prepared once on the read pool.
type readStmts struct {
	user, keyByHash *sql.Stmt
}

func (s *readStmts) prepare(ctx context.Context, db *sql.DB) (err error) {
	if s.user, err = db.PrepareContext(ctx, `SELECT doc FROM users WHERE id = ?`); err != nil {
		return err
	}
	s.keyByHash, err = db.PrepareContext(ctx, `SELECT doc FROM api_keys WHERE hash = ?`)
	return err
}

func (s *readStmts) close() {
	for _, st := range []*sql.Stmt{s.user, s.keyByHash} {
		if st != nil {
			st.Close()
		}
	}
}

// reader implements roster.Reader over a querier.
type reader struct{ q querier }

// tx is a write transaction inside the writer's current batch.
type tx struct {
	q   querier
	now time.Time
}

func (t *tx) reader() reader  { return reader{t.q} }
func (t *tx) Now() time.Time  { return t.now }
func (db *DB) reader() reader { return reader{db.read} }

func scanDoc[T any](row *sql.Row, what string) (*T, error) {
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

// FindUser returns the user with the id.
func (db *DB) FindUser(ctx context.Context, id string) (*roster.User, error) {
	return scanDoc[roster.User](db.stmts.user.QueryRowContext(ctx, id), "user")
}

func (r reader) FindUser(ctx context.Context, id string) (*roster.User, error) {
	return scanDoc[roster.User](r.q.QueryRowContext(ctx, `SELECT doc FROM users WHERE id = ?`, id), "user")
}

func (r reader) FindUserByUsername(ctx context.Context, username string) (*roster.User, error) {
	return scanDoc[roster.User](r.q.QueryRowContext(ctx, `SELECT doc FROM users WHERE username_key = ?`, strings.ToLower(username)), "user")
}

func (r reader) FindUserByExternalID(ctx context.Context, orgID, externalID string) (*roster.User, error) {
	return scanDoc[roster.User](r.q.QueryRowContext(ctx, `SELECT doc FROM users WHERE organization_id = ? AND external_id = ?`, orgID, externalID), "user")
}

// userSorts maps each sort to its ORDER BY columns and keyset comparison.
var userSorts = map[string]struct{ order, after string }{
	"created_at":  {"u.created_at, u.id", "(u.created_at, u.id) > (?, ?)"},
	"-created_at": {"u.created_at DESC, u.id DESC", "(u.created_at, u.id) < (?, ?)"},
	"last_name":   {"u.last_name_key, u.id", "(u.last_name_key, u.id) > (?, ?)"},
	"-last_name":  {"u.last_name_key DESC, u.id DESC", "(u.last_name_key, u.id) < (?, ?)"},
	"email":       {"u.email_key, u.id", "(u.email_key, u.id) > (?, ?)"},
}

func (r reader) FindUsers(ctx context.Context, f roster.UserFilter) ([]*roster.User, *roster.Cursor, error) {
	var where []string
	var args []any
	if q := strings.ToLower(strings.TrimSpace(f.Query)); q != "" {
		if d := phoneDigits(q); d != "" {
			q = d
		}
		if len([]rune(q)) >= 3 {
			where = append(where, `u.seq IN (SELECT rowid FROM users_fts WHERE users_fts MATCH ?)`)
			args = append(args, `"`+strings.ReplaceAll(q, `"`, `""`)+`"`)
		} else {
			where = append(where, `u.search LIKE ? ESCAPE '\'`)
			args = append(args, "%"+escapeLike(q)+"%")
		}
	}
	if f.Status != "" {
		where = append(where, `u.status = ?`)
		args = append(args, f.Status)
	}
	if f.OrganizationID != "" {
		if f.IncludeDescendants {
			where = append(where, `u.organization_id IN (WITH RECURSIVE sub(id) AS (SELECT ? UNION ALL SELECT o.id FROM orgs o JOIN sub ON o.parent_id = sub.id) SELECT id FROM sub)`)
		} else {
			where = append(where, `u.organization_id = ?`)
		}
		args = append(args, f.OrganizationID)
	}
	if f.Tag != "" {
		where = append(where, `u.id IN (SELECT user_id FROM user_tags WHERE name_key = ?)`)
		args = append(args, strings.ToLower(f.Tag))
	}
	if f.Role != "" {
		where = append(where, `EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id AND m.organization_id = u.organization_id AND m.role = ?)`)
		args = append(args, f.Role)
	}
	for _, c := range []struct {
		t    *time.Time
		cond string
	}{{f.CreatedAfter, `u.created_at > ?`}, {f.CreatedBefore, `u.created_at < ?`}, {f.UpdatedAfter, `u.updated_at > ?`}} {
		if c.t != nil {
			where = append(where, c.cond)
			args = append(args, micros(*c.t))
		}
	}
	sort := f.Sort
	if sort == "" {
		sort = "created_at"
	}
	s, ok := userSorts[sort]
	if !ok {
		return nil, nil, roster.Errorf(roster.CodeInvalid, "unknown sort %q", sort)
	}
	if c := f.Cursor; c != nil {
		where = append(where, s.after)
		if strings.HasSuffix(sort, "created_at") {
			n, err := strconv.ParseInt(c.Key, 10, 64)
			if err != nil {
				return nil, nil, roster.Errorf(roster.CodeMalformed, "cursor is not valid")
			}
			args = append(args, n, c.ID)
		} else {
			args = append(args, c.Key, c.ID)
		}
	}
	query := `SELECT u.doc, u.created_at, u.last_name_key, u.email_key FROM users u`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	limit := f.Limit
	query += ` ORDER BY ` + s.order + ` LIMIT ` + strconv.Itoa(limit+1)
	rows, err := r.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var out []*roster.User
	var next *roster.Cursor
	for rows.Next() {
		var doc []byte
		var created int64
		var lastKey, emailKey string
		if err := rows.Scan(&doc, &created, &lastKey, &emailKey); err != nil {
			return nil, nil, err
		}
		if len(out) == limit {
			last := out[len(out)-1]
			next = &roster.Cursor{Sort: sort, ID: last.ID}
			switch sort {
			case "created_at", "-created_at":
				next.Key = strconv.FormatInt(micros(last.CreatedAt), 10)
			case "last_name", "-last_name":
				next.Key = strings.ToLower(last.LastName)
			default:
				next.Key = strings.ToLower(last.Email)
			}
			break
		}
		var u roster.User
		if err := json.Unmarshal(doc, &u); err != nil {
			return nil, nil, err
		}
		out = append(out, &u)
	}
	return out, next, rows.Err()
}

// phoneDigits returns the digits of q when q looks like a phone number
// (digits with spaces, +, -, dots or brackets), so "+1 (669) 999" finds
// the stored E.164 "+1669999…".
func phoneDigits(q string) string {
	var b strings.Builder
	for _, r := range q {
		switch {
		case unicode.IsDigit(r) && r < 128:
			b.WriteRune(r)
		case strings.ContainsRune(" +-.()", r):
		default:
			return ""
		}
	}
	return b.String()
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func (t *tx) FindUser(ctx context.Context, id string) (*roster.User, error) {
	return t.reader().FindUser(ctx, id)
}
func (t *tx) FindUserByUsername(ctx context.Context, u string) (*roster.User, error) {
	return t.reader().FindUserByUsername(ctx, u)
}
func (t *tx) FindUserByExternalID(ctx context.Context, o, e string) (*roster.User, error) {
	return t.reader().FindUserByExternalID(ctx, o, e)
}
func (t *tx) FindUsers(ctx context.Context, f roster.UserFilter) ([]*roster.User, *roster.Cursor, error) {
	return t.reader().FindUsers(ctx, f)
}
func (db *DB) FindUserByUsername(ctx context.Context, u string) (*roster.User, error) {
	return db.reader().FindUserByUsername(ctx, u)
}
func (db *DB) FindUserByExternalID(ctx context.Context, o, e string) (*roster.User, error) {
	return db.reader().FindUserByExternalID(ctx, o, e)
}
func (db *DB) FindUsers(ctx context.Context, f roster.UserFilter) ([]*roster.User, *roster.Cursor, error) {
	return db.reader().FindUsers(ctx, f)
}

func (t *tx) CreateUser(u *roster.User) error {
	doc, err := json.Marshal(u)
	if err != nil {
		return err
	}
	_, err = t.q.ExecContext(context.Background(), `INSERT INTO users (id, organization_id, username_key, email_key, external_id, status, last_name_key, search, created_at, updated_at, version, doc)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.OrganizationID, strings.ToLower(u.Username), strings.ToLower(u.Email), nullable(u.ExternalID), u.Status,
		strings.ToLower(u.LastName), u.SearchText(), micros(u.CreatedAt), micros(u.UpdatedAt), u.Version, doc)
	if err != nil {
		return translate(err, "user")
	}
	return t.writeUserIndexes(u, false)
}

func (t *tx) UpdateUser(u *roster.User) error {
	doc, err := json.Marshal(u)
	if err != nil {
		return err
	}
	res, err := t.q.ExecContext(context.Background(), `UPDATE users SET organization_id = ?, username_key = ?, email_key = ?, external_id = ?, status = ?,
		last_name_key = ?, search = ?, updated_at = ?, version = ?, doc = ? WHERE id = ? AND version = ?`,
		u.OrganizationID, strings.ToLower(u.Username), strings.ToLower(u.Email), nullable(u.ExternalID), u.Status,
		strings.ToLower(u.LastName), u.SearchText(), micros(u.UpdatedAt), u.Version, doc, u.ID, u.Version-1)
	if err != nil {
		return translate(err, "user")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := t.FindUser(context.Background(), u.ID); err != nil {
			return err
		}
		return roster.Errorf(roster.CodePreconditionFailed, "the user was changed by another request: fetch it again and retry")
	}
	return t.writeUserIndexes(u, true)
}

// writeUserIndexes mirrors the user's tags and memberships into the
// tables that the list filters use.
func (t *tx) writeUserIndexes(u *roster.User, replace bool) error {
	ctx := context.Background()
	if replace {
		if _, err := t.q.ExecContext(ctx, `DELETE FROM user_tags WHERE user_id = ?`, u.ID); err != nil {
			return err
		}
		if _, err := t.q.ExecContext(ctx, `DELETE FROM memberships WHERE user_id = ?`, u.ID); err != nil {
			return err
		}
	}
	for _, tag := range u.Tags {
		if _, err := t.q.ExecContext(ctx, `INSERT OR IGNORE INTO user_tags (name_key, user_id) VALUES (?, ?)`, strings.ToLower(tag.Name), u.ID); err != nil {
			return err
		}
	}
	for _, m := range u.Memberships {
		for _, role := range m.Roles {
			if _, err := t.q.ExecContext(ctx, `INSERT INTO memberships (user_id, organization_id, role) VALUES (?, ?, ?)`, u.ID, m.OrganizationID, role); err != nil {
				return translate(err, "membership")
			}
		}
	}
	return nil
}

func (t *tx) DeleteUser(id string) error {
	ctx := context.Background()
	res, err := t.q.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, id)
	if err != nil {
		return translate(err, "user")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return roster.Errorf(roster.CodeNotFound, "user not found")
	}
	return nil
}
