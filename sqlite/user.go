// SPDX-License-Identifier: Apache-2.0

package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster"
)

// querier is what both the read pool and the writer's connection offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// reader implements roster.Reader over a querier; cache, when not nil,
// lends decoded users.
type reader struct {
	q     querier
	cache *readCache
	fill  bool // whether reads may add to the cache (not inside a write)
}

// tx is a write transaction inside the writer's current batch. touched
// collects what the read cache must forget once the batch ends.
type tx struct {
	q       querier
	now     time.Time
	touched *touched
	// cache lends decoded users whose row version matches: a version's
	// document never changes, committed or not.
	cache *readCache
	// seen holds the users this transaction read, by id.
	seen map[string]*roster.User
	// written holds the users this transaction wrote, for the read cache
	// once they are committed.
	written []*roster.User
	// fts holds this transaction's changes to the trigram index, which
	// the writer applies once per batch (see fts.go); batch holds the
	// changes of the batch's earlier jobs.
	fts   []ftsChange
	batch *ftsPending
	// ftsFlushed tells that a search inside this transaction wrote the
	// batch's pending changes (ftsRestore) to the index, inside this job's
	// savepoint: if the job fails, they are pending again.
	ftsFlushed bool
	ftsRestore []ftsChange
	// evq holds the batch's events (see AppendEvent).
	evq *eventQueue
	// seqs is the writer's (see newUserSeq).
	seqs *userSeqs
	// purgedTo is the newest event PurgeEvents deleted, which the tail
	// must forget once the transaction commits.
	purgedTo int64
}

func (t *tx) reader() reader  { return reader{q: t.q, cache: t.cache} }
func (t *tx) Now() time.Time  { return t.now }
func (db *DB) reader() reader { return reader{q: db.reads, cache: db.cache, fill: true} }

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

// FindUser returns the user with the id, from the read cache when it
// holds it (see cache.go). Like every read it returns a copy of its own.
func (db *DB) FindUser(ctx context.Context, id string) (*roster.User, error) {
	u, err := db.ViewUser(ctx, id)
	if err != nil {
		return nil, err
	}
	return u.Clone(), nil
}

// ViewUser is FindUser without the copy, for a caller that only reads
// the user (service.User, behind GET): the user may be the read cache's,
// shared by every reader, and must not be modified. Copying it was a
// twentieth of a GET's CPU and much of its garbage.
func (db *DB) ViewUser(ctx context.Context, id string) (*roster.User, error) {
	if u := db.cache.user(id); u != nil {
		return u, nil
	}
	epoch := db.cache.now()
	u, err := db.reader().FindUser(ctx, id)
	if err == nil {
		db.cache.putUser(epoch, u)
	}
	return u, err
}

func (r reader) FindUser(ctx context.Context, id string) (*roster.User, error) {
	return r.findUserWhere(ctx, `u.id = ?`, id)
}

func (r reader) FindUserByUsername(ctx context.Context, username string) (*roster.User, error) {
	return r.findUserWhere(ctx, `u.username_key = ?`, strings.ToLower(username))
}

func (r reader) FindUserByEmail(ctx context.Context, email string) (*roster.User, error) {
	return r.findUserWhere(ctx, `u.email_key = ?`, strings.ToLower(email))
}

func (r reader) FindUserByExternalID(ctx context.Context, orgID, externalID string) (*roster.User, error) {
	return r.findUserWhere(ctx, `u.organization_id = ? AND u.external_id = ?`, orgID, externalID)
}

// findUserWhere reads the one user a condition on users u selects. The
// user may be the cache's: the caller clones it before handing it out.
func (r reader) findUserWhere(ctx context.Context, cond string, args ...any) (*roster.User, error) {
	rows, err := r.q.QueryContext(ctx, `SELECT `+userColumns+` FROM users u WHERE `+cond, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, err
		}
		return nil, roster.Errorf(roster.CodeNotFound, "user not found")
	}
	var row userRow
	var doc sql.RawBytes
	if err := rows.Scan(row.dest(&doc)...); err != nil {
		return nil, err
	}
	row.doc = doc
	u, cached, err := r.decodeUser(&row)
	if cached {
		u = u.Clone()
	}
	return u, err
}

