// SPDX-License-Identifier: Apache-2.0

// Package sqlite is Roster's embedded store: one SQLite database file in
// WAL mode, a pool of read connections and one writer that group-commits.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/telemetry"
)

//go:embed migrations/*.sql
var migrations embed.FS

// maxBatch bounds how many Update calls share one transaction.
const maxBatch = 256

// DB is the embedded store. It implements roster.Store.
type DB struct {
	read  *sql.DB
	write *sql.DB
	conn  *sql.Conn // the writer's one connection
	jobs  chan *job
	done  chan struct{}
	now   func() time.Time
	reads *stmtCache // over the read pool
	cache *readCache
	// tail answers bare reads of the newest events.
	tail eventTail
	// lastNow is the newest transaction time; only the writer uses it.
	lastNow time.Time
	wstmt   *stmtCache // over the writer's connection; used only by the writer
	seqs    userSeqs   // only the writer uses it
	// ckpt copies the WAL into the database file off the writer's path
	// (see checkpointer); ckptWake tells it that the writer committed.
	ckpt     *sql.DB
	wal      string // the WAL file's path
	ckptWake chan struct{}
	ckptStop chan struct{}
	ckptDone chan struct{}
	// ftsUntidy tells the writer that the trigram index may have
	// segments to merge (see tidyStep). Only the writer uses it.
	ftsUntidy bool
	// listSlots admits list queries (FindUsers) to the read pool in
	// arrival order, leaving one connection to point reads.
	listSlots chan struct{}
	// exportSlots bounds the exports running at once (each holds a read
	// connection, and its snapshot, for as long as its client reads).
	exportSlots chan struct{}
	// metrics is told how long writes take (SetMetrics); nil: nobody asked.
	metrics roster.StoreMetrics
}

var _ roster.Store = (*DB)(nil)

type job struct {
	ctx context.Context
	fn  func(roster.Tx) error
	err chan error
	// queued is when Update queued the job; the writer sets batch (the
	// jobs of its transaction) and waited (from queued to the batch's
	// start) before it answers, for the Update's span.
	queued time.Time
	batch  int
	waited time.Duration
}

// privateFiles makes the database file, created here when it does not
// exist yet, readable by its owner only (0600), and takes the group's
// and others' access away from the files an earlier version left
// readable: the database, its WAL and its shared-memory file. SQLite
// creates the WAL and shared-memory files with the database file's
// permissions, so they are 0600 too, whatever the umask.
func privateFiles(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("create the database file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("create the database file: %w", err)
	}
	for _, name := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		fi, err := os.Stat(name)
		if errors.Is(err, os.ErrNotExist) {
			continue
		} else if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(name, fi.Mode().Perm()&^0o077); err != nil {
				return fmt.Errorf("make %s readable by its owner only: %w", name, err)
			}
		}
	}
	return nil
}

// Open opens (creating when needed) the database at path, applies the
// migrations and starts the writer, for the process that serves it. A
// path of ":memory:" is not allowed: the read and write pools must share
// one file.
func Open(ctx context.Context, path string) (*DB, error) {
	return OpenWith(ctx, path, Options{})
}

// OpenWith is Open with the memory bounds of opts.
func OpenWith(ctx context.Context, path string, opts Options) (*DB, error) {
	return open(ctx, path, true, opts)
}

// OpenBeside opens the database at path for a command that writes to it
// beside the server that may be serving it (roster keys rotate): it
// leaves the server's delivery leases and webhook streams alone.
func OpenBeside(ctx context.Context, path string) (*DB, error) {
	return open(ctx, path, false, Options{})
}

// Options bound the embedded store's memory.
type Options struct {
	// CacheBytes bounds the read cache of decoded users, credentials,
	// organisations and the like (estimated sizes); 0: DefaultCacheBytes.
	CacheBytes int64
	// PageCacheBytes bounds SQLite's page caches, all connections
	// together: the writer gets 8 MiB (at most a quarter), the readers
	// and the checkpointer equal parts of the rest;
	// 0: DefaultPageCacheBytes.
	PageCacheBytes int64
}

// The bounds of a zero Options: see --cache-bytes in cmd/roster, which
// splits its total the same way.
const (
	DefaultCacheBytes     = 48 << 20
	DefaultPageCacheBytes = 36 << 20
)

