// SPDX-License-Identifier: Apache-2.0

package postgres

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rosterhq/roster"
)

// retryChannel is the NOTIFY channel on which nodes tell each other when
// a webhook's stored deliveries come due.
const retryChannel = "roster_retries"

var (
	_ roster.RetryAnnouncer = (*tx)(nil)
	_ roster.RetryListener  = (*DB)(nil)
)

// AnnounceRetry queues a notification that PostgreSQL delivers to every
// listening session when the transaction commits (and drops when it
// rolls back).
func (t *tx) AnnounceRetry(webhookID string, at time.Time) error {
	_, err := t.conn.Exec(t.ctx, `SELECT pg_notify($1, $2)`, retryChannel, webhookID+" "+strconv.FormatInt(at.UnixMicro(), 10))
	return translate(err, "notification")
}

// ListenRetries listens on a connection of its own (not the pool's: it is
// held for as long as the node runs) and calls fn for each announced
// retry, reconnecting a second after a failure, until ctx ends.
func (db *DB) ListenRetries(ctx context.Context, fn func(webhookID string, at time.Time)) {
	for ctx.Err() == nil {
		err := db.listen(ctx, fn)
		if ctx.Err() != nil {
			return
		}
		slog.WarnContext(ctx, "webhooks: listening for other nodes' retries", "error", err)
		t := time.NewTimer(time.Second)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
	}
}

func (db *DB) listen(ctx context.Context, fn func(webhookID string, at time.Time)) error {
	conn, err := pgx.ConnectConfig(ctx, db.pool.Config().ConnConfig.Copy())
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `LISTEN `+retryChannel); err != nil {
		return err
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		id, micros, ok := strings.Cut(n.Payload, " ")
		if v, err := strconv.ParseInt(micros, 10, 64); ok && err == nil {
			fn(id, time.UnixMicro(v))
		}
	}
}
