// SPDX-License-Identifier: Apache-2.0

package sqlite

import (
	"database/sql"
	"strconv"
	"strings"

	"github.com/rosterhq/roster"
)

// Lists in creation order (API keys, OAuth clients, webhooks) are
// keyset-paginated on (created_at, id): created_at is stored in Unix
// microseconds, and the cursor's key is that number.

// creationPage returns the WHERE conditions of a page of such a list (the
// list's own, with the cursor's added) and the ORDER BY and LIMIT that end
// its query. alias names the table; desc lists newest first. The query
// asks for one row more than the page, which tells whether another page
// follows.
func creationPage(p roster.Page, sort, alias string, desc bool, where []string) (string, string, []any, error) {
	dir, op := "", ">"
	if desc {
		dir, op = " DESC", "<"
	}
	var args []any
	if c := p.Cursor; c != nil {
		n, err := strconv.ParseInt(c.Key, 10, 64)
		if c.Sort != sort || err != nil {
			return "", "", nil, roster.Errorf(roster.CodeMalformed, "cursor is not valid: pass the next_cursor of a previous page of the same list unchanged")
		}
		where = append(where, `(`+alias+`.created_at, `+alias+`.id) `+op+` (?, ?)`)
		args = append(args, n, c.ID)
	}
	cond := ""
	if len(where) > 0 {
		cond = ` WHERE ` + strings.Join(where, ` AND `)
	}
	tail := ` ORDER BY ` + alias + `.created_at` + dir + `, ` + alias + `.id` + dir
	if p.Limit > 0 {
		tail += ` LIMIT ` + strconv.Itoa(p.Limit+1)
	}
	return cond, tail, args, nil
}

// collectPage reads the rows of a page of a list in creation order; scan
// reads one row: its created_at and id, and the item. It returns the page
// and the cursor of the next one (nil on the last).
func collectPage[T any](rows *sql.Rows, p roster.Page, sort string, scan func(*sql.Rows) (int64, string, T, error)) ([]T, *roster.Cursor, error) {
	defer rows.Close()
	out := []T{}
	var next *roster.Cursor
	var created int64
	var id string
	for rows.Next() {
		if p.Limit > 0 && len(out) == p.Limit {
			next = &roster.Cursor{Sort: sort, Key: strconv.FormatInt(created, 10), ID: id}
			break
		}
		c, i, item, err := scan(rows)
		if err != nil {
			return nil, nil, err
		}
		created, id = c, i
		out = append(out, item)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	return out, next, nil
}
