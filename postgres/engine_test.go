// SPDX-License-Identifier: Apache-2.0

package postgres

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/pgtest"
)

// What the conformance suite cannot see: migrations, configuration,
// retries and the event horizon of this engine.

func mustOpen(t *testing.T, url string, cfg Config) *DB {
	t.Helper()
	db, err := Open(context.Background(), url, cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestOpenTogether opens one new database from several nodes at once:
// the advisory lock lets the migrations run once.
func TestOpenTogether(t *testing.T) {
	url := pgtest.URL(t)
	var wg sync.WaitGroup
	dbs := make([]*DB, 4)
	errs := make([]error, len(dbs))
	for i := range dbs {
		wg.Go(func() { dbs[i], errs[i] = Open(context.Background(), url, Config{}) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		defer dbs[i].Close()
	}
	var n int
	if err := dbs[0].pool.QueryRow(context.Background(), `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(migrationNames()) {
		t.Errorf("migrations recorded: got %d (%v), want %d", n, err, len(migrationNames()))
	}
	for i, db := range dbs {
		if err := db.Ping(context.Background()); err != nil {
			t.Errorf("Ping %d: %v", i, err)
		}
	}
}

// TestConfig checks the defaults, the URL's settings and that the
// statement timeout reaches the sessions.
func TestConfig(t *testing.T) {
	url := pgtest.URL(t)
	got := mustOpen(t, url, Config{}).Config()
	want := Config{MaxConns: int32(2*runtime.GOMAXPROCS(0) + 2), StatementTimeout: 5 * time.Second, IdleInTxTimeout: time.Minute, MaxRetries: 3}
	if got != want {
		t.Errorf("defaults: got %+v, want %+v", got, want)
	}
	db := mustOpen(t, withQuery(url, "pool_max_conns=3&statement_timeout=1500"), Config{MaxRetries: -1})
	want = Config{MaxConns: 3, StatementTimeout: 1500 * time.Millisecond, IdleInTxTimeout: time.Minute, MaxRetries: -1}
	if got := db.Config(); got != want {
		t.Errorf("from the URL: got %+v, want %+v", got, want)
	}
	var timeout string
	if err := db.pool.QueryRow(context.Background(), `SHOW statement_timeout`).Scan(&timeout); err != nil || timeout != "1500ms" {
		t.Errorf("statement_timeout in a session: got %q (%v), want 1500ms", timeout, err)
	}
	got = mustOpen(t, withQuery(url, "statement_timeout=1500"), Config{StatementTimeout: 2 * time.Second}).Config()
	if got.StatementTimeout != 2*time.Second {
		t.Errorf("Config over the URL: statement timeout %v, want 2s", got.StatementTimeout)
	}
}

// withQuery adds query parameters to a URL.
func withQuery(url, query string) string {
	if strings.Contains(url, "?") {
		return url + "&" + query
	}
	return url + "?" + query
}

// TestUpdateRetries checks that a serialization failure or deadlock runs
// the function again, up to MaxRetries times.
func TestUpdateRetries(t *testing.T) {
	url := pgtest.URL(t)
	for _, c := range []struct {
		retries, failures, wantCalls int
		wantErr                      bool
	}{
		{retries: 0, failures: 2, wantCalls: 3}, // the default, 3
		{retries: 2, failures: 3, wantCalls: 3, wantErr: true},
		{retries: -1, failures: 1, wantCalls: 1, wantErr: true},
	} {
		db := mustOpen(t, url, Config{MaxRetries: c.retries})
		calls := 0
		err := db.Update(context.Background(), func(tx roster.Tx) error {
			calls++
			if calls <= c.failures {
				return &pgconn.PgError{Code: []string{"40001", "40P01"}[calls%2]}
			}
			return nil
		})
		if calls != c.wantCalls || (err != nil) != c.wantErr {
			t.Errorf("MaxRetries %d, %d failures: %d calls, error %v; want %d calls, error %v", c.retries, c.failures, calls, err, c.wantCalls, c.wantErr)
		}
	}
}

// TestEventHorizon holds a transaction open that started before an event
// was committed: the feed must not hand the event out before that
// transaction ends, or a reader that moved past it could miss what the
// older transaction writes. FindEvents waits for it instead.
func TestEventHorizon(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	db := mustOpen(t, url, Config{})
	older, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer older.Close(ctx)
	if _, err := older.Exec(ctx, `BEGIN; SELECT pg_current_xact_id()`); err != nil {
		t.Fatal(err)
	}
	e := &roster.Event{ID: roster.NewID(roster.PrefixEvent), Type: "user.created", OccurredAt: time.Now().UTC(),
		Resource: roster.ResourceRef{Type: "user", ID: "usr_x"}, Patch: []byte(`[]`)}
	if err := db.Update(ctx, func(tx roster.Tx) error { return tx.AppendEvent(e) }); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if found, err := db.FindEvents(ctx, roster.EventFilter{Limit: 10}); err != nil || len(found) != 0 {
		t.Errorf("FindEvents while an older transaction runs: got %d events, %v; want none", len(found), err)
	}
	if waited := time.Since(start); waited < maxHorizonWait {
		t.Errorf("FindEvents returned after %v, before waiting %v for the older transaction", waited, maxHorizonWait)
	}
	time.AfterFunc(200*time.Millisecond, func() { older.Exec(ctx, `COMMIT`) })
	found, err := db.FindEvents(ctx, roster.EventFilter{Limit: 10})
	if err != nil || len(found) != 1 || found[0].Event.ID != e.ID {
		t.Errorf("FindEvents once the older transaction ends: got %v, %v; want the event", found, err)
	}
}

// TestRetryAnnouncements: a retry announced in a transaction reaches the
// listeners of every node (two stores on one database) when it commits,
// and never when it rolls back.
func TestRetryAnnouncements(t *testing.T) {
	url := pgtest.URL(t)
	a, b := mustOpen(t, url, Config{}), mustOpen(t, url, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type note struct {
		id string
		at time.Time
	}
	heard := make(chan note, 8)
	go b.ListenRetries(ctx, func(id string, at time.Time) { heard <- note{id, at} })
	at := time.Now().Add(3 * time.Second).Truncate(time.Microsecond)
	announce := func(id string, fail bool) {
		err := a.Update(ctx, func(tx roster.Tx) error {
			if err := tx.(roster.RetryAnnouncer).AnnounceRetry(id, at); err != nil {
				return err
			}
			if fail {
				return roster.Errorf(roster.CodeConflict, "roll back")
			}
			return nil
		})
		if (err != nil) != fail {
			t.Fatalf("Update: %v", err)
		}
	}
	// The listener connects on its own: announce until it hears one.
	deadline := time.Now().Add(10 * time.Second)
	for {
		announce("whk_committed", false)
		select {
		case n := <-heard:
			if n.id != "whk_committed" || !n.at.Equal(at) {
				t.Fatalf("heard %v, want whk_committed at %v", n, at)
			}
		case <-time.After(200 * time.Millisecond):
			if time.Now().After(deadline) {
				t.Fatal("no announcement heard")
			}
			continue
		}
		break
	}
	for len(heard) > 0 {
		<-heard
	}
	announce("whk_rolled_back", true)
	announce("whk_after", false)
	for n := range heard {
		if n.id == "whk_rolled_back" {
			t.Fatal("a rolled back announcement was heard")
		}
		if n.id == "whk_after" {
			break
		}
	}
}