// writerPageCache is the writer's page cache: not more, because every
// commit scans the cache's whole hash table (pcache1TruncateUnsafe, 7 %
// of the writer's CPU at 64 MiB); not less, because without mmap the
// pages a PATCH changes (the row, its indexes, the trigram index) are
// read through it.
const writerPageCache = 8 << 20

func (o Options) withDefaults() Options {
	if o.CacheBytes <= 0 {
		o.CacheBytes = DefaultCacheBytes
	}
	if o.PageCacheBytes <= 0 {
		o.PageCacheBytes = DefaultPageCacheBytes
	}
	return o
}

func open(ctx context.Context, path string, serving bool, opts Options) (*DB, error) {
	opts = opts.withDefaults()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	if err := privateFiles(path); err != nil {
		return nil, err
	}
	// busy_timeout comes first so that the pragmas after it wait for
	// locks rather than fail. synchronous=FULL makes every commit reach
	// the disk (fsync of the WAL) before the API answers 2xx: an
	// acknowledged change survives a crash of the process and of the
	// machine. Group commit keeps this affordable.
	// Pages are read into each connection's page cache, an equal part of
	// opts.PageCacheBytes; the kernel's file cache, which is not the
	// process's memory, holds the rest. The file is not mapped (mmap_size
	// 0): every connection maps it on its own and its resident memory
	// counts each mapping's pages (a 1 GiB map took the process past
	// 900 MB at a million users), the map covered less than half of that
	// store anyway, and reads through it were no faster once the read
	// cache is bounded (docs/PERFORMANCE.md, "Memory at a million users").
	readers := 2 * runtime.GOMAXPROCS(0)
	writerCache := min(writerPageCache, opts.PageCacheBytes/4)
	perConn := (opts.PageCacheBytes - writerCache) / int64(readers+1) // the readers and the checkpointer
	dsn := fileDSN(path, "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)"+
		fmt.Sprintf("&_pragma=mmap_size(0)&_pragma=cache_size(%d)&_pragma=temp_store(MEMORY)&_txlock=immediate", -max(perConn>>10, 64)))
	write, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	read, err := sql.Open("sqlite", dsn+"&_pragma=query_only(1)")
	if err != nil {
		write.Close()
		return nil, err
	}
	read.SetMaxOpenConns(readers)
	read.SetMaxIdleConns(readers)
	read.SetConnMaxIdleTime(0)

	// The checkpointer waits for locks only briefly: a TRUNCATE
	// checkpoint holds new writes back while it waits (see truncateWAL).
	ckpt, err := sql.Open("sqlite", strings.Replace(dsn, "busy_timeout(10000)", fmt.Sprintf("busy_timeout(%d)", ckptBusy.Milliseconds()), 1))
	if err != nil {
		write.Close()
		read.Close()
		return nil, err
	}
	ckpt.SetMaxOpenConns(1)

	db := &DB{read: read, write: write, ckpt: ckpt, wal: path + "-wal", jobs: make(chan *job, maxBatch), done: make(chan struct{}), now: time.Now, cache: newReadCache(opts.CacheBytes),
		ckptWake: make(chan struct{}, 1), ckptStop: make(chan struct{}), ckptDone: make(chan struct{}),
		listSlots: make(chan struct{}, readers-1), exportSlots: make(chan struct{}, max(1, readers/4))}
	if err := db.migrate(ctx); err != nil {
		db.closeDBs()
		return nil, err
	}
	if serving {
		if err := freeLeases(ctx, write); err != nil {
			db.closeDBs()
			return nil, err
		}
	}
	if db.conn, err = write.Conn(ctx); err != nil {
		db.closeDBs()
		return nil, err
	}
	db.reads, db.wstmt = newStmtCache(read), newStmtCache(db.conn)
	var last int64
	if err := db.conn.QueryRowContext(ctx, `SELECT max(coalesce((SELECT max(updated_at) FROM users), 0), coalesce((SELECT max(updated_at) FROM orgs), 0))`).Scan(&last); err != nil {
		db.closeDBs()
		return nil, err
	}
	db.lastNow = fromMicros(last)
	if err := db.conn.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM events`).Scan(&db.tail.from); err != nil {
		db.closeDBs()
		return nil, err
	}
	db.ftsUntidy = true // whatever an earlier process left
	// The writer checkpoints only when the WAL has grown past 64 MiB,
	// which the checkpointer normally prevents. Its page cache is at most
	// writerPageCache.
	// journal_size_limit cuts the WAL file back when the log restarts
	// from its beginning, which it can only do once everything in it is
	// in the database file: otherwise the file keeps its largest size.
	if _, err := db.conn.ExecContext(ctx, fmt.Sprintf(`PRAGMA wal_autocheckpoint = %d; PRAGMA cache_size = %d; PRAGMA journal_size_limit = %d`, walFallbackPages, -max(writerCache>>10, 64), walLimit)); err != nil {
		db.closeDBs()
		return nil, err
	}
	if serving {
		db.tidyAll()
	}
	go db.checkpointer()
	go db.writer()
	return db, nil
}

// tidyAll merges what an earlier process left of the trigram index's
// merging (a store seeded or imported a moment before) before the server
// serves: otherwise its first searches pay for many segments and for the
// merge's commits, which empty every reader's page cache. It is bounded
// by that work: a million users' store stopped mid-merge (27,000 pages
// to write) was ready 4 s after start.
func (db *DB) tidyAll() {
	for db.ftsUntidy {
		db.tidyStep(ftsOpenPages)
	}
}

// freeLeases frees the delivery leases and webhook stream holds found at
// start: only one process serves an embedded store, so they are a dead
// process's. Freed deliveries are due now (the claim set next_at to the
// lease's end).
func freeLeases(ctx context.Context, write *sql.DB) error {
	if _, err := write.ExecContext(ctx, `UPDATE deliveries SET lease_until = 0, lease_owner = '', next_at = min(next_at, ?) WHERE lease_owner <> ''`,
		micros(time.Now())); err != nil {
		return fmt.Errorf("free delivery leases: %w", err)
	}
	if _, err := write.ExecContext(ctx, `UPDATE webhooks SET stream_until = 0, stream_owner = '' WHERE stream_owner <> ''`); err != nil {
		return fmt.Errorf("free webhook streams: %w", err)
	}
	return nil
}

// walFallbackPages is the WAL size, in pages, past which the writer
// checkpoints itself (SQLite's default is 1,000).
const walFallbackPages = 16384

// ckptPause is the least time between two background checkpoints.
const ckptPause = 200 * time.Millisecond

// walLimit is the WAL file size past which the writer restarts the log
// (restartWAL), and to which a restarting log cuts the file back.
const walLimit = 16 << 20

// A restart of the log that could not finish (the checkpointer was
// copying, or a reader stayed on the log) is tried again after
// restartRetry, which doubles while they keep failing (a long read, such
// as an export, holds the log), up to restartRetryMax.
const (
	restartRetry    = 50 * time.Millisecond
	restartRetryMax = 5 * time.Second
)

// ckptIdle is how long without a commit makes the checkpointer empty the
// WAL file.
const ckptIdle = time.Second

// ckptBusy bounds how long a TRUNCATE checkpoint waits for the writer
// and the readers: on the writer's connection, how long the next batch
// may wait for it.
const ckptBusy = 20 * time.Millisecond

// checkpointer copies committed pages from the WAL into the database file
// (a PASSIVE checkpoint: it never blocks the writer or readers) after
// commits, at most every ckptPause. Left to SQLite, the writer would do it
// inside a commit every 1,000 pages, with the database file's fsync, while
// every request of the next batch waited. Durability does not depend on
// it: a commit is durable once its WAL frames are fsynced.
//
// A PASSIVE checkpoint never restarts the log, and under sustained load
// the writer rarely finds it fully copied with no reader on it, which a
// restart needs: the WAL file would grow to walFallbackPages (64 MiB) and
// stay that size. So the writer restarts it past walLimit (restartWAL),
// and after ckptIdle without commits the checkpointer empties the file.
func (db *DB) checkpointer() {
	defer close(db.ckptDone)
	pause, idle := time.NewTimer(0), time.NewTimer(ckptIdle)
	for {
		select {
		case <-db.ckptWake:
		case <-idle.C:
			db.truncateWAL() // a failure is retried at the next idle time
			continue
		case <-db.ckptStop:
			return
		}
		wait := ckptPause
		if _, err := db.ckpt.Exec(`PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
			// Nothing is lost: a later commit tries again, and past
			// walFallbackPages the writer checkpoints itself.
			wait = time.Second
		}
		idle.Reset(ckptIdle)
		pause.Reset(wait)
		select {
		case <-pause.C:
		case <-db.ckptStop:
			return
		}
	}
}

