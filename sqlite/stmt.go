// SPDX-License-Identifier: Apache-2.0

package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// preparer is what can prepare a statement: the read pool or the writer's
// connection.
type preparer interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
	querier
}

// stmtCache prepares each distinct query once and reuses it: SQLite spends
// more time compiling a short statement than running it. The queries are
// the store's own (list filters combine into a bounded set of shapes), so
// the cache stays small.
type stmtCache struct {
	p     preparer
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

// maxStmts bounds the cache; the store's query shapes number far fewer.
const maxStmts = 512

func newStmtCache(p preparer) *stmtCache {
	return &stmtCache{p: p, stmts: map[string]*sql.Stmt{}}
}

// stmt returns the cached statement for query, or nil when the cache is
// full and the query should run unprepared.
func (c *stmtCache) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.stmts[query]; ok {
		return st, nil
	}
	if len(c.stmts) >= maxStmts {
		return nil, nil
	}
	st, err := c.p.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.stmts[query] = st
	return st, nil
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.stmts {
		st.Close()
	}
	c.stmts = map[string]*sql.Stmt{}
}

// ExecContext runs a cached statement.
func (c *stmtCache) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return c.p.ExecContext(ctx, query, args...)
	}
	return st.ExecContext(ctx, args...)
}

// QueryContext runs a cached query.
func (c *stmtCache) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return c.p.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowContext runs a cached single-row query. A failure to prepare
// surfaces from Scan, as with database/sql.
func (c *stmtCache) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := c.stmt(ctx, query)
	if err != nil || st == nil {
		// Unprepared: database/sql reports a failure to prepare through Row.
		return c.p.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}