// userSorts maps each sort to its ORDER BY and keyset comparison. seq is
// made from created_at (see CreateUser), so seq order is created_at order
// and the q filter can walk the trigram index in that order and stop at
// the page's end.
var userSorts = map[string]struct{ order, after string }{
	"created_at":  {"u.seq", "u.seq > ?"},
	"-created_at": {"u.seq DESC", "u.seq < ?"},
	"last_name":   {"u.last_name_key, u.id", "(u.last_name_key, u.id) > (?, ?)"},
	"-last_name":  {"u.last_name_key DESC, u.id DESC", "(u.last_name_key, u.id) < (?, ?)"},
	"email":       {"u.email_key, u.id", "(u.email_key, u.id) > (?, ?)"},
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
	bySeq := strings.HasSuffix(sort, "created_at")
	from := `users u`
	var where []string
	var args []any
	if q := roster.SearchTerm(f.Query); q != "" {
		switch {
		case len([]rune(q)) >= 3 && bySeq:
			// Walk the trigram index in rowid (= seq) order and stop at
			// the page's end. Naming users_fts.rowid (not u.seq) in ORDER
			// BY and the cursor is what lets SQLite skip the sort.
			from = `users_fts JOIN users u ON u.seq = users_fts.rowid`
			where = append(where, `users_fts MATCH ?`, `instr(u.search, ?) > 0`)
			args = append(args, ftsTrigrams(q), q)
			s.order = strings.ReplaceAll(s.order, "u.seq", "users_fts.rowid")
			s.after = strings.ReplaceAll(s.after, "u.seq", "users_fts.rowid")
		case len([]rune(q)) >= 3:
			where = append(where, `u.seq IN (SELECT rowid FROM users_fts WHERE users_fts MATCH ?)`, `instr(u.search, ?) > 0`)
			args = append(args, ftsTrigrams(q), q)
		default:
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
			where = append(where, `u.organization_id IN (`+subtreeIDs+`)`)
		} else {
			where = append(where, `u.organization_id = ?`)
		}
		args = append(args, f.OrganizationID)
	}
	if f.MemberOf != "" {
		where = append(where, `u.id IN (SELECT user_id FROM memberships WHERE organization_id = ?)`)
		args = append(args, f.MemberOf)
	}
	if v := f.Visible; v != nil {
		cond, vargs := visibleOrgs(v)
		where = append(where, `(u.id = ? OR u.id IN (SELECT user_id FROM memberships WHERE organization_id IN (`+cond+`)))`)
		args = append(append(args, v.Self), vargs...)
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
	if c := f.Cursor; c != nil {
		where = append(where, s.after)
		if bySeq {
			n, err := strconv.ParseInt(c.Key, 10, 64)
			if err != nil {
				return nil, nil, roster.Errorf(roster.CodeMalformed, "cursor is not valid")
			}
			args = append(args, n)
		} else {
			args = append(args, c.Key, c.ID)
		}
	}
	var epoch uint64
	if r.cache != nil {
		epoch = r.cache.now()
	}
	query := `SELECT u.seq, ` + userColumns + ` FROM ` + from
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	query += ` ORDER BY ` + s.order + ` LIMIT ?`
	rows, err := r.q.QueryContext(ctx, query, append(args, f.Limit+1)...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var out []*roster.User
	var next *roster.Cursor
	var lastSeq int64
	for rows.Next() {
		if len(out) == f.Limit {
			last := out[len(out)-1]
			next = &roster.Cursor{Sort: sort, ID: last.ID}
			switch sort {
			case "created_at", "-created_at":
				next.Key = strconv.FormatInt(lastSeq, 10)
			case "last_name", "-last_name":
				next.Key = strings.ToLower(last.LastName)
			default:
				next.Key = strings.ToLower(last.Email)
			}
			break
		}
		var row userRow
		var doc sql.RawBytes
		if err := rows.Scan(append([]any{&lastSeq}, row.dest(&doc)...)...); err != nil {
			return nil, nil, err
		}
		row.doc = doc
		u, err := r.rowUser(epoch, &row)
		if err != nil {
			return nil, nil, err
		}
		// Not cloned (see roster.Reader): copying fifty users per page,
		// and collecting the copies, halved the searches a node answers.
		out = append(out, u)
	}
	return out, next, rows.Err()
}

// decodeUser decodes a user's document, through the cache when the
// reader has one; cached reports that the cache held it.
func (r reader) decodeUser(row *userRow) (u *roster.User, cached bool, err error) {
	if u := r.cache.userAt(row.id, row.version); u != nil {
		return u, true, nil
	}
	u, err = row.decode()
	return u, false, err
}

// visibleOrgs returns a query of the organisation ids a Visibility
// covers: the subtrees under v.Subtrees and the organisations v.Orgs.
func visibleOrgs(v *roster.Visibility) (string, []any) {
	return `WITH RECURSIVE sub(id) AS (SELECT value FROM json_each(?) UNION SELECT o.id FROM orgs o JOIN sub ON o.parent_id = sub.id)
		SELECT id FROM sub UNION SELECT value FROM json_each(?)`, []any{jsonList(v.Subtrees), jsonList(v.Orgs)}
}

func jsonList(ids []string) string {
	if ids == nil {
		return "[]"
	}
	b, _ := json.Marshal(ids)
	return string(b)
}

// ftsTrigrams returns the query of the users that hold every trigram of q
// (of 3 characters or more). The index keeps no positions (detail=none,
// migration 0021: half its size), so it cannot match q as a phrase: the
// search also checks q in the text (instr), which drops the users whose
// trigrams are all there but not in q's order.
func ftsTrigrams(q string) string {
	r := []rune(q)
	terms := make([]string, 0, len(r)-2)
	for i := range len(r) - 2 {
		terms = append(terms, `"`+strings.ReplaceAll(string(r[i:i+3]), `"`, `""`)+`"`)
	}
	return strings.Join(terms, ` AND `)
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func (t *tx) FindUser(ctx context.Context, id string) (*roster.User, error) {
	u, err := t.reader().FindUser(ctx, id)
	if err == nil {
		if t.seen == nil {
			t.seen = map[string]*roster.User{}
		}
		t.seen[id] = u
	}
	return u, err
}
func (t *tx) FindUserByUsername(ctx context.Context, u string) (*roster.User, error) {
	return t.reader().FindUserByUsername(ctx, u)
}
func (t *tx) FindUserByEmail(ctx context.Context, e string) (*roster.User, error) {
	return t.reader().FindUserByEmail(ctx, e)
}
func (t *tx) FindUserByExternalID(ctx context.Context, o, e string) (*roster.User, error) {
	return t.reader().FindUserByExternalID(ctx, o, e)
}
func (t *tx) FindUsers(ctx context.Context, f roster.UserFilter) ([]*roster.User, *roster.Cursor, error) {
	if len([]rune(roster.SearchTerm(f.Query))) >= 3 && t.batch != nil && (len(t.batch.changes) > 0 || len(t.fts) > 0) {
		// A search reads the trigram index: bring it up to date first.
		t.ftsFlushed = true
		t.ftsRestore = append(t.ftsRestore, t.batch.changes...)
		t.batch.add(t.fts)
		t.fts = nil
		if err := t.batch.flush(ctx, t.q); err != nil {
			return nil, nil, err
		}
	}
	return t.reader().FindUsers(ctx, f)
}
func (db *DB) FindUserByUsername(ctx context.Context, u string) (*roster.User, error) {
	return db.reader().FindUserByUsername(ctx, u)
}
func (db *DB) FindUserByEmail(ctx context.Context, e string) (*roster.User, error) {
	return db.reader().FindUserByEmail(ctx, e)
}
func (db *DB) FindUserByExternalID(ctx context.Context, o, e string) (*roster.User, error) {
	return db.reader().FindUserByExternalID(ctx, o, e)
}
func (db *DB) FindUsers(ctx context.Context, f roster.UserFilter) ([]*roster.User, *roster.Cursor, error) {
	release, err := db.listSlot(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer release()
	return db.reader().FindUsers(ctx, f)
}

// listSlot waits for a list's turn: lists wait in arrival order, as
// database/sql hands a freed connection to a random waiter, which made the
// slowest searches wait many turns under load (p99 far above the mean).
func (db *DB) listSlot(ctx context.Context) (release func(), err error) {
	select {
	case db.listSlots <- struct{}{}:
		return func() { <-db.listSlots }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// rowUser decodes a listed user's row (or takes it from the read cache)
// and keeps what it decoded in the cache when the reader fills it.
func (r reader) rowUser(epoch uint64, row *userRow) (*roster.User, error) {
	u, cached, err := r.decodeUser(row)
	if err == nil && !cached && r.fill {
		r.cache.putUser(epoch, u)
	}
	return u, err
}

func (t *tx) CreateUser(u *roster.User) error {
	doc, err := encodeUser(u)
	if err != nil {
		return err
	}
	// seq (the rowid, which the trigram index also uses) is made from the
	// creation time, so that rowid order is created_at order even for
	// users imported with times of their own; users created in the same
	// microsecond follow one another.
	seq, err := t.newUserSeq(micros(u.CreatedAt))
	if err != nil {
		return err
	}
	search := u.SearchText()
	_, err = t.q.ExecContext(context.Background(), `INSERT INTO users (seq, id, organization_id, username_key, email_key, external_id, status, last_name_key, search, created_at, updated_at, version, doc)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		seq, u.ID, u.OrganizationID, strings.ToLower(u.Username), strings.ToLower(u.Email), nullable(u.ExternalID), u.Status,
		strings.ToLower(u.LastName), search, micros(u.CreatedAt), micros(u.UpdatedAt), u.Version, doc)
	if err != nil {
		return translate(err, "user")
	}
	t.seqs.last = seq // a refused insert (email taken) leaves its seq to the next
	t.written = append(t.written, u.Clone())
	t.fts = append(t.fts, ftsChange{seq: seq, new: search, hasNew: true})
	return t.writeUserIndexes(u, false)
}

// newUserSeq returns the seq of a user created at the given Unix
// microsecond: the next after the newest in its range. The writer
// remembers the seq it gave last (userSeqs), so that the users of a batch
// (one creation time) after its first need no query; CreateUser records
// the seq once its row is in.
func (t *tx) newUserSeq(created int64) (int64, error) {
	lo, hi := created<<seqShift, (created+1)<<seqShift
	seq := t.seqs.last + 1
	if t.seqs.last < lo || t.seqs.last >= hi {
		if err := t.q.QueryRowContext(context.Background(), `SELECT coalesce(max(seq) + 1, ?) FROM users WHERE seq >= ? AND seq < ?`, lo, lo, hi).Scan(&seq); err != nil {
			return 0, err
		}
	}
	if seq >= hi {
		return 0, roster.Errorf(roster.CodeConflict, "too many users created in the same microsecond")
	}
	return seq, nil
}

// userSeqs holds the seq the writer gave a created user last. Only the
// writer creates users, so no seq in its microsecond's range is newer; a
// seq whose job or batch rolled back is left unused, which is harmless
// (seq needs order and uniqueness, not density).
type userSeqs struct{ last int64 }

// seqShift leaves room for 1,024 users per microsecond of creation time in
// seq; Unix microseconds shifted by 10 bits fit int64 until the year 2262.
const seqShift = 10

// indexKey sums up what writeUserIndexes mirrors, so that an update
// rewrites the tag and membership rows only when they changed.
func indexKey(u *roster.User) string {
	var b strings.Builder
	for _, t := range u.Tags {
		b.WriteString(strings.ToLower(t.Name))
		b.WriteByte(0)
	}
	b.WriteByte(1)
	for _, m := range u.Memberships {
		b.WriteString(m.OrganizationID)
		for _, r := range m.Roles {
			b.WriteByte(0)
			b.WriteString(r)
		}
		b.WriteByte(1)
	}
	return b.String()
}

func (t *tx) UpdateUser(u *roster.User) error {
	doc, err := encodeUser(u)
	if err != nil {
		return err
	}
	ctx := context.Background()
	// Only the columns whose values change are set: SQLite rewrites an
	// index whenever one of its columns is assigned, even to the same
	// value. The columns derive from the version replaced: the one this
	// transaction read, or else the stored one (whose version the UPDATE
	// checks).
	old := t.seen[u.ID]
	if old == nil || old.Version != u.Version-1 {
		if old, err = t.reader().FindUser(ctx, u.ID); err != nil {
			return err
		}
	}
	oldOrg, oldUsername, oldEmail, oldStatus := old.OrganizationID, strings.ToLower(old.Username), strings.ToLower(old.Email), old.Status
	oldLast, oldSearch, oldKey := strings.ToLower(old.LastName), old.SearchText(), indexKey(old)
	oldExternal := sql.NullString{String: old.ExternalID, Valid: old.ExternalID != ""}
	var seq int64
	search := u.SearchText()
	if search != oldSearch {
		// The trigram index needs the row's seq and the very text it
		// indexed, which is the column (not what this version derives).
		if err := t.q.QueryRowContext(ctx, `SELECT seq, search FROM users WHERE id = ? AND version = ?`, u.ID, u.Version-1).Scan(&seq, &oldSearch); err != nil {
			if err == sql.ErrNoRows {
				return roster.Errorf(roster.CodePreconditionFailed, "the user was changed by another request: fetch it again and retry")
			}
			return err
		}
	}
	key := indexKey(u)
	var set []string
	var args []any
	for _, c := range []struct {
		col      string
		old, new string
	}{
		{"organization_id", oldOrg, u.OrganizationID},
		{"username_key", oldUsername, strings.ToLower(u.Username)},
		{"email_key", oldEmail, strings.ToLower(u.Email)},
		{"external_id", oldExternal.String, u.ExternalID},
		{"status", oldStatus, u.Status},
		{"last_name_key", oldLast, strings.ToLower(u.LastName)},
		{"search", oldSearch, search},
	} {
		if c.old != c.new {
			set = append(set, c.col+" = ?")
			if c.col == "external_id" {
				args = append(args, nullable(c.new))
			} else {
				args = append(args, c.new)
			}
		}
	}
	set = append(set, "updated_at = ?", "version = ?", "doc = ?")
	args = append(args, micros(u.UpdatedAt), u.Version, doc, u.ID, u.Version-1)
	res, err := t.q.ExecContext(ctx, `UPDATE users SET `+strings.Join(set, ", ")+` WHERE id = ? AND version = ?`, args...)
	if err != nil {
		return translate(err, "user")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return roster.Errorf(roster.CodePreconditionFailed, "the user was changed by another request: fetch it again and retry")
	}
	t.touched.users = append(t.touched.users, u.ID)
	t.written = append(t.written, u.Clone())
	if search != oldSearch {
		t.fts = append(t.fts, ftsChange{seq: seq, old: oldSearch, hadOld: true, new: search, hasNew: true})
	}
	if key == oldKey {
		return nil
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
	var seq int64
	var search string
	err := t.q.QueryRowContext(ctx, `SELECT seq, search FROM users WHERE id = ?`, id).Scan(&seq, &search)
	if err == sql.ErrNoRows {
		return roster.Errorf(roster.CodeNotFound, "user not found")
	} else if err != nil {
		return err
	}
	res, err := t.q.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, id)
	if err != nil {
		return translate(err, "user")
	}
	t.touched.users = append(t.touched.users, id)
	t.written = append(t.written, &roster.User{ID: id, Version: -1}) // gone
	if n, _ := res.RowsAffected(); n == 0 {
		return roster.Errorf(roster.CodeNotFound, "user not found")
	}
	t.fts = append(t.fts, ftsChange{seq: seq, old: search, hadOld: true})
	return nil
}

// subtreeIDs selects the ids of an organisation (its one argument) and
// of every organisation below it.
const subtreeIDs = `WITH RECURSIVE sub(id) AS (SELECT ? UNION ALL SELECT o.id FROM orgs o JOIN sub ON o.parent_id = sub.id) SELECT id FROM sub`
