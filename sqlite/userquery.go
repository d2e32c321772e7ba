// SPDX-License-Identifier: Apache-2.0

package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"strings"
	"time"

	"modernc.org/sqlite"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/sqlcond"
)

func init() {
	// SQLite's lower() folds ASCII letters only; the lower-cased columns
	// and roster.UserCond.Match fold as Go's strings.ToLower does.
	sqlite.MustRegisterDeterministicScalarFunction("roster_lower", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		switch v := args[0].(type) {
		case string:
			return strings.ToLower(v), nil
		case []byte:
			return strings.ToLower(string(v)), nil
		}
		return args[0], nil
	})
}

// fullName is first_name and last_name joined, as ShownDisplayName joins them.
const fullName = `trim(coalesce(json_extract(u.doc, '$.first_name'), '') || ' ' || coalesce(json_extract(u.doc, '$.last_name'), ''))`

// userFieldSQL is each field's expression (a field the stored document
// leaves out at its default, storedUser, has it in a coalesce), and the lower-cased column
// that answers its folded comparisons where one exists (and its index
// with it).
var userFieldSQL = map[roster.UserField]struct{ expr, folded string }{
	roster.UserID:          {`u.id`, ""},
	roster.UserUsername:    {`coalesce(json_extract(u.doc, '$.username'), json_extract(u.doc, '$.email'))`, `u.username_key`},
	roster.UserEmail:       {`json_extract(u.doc, '$.email')`, `u.email_key`},
	roster.UserExternalID:  {`coalesce(u.external_id, '')`, ""},
	roster.UserFirstName:   {`coalesce(json_extract(u.doc, '$.first_name'), '')`, ""},
	roster.UserLastName:    {`coalesce(json_extract(u.doc, '$.last_name'), '')`, `u.last_name_key`},
	roster.UserFullName:    {fullName, ""},
	roster.UserDisplayName: {`coalesce(nullif(json_extract(u.doc, '$.display_name'), ''), ` + fullName + `)`, ""},
	roster.UserStatus:      {`u.status`, ""},
	roster.UserPhone:       {`coalesce(nullif(json_extract(u.doc, '$.phone.e164'), ''), json_extract(u.doc, '$.phone.number'), '')`, ""},
	roster.UserMobile:      {`coalesce(nullif(json_extract(u.doc, '$.mobile.e164'), ''), json_extract(u.doc, '$.mobile.number'), '')`, ""},
	roster.UserLanguage:    {`coalesce(json_extract(u.doc, '$.preferences.language'), '')`, ""},
	roster.UserTimeZone:    {`coalesce(json_extract(u.doc, '$.preferences.time_zone'), '')`, ""},
	roster.UserManagerID:   {`coalesce(json_extract(u.doc, '$.manager_id'), '')`, ""},
	roster.UserCreatedAt:   {`u.created_at`, ""},
	roster.UserUpdatedAt:   {`u.updated_at`, ""},
}

// dialect is SQLite's sqlcond.Dialect; it collects the query's arguments.
type dialect struct{ args []any }

func (d *dialect) Field(f roster.UserField) (expr, folded string) {
	s := userFieldSQL[f]
	return s.expr, s.folded
}

func (d *dialect) Lower(x string) string { return `roster_lower(` + x + `)` }

func (d *dialect) Param(v any) string {
	if t, ok := v.(time.Time); ok {
		v = micros(t)
	}
	d.args = append(d.args, v)
	return "?"
}

// SQLite compares text with memcmp (the BINARY collation), which is
// byte order; instr and substr count characters on both sides alike.
func (d *dialect) Contains(x, v string) string { return `instr(` + x + `, ` + d.Param(v) + `) > 0` }
func (d *dialect) Prefix(x, v string) string {
	return `substr(` + x + `, 1, length(` + d.Param(v) + `)) = ` + d.Param(v)
}
func (d *dialect) Suffix(x, v string) string {
	return `substr(` + x + `, -length(` + d.Param(v) + `)) = ` + d.Param(v)
}
func (d *dialect) Bytewise(x string) string { return x }
func (d *dialect) CreationOrder() string    { return `u.seq` } // seq is made from created_at

func (d *dialect) Key() string { return `seq` }

func (d *dialect) Subtree(orgID string) string {
	d.Param(orgID) // subtreeIDs' one argument
	return subtreeIDs
}

func (d *dialect) VisibleOrgs(v *roster.Visibility) string {
	q, args := visibleOrgs(v)
	d.args = append(d.args, args...)
	return q
}

// QueryUsers reads the page and its total in one statement (see
// sqlcond.Query), through the read cache.
func (db *DB) QueryUsers(ctx context.Context, q roster.UserQuery) (*roster.UserPage, error) {
	if err := q.Check(); err != nil {
		return nil, err
	}
	release, err := db.listSlot(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	r := db.reader()
	epoch := r.cache.now()
	pd, cd := &dialect{}, &dialect{}
	pageSQL, countSQL := sqlcond.Query(pd, cd, q, userColumns)
	page := &roster.UserPage{Users: []*roster.User{}}
	if q.Limit > 0 {
		rows, err := r.q.QueryContext(ctx, pageSQL, pd.args...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var row userRow
			var doc sql.RawBytes
			if err := rows.Scan(append([]any{&page.Total}, row.dest(&doc)...)...); err != nil {
				return nil, err
			}
			row.doc = doc
			u, err := r.rowUser(epoch, &row)
			if err != nil {
				return nil, err
			}
			page.Users = append(page.Users, u)
		}
		if err := rows.Err(); err != nil || len(page.Users) > 0 {
			return page, err
		}
	}
	// No page (past the end, or none asked for): the total alone.
	return page, r.q.QueryRowContext(ctx, countSQL, cd.args...).Scan(&page.Total)
}
