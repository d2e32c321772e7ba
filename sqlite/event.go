// SPDX-License-Identifier: Apache-2.0

package sqlite

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/eventdoc"
)

// AppendEvent queues e for the end of the batch and starts encoding its
// document on another goroutine: the JSON and zstd encoding (a fifth of
// the writer's time per created user, docs/PERFORMANCE.md) then runs
// beside the writer, which only inserts the bytes (eventQueue.flush).
func (t *tx) AppendEvent(e *roster.Event) error {
	t.evq.add(e)
	return nil
}

// eventQueue holds a batch's events in order: those of the jobs that
// succeeded, then the running job's. Each is encoded on a goroutine of
// its own as soon as it is appended; the writer inserts them, in order,
// after the last job (or when a job reads the events table).
type eventQueue struct {
	events  []*queuedEvent
	written int // how many of events are inserted
}

// queuedEvent is an event whose document is being encoded: doc and err
// are set once done is closed. seq is its position once inserted.
type queuedEvent struct {
	e    roster.Event
	doc  []byte
	err  error
	done chan struct{}
	seq  int64
}

func (q *eventQueue) add(e *roster.Event) {
	qe := &queuedEvent{e: *e, done: make(chan struct{})} // a copy: the caller may reuse e
	q.events = append(q.events, qe)
	go func() {
		qe.doc, qe.err = eventdoc.Encode(&qe.e)
		close(qe.done)
	}()
}

// mark is where a job starts; undo puts the queue back there after the
// job's savepoint was rolled back, which also undid what the job
// inserted.
type eventMark struct{ events, written int }

func (q *eventQueue) mark() eventMark { return eventMark{len(q.events), q.written} }

func (q *eventQueue) undo(m eventMark) {
	clear(q.events[m.events:]) // their encoding goroutines keep their own pointers
	q.events, q.written = q.events[:m.events], m.written
}

