// SPDX-License-Identifier: Apache-2.0

package postgres

import (
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rosterhq/roster"
)

// Lists in creation order (API keys, OAuth clients, webhooks) are
// keyset-paginated on (created_at, id); the cursor's key is created_at in
// Unix microseconds, the precision of timestamptz.

// creationPage returns the WHERE conditions of a page of such a list (the
// list's own, with the cursor's added) and the ORDER BY and LIMIT that end
// its query. alias names the table; desc lists newest first. The query
// asks for one row more than the page, which tells whether another page
// follows. Ids compare bytewise (COLLATE "C"), as they sort in Go.
func creationPage(p *params, pg roster.Page, sort, alias string, desc bool, where []string) (string, string, error) {
	dir, op := "", ">"
	if desc {
		dir, op = " DESC", "<"
	}
	if c := pg.Cursor; c != nil {
		n, err := strconv.ParseInt(c.Key, 10, 64)
		if c.Sort != sort || err != nil {
			return "", "", roster.Errorf(roster.CodeMalformed, "cursor is not valid: pass the next_cursor of a previous page of the same list unchanged")
		}
		where = append(where, `(`+alias+`.created_at, `+alias+`.id COLLATE "C") `+op+` (`+p.add(time.UnixMicro(n).UTC())+`, `+p.add(c.ID)+`)`)
	}
	cond := ""
	if len(where) > 0 {
		cond = ` WHERE ` + strings.Join(where, ` AND `)
	}
	tail := ` ORDER BY ` + alias + `.created_at` + dir + `, ` + alias + `.id COLLATE "C"` + dir
	if pg.Limit > 0 {
		tail += ` LIMIT ` + p.add(pg.Limit+1)
	}
	return cond, tail, nil
}

// collectPage reads the rows of a page of a list in creation order; scan
// reads one row: its created_at and id, and the item. It returns the page
// and the cursor of the next one (nil on the last).
func collectPage[T any](rows pgx.Rows, pg roster.Page, sort string, scan func(pgx.Rows) (time.Time, string, T, error)) ([]T, *roster.Cursor, error) {
	defer rows.Close()
	out := []T{}
	var next *roster.Cursor
	var created time.Time
	var id string
	for rows.Next() {
		if pg.Limit > 0 && len(out) == pg.Limit {
			next = &roster.Cursor{Sort: sort, Key: strconv.FormatInt(created.UnixMicro(), 10), ID: id}
			break
		}
		c, i, item, err := scan(rows)
		if err != nil {
			return nil, nil, err
		}
		created, id = c, i
		out = append(out, item)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	return out, next, nil
}
