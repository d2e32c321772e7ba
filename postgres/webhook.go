// SPDX-License-Identifier: Apache-2.0

package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/eventdoc"
)

const webhookColumns = `doc, cursor, failing_since`

func scanWebhook(row pgx.Row) (*roster.Webhook, error) {
	var doc []byte
	w := &roster.Webhook{}
	var failing *time.Time
	if err := row.Scan(&doc, &w.Cursor, &failing); err != nil {
		return nil, translate(err, "webhook")
	}
	if err := json.Unmarshal(doc, w); err != nil {
		return nil, err
	}
	if failing != nil {
		t := failing.UTC()
		w.FailingSince = &t
	}
	return w, nil
}

func (r reader) FindWebhook(ctx context.Context, id string) (*roster.Webhook, error) {
	return scanWebhook(r.q.QueryRow(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE id = $1`+r.locking(), id))
}

func (r reader) FindWebhooks(ctx context.Context, v *roster.Visibility, pg roster.Page) ([]*roster.Webhook, *roster.Cursor, error) {
	var p params
	var where []string
	if v != nil {
		where = append(where, `w.org_id IN (`+visibleOrgs(&p, v)+`)`)
	}
	cond, tail, err := creationPage(&p, pg, roster.SortWebhooks, "w", false, where)
	if err != nil {
		return nil, nil, err
	}
	rows, err := r.q.Query(ctx, `SELECT w.created_at, w.doc, w.cursor, w.failing_since FROM webhooks w`+cond+tail, p...)
	if err != nil {
		return nil, nil, err
	}
	return collectPage(rows, pg, roster.SortWebhooks, func(rows pgx.Rows) (time.Time, string, *roster.Webhook, error) {
		var created time.Time
		w, err := scanWebhook(createdRow{rows, &created})
		if err != nil {
			return time.Time{}, "", nil, err
		}
		return created, w.ID, w, nil
	})
}

// createdRow scans a row's first column into created and the others as
// the row asks.
type createdRow struct {
	pgx.Rows
	created *time.Time
}

func (r createdRow) Scan(dest ...any) error { return r.Rows.Scan(append([]any{r.created}, dest...)...) }

func scanDelivery(row pgx.Row) (*roster.Delivery, error) {
	var doc []byte
	d := &roster.Delivery{}
	if err := row.Scan(&doc, &d.Seq); err != nil {
		return nil, translate(err, "delivery")
	}
	return d, json.Unmarshal(doc, d)
}

func (r reader) Backlog(ctx context.Context) (roster.Backlog, error) {
	var b roster.Backlog
	// Counted per webhook over the pending index first, so that each
	// webhook's document is read once.
	rows, err := r.q.Query(ctx, `SELECT w.doc->>'status', sum(d.n)::bigint, min(d.oldest)
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
	var oldestMail *time.Time
	if err := r.q.QueryRow(ctx, `SELECT count(*), min(created_at) FROM mail_outbox WHERE status IN ('queued', 'queued_sealed')`).Scan(&b.Mail.Count, &oldestMail); err != nil {
		return b, err
	}
	if oldestMail != nil {
		b.Mail.Oldest = oldestMail.UTC()
	}
	return b, nil
}

func (r reader) FindDelivery(ctx context.Context, id string) (*roster.Delivery, error) {
	return scanDelivery(r.q.QueryRow(ctx, `SELECT doc, seq FROM deliveries WHERE id = $1`+r.locking(), id))
}

func (r reader) FindDeliveries(ctx context.Context, f roster.DeliveryFilter) ([]*roster.Delivery, error) {
	var p params
	where := []string{`webhook_id = ` + p.add(f.WebhookID)}
	if f.Status != "" {
		where = append(where, `state = `+p.add(f.Status))
	}
	if f.Before != "" {
		where = append(where, `seq < (SELECT seq FROM deliveries WHERE id = `+p.add(f.Before)+`)`)
	}
	rows, err := r.q.Query(ctx, `SELECT doc, seq FROM deliveries WHERE `+strings.Join(where, ` AND `)+
		` ORDER BY seq DESC LIMIT `+p.add(max(f.Limit, 1)), p...)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*roster.Delivery, error) { return scanDelivery(row) })
	if out == nil {
		out = []*roster.Delivery{}
	}
	return out, err
}

func (t *tx) CreateWebhook(w *roster.Webhook) error {
	doc, err := json.Marshal(w)
	if err != nil {
		return err
	}
	// Events committed so far are before the webhook. One of a
	// transaction still running that commits below the cursor is treated
	// as before it too: it ran at the same time as the creation.
	err = t.conn.QueryRow(t.ctx, `INSERT INTO webhooks (id, org_id, created_at, version, cursor, doc)
		VALUES ($1, $2, $3, $4, coalesce((SELECT max(pos) FROM events), 0), $5) RETURNING cursor`,
		w.ID, w.OrganizationID, w.CreatedAt, w.Version, doc).Scan(&w.Cursor)
	return translate(err, "webhook")
}