// truncateWAL copies the whole WAL into the database file, restarts the
// log and empties the file (a TRUNCATE checkpoint), waiting up to
// ckptBusy for the writer and the readers; a failure is tried again at
// the next idle time.
func (db *DB) truncateWAL() {
	db.ckpt.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
}

// restartWAL copies the rest of the WAL into the database file and
// restarts the log from the file's beginning (a RESTART checkpoint, which
// journal_size_limit follows by cutting the file back to walLimit). It
// runs on the writer's connection between batches: there it waits for no
// transaction, only (up to ckptBusy) for the readers still on the log,
// and the checkpointer has already copied most of it (while it copies,
// the restart fails at once, to be tried again). The file keeps its
// size, so the commits after it overwrite the file rather than grow it
// (which would make each fsync write the file's size too). It reports
// whether it finished.
func (db *DB) restartWAL() bool {
	ctx := context.Background()
	db.conn.ExecContext(ctx, fmt.Sprintf(`PRAGMA busy_timeout = %d`, ckptBusy.Milliseconds()))
	defer db.conn.ExecContext(ctx, `PRAGMA busy_timeout = 10000`)
	var busy, frames, copied int
	err := db.conn.QueryRowContext(ctx, `PRAGMA wal_checkpoint(RESTART)`).Scan(&busy, &frames, &copied)
	return err == nil && busy == 0
}

