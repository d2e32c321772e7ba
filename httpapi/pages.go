// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"net/http"

	"github.com/rosterhq/roster"
)

// pageQuery reads limit (1–200, default 50) and cursor of a list in
// creation order whose cursors have the given sort; a bad one is a 400.
func pageQuery(r *http.Request, sort string) (roster.Page, error) {
	q := &query{r: r}
	p := roster.Page{Limit: q.limit(), Cursor: q.cursor(sort)}
	return p, q.err()
}
