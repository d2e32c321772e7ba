// SPDX-License-Identifier: Apache-2.0

package sqlite

import "context"

// ftsChange is one change of a user's search text, which the trigram
// index (users_fts, external content over users.search) must follow. old
// is the text the index holds for seq (hadOld false: none), new the text it
// must hold (hasNew false: none, the user is gone).
type ftsChange struct {
	seq            int64
	old, new       string
	hadOld, hasNew bool
}

// ftsPending collects a batch's changes to the trigram index. The writer
// applies them once, after the last job's savepoint and before COMMIT, so
// that FTS5 writes one segment per batch: it flushes its pending terms to
// a new segment at every savepoint it takes part in, which per-request
// triggers inside per-request savepoints turned into one segment (and its
// merging) per request.
type ftsPending struct {
	changes []ftsChange
	wrote   bool // whether flush wrote to the index
}

// add records the changes of a job that succeeded.
func (p *ftsPending) add(cs []ftsChange) { p.changes = append(p.changes, cs...) }

// flush writes the pending changes to the index through q and forgets
// them. Changes of the same seq collapse: the index goes from the first
// change's old text to the last change's new one.
func (p *ftsPending) flush(ctx context.Context, q querier) error {
	if len(p.changes) == 0 {
		return nil
	}
	cs := p.changes
	if len(cs) > 1 {
		at := make(map[int64]int, len(cs))
		out := cs[:0:0]
		for _, c := range cs {
			if i, ok := at[c.seq]; ok {
				out[i].new, out[i].hasNew = c.new, c.hasNew
				continue
			}
			at[c.seq] = len(out)
			out = append(out, c)
		}
		cs = out
	}
	p.wrote = true
	for _, c := range cs {
		same := c.hadOld && c.hasNew && c.old == c.new
		if c.hadOld && !same {
			if _, err := q.ExecContext(ctx, `INSERT INTO users_fts (users_fts, rowid, search) VALUES ('delete', ?, ?)`, c.seq, c.old); err != nil {
				return err
			}
		}
		if c.hasNew && !same {
			if _, err := q.ExecContext(ctx, `INSERT INTO users_fts (rowid, search) VALUES (?, ?)`, c.seq, c.new); err != nil {
				return err
			}
		}
	}
	p.changes = p.changes[:0]
	return nil
}