// walSize returns the WAL file's size (0 when it cannot tell).
func (db *DB) walSize() int64 {
	fi, err := os.Stat(db.wal)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func (db *DB) closeDBs() {
	if db.conn != nil {
		db.conn.Close()
	}
	db.ckpt.Close()
	db.write.Close()
	db.read.Close()
}

// Close stops the writer after the jobs in flight and closes the database.
func (db *DB) Close() error {
	close(db.jobs)
	<-db.done
	close(db.ckptStop)
	<-db.ckptDone
	db.reads.close()
	db.wstmt.close()
	db.closeDBs()
	return nil
}

// Ping checks that the database answers and that the migrations are applied.
func (db *DB) Ping(ctx context.Context) error {
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		return err
	}
	if want := len(migrationNames()); n < want {
		return &roster.MigrationError{Applied: n, Want: want}
	}
	return nil
}

func migrationNames() []string {
	names, _ := fs.Glob(migrations, "migrations/*.sql")
	sort.Strings(names)
	return names
}

// migrate applies each embedded migration not yet recorded, each in its
// own transaction.
func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("migrations table: %w", err)
	}
	for _, name := range migrationNames() {
		var n int
		if err := db.write.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE name = ?`, name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		tx, err := db.write.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)`, name, time.Now().Unix()); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// SetMetrics makes the store report how long its writes take. Call it
// before the first Update.
func (db *DB) SetMetrics(m roster.StoreMetrics) { db.metrics = m }