func (t *tx) UpdateWebhook(w *roster.Webhook) error {
	doc, err := json.Marshal(w)
	if err != nil {
		return err
	}
	tag, err := t.conn.Exec(t.ctx, `UPDATE webhooks SET version = $1, doc = $2 WHERE id = $3 AND version = $4`, w.Version, doc, w.ID, w.Version-1)
	if err != nil {
		return translate(err, "webhook")
	}
	if tag.RowsAffected() == 0 {
		if _, err := t.FindWebhook(t.ctx, w.ID); err != nil {
			return err
		}
		return roster.Errorf(roster.CodePreconditionFailed, "the webhook was changed by another request: fetch it again and retry")
	}
	return nil
}

func (t *tx) DeleteWebhook(id string) error {
	tag, err := t.conn.Exec(t.ctx, `DELETE FROM webhooks WHERE id = $1`, id)
	if err != nil {
		return translate(err, "webhook")
	}
	if tag.RowsAffected() == 0 {
		return roster.Errorf(roster.CodeNotFound, "webhook not found")
	}
	return nil
}

func (t *tx) SetWebhookFailing(id string, since *time.Time) error {
	tag, err := t.conn.Exec(t.ctx, `UPDATE webhooks SET failing_since = $1 WHERE id = $2`, since, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return roster.Errorf(roster.CodeNotFound, "webhook not found")
	}
	return nil
}

func (t *tx) AdvanceStream(webhookID, owner string, from, to int64, until time.Time, ds []*roster.Delivery) error {
	tag, err := t.conn.Exec(t.ctx, `UPDATE webhooks SET cursor = $1, stream_owner = $2, stream_until = $3
		WHERE id = $4 AND cursor = $5 AND (stream_owner = $2 OR stream_until <= $6)`, to, owner, until, webhookID, from, t.Now())
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return roster.Errorf(roster.CodeConflict, "the webhook's cursor moved, or another node holds its stream")
	}
	if len(ds) == 0 {
		return nil
	}
	// A new pending delivery is the head of its resource when none of the
	// resource is pending yet. The webhook's row lock, which SaveDelivery
	// takes too, keeps the pending ones from changing meanwhile.
	resources := make([]string, 0, len(ds))
	seqs := make([]int64, 0, len(ds))
	for _, d := range ds {
		resources = append(resources, d.ResourceID)
		seqs = append(seqs, d.Seq)
	}
	queued, err := t.PendingResources(t.ctx, webhookID, resources)
	if err != nil {
		return err
	}
	// An event sent again after a crash keeps the delivery recorded first.
	erows, err := t.conn.Query(t.ctx, `SELECT seq FROM deliveries WHERE webhook_id = $1 AND seq = ANY($2)`, webhookID, seqs)
	if err != nil {
		return err
	}
	existing, err := pgx.CollectRows(erows, pgx.RowTo[int64])
	if err != nil {
		return err
	}
	rows := make([][]any, 0, len(ds))
	for _, d := range ds {
		if slices.Contains(existing, d.Seq) {
			continue
		}
		doc, err := json.Marshal(d)
		if err != nil {
			return err
		}
		pending := d.Status == roster.DeliveryPending
		rows = append(rows, []any{d.ID, d.WebhookID, d.Seq, d.ResourceID, d.Status, d.DueAt(), d.UpdatedAt, doc, pending && !queued[d.ResourceID]})
		if pending {
			queued[d.ResourceID] = true
		}
	}
	_, err = t.conn.CopyFrom(t.ctx, pgx.Identifier{"deliveries"},
		[]string{"id", "webhook_id", "seq", "resource_id", "state", "next_at", "updated_at", "doc", "head"}, pgx.CopyFromRows(rows))
	return translate(err, "delivery")
}

func (r reader) PendingResources(ctx context.Context, webhookID string, resources []string) (map[string]bool, error) {
	rows, err := r.q.Query(ctx, `SELECT DISTINCT resource_id FROM deliveries WHERE webhook_id = $1 AND state = 'pending' AND resource_id = ANY($2)`,
		webhookID, resources)
	if err != nil {
		return nil, err
	}
	pending, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(pending))
	for _, id := range pending {
		out[id] = true
	}
	return out, nil
}

