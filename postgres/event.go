// SPDX-License-Identifier: Apache-2.0

package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/eventdoc"
)

// maxEvents bounds the events of one transaction: the low 16 bits of pos.
const maxEvents = 1 << 16

// AppendEvent queues e; commit writes it.
func (t *tx) AppendEvent(e *roster.Event) error {
	if len(t.events) == maxEvents {
		return fmt.Errorf("more than %d events in one transaction", maxEvents)
	}
	doc, err := eventdoc.Encode(e)
	if err != nil {
		return err
	}
	t.events = append(t.events, queuedEvent{e, doc})
	return nil
}

// queueInserts adds the inserts of the events not yet written to b.
//
// An event's pos is its transaction's id (shifted, plus its number in the
// transaction), so the feed is in the order in which transactions got
// their ids: at their first write or row lock, not at commit. Two changes
// of one resource queue on its row lock, and the one that waited gets the
// newer id, unless it wrote something before it asked for the lock: then
// it would come first in the feed although it changed the resource
// second. The trigger of migration 0009 refuses such an insert (an event
// of the same resource with a greater pos has committed) with a
// serialization failure, which Update retries with a new transaction id;
// the service reads (locks) the resource before any other write of the
// transaction, so that this stays the exception.
func (t *tx) queueInserts(b *pgx.Batch) int {
	n := 0
	for i, q := range t.events[t.written:] {
		e := q.e
		b.Queue(`INSERT INTO events (pos, id, type, resource_type, resource_id, org_id, actor_id, occurred_at, body)
			VALUES ((pg_current_xact_id()::text::bigint << 16) | $1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			int64(t.written+i), e.ID, e.Type, e.Resource.Type, e.Resource.ID, e.OrgID, e.Actor.UserID, e.OccurredAt, q.doc)
		n++
	}
	t.written = len(t.events)
	return n
}

// flush writes the queued events, for a read of the events that must
// see them.
func (t *tx) flush(ctx context.Context) error {
	b := &pgx.Batch{}
	if t.queueInserts(b) == 0 {
		return nil
	}
	return translate(t.conn.SendBatch(ctx, b).Close(), "event")
}

// FindEvents returns, in a transaction, the events committed when it
// runs and those this transaction appended, in feed order; see eventQuery.
func (t *tx) FindEvents(ctx context.Context, f roster.EventFilter) ([]roster.StoredEvent, error) {
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	return t.reader.FindEvents(ctx, f)
}

// EventSeq finds, in a transaction, the events this transaction appended too.
func (t *tx) EventSeq(ctx context.Context, id string) (int64, error) {
	if err := t.flush(ctx); err != nil {
		return 0, err
	}
	return t.reader.EventSeq(ctx, id)
}

// storedDoc is, in a query of events e, an event's stored document for
// eventdoc.Decode: the compact body, or the JSON of a row written before.
const storedDoc = `coalesce(e.body, convert_to(e.doc::text, 'UTF8'))`

// horizon is, in a query, the smallest pos that a transaction still
// running may yet write: everything below it is final.
const horizon = `(pg_snapshot_xmin(pg_current_snapshot())::text::bigint << 16)`

// maxHorizonWait bounds how long FindEvents waits for the transactions
// that hold the horizon back.
const maxHorizonWait = 2 * time.Second

func (r reader) EventSeq(ctx context.Context, id string) (int64, error) {
	var pos int64
	err := r.q.QueryRow(ctx, `SELECT pos FROM events WHERE id = $1`, id).Scan(&pos)
	return pos, translate(err, "event")
}

// FindEvents returns the events after f.After in feed order, stopping
// before the first event beyond the horizon. Such an event has committed,
// but a transaction that started before it is still running and may yet
// add an event before it; outside a transaction FindEvents waits (up to
// maxHorizonWait) for those transactions, so that a client that made a
// change and then reads the feed finds the change there.
func (r reader) FindEvents(ctx context.Context, f roster.EventFilter) ([]roster.StoredEvent, error) {
	query, p := eventQuery(f, r.lock)
	deadline := time.Now().Add(maxHorizonWait)
	pause := time.Millisecond
	for {
		out, beyond, err := r.findEvents(ctx, query, p, f.Bare)
		if err != nil || !beyond || time.Now().After(deadline) {
			return out, err
		}
		t := time.NewTimer(pause)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return out, nil
		}
		pause = min(2*pause, 50*time.Millisecond)
	}
}

// findEvents runs an event query once. beyond reports an event past the
// horizon.
func (r reader) findEvents(ctx context.Context, query string, p params, bare bool) (out []roster.StoredEvent, beyond bool, err error) {
	rows, err := r.q.Query(ctx, query, p...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	out = []roster.StoredEvent{}
	for rows.Next() {
		se := roster.StoredEvent{Event: &roster.Event{}}
		e := se.Event
		var doc []byte
		var final bool
		if bare {
			err = rows.Scan(&se.Seq, &final, &e.ID, &e.Type, &e.Resource.Type, &e.Resource.ID, &e.OrgID)
		} else {
			err = rows.Scan(&se.Seq, &final, &doc)
		}
		if err != nil {
			return nil, false, err
		}
		if !final {
			return out, true, nil
		}
		if !bare {
			if err := eventdoc.Decode(doc, e); err != nil {
				return nil, false, err
			}
		}
		out = append(out, se)
	}
	return out, false, rows.Err()
}

// eventQuery builds the query of an event filter. Inside a transaction
// (inTx) every event it sees counts as final: its own, which no other
// reader sees yet, and those committed, which it must not wait for, as
// the transaction itself may be what holds the horizon back.
func eventQuery(f roster.EventFilter, inTx bool) (string, params) {
	var p params
	where := []string{`e.pos > ` + p.add(f.After)}
	if len(f.Types) > 0 {
		var or []string
		for _, t := range f.Types {
			if prefix, ok := strings.CutSuffix(t, ".*"); ok {
				or = append(or, `e.type LIKE `+p.add(escapeLike(prefix)+".%"))
			} else {
				or = append(or, `e.type = `+p.add(t))
			}
		}
		where = append(where, `(`+strings.Join(or, ` OR `)+`)`)
	}
	if f.Target != "" {
		where = append(where, `e.resource_id = `+p.add(f.Target))
	}
	if f.Actor != "" {
		where = append(where, `e.actor_id = `+p.add(f.Actor))
	}
	if f.OccurredAfter != nil {
		where = append(where, `e.occurred_at > `+p.add(*f.OccurredAfter))
	}
	if f.Before != nil {
		where = append(where, `e.occurred_at < `+p.add(*f.Before))
	}
	if v := f.Visible; v != nil {
		where = append(where, `(e.resource_id = `+p.add(v.Self)+` OR e.org_id IN (`+visibleOrgs(&p, v)+`))`)
	}
	for _, r := range f.Restrictions() {
		where = append(where, `(e.resource_type <> ALL(`+p.add(r.ResourceTypes)+`::text[]) OR e.org_id IN (`+visibleOrgs(&p, r.Visible)+`))`)
	}
	final := `e.pos < ` + horizon
	if inTx {
		final = `true`
	}
	columns := storedDoc
	if f.Bare {
		columns = `e.id, e.type, e.resource_type, e.resource_id, e.org_id`
	}
	return `SELECT e.pos, ` + final + `, ` + columns + ` FROM events e WHERE ` + strings.Join(where, ` AND `) +
		` ORDER BY e.pos LIMIT ` + p.add(f.Limit), p
}

func (r reader) FeedStart(ctx context.Context) (int64, error) {
	var pos int64
	err := r.q.QueryRow(ctx, `SELECT pos FROM feed_start`).Scan(&pos)
	return pos, err
}

// unsent is the first position a webhook may still send: just after the
// cursor of an enabled webhook, or the event of a pending delivery.
const unsent = `LEAST(coalesce((SELECT min(cursor) FROM webhooks WHERE doc->>'status' = 'enabled') + 1, 1::bigint << 62),
	coalesce((SELECT min(seq) FROM deliveries WHERE state = 'pending'), 1::bigint << 62))`

// ExpireEvents moves the feed's start under its row lock (two nodes'
// janitors take turns). It needs no horizon: an event placed before an
// expired one and committed after it would come from a transaction that
// got its id before an event older than the retention, and still runs.
func (t *tx) ExpireEvents(before time.Time, limit int) (int64, error) {
	var start int64
	if err := t.conn.QueryRow(t.ctx, `SELECT pos FROM feed_start FOR UPDATE`).Scan(&start); err != nil {
		return 0, err
	}
	last, n, err := t.oldPrefix(`SELECT pos, occurred_at FROM events WHERE pos > $1 AND pos < `+unsent+` ORDER BY pos LIMIT $2`,
		before, start, limit)
	if err != nil || n == 0 {
		return 0, err
	}
	_, err = t.conn.Exec(t.ctx, `UPDATE feed_start SET pos = $1`, last)
	return n, err
}

func (t *tx) PurgeEvents(before time.Time, limit int) (int64, error) {
	last, n, err := t.oldPrefix(`SELECT pos, occurred_at FROM events WHERE pos <= (SELECT pos FROM feed_start) ORDER BY pos LIMIT $1`, before, limit)
	if err != nil || n == 0 {
		return 0, err
	}
	// The rows up to last are exactly those read: the oldest remaining.
	_, err = t.conn.Exec(t.ctx, `DELETE FROM events WHERE pos <= $1`, last)
	return n, err
}

// oldPrefix runs query (pos and occurred_at of events in feed order) with
// args and returns the last pos and the number of the leading events
// that occurred before a time.
func (t *tx) oldPrefix(query string, before time.Time, args ...any) (last, n int64, err error) {
	rows, err := t.conn.Query(t.ctx, query, args...)
	if err != nil {
		return 0, 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var pos int64
		var at time.Time
		if err := rows.Scan(&pos, &at); err != nil {
			return 0, 0, err
		}
		if !at.Before(before) {
			break
		}
		last, n = pos, n+1
	}
	return last, n, rows.Err()
}