// Update queues fn for the writer and waits for its transaction to commit.
func (db *DB) Update(ctx context.Context, fn func(roster.Tx) error) (err error) {
	ctx, span := telemetry.Start(ctx, "sqlite.Update")
	j := &job{ctx: ctx, fn: fn, err: make(chan error, 1), queued: time.Now()}
	defer func() { db.observeUpdate(span, j, err) }()
	select {
	case db.jobs <- j:
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued, the job runs or fails as a whole: waiting for the
	// answer even after ctx ends keeps "answered" and "committed" equal.
	return <-j.err
}

// observeUpdate ends an Update's span, with the batch it went in and how
// long it waited for the writer, and measures the Update.
func (db *DB) observeUpdate(span trace.Span, j *job, err error) {
	if span.IsRecording() {
		span.SetAttributes(attribute.Int("roster.store.batch_updates", j.batch),
			attribute.Float64("roster.store.queue_wait_ms", float64(j.waited.Microseconds())/1000))
	}
	telemetry.End(span, err)
	if db.metrics != nil {
		db.metrics.Update(time.Since(j.queued), err)
	}
}

// writer runs queued jobs. It takes every job waiting when it wakes, runs
// each inside a savepoint of one transaction (a failing job rolls back
// only its own savepoint), commits once, and then answers them all: many
// requests share one fsync.
func (db *DB) writer() {
	defer close(db.done)
	batch := make([]*job, 0, maxBatch)
	errs := make([]error, 0, maxBatch)
	idle := time.NewTimer(time.Hour)
	defer idle.Stop()
	tidying := false // merging the trigram index, one step between jobs
	var lastBatch, retryAt time.Time
	var backoff time.Duration // after restartWAL failed
	for {
		var first *job
		var ok bool
		select {
		case first, ok = <-db.jobs:
		default:
			if !db.ftsUntidy {
				first, ok = <-db.jobs
				break
			}
			// Merge after ftsTidyIdle without a job, then a step at a
			// time without rests, a job waiting for one step at most.
			// Resting three step lengths between steps (a quarter of a
			// core) left a freshly seeded million users' index merging
			// for over a minute after the last write, and every search
			// meanwhile sought in up to 32 segments and re-read its pages
			// after each step's commit (docs/PERFORMANCE.md, "Search
			// right after seeding").
			if !tidying {
				idle.Reset(ftsTidyIdle)
				select {
				case first, ok = <-db.jobs:
					idle.Stop()
				case <-idle.C:
					tidying = true
				}
			}
			if tidying {
				db.tidyStep(ftsTidyPages)
				continue
			}
		}
		if !ok {
			return
		}
		// A job now and then (the mail outbox's poll, a lone request)
		// does not end the merging; a stream of them does.
		if time.Since(lastBatch) < ftsTidyGap {
			tidying = false
		}
		batch = append(batch[:0], first)
	fill:
		for len(batch) < maxBatch {
			select {
			case j, ok := <-db.jobs:
				if !ok {
					break fill
				}
				batch = append(batch, j)
			default:
				break fill
			}
		}
		start := time.Now()
		for _, j := range batch {
			j.batch, j.waited = len(batch), start.Sub(j.queued)
		}
		errs = db.runBatch(batch, errs[:0])
		if db.metrics != nil {
			db.metrics.Transaction(time.Since(start), len(batch))
		}
		for i, j := range batch {
			j.err <- errs[i]
		}
		lastBatch = time.Now()
		if lastBatch.After(retryAt) && db.walSize() > walLimit {
			if db.restartWAL() {
				backoff = 0
			} else {
				backoff = min(max(restartRetry, 2*backoff), restartRetryMax)
				retryAt = time.Now().Add(backoff)
			}
		}
	}
}

// ftsTidyIdle is how long the writer waits without a job before it
// merges the trigram index; it goes on merging until jobs come closer
// than ftsTidyGap to each other. ftsTidyPages is the most pages one merge
// step writes (a job that arrives meanwhile waits for one step at most).
// Merging a million users' index from 32 segments to one took 2.95 s of
// CPU. ftsOpenPages is the step of the merge that Open finishes before
// the server serves (no job waits on it).
const (
	ftsTidyIdle  = 500 * time.Millisecond
	ftsTidyGap   = 50 * time.Millisecond
	ftsTidyPages = 64
	ftsOpenPages = 1024
)

// tidyStep merges the trigram index's segments a little, in a durable
// transaction of its own. Every group commit adds a segment and FTS5's
// automerge leaves up to 15 of them per level, and a search seeks in every
// segment: with a million users that seeking was a fifth of a search's
// CPU. With usermerge 4 (migration 0009) the merge command merges a level
// holding four segments or more; ftsUntidy stays set until a step finds
// nothing to merge (total_changes grows by less than 2). pages bounds the
// step (FTS5's merge argument).
func (db *DB) tidyStep(pages int) {
	ctx := context.Background()
	var changed int64
	err := func() error {
		if _, err := db.wstmt.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
			return err
		}
		var before, after int64
		err := db.wstmt.QueryRowContext(ctx, `SELECT total_changes()`).Scan(&before)
		if err == nil {
			_, err = db.wstmt.ExecContext(ctx, `INSERT INTO users_fts (users_fts, rank) VALUES ('merge', ?)`, pages)
		}
		if err == nil {
			err = db.wstmt.QueryRowContext(ctx, `SELECT total_changes()`).Scan(&after)
		}
		if err != nil {
			db.wstmt.ExecContext(ctx, "ROLLBACK")
			return err
		}
		changed = after - before
		if changed < 2 {
			_, err = db.wstmt.ExecContext(ctx, "ROLLBACK")
			return err
		}
		_, err = db.wstmt.ExecContext(ctx, "COMMIT")
		return err
	}()
	// On an error the index is no less right, only slower: try again
	// after the next batch that writes to it.
	db.ftsUntidy = err == nil && changed >= 2
}

