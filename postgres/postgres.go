// SPDX-License-Identifier: Apache-2.0

// Package postgres is Roster's store on PostgreSQL, on which several
// Roster nodes share one database and behave as one server.
//
// It uses pgx's own pool rather than database/sql: no conversion layer in
// between, typed parameters and scans (text[] from []string, bytea,
// timestamptz), *pgconn.PgError with the constraint that a write broke, a
// prepared-statement cache per connection, and batches that send the
// commit together with the transaction's last statements. pgxpool also
// destroys a connection that is released in the middle of a transaction,
// so a failed attempt never leaks a transaction into the pool.
//
// Transactions run at READ COMMITTED. Reads inside a write transaction of
// single rows (FindUser, FindOrg, …) lock the row (FOR NO KEY UPDATE), so
// read-modify-write sequences on one row queue up across all nodes instead
// of failing on the version check; a deadlock or serialization failure is
// retried a few times (Config.MaxRetries).
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rosterhq/roster"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Config tunes the store. A zero field takes the setting of the same name
// in the database URL (pool_max_conns, statement_timeout,
// idle_in_transaction_session_timeout) when there is one, else the default.
type Config struct {
	// MaxConns is the pool size; default 2×GOMAXPROCS+2, at least 2.
	// Up to MaxConns-1 write transactions run at once.
	MaxConns int32
	// StatementTimeout ends a statement that runs longer; default 5s.
	StatementTimeout time.Duration
	// IdleInTxTimeout ends a session whose transaction waits longer for
	// its next statement (a hung node must not hold row locks, or hold
	// back the event feed, for long); default 60s.
	IdleInTxTimeout time.Duration
	// MaxRetries is how many times Update runs its function again after a
	// deadlock or serialization failure; default 3, negative for none.
	MaxRetries int
}

// DB is the PostgreSQL store. It implements roster.Store.
type DB struct {
	reader // reads outside a transaction, over the pool
	pool   *pgxpool.Pool
	cfg    Config
	now    func() time.Time
	// writers bounds the transactions open at once to one less than the
	// pool's connections: a function given to Update may read through the
	// store (the pool) while its transaction holds a connection, and one
	// connection must stay free for that.
	writers chan struct{}
	// exports bounds the exports running at once (each holds a pool
	// connection for as long as its client reads): a quarter of the pool,
	// at least one.
	exports chan struct{}
	// metrics is told how long writes take (SetMetrics); nil: nobody asked.
	metrics roster.StoreMetrics
	// fold is the COLLATE clause that makes lower() fold as Go does
	// (caseFolding); empty for the database's own.
	fold string

	mu      sync.Mutex
	lastNow time.Time // the newest Tx.Now handed out by this process
}

var _ roster.Store = (*DB)(nil)

// Open connects to the database at url, applies the migrations (under an
// advisory lock, so that nodes starting together apply them once) and
// returns the store.
func Open(ctx context.Context, url string, cfg Config) (*DB, error) {
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database URL: %w", err)
	}
	rp := pc.ConnConfig.RuntimeParams
	switch {
	case cfg.MaxConns > 0:
		pc.MaxConns = cfg.MaxConns
	case !strings.Contains(url, "pool_max_conns"):
		pc.MaxConns = int32(2*runtime.GOMAXPROCS(0) + 2)
	}
	pc.MaxConns = max(pc.MaxConns, 2) // a transaction and a read beside it
	cfg.MaxConns = pc.MaxConns
	cfg.StatementTimeout = setting(rp, "statement_timeout", cfg.StatementTimeout, 5*time.Second)
	cfg.IdleInTxTimeout = setting(rp, "idle_in_transaction_session_timeout", cfg.IdleInTxTimeout, 60*time.Second)
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = 3
	}
	if rp["application_name"] == "" {
		rp["application_name"] = "roster"
	}
	if pc.ConnConfig.ConnectTimeout == 0 {
		pc.ConnConfig.ConnectTimeout = 5 * time.Second // /readyz answers soon when the server is gone
	}
	if err := migrate(ctx, pc.ConnConfig.Copy()); err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, err
	}
	fold, err := caseFolding(ctx, pool)
	if err != nil {
		pool.Close()
		return nil, err
	}
	return &DB{reader: reader{q: pool}, pool: pool, cfg: cfg, now: time.Now, writers: make(chan struct{}, pc.MaxConns-1),
		exports: make(chan struct{}, max(1, pc.MaxConns/4)), fold: fold}, nil
}