func (t *tx) ClaimDeliveries(webhookID, owner string, until time.Time, limit int) ([]*roster.Delivery, error) {
	now := t.Now()
	// Only heads are read (deliveries_heads), and a leased one's next_at
	// is its lease's end: the range holds no delivery in flight.
	rows, err := t.conn.Query(t.ctx, `WITH c AS (
			SELECT id FROM deliveries WHERE webhook_id = $1 AND head AND next_at <= $2 AND state = 'pending' AND lease_until <= $2
			ORDER BY next_at, seq LIMIT $3 FOR UPDATE SKIP LOCKED)
		UPDATE deliveries d SET lease_until = $4, lease_owner = $5, next_at = $4 FROM c WHERE d.id = c.id
		RETURNING d.doc, d.seq, (SELECT `+storedDoc+` FROM events e WHERE e.pos = d.seq)`, webhookID, now, limit, until, owner)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*roster.Delivery, error) {
		var doc, event []byte
		d := &roster.Delivery{}
		if err := row.Scan(&doc, &d.Seq, &event); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(doc, d); err != nil {
			return nil, err
		}
		if event != nil {
			d.Event = &roster.Event{}
			if err := eventdoc.Decode(event, d.Event); err != nil {
				return nil, err
			}
		}
		return d, nil
	})
	if err != nil {
		return nil, err
	}
	// The order of RETURNING is not the claim's: restore the commit order.
	slices.SortFunc(out, func(a, b *roster.Delivery) int { return cmp.Compare(a.Seq, b.Seq) })
	return out, nil
}

func (t *tx) SaveDelivery(d *roster.Delivery, owner string) error {
	doc, err := json.Marshal(d)
	if err != nil {
		return err
	}
	// The webhook's row lock serialises the changes to its pending
	// deliveries (EnqueueDeliveries takes it too): two saves that each
	// chose a head without seeing the other's change could leave a
	// resource with two heads, or none. A delivery that stays pending
	// stays what it was; one that is no longer pending is no head, and
	// headOf then promotes the next. One round trip.
	var p params
	state := p.add(d.Status)
	query := `UPDATE deliveries SET state = ` + state + `, next_at = ` + p.add(d.DueAt()) + `, lease_until = '-infinity', lease_owner = '', updated_at = ` +
		p.add(d.UpdatedAt) + `, doc = ` + p.add(doc) + `, head = head AND ` + state + ` = 'pending' WHERE id = ` + p.add(d.ID)
	if owner != "" {
		query += ` AND lease_owner = ` + p.add(owner)
	}
	b := &pgx.Batch{}
	b.Queue(`SELECT FROM webhooks WHERE id = $1 FOR NO KEY UPDATE`, d.WebhookID)
	b.Queue(query, p...)
	b.Queue(headOf, d.WebhookID, d.ResourceID)
	br := t.conn.SendBatch(t.ctx, b)
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return err
	}
	tag, err := br.Exec()
	if err != nil {
		return err
	}
	if _, err := br.Exec(); err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		if owner != "" {
			return roster.Errorf(roster.CodeConflict, "the delivery's lease has passed to another sender")
		}
		return roster.Errorf(roster.CodeNotFound, "delivery not found")
	}
	return br.Close()
}

func (t *tx) ExpediteDelivery(d *roster.Delivery) error {
	doc, err := json.Marshal(d)
	if err != nil {
		return err
	}
	// A claim running at the same time has the row locked: this waits for
	// it and then sees its lease.
	tag, err := t.conn.Exec(t.ctx, `UPDATE deliveries SET next_at = $1, updated_at = $2, doc = $3
		WHERE id = $4 AND state = 'pending' AND lease_until <= $5`, d.DueAt(), d.UpdatedAt, doc, d.ID, t.Now())
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var exists bool
	if err := t.conn.QueryRow(t.ctx, `SELECT EXISTS (SELECT 1 FROM deliveries WHERE id = $1)`, d.ID).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		return roster.Errorf(roster.CodeNotFound, "delivery not found")
	}
	return roster.Errorf(roster.CodeConflict, "an attempt at this delivery is in flight: its outcome comes within the webhook timeout")
}

// headOf makes the oldest pending delivery of a webhook's resource ($1,
// $2) its head after a save changed the pending ones. Only the first two
// can be wrong: the saved one, which may now be the oldest (a retry) or
// no longer pending, and the head before it.
const headOf = `WITH first AS (SELECT seq FROM deliveries WHERE webhook_id = $1 AND resource_id = $2 AND state = 'pending' ORDER BY seq LIMIT 2)
	UPDATE deliveries SET head = NOT head WHERE webhook_id = $1 AND seq IN (SELECT seq FROM first) AND head <> (seq = (SELECT min(seq) FROM first))`

func (t *tx) PurgeDeliveries(before time.Time) (int64, error) {
	tag, err := t.conn.Exec(t.ctx, `DELETE FROM deliveries WHERE state <> 'pending' AND updated_at < $1`, before)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}
