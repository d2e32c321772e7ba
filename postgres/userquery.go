// SPDX-License-Identifier: Apache-2.0

package postgres

import (
	"context"
	"encoding/json"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/sqlcond"
)

// fullName is first_name and last_name joined, as ShownDisplayName joins them.
const fullName = `btrim(coalesce(u.doc->>'first_name', '') || ' ' || coalesce(u.doc->>'last_name', ''))`

// userFieldSQL is each field's expression, and the lower-cased column
// that answers its folded comparisons where one exists (and its index
// with it).
var userFieldSQL = map[roster.UserField]struct{ expr, folded string }{
	roster.UserID:          {`u.id`, ""},
	roster.UserUsername:    {`(u.doc->>'username')`, `u.username_key`},
	roster.UserEmail:       {`(u.doc->>'email')`, `u.email_key`},
	roster.UserExternalID:  {`coalesce(u.external_id, '')`, ""},
	roster.UserFirstName:   {`coalesce(u.doc->>'first_name', '')`, ""},
	roster.UserLastName:    {`coalesce(u.doc->>'last_name', '')`, `u.last_name_key`},
	roster.UserFullName:    {fullName, ""},
	roster.UserDisplayName: {`coalesce(nullif(u.doc->>'display_name', ''), ` + fullName + `)`, ""},
	roster.UserStatus:      {`u.status`, ""},
	roster.UserPhone:       {`coalesce(nullif(u.doc#>>'{phone,e164}', ''), u.doc#>>'{phone,number}', '')`, ""},
	roster.UserMobile:      {`coalesce(nullif(u.doc#>>'{mobile,e164}', ''), u.doc#>>'{mobile,number}', '')`, ""},
	roster.UserLanguage:    {`coalesce(u.doc#>>'{preferences,language}', '')`, ""},
	roster.UserTimeZone:    {`coalesce(u.doc#>>'{preferences,time_zone}', '')`, ""},
	roster.UserManagerID:   {`coalesce(u.doc->>'manager_id', '')`, ""},
	roster.UserCreatedAt:   {`u.created_at`, ""},
	roster.UserUpdatedAt:   {`u.updated_at`, ""},
}

// dialect is PostgreSQL's sqlcond.Dialect over a query's parameters;
// fold is the store's COLLATE clause for lower().
type dialect struct {
	p    params
	fold string
}

func (d *dialect) Field(f roster.UserField) (expr, folded string) {
	s := userFieldSQL[f]
	return s.expr, s.folded
}

func (d *dialect) Lower(x string) string { return `lower(` + x + d.fold + `)` }

func (d *dialect) Param(v any) string { return d.p.add(v) }

func (d *dialect) Contains(x, v string) string { return `strpos(` + x + `, ` + d.Param(v) + `) > 0` }
func (d *dialect) Prefix(x, v string) string   { return `starts_with(` + x + `, ` + d.Param(v) + `)` }
func (d *dialect) Suffix(x, v string) string {
	p := d.Param(v)
	return `right(` + x + `, length(` + p + `)) = ` + p
}

// Bytewise: the database's collation may order text by language rules;
// SCIM's gt/lt, like Go, compare code points.
func (d *dialect) Bytewise(x string) string { return `(` + x + `) COLLATE "C"` }
func (d *dialect) CreationOrder() string    { return `u.created_at, u.id COLLATE "C"` }

func (d *dialect) Key() string { return `id` }

func (d *dialect) Subtree(orgID string) string {
	return subtree(&d.p, orgID)
}

func (d *dialect) VisibleOrgs(v *roster.Visibility) string { return visibleOrgs(&d.p, v) }

// QueryUsers reads the page and its total in one statement (see
// sqlcond.Query).
func (db *DB) QueryUsers(ctx context.Context, q roster.UserQuery) (*roster.UserPage, error) {
	if err := q.Check(); err != nil {
		return nil, err
	}
	pd, cd := &dialect{fold: db.fold}, &dialect{fold: db.fold}
	pageSQL, countSQL := sqlcond.Query(pd, cd, q, `u.doc`)
	page := &roster.UserPage{Users: []*roster.User{}}
	if q.Limit > 0 {
		rows, err := db.q.Query(ctx, pageSQL, pd.p...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var doc []byte
			if err := rows.Scan(&page.Total, &doc); err != nil {
				return nil, err
			}
			u := new(roster.User)
			if err := json.Unmarshal(doc, u); err != nil {
				return nil, err
			}
			page.Users = append(page.Users, u)
		}
		if err := rows.Err(); err != nil || len(page.Users) > 0 {
			return page, err
		}
	}
	// No page (past the end, or none asked for): the total alone.
	return page, db.q.QueryRow(ctx, countSQL, cd.p...).Scan(&page.Total)
}
