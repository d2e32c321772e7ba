// SPDX-License-Identifier: Apache-2.0

package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/telemetry"
)

// Update runs fn in a transaction and commits it. When a statement fails
// with a deadlock or serialization failure, the transaction is rolled
// back and fn runs again, up to Config.MaxRetries times: fn must be safe
// to run more than once, as every use in Roster is (it reads what it
// changes inside the transaction).
func (db *DB) Update(ctx context.Context, fn func(roster.Tx) error) (err error) {
	start := time.Now()
	ctx, span := telemetry.Start(ctx, "postgres.Update")
	attempts := 0
	defer func() {
		if span.IsRecording() {
			span.SetAttributes(attribute.Int("roster.store.attempts", attempts))
		}
		telemetry.End(span, err)
		if db.metrics != nil {
			db.metrics.Update(time.Since(start), err)
		}
	}()
	for attempt := 0; ; attempt++ {
		attempts++
		err := db.attempt(ctx, fn)
		if err == nil || attempt >= db.cfg.MaxRetries || !retryable(err) {
			return err
		}
		span.AddEvent("retry", trace.WithAttributes(attribute.String("error", err.Error())))
		// A short random pause lets the transactions that collided finish
		// in some order instead of colliding again.
		select {
		case <-time.After(time.Duration(1+rand.IntN(5<<attempt)) * time.Millisecond):
		case <-ctx.Done():
			return err
		}
	}
}

// SetMetrics makes the store report how long its writes take. Call it
// before the first Update.
func (db *DB) SetMetrics(m roster.StoreMetrics) { db.metrics = m }

// attempt runs fn once in a transaction of its own.
func (db *DB) attempt(ctx context.Context, fn func(roster.Tx) error) error {
	select {
	case db.writers <- struct{}{}:
		defer func() { <-db.writers }()
	case <-ctx.Done():
		return ctx.Err()
	}
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// Release destroys the connection if it is still in a transaction
	// (a rollback that could not be sent) or broken.
	defer conn.Release()
	if db.metrics != nil {
		defer func(began time.Time) { db.metrics.Transaction(time.Since(began), 1) }(time.Now())
	}
	if _, err := conn.Exec(ctx, `BEGIN ISOLATION LEVEL READ COMMITTED`); err != nil {
		return err
	}
	t := &tx{reader: reader{q: conn, lock: true}, conn: conn, ctx: ctx, db: db}
	// The end of a transaction is not cut short by the caller's context:
	// a commit is either sent whole or not at all.
	end := context.WithoutCancel(ctx)
	if err := run(fn, t); err != nil {
		conn.Exec(end, `ROLLBACK`)
		return err
	}
	if err := t.commit(end); err != nil {
		conn.Exec(end, `ROLLBACK`)
		return err
	}
	return nil
}

// run calls fn, turning a panic into an error so that one bad request
// cannot take the server down.
func run(fn func(roster.Tx) error, t *tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic in transaction: %v", r)
		}
	}()
	return fn(t)
}

// retryable reports whether err is a deadlock or serialization failure,
// after which the whole transaction may run again.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// stamp returns the time of a new transaction: the clock in UTC at the
// precision PostgreSQL keeps, never before an earlier transaction's in
// this process.
func (db *DB) stamp() time.Time {
	db.mu.Lock()
	defer db.mu.Unlock()
	now := db.now().UTC().Truncate(time.Microsecond)
	if now.Before(db.lastNow) {
		now = db.lastNow
	}
	db.lastNow = now
	return now
}

// tx is one attempt of an Update: a transaction on one connection.
type tx struct {
	reader // locking reads over conn
	conn   *pgxpool.Conn
	ctx    context.Context // the Update's, for the writes
	db     *DB
	now    time.Time
	// seen holds the users this transaction read (and locked), by id.
	seen map[string]*roster.User
	// events are written at commit, in the same round trip as COMMIT,
	// or before a read of the events in this transaction.
	events  []queuedEvent
	written int // how many of events are written
}

type queuedEvent struct {
	e   *roster.Event
	doc []byte
}

// Now returns the transaction's time, fixed at its first call. Taking it
// then, rather than at BEGIN, means a transaction that waited for a row
// lock gets a time after the transaction it waited for.
func (t *tx) Now() time.Time {
	if t.now.IsZero() {
		t.now = t.db.stamp()
	}
	return t.now
}

// commit writes the queued events and commits, in one round trip.
func (t *tx) commit(ctx context.Context) error {
	b := &pgx.Batch{}
	n := t.queueInserts(b)
	b.Queue(`COMMIT`)
	br := t.conn.SendBatch(ctx, b)
	for range n {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return translate(err, "event")
		}
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if tag.String() != "COMMIT" {
		// The server answers ROLLBACK to the COMMIT of a transaction in
		// which a statement failed (and fn went on regardless).
		return errors.New("commit: the transaction was rolled back after a failed statement")
	}
	return nil
}