// caseFolding returns the COLLATE clause under which lower() folds text
// as Go's strings.ToLower does for the embedded store (letter by letter,
// beyond ASCII, Σ always to σ): none when the database's own locale does
// (C.UTF-8, en_US.UTF-8, …), else the first such libc collation the
// server has, else ICU's root locale, which differs only for a
// word-final Σ (ς). A C-locale database on a server with none of them is
// refused: its case-insensitive filters would miss "Élodie".
func caseFolding(ctx context.Context, pool *pgxpool.Pool) (string, error) {
	for _, collate := range []string{"", ` COLLATE "C.utf8"`, ` COLLATE "C.UTF-8"`, ` COLLATE "en_US.utf8"`} {
		var same bool
		if err := pool.QueryRow(ctx, `SELECT lower('ÉAΣ'`+collate+`) = 'éaσ'`).Scan(&same); err == nil && same {
			return collate, nil
		} else if collate == "" && err != nil {
			return "", fmt.Errorf("database locale: %w", err)
		}
	}
	var icu bool
	if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu')`).Scan(&icu); err != nil {
		return "", fmt.Errorf("database locale: %w", err)
	} else if icu {
		return ` COLLATE "und-x-icu"`, nil
	}
	return "", errors.New("the database's locale lower-cases ASCII letters only and the server has neither a UTF-8 libc collation nor ICU: create the database with a UTF-8 locale (CREATE DATABASE … LOCALE 'C.UTF-8' TEMPLATE template0)")
}

// setting resolves one session setting: v when set, else the URL's, else
// def; it writes the result (in milliseconds) to the runtime parameters.
func setting(rp map[string]string, name string, v, def time.Duration) time.Duration {
	if v == 0 {
		if s := rp[name]; s != "" {
			// The URL's: milliseconds, or a value with a unit that the
			// server parses (shown here when Go reads it the same way).
			if ms, err := strconv.Atoi(s); err == nil {
				return time.Duration(ms) * time.Millisecond
			}
			d, _ := time.ParseDuration(s)
			return d
		}
		v = def
	}
	rp[name] = strconv.FormatInt(v.Milliseconds(), 10)
	return v
}

// Config returns the configuration in effect, defaults applied.
func (db *DB) Config() Config { return db.cfg }

// Close closes the pool's connections.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// Ping checks that the database answers and that the migrations are applied.
func (db *DB) Ping(ctx context.Context) error {
	var n int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
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

// migrationLock is the key of the advisory lock that migrations run under.
const migrationLock = 0x526f73746572 // "Roster"

// migrate applies each embedded migration not yet recorded, each in its
// own transaction, on a connection of its own that holds an advisory
// lock meanwhile: a node that starts while another migrates waits, then
// finds nothing left to do. Closing the connection releases the lock
// whatever happens.
func migrate(ctx context.Context, cc *pgx.ConnConfig) error {
	// Migrations may run (and wait for the lock) longer than a request.
	cc.RuntimeParams["statement_timeout"] = "0"
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return fmt.Errorf("connect to the database: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(migrationLock)); err != nil {
		return fmt.Errorf("migrations lock: %w", err)
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("migrations table: %w", err)
	}
	for _, name := range migrationNames() {
		var done bool
		if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE name = $1)`, name).Scan(&done); err != nil {
			return err
		}
		if done {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (name) VALUES ($1)`, name)
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	_, err = conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, int64(migrationLock))
	return err
}

// translate maps driver errors to Roster codes at the store's boundary.
func translate(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return roster.Errorf(roster.CodeNotFound, "%s not found", what)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505": // unique_violation
			return roster.Errorf(roster.CodeConflict, "%s", uniqueMessage(pe.ConstraintName))
		case "23503": // foreign_key_violation
			return roster.Errorf(roster.CodeConflict, "%s refers to a record that does not exist or is still referred to", what)
		}
	}
	return err
}

// uniqueMessage words a unique violation as the embedded store does.
func uniqueMessage(constraint string) string {
	switch constraint {
	case "users_email_key":
		return "a user with this email already exists"
	case "users_username_key":
		return "a user with this username already exists"
	case "users_external":
		return "a user with this external_id already exists in the organisation"
	case "orgs_external":
		return "an organisation with this external_id already exists under the same parent"
	case "idempotency_pkey":
		return "idempotency key already used"
	}
	return "a record with the same unique value already exists"
}

// nullable returns nil (SQL NULL) for an empty string.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