// flush inserts the events not yet inserted, waiting for their
// documents. An error fails what is running: the job when a read inside
// it flushes, the whole batch at its end (encoding fails only on a
// document that is not JSON, which the service never builds).
func (q *eventQueue) flush(ctx context.Context, w querier) error {
	for _, qe := range q.events[q.written:] {
		<-qe.done
		if qe.err != nil {
			return qe.err
		}
		e := &qe.e
		res, err := w.ExecContext(ctx, `INSERT INTO events (id, type, resource_type, resource_id, org_id, actor_id, occurred_at, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			e.ID, e.Type, e.Resource.Type, e.Resource.ID, e.OrgID, e.Actor.UserID, micros(e.OccurredAt), qe.doc)
		if err != nil {
			return translate(err, "event")
		}
		if qe.seq, err = res.LastInsertId(); err != nil {
			return err
		}
		q.written++
	}
	return nil
}

// stored returns the inserted events, bare, for the store's tail.
func (q *eventQueue) stored() []roster.StoredEvent {
	out := make([]roster.StoredEvent, 0, len(q.events))
	for _, qe := range q.events {
		e := &qe.e
		out = append(out, roster.StoredEvent{Seq: qe.seq, Event: &roster.Event{ID: e.ID, Type: e.Type, Resource: e.Resource, OrgID: e.OrgID}})
	}
	return out
}

func (r reader) EventSeq(ctx context.Context, id string) (int64, error) {
	var seq int64
	err := r.q.QueryRowContext(ctx, `SELECT seq FROM events WHERE id = ?`, id).Scan(&seq)
	return seq, translate(err, "event")
}

func (r reader) FindEvents(ctx context.Context, f roster.EventFilter) ([]roster.StoredEvent, error) {
	if f.Limit < 1 {
		return nil, roster.Errorf(roster.CodeInvalid, "limit must be 1 or more")
	}
	where := []string{`e.seq > ?`}
	args := []any{f.After}
	if len(f.Types) > 0 {
		var or []string
		for _, t := range f.Types {
			if p, ok := strings.CutSuffix(t, ".*"); ok {
				or = append(or, `substr(e.type, 1, ?) = ?`) // case-sensitive, unlike LIKE
				args = append(args, len(p)+1, p+".")
			} else {
				or = append(or, `e.type = ?`)
				args = append(args, t)
			}
		}
		where = append(where, `(`+strings.Join(or, ` OR `)+`)`)
	}
	if f.Target != "" {
		where = append(where, `e.resource_id = ?`)
		args = append(args, f.Target)
	}
	if f.Actor != "" {
		where = append(where, `e.actor_id = ?`)
		args = append(args, f.Actor)
	}
	if f.OccurredAfter != nil {
		where = append(where, `e.occurred_at > ?`)
		args = append(args, micros(*f.OccurredAfter))
	}
	if f.Before != nil {
		where = append(where, `e.occurred_at < ?`)
		args = append(args, micros(*f.Before))
	}
	if v := f.Visible; v != nil {
		cond, vargs := visibleOrgs(v)
		where = append(where, `(e.resource_id = ? OR e.org_id IN (`+cond+`))`)
		args = append(append(args, v.Self), vargs...)
	}
	for _, r := range f.Restrictions() {
		cond, vargs := visibleOrgs(r.Visible)
		where = append(where, `(e.resource_type NOT IN (SELECT value FROM json_each(?)) OR e.org_id IN (`+cond+`))`)
		args = append(append(args, jsonList(r.ResourceTypes)), vargs...)
	}
	columns := `e.seq, e.doc`
	if f.Bare {
		columns = `e.seq, e.id, e.type, e.resource_type, e.resource_id, e.org_id`
	}
	rows, err := r.q.QueryContext(ctx, `SELECT `+columns+` FROM events e WHERE `+strings.Join(where, ` AND `)+` ORDER BY e.seq LIMIT `+strconv.Itoa(f.Limit), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []roster.StoredEvent{}
	for rows.Next() {
		se := roster.StoredEvent{Event: &roster.Event{}}
		if err := scanEvent(rows.Scan, &se, f.Bare); err != nil {
			return nil, err
		}
		out = append(out, se)
	}
	return out, rows.Err()
}

// scanEvent reads a row of FindEvents: the document, or with bare only
// the columns.
func scanEvent(scan func(...any) error, se *roster.StoredEvent, bare bool) error {
	e := se.Event
	if bare {
		return scan(&se.Seq, &e.ID, &e.Type, &e.Resource.Type, &e.Resource.ID, &e.OrgID)
	}
	var doc []byte
	if err := scan(&se.Seq, &doc); err != nil {
		return err
	}
	return eventdoc.Decode(doc, e)
}

// FindEvents in a transaction sees the events the batch appended so far.
func (t *tx) FindEvents(ctx context.Context, f roster.EventFilter) ([]roster.StoredEvent, error) {
	if err := t.evq.flush(ctx, t.q); err != nil {
		return nil, err
	}
	return t.reader().FindEvents(ctx, f)
}

// EventSeq in a transaction finds the events the batch appended so far.
func (t *tx) EventSeq(ctx context.Context, id string) (int64, error) {
	if err := t.evq.flush(ctx, t.q); err != nil {
		return 0, err
	}
	return t.reader().EventSeq(ctx, id)
}

// FindEvents returns events in commit order.
func (db *DB) FindEvents(ctx context.Context, f roster.EventFilter) ([]roster.StoredEvent, error) {
	if tailOnly(f) {
		if evs, ok := db.tail.after(f.After, f.Limit); ok {
			return evs, nil
		}
	}
	return db.reader().FindEvents(ctx, f)
}

// EventSeq returns an event's position in the commit order.
func (db *DB) EventSeq(ctx context.Context, id string) (int64, error) {
	return db.reader().EventSeq(ctx, id)
}

func (r reader) FeedStart(ctx context.Context) (int64, error) {
	var seq int64
	err := r.q.QueryRowContext(ctx, `SELECT seq FROM feed_start`).Scan(&seq)
	return seq, err
}

func (t *tx) FeedStart(ctx context.Context) (int64, error) { return t.reader().FeedStart(ctx) }

// FeedStart returns the position the feed starts after.
func (db *DB) FeedStart(ctx context.Context) (int64, error) { return db.reader().FeedStart(ctx) }

// unsent is the first position a webhook may still send: just after the
// cursor of an enabled webhook, or the event of a pending delivery
// (1 << 62 when there is none).
const unsent = `min(coalesce((SELECT min(cursor) FROM webhooks WHERE json_extract(doc, '$.status') = 'enabled') + 1, 1 << 62),
	coalesce((SELECT min(seq) FROM deliveries WHERE state = 'pending'), 1 << 62))`

func (t *tx) ExpireEvents(before time.Time, limit int) (int64, error) {
	last, n, err := t.oldPrefix(`SELECT seq, occurred_at FROM events WHERE seq > (SELECT seq FROM feed_start) AND seq < `+unsent+` ORDER BY seq LIMIT ?`, before, limit)
	if err != nil || n == 0 {
		return 0, err
	}
	_, err = t.q.ExecContext(context.Background(), `UPDATE feed_start SET seq = ?`, last)
	return n, err
}

func (t *tx) PurgeEvents(before time.Time, limit int) (int64, error) {
	last, n, err := t.oldPrefix(`SELECT seq, occurred_at FROM events WHERE seq <= (SELECT seq FROM feed_start) ORDER BY seq LIMIT ?`, before, limit)
	if err != nil || n == 0 {
		return 0, err
	}
	// The rows up to last are exactly those read: the oldest remaining.
	if _, err := t.q.ExecContext(context.Background(), `DELETE FROM events WHERE seq <= ?`, last); err != nil {
		return 0, err
	}
	t.purgedTo = last
	return n, nil
}

// oldPrefix runs query (seq and occurred_at of events in commit order,
// taking the limit) and returns the last seq and the number of the
// leading events that occurred before a time.
func (t *tx) oldPrefix(query string, before time.Time, limit int) (last, n int64, err error) {
	rows, err := t.q.QueryContext(context.Background(), query, limit)
	if err != nil {
		return 0, 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var seq, at int64
		if err := rows.Scan(&seq, &at); err != nil {
			return 0, 0, err
		}
		if at >= micros(before) {
			break
		}
		last, n = seq, n+1
	}
	return last, n, rows.Err()
}
