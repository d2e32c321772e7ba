// SPDX-License-Identifier: Apache-2.0

package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/eventdoc"
)

const webhookColumns = `doc, cursor, failing_since`

func scanWebhook(scan func(...any) error) (*roster.Webhook, error) {
	var doc []byte
	var failing sql.NullInt64
	w := &roster.Webhook{}
	if err := scan(&doc, &w.Cursor, &failing); err != nil {
		return nil, translate(err, "webhook")
	}
	if err := json.Unmarshal(doc, w); err != nil {
		return nil, err
	}
	if failing.Valid {
		t := fromMicros(failing.Int64)
		w.FailingSince = &t
	}
	return w, nil
}

func (r reader) FindWebhook(ctx context.Context, id string) (*roster.Webhook, error) {
	return scanWebhook(r.q.QueryRowContext(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE id = ?`, id).Scan)
}

func (r reader) FindWebhooks(ctx context.Context, v *roster.Visibility, p roster.Page) ([]*roster.Webhook, *roster.Cursor, error) {
	var where []string
	var args []any
	if v != nil {
		cond, vargs := visibleOrgs(v)
		where = append(where, `w.org_id IN (`+cond+`)`)
		args = vargs
	}
	cond, tail, pargs, err := creationPage(p, roster.SortWebhooks, "w", false, where)
	if err != nil {
		return nil, nil, err
	}
	rows, err := r.q.QueryContext(ctx, `SELECT w.created_at, w.doc, w.cursor, w.failing_since FROM webhooks w`+cond+tail, append(args, pargs...)...)
	if err != nil {
		return nil, nil, err
	}
	return collectPage(rows, p, roster.SortWebhooks, func(rows *sql.Rows) (int64, string, *roster.Webhook, error) {
		var created int64
		w, err := scanWebhook(func(dest ...any) error { return rows.Scan(append([]any{&created}, dest...)...) })
		if err != nil {
			return 0, "", nil, err
		}
		return created, w.ID, w, nil
	})
}

func (r reader) Backlog(ctx context.Context) (roster.Backlog, error) {
	var b roster.Backlog
	// Counted per webhook over the pending index first, so that each
	// webhook's document is read once.
	rows, err := r.q.QueryContext(ctx, `SELECT json_extract(w.doc, '$.status'), sum(d.n), min(d.oldest)
		FROM (SELECT webhook_id, count(*) AS n, min(id) AS oldest FROM deliveries WHERE state = 'pending' GROUP BY webhook_id) d
		JOIN webhooks w ON w.id = d.webhook_id GROUP BY 1`)
	if err != nil {
		return b, err
	}
	defer rows.Close()
	var status, oldest string
	var n int64
	for rows.Next() {
		if err := rows.Scan(&status, &n, &oldest); err != nil {
			return b, err
		}
		b.AddDeliveries(status, n, oldest)
	}
	if err := rows.Err(); err != nil {
		return b, err
	}
	var oldestMail sql.NullInt64
	if err := r.q.QueryRowContext(ctx, `SELECT count(*), min(created_at) FROM mail_outbox WHERE status IN ('queued', 'queued_sealed')`).Scan(&b.Mail.Count, &oldestMail); err != nil {
		return b, err
	}
	if oldestMail.Valid {
		b.Mail.Oldest = fromMicros(oldestMail.Int64)
	}
	return b, nil
}

func (r reader) FindDelivery(ctx context.Context, id string) (*roster.Delivery, error) {
	return scanDelivery(r.q.QueryRowContext(ctx, `SELECT doc, seq FROM deliveries WHERE id = ?`, id).Scan)
}

func scanDelivery(scan func(...any) error) (*roster.Delivery, error) {
	var doc []byte
	d := &roster.Delivery{}
	if err := scan(&doc, &d.Seq); err != nil {
		return nil, translate(err, "delivery")
	}
	return d, json.Unmarshal(doc, d)
}

func (r reader) FindDeliveries(ctx context.Context, f roster.DeliveryFilter) ([]*roster.Delivery, error) {
	where, args := []string{`webhook_id = ?`}, []any{f.WebhookID}
	if f.Status != "" {
		where, args = append(where, `state = ?`), append(args, f.Status)
	}
	if f.Before != "" {
		where, args = append(where, `seq < (SELECT seq FROM deliveries WHERE id = ?)`), append(args, f.Before)
	}
	rows, err := r.q.QueryContext(ctx, `SELECT doc, seq FROM deliveries WHERE `+strings.Join(where, ` AND `)+
		` ORDER BY seq DESC LIMIT `+strconv.Itoa(max(f.Limit, 1)), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*roster.Delivery{}
	for rows.Next() {
		d, err := scanDelivery(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

func (t *tx) CreateWebhook(w *roster.Webhook) error {
	doc, err := json.Marshal(w)
	if err != nil {
		return err
	}
	ctx := context.Background()
	// The cursor follows every event before the webhook's, also those
	// of earlier jobs of this batch still queued (eventQueue).
	if err := t.evq.flush(ctx, t.q); err != nil {
		return err
	}
	if err := t.q.QueryRowContext(ctx, `INSERT INTO webhooks (id, org_id, created_at, version, cursor, doc)
		VALUES (?, ?, ?, ?, coalesce((SELECT max(seq) FROM events), 0), ?) RETURNING cursor`,
		w.ID, w.OrganizationID, micros(w.CreatedAt), w.Version, doc).Scan(&w.Cursor); err != nil {
		return translate(err, "webhook")
	}
	return nil
}

func (t *tx) UpdateWebhook(w *roster.Webhook) error {
	doc, err := json.Marshal(w)
	if err != nil {
		return err
	}
	res, err := t.q.ExecContext(context.Background(), `UPDATE webhooks SET version = ?, doc = ? WHERE id = ? AND version = ?`,
		w.Version, doc, w.ID, w.Version-1)
	if err != nil {
		return translate(err, "webhook")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := t.FindWebhook(context.Background(), w.ID); err != nil {
			return err
		}
		return roster.Errorf(roster.CodePreconditionFailed, "the webhook was changed by another request: fetch it again and retry")
	}
	return nil
}

func (t *tx) DeleteWebhook(id string) error {
	res, err := t.q.ExecContext(context.Background(), `DELETE FROM webhooks WHERE id = ?`, id)
	if err != nil {
		return translate(err, "webhook")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return roster.Errorf(roster.CodeNotFound, "webhook not found")
	}
	return nil
}

func (t *tx) SetWebhookFailing(id string, since *time.Time) error {
	var v any
	if since != nil {
		v = micros(*since)
	}
	res, err := t.q.ExecContext(context.Background(), `UPDATE webhooks SET failing_since = ? WHERE id = ?`, v, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return roster.Errorf(roster.CodeNotFound, "webhook not found")
	}
	return nil
}

func (t *tx) AdvanceStream(webhookID, owner string, from, to int64, until time.Time, ds []*roster.Delivery) error {
	ctx := context.Background()
	res, err := t.q.ExecContext(ctx, `UPDATE webhooks SET cursor = ?1, stream_owner = ?2, stream_until = ?3
		WHERE id = ?4 AND cursor = ?5 AND (stream_owner = ?2 OR stream_until <= ?6)`, to, owner, micros(until), webhookID, from, micros(t.now))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return roster.Errorf(roster.CodeConflict, "the webhook's cursor moved, or another node holds its stream")
	}
	for _, d := range ds {
		if err := t.insertDelivery(d); err != nil {
			return err
		}
	}
	return nil
}

// insertDelivery adds a delivery unless its event has one; a pending one
// is the head of its resource when no other delivery of the resource is
// pending.
func (t *tx) insertDelivery(d *roster.Delivery) error {
	doc, err := json.Marshal(d)
	if err != nil {
		return err
	}
	_, err = t.q.ExecContext(context.Background(), `INSERT INTO deliveries (id, webhook_id, seq, resource_id, state, next_at, updated_at, doc, head)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,
			?5 = 'pending' AND NOT EXISTS (SELECT 1 FROM deliveries WHERE webhook_id = ?2 AND resource_id = ?4 AND state = 'pending'))
		ON CONFLICT (webhook_id, seq) DO NOTHING`,
		d.ID, d.WebhookID, d.Seq, d.ResourceID, d.Status, micros(d.DueAt()), micros(d.UpdatedAt), doc)
	return translate(err, "delivery")
}

func (r reader) PendingResources(ctx context.Context, webhookID string, resources []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(resources) == 0 {
		return out, nil
	}
	list, err := json.Marshal(resources)
	if err != nil {
		return nil, err
	}
	rows, err := r.q.QueryContext(ctx, `SELECT DISTINCT resource_id FROM deliveries
		WHERE webhook_id = ? AND state = 'pending' AND resource_id IN (SELECT value FROM json_each(?))`, webhookID, string(list))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}

func (t *tx) ClaimDeliveries(webhookID, owner string, until time.Time, limit int) ([]*roster.Delivery, error) {
	ctx := context.Background()
	now := micros(t.now)
	// Only heads are read (deliveries_heads), and a leased one's next_at
	// is its lease's end: the range holds no delivery in flight.
	rows, err := t.q.QueryContext(ctx, `UPDATE deliveries SET lease_until = ?1, lease_owner = ?2, next_at = ?1 WHERE id IN (
			SELECT id FROM deliveries WHERE webhook_id = ?3 AND head AND next_at <= ?4 AND state = 'pending' AND lease_until <= ?4
			ORDER BY next_at, seq LIMIT ?5)
		RETURNING doc, seq`, micros(until), owner, webhookID, now, limit)
	if err != nil {
		return nil, err
	}
	var out []*roster.Delivery
	for rows.Next() {
		d, err := scanDelivery(rows.Scan)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return out, nil
	}
	// RETURNING gives rows in no set order: restore the commit order.
	slices.SortFunc(out, func(a, b *roster.Delivery) int { return cmp.Compare(a.Seq, b.Seq) })
	// The events, in one query.
	bySeq := make(map[int64]*roster.Delivery, len(out))
	seqs := make([]int64, 0, len(out))
	for _, d := range out {
		bySeq[d.Seq] = d
		seqs = append(seqs, d.Seq)
	}
	list, err := json.Marshal(seqs)
	if err != nil {
		return nil, err
	}
	erows, err := t.q.QueryContext(ctx, `SELECT seq, doc FROM events WHERE seq IN (SELECT value FROM json_each(?))`, string(list))
	if err != nil {
		return nil, err
	}
	defer erows.Close()
	for erows.Next() {
		var seq int64
		var doc []byte
		if err := erows.Scan(&seq, &doc); err != nil {
			return nil, err
		}
		e := &roster.Event{}
		if err := eventdoc.Decode(doc, e); err != nil {
			return nil, err
		}
		bySeq[seq].Event = e
	}
	if err := erows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func (t *tx) SaveDelivery(d *roster.Delivery, owner string) error {
	doc, err := json.Marshal(d)
	if err != nil {
		return err
	}
	// A delivery that stays pending stays what it was; one that is no
	// longer pending is no head, and headOf then promotes the next.
	query, args := `UPDATE deliveries SET state = ?1, next_at = ?2, lease_until = 0, lease_owner = '', updated_at = ?3, doc = ?4,
		head = head AND ?1 = 'pending' WHERE id = ?5`,
		[]any{d.Status, micros(d.DueAt()), micros(d.UpdatedAt), doc, d.ID}
	if owner != "" {
		query, args = query+` AND lease_owner = ?6`, append(args, owner)
	}
	res, err := t.q.ExecContext(context.Background(), query, args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if owner != "" {
			return roster.Errorf(roster.CodeConflict, "the delivery's lease has passed to another sender")
		}
		return roster.Errorf(roster.CodeNotFound, "delivery not found")
	}
	_, err = t.q.ExecContext(context.Background(), headOf, d.WebhookID, d.ResourceID)
	return err
}

func (t *tx) ExpediteDelivery(d *roster.Delivery) error {
	doc, err := json.Marshal(d)
	if err != nil {
		return err
	}
	ctx := context.Background()
	res, err := t.q.ExecContext(ctx, `UPDATE deliveries SET next_at = ?, updated_at = ?, doc = ?
		WHERE id = ? AND state = 'pending' AND lease_until <= ?`, micros(d.DueAt()), micros(d.UpdatedAt), doc, d.ID, micros(t.now))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	var n int
	if err := t.q.QueryRowContext(ctx, `SELECT count(*) FROM deliveries WHERE id = ?`, d.ID).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return roster.Errorf(roster.CodeNotFound, "delivery not found")
	}
	return roster.Errorf(roster.CodeConflict, "an attempt at this delivery is in flight: its outcome comes within the webhook timeout")
}

// headOf makes the oldest pending delivery of a webhook's resource (?1,
// ?2) its head after a save changed the pending ones. Only the first two
// can be wrong: the saved one, which may now be the oldest (a retry) or
// no longer pending, and the head before it.
const headOf = `WITH first AS (SELECT seq FROM deliveries WHERE webhook_id = ?1 AND resource_id = ?2 AND state = 'pending' ORDER BY seq LIMIT 2)
	UPDATE deliveries SET head = NOT head WHERE webhook_id = ?1 AND seq IN (SELECT seq FROM first) AND head <> (seq = (SELECT min(seq) FROM first))`

func (t *tx) PurgeDeliveries(before time.Time) (int64, error) {
	// Made before it was last changed, a delivery to purge has an id
	// below the first of the next millisecond: the id's range bounds the
	// scan.
	res, err := t.q.ExecContext(context.Background(), `DELETE FROM deliveries WHERE id < ? AND state <> 'pending' AND updated_at < ?`,
		roster.FirstIDAt(roster.PrefixDelivery, before.Add(time.Millisecond)), micros(before))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (t *tx) FindWebhook(ctx context.Context, id string) (*roster.Webhook, error) {
	return t.reader().FindWebhook(ctx, id)
}
func (t *tx) FindWebhooks(ctx context.Context, v *roster.Visibility, p roster.Page) ([]*roster.Webhook, *roster.Cursor, error) {
	return t.reader().FindWebhooks(ctx, v, p)
}
func (t *tx) Backlog(ctx context.Context) (roster.Backlog, error) { return t.reader().Backlog(ctx) }

func (t *tx) FindDelivery(ctx context.Context, id string) (*roster.Delivery, error) {
	return t.reader().FindDelivery(ctx, id)
}
func (t *tx) FindDeliveries(ctx context.Context, f roster.DeliveryFilter) ([]*roster.Delivery, error) {
	return t.reader().FindDeliveries(ctx, f)
}
func (t *tx) PendingResources(ctx context.Context, webhookID string, resources []string) (map[string]bool, error) {
	return t.reader().PendingResources(ctx, webhookID, resources)
}

// FindWebhook returns a webhook with its delivery state.
func (db *DB) FindWebhook(ctx context.Context, id string) (*roster.Webhook, error) {
	return db.reader().FindWebhook(ctx, id)
}

// FindWebhooks returns the visible webhooks.
func (db *DB) FindWebhooks(ctx context.Context, v *roster.Visibility, p roster.Page) ([]*roster.Webhook, *roster.Cursor, error) {
	return db.reader().FindWebhooks(ctx, v, p)
}

// FindDelivery returns one delivery.
// Backlog counts what waits to go out.
func (db *DB) Backlog(ctx context.Context) (roster.Backlog, error) { return db.reader().Backlog(ctx) }

func (db *DB) FindDelivery(ctx context.Context, id string) (*roster.Delivery, error) {
	return db.reader().FindDelivery(ctx, id)
}

// FindDeliveries returns a webhook's deliveries, newest first.
func (db *DB) FindDeliveries(ctx context.Context, f roster.DeliveryFilter) ([]*roster.Delivery, error) {
	return db.reader().FindDeliveries(ctx, f)
}

// PendingResources reports which resources have a pending delivery.
func (db *DB) PendingResources(ctx context.Context, webhookID string, resources []string) (map[string]bool, error) {
	return db.reader().PendingResources(ctx, webhookID, resources)
}
