// SPDX-License-Identifier: Apache-2.0

package sqlite

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/rosterhq/roster"
)

// eventDoc is an event as stored: the API form plus the client address,
// which only the audit log shows.
type eventDoc struct {
	*roster.Event
	ClientIP string `json:"client_ip,omitempty"`
}

func (t *tx) AppendEvent(e *roster.Event) error {
	doc, err := json.Marshal(eventDoc{e, e.ClientIP})
	if err != nil {
		return err
	}
	res, err := t.q.ExecContext(context.Background(), `INSERT INTO events (id, type, resource_type, resource_id, org_id, actor_id, occurred_at, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, e.Type, e.Resource.Type, e.Resource.ID, e.OrgID, e.Actor.UserID, micros(e.OccurredAt), doc)
	if err != nil {
		return translate(err, "event")
	}
	seq, err := res.LastInsertId()
	if err != nil {
		return err
	}
	t.events = append(t.events, roster.StoredEvent{Seq: seq, Event: &roster.Event{ID: e.ID, Type: e.Type, Resource: e.Resource, OrgID: e.OrgID}})
	return nil
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
	d := eventDoc{Event: e}
	if err := json.Unmarshal(doc, &d); err != nil {
		return err
	}
	e.ClientIP = d.ClientIP
	return nil
}

func (t *tx) FindEvents(ctx context.Context, f roster.EventFilter) ([]roster.StoredEvent, error) {
	return t.reader().FindEvents(ctx, f)
}
func (t *tx) EventSeq(ctx context.Context, id string) (int64, error) {
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
