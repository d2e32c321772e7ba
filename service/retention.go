// SPDX-License-Identifier: Apache-2.0

package service

import (
	"context"
	"time"

	"github.com/rosterhq/roster"
)

// retentionBatch bounds the events one transaction of the retention
// moves or deletes, so that it holds the write lock for milliseconds and
// the changes queued behind it wait no longer.
const retentionBatch = 500

// Retention is how long events stay: in the feed (and so for webhooks),
// and in the audit trail. Zero keeps them for ever; the audit trail keeps
// an event at least as long as the feed does.
type Retention struct {
	Feed, Audit time.Duration
}

// ApplyRetention takes the events older than the feed's retention out of
// the feed (except those a webhook may still send) and deletes those
// older than the audit trail's too, in batches of their own
// transactions. It returns how many left the feed and how many were
// deleted.
func (s *Service) ApplyRetention(ctx context.Context, r Retention, now time.Time) (expired, purged int64, err error) {
	if r.Feed <= 0 {
		return 0, 0, nil
	}
	expired, err = s.inBatches(ctx, func(tx roster.Tx) (int64, error) { return tx.ExpireEvents(now.Add(-r.Feed), retentionBatch) })
	if err != nil || r.Audit <= 0 {
		return expired, 0, err
	}
	purged, err = s.inBatches(ctx, func(tx roster.Tx) (int64, error) {
		return tx.PurgeEvents(now.Add(-max(r.Audit, r.Feed)), retentionBatch)
	})
	return expired, purged, err
}

// inBatches runs step in transactions of its own until it does less than
// a whole batch, and returns the sum of what it did.
func (s *Service) inBatches(ctx context.Context, step func(roster.Tx) (int64, error)) (int64, error) {
	var total int64
	for {
		var n int64
		err := s.store.Update(ctx, func(tx roster.Tx) (err error) {
			n, err = step(tx)
			return err
		})
		total += n
		if err != nil || n < retentionBatch {
			return total, err
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
}