func (db *DB) runBatch(batch []*job, errs []error) []error {
	ctx := context.Background()
	fail := func(err error) []error {
		errs = errs[:0]
		for range batch {
			errs = append(errs, err)
		}
		return errs
	}
	exec := func(q string) error {
		_, err := db.wstmt.ExecContext(ctx, q)
		return err
	}
	if err := exec("BEGIN IMMEDIATE"); err != nil {
		return fail(fmt.Errorf("begin: %w", err))
	}
	// Time never goes back within the store: creation order (seq) and
	// created_at order must agree.
	now := db.now().UTC().Truncate(time.Microsecond)
	if now.Before(db.lastNow) {
		now = db.lastNow
	}
	db.lastNow = now
	ok := 0
	touched := &touched{}
	fts := &ftsPending{}
	evq := &eventQueue{}
	var purgedTo int64
	// Whatever happens to the batch, the cache forgets what it touched
	// before any request of the batch is answered.
	defer db.cache.forget(touched)
	for _, j := range batch {
		if err := j.ctx.Err(); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := exec("SAVEPOINT job"); err != nil {
			exec("ROLLBACK")
			return fail(fmt.Errorf("savepoint: %w", err))
		}
		t := &tx{q: db.wstmt, now: now, touched: touched, cache: db.cache, batch: fts, evq: evq, seqs: &db.seqs}
		mark := evq.mark()
		err := runJob(j, t)
		if err == nil {
			touched.written = append(touched.written, t.written...)
			purgedTo = max(purgedTo, t.purgedTo)
			fts.add(t.fts)
		} else if t.ftsFlushed {
			// The rollback below undoes what this job's search wrote.
			fts.changes = append(fts.changes[:0], t.ftsRestore...)
		}
		if err != nil {
			if rerr := exec("ROLLBACK TO job"); rerr != nil {
				exec("ROLLBACK")
				return fail(fmt.Errorf("rollback to savepoint: %w", rerr))
			}
			evq.undo(mark)
		} else {
			ok++
		}
		if rerr := exec("RELEASE job"); rerr != nil {
			exec("ROLLBACK")
			return fail(fmt.Errorf("release savepoint: %w", rerr))
		}
		errs = append(errs, err)
	}
	if ok == 0 {
		if err := exec("ROLLBACK"); err != nil {
			return fail(err)
		}
		return errs
	}
	if err := evq.flush(ctx, db.wstmt); err != nil {
		exec("ROLLBACK")
		return fail(fmt.Errorf("events: %w", err))
	}
	if err := fts.flush(ctx, db.wstmt); err != nil {
		exec("ROLLBACK")
		return fail(fmt.Errorf("trigram index: %w", err))
	}
	if err := exec("COMMIT"); err != nil {
		exec("ROLLBACK")
		return fail(fmt.Errorf("commit: %w", err))
	}
	touched.committed = true
	db.tail.add(evq.stored())
	db.tail.forget(purgedTo)
	if fts.wrote {
		db.ftsUntidy = true
	}
	select {
	case db.ckptWake <- struct{}{}:
	default:
	}
	return errs
}

// runJob runs one job's function, turning a panic into an error so that
// one bad request cannot take the writer down.
func runJob(j *job, t *tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic in transaction: %v", r)
		}
	}()
	return j.fn(t)
}

// translate maps driver errors to Roster codes at the store's boundary.
func translate(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return roster.Errorf(roster.CodeNotFound, "%s not found", what)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return roster.Errorf(roster.CodeConflict, "%s", uniqueMessage(se.Error()))
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return roster.Errorf(roster.CodeConflict, "%s refers to a record that does not exist or is still referred to", what)
		}
	}
	return err
}

func uniqueMessage(msg string) string {
	switch {
	case strings.Contains(msg, "users.email_key"):
		return "a user with this email already exists"
	case strings.Contains(msg, "users.username_key"):
		return "a user with this username already exists"
	case strings.Contains(msg, "users.organization_id, users.external_id"):
		return "a user with this external_id already exists in the organisation"
	case strings.Contains(msg, "orgs.parent_id, orgs.external_id"):
		return "an organisation with this external_id already exists under the same parent"
	case strings.Contains(msg, "idempotency"):
		return "idempotency key already used"
	}
	return "a record with the same unique value already exists"
}

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(n int64) time.Time { return time.UnixMicro(n).UTC() }

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
