// Package suite is the driver-independent SQLite benchmark workload used to
// choose Roster's embedded SQLite driver. Each driver lives in its own
// package (modernc, mattn, ncruces) because mattn and ncruces both register
// the database/sql driver name "sqlite3"; those packages only know how to
// build a DSN and delegate everything else here.
//
// The workload mirrors Roster's account store: a users table with a TEXT
// primary key, a UNIQUE email and a ~360-byte JSON document per row,
// 100,000 rows, WAL journal, busy_timeout 5000, foreign_keys on.
package suite

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Rows is the number of users in the prepared database.
const Rows = 100_000

// Config is what a driver package must turn into a DSN. Every setting must
// apply to every connection the returned pool opens (so it has to live in
// the DSN, not in a one-off Exec), which is why it is passed to Open rather
// than applied by the suite.
type Config struct {
	// Synchronous is the value for PRAGMA synchronous: "OFF", "NORMAL" or "FULL".
	Synchronous string
	// Immediate asks for BEGIN IMMEDIATE transactions (what a writer pool uses).
	Immediate bool
	// Tuned adds Roster's read settings (sqlite/sqlite.go in the main
	// module): every pragma in TunedPragmas, applied on every connection.
	Tuned bool
}

// TunedPragmas are Roster's per-connection read settings as name and value:
// memory-mapped reads of up to 1 GiB of the file and a 64 MiB page cache.
// Drivers with a _pragma DSN key use "name(value)"; others run
// "PRAGMA name = value" in a connect hook.
var TunedPragmas = [][2]string{
	{"mmap_size", "1073741824"},
	{"cache_size", "-65536"},
}

// Driver describes one SQLite driver under test.
type Driver struct {
	// Name is used only in log and error messages.
	Name string
	// Open opens a pool on the database file at path. It must set
	// journal_mode=WAL, busy_timeout=5000, foreign_keys=ON and
	// synchronous=cfg.Synchronous on every connection.
	Open func(path string, cfg Config) (*sql.DB, error)
}

// Fixture is a prepared 100,000-row database file. Benchmarks copy it, so
// every benchmark round starts from the same bytes.
type Fixture struct {
	Path string   // checkpointed, WAL-free database file
	IDs  []string // every users.id, in insertion order
	dir  string
}

var (
	fixMu sync.Mutex
	fix   *Fixture
)

// Main is meant to be called from a driver package's TestMain. The fixture
// is built lazily by the first benchmark that needs it (so `go test` without
// -bench stays fast) and at most once per test binary, i.e. once per driver
// package; Main removes it when the run ends.
func Main(m *testing.M) {
	code := m.Run()
	fixMu.Lock()
	if fix != nil && fix.dir != "" {
		os.RemoveAll(fix.dir)
	}
	fixMu.Unlock()
	os.Exit(code)
}

// Get returns the fixture for d, building it on first use (once per test
// binary, i.e. once per driver package).
func Get(tb testing.TB, d Driver) *Fixture {
	tb.Helper()
	fixMu.Lock()
	defer fixMu.Unlock()
	if fix != nil {
		return fix
	}
	if dir := os.Getenv("SQLITEBENCH_CACHE"); dir != "" {
		// run.sh starts one process per benchmark; reuse the file built
		// by the first one. The ids come from a seeded generator, so they
		// are recomputed instead of read back.
		path := filepath.Join(dir, "fixture-"+d.Name+".db")
		if _, err := os.Stat(path); err == nil {
			fix = &Fixture{Path: path, IDs: genIDs()}
			return fix
		}
	}
	start := time.Now()
	f, err := build(d)
	if err != nil {
		tb.Fatalf("%s: building fixture: %v", d.Name, err)
	}
	if dir := os.Getenv("SQLITEBENCH_CACHE"); dir != "" {
		path := filepath.Join(dir, "fixture-"+d.Name+".db")
		if err := os.Rename(f.Path, path); err != nil {
			tb.Fatal(err)
		}
		os.RemoveAll(f.dir)
		f.Path, f.dir = path, ""
	}
	st, _ := os.Stat(f.Path)
	var size int64
	if st != nil {
		size = st.Size()
	}
	tb.Logf("%s: built %d-row fixture (%.1f MiB) in %v", d.Name, Rows, float64(size)/(1<<20), time.Since(start).Round(time.Millisecond))
	fix = f
	return fix
}

const schema = `
CREATE TABLE IF NOT EXISTS users (
	id         TEXT PRIMARY KEY,
	email      TEXT NOT NULL UNIQUE,
	first_name TEXT NOT NULL,
	last_name  TEXT NOT NULL,
	version    INTEGER NOT NULL DEFAULT 1,
	doc        TEXT NOT NULL
)`

var firstNames = []string{"Ada", "Grace", "Alan", "Barbara", "Edsger", "Frances", "Donald", "Radia", "Ken", "Margaret"}
var lastNames = []string{"Lovelace", "Hopper", "Turing", "Liskov", "Dijkstra", "Allen", "Knuth", "Perlman", "Thompson", "Hamilton"}

// uuidV4 formats 16 random bytes from r as a canonical lower-case UUIDv4.
func uuidV4(r *rand.Rand) string {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hex[c>>4], hex[c&0xf])
	}
	return string(out)
}

// genIDs returns the Rows user ids, deterministically.
func genIDs() []string {
	r := rand.New(rand.NewPCG(1, 2))
	ids := make([]string, Rows)
	for i := range ids {
		ids[i] = uuidV4(r)
	}
	return ids
}

// doc returns a JSON document resembling a SCIM-ish user resource: at least
// 300 bytes (352–368 with the ids and emails the fixture uses).
func doc(id, email, first, last string, i int) string {
	s := fmt.Sprintf(`{"id":%q,"userName":%q,"name":{"givenName":%q,"familyName":%q,"formatted":"%s %s"},`+
		`"emails":[{"value":%q,"primary":true,"type":"work"}],"active":true,"locale":"en-GB",`+
		`"meta":{"resourceType":"User","created":"2024-01-%02dT10:00:00Z","version":"W/\"1\""},"pad":"`,
		id, email, first, last, first, last, email, i%28+1)
	if n := 300 - len(s) - 2; n > 0 {
		s += strings.Repeat("x", n)
	}
	return s + `"}`
}

func build(d Driver) (*Fixture, error) {
	dir, err := os.MkdirTemp("", "sqlitebench-fixture-")
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "fixture.db")
	db, err := d.Open(path, Config{Synchronous: "OFF", Immediate: true})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if err := CheckPragmas(db, Config{Synchronous: "OFF"}); err != nil {
		return nil, err
	}
	if _, err := db.Exec(schema); err != nil {
		return nil, err
	}
	ids := genIDs()
	const perTx = 20_000
	for base := 0; base < Rows; base += perTx {
		tx, err := db.Begin()
		if err != nil {
			return nil, err
		}
		st, err := tx.Prepare(`INSERT INTO users (id, email, first_name, last_name, version, doc) VALUES (?, ?, ?, ?, 1, ?)`)
		if err != nil {
			tx.Rollback()
			return nil, err
		}
		for i := base; i < base+perTx && i < Rows; i++ {
			id := ids[i]
			email := fmt.Sprintf("user%06d@example.com", i)
			first, last := firstNames[i%len(firstNames)], lastNames[(i/len(firstNames))%len(lastNames)]
			if _, err := st.Exec(id, email, first, last, doc(id, email, first, last, i)); err != nil {
				st.Close()
				tx.Rollback()
				return nil, err
			}
		}
		st.Close()
		if err := tx.Commit(); err != nil {
			return nil, err
		}
	}
	if _, err := db.Exec(`ANALYZE`); err != nil {
		return nil, err
	}
	if _, err := db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return nil, err
	}
	if err := db.Close(); err != nil {
		return nil, err
	}
	// The main file now holds everything; drop any leftover -wal/-shm so
	// copies start clean.
	os.Remove(path + "-wal")
	os.Remove(path + "-shm")
	return &Fixture{Path: path, IDs: ids, dir: dir}, nil
}

// Copy copies the fixture into dir and returns the new file's path.
func (f *Fixture) Copy(dir string) (string, error) {
	dst := filepath.Join(dir, "roster.db")
	in, err := os.Open(f.Path)
	if err != nil {
		return "", err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return "", err
	}
	return dst, out.Close()
}

// CheckPragmas fails unless the connection settings the DSN was supposed to
// apply are in force (on one pooled connection).
func CheckPragmas(db *sql.DB, cfg Config) error {
	want := map[string]string{
		"journal_mode": "wal",
		"busy_timeout": "5000",
		"foreign_keys": "1",
		"synchronous":  map[string]string{"OFF": "0", "NORMAL": "1", "FULL": "2", "EXTRA": "3"}[cfg.Synchronous],
		"mmap_size":    "0",
		"cache_size":   "-2000",
	}
	if cfg.Tuned {
		for _, p := range TunedPragmas {
			want[p[0]] = p[1]
		}
	}
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	for p, w := range want {
		var got string
		if err := conn.QueryRowContext(ctx, "PRAGMA "+p).Scan(&got); err != nil {
			return fmt.Errorf("PRAGMA %s: %w", p, err)
		}
		if !strings.EqualFold(got, w) {
			return fmt.Errorf("PRAGMA %s = %q, want %q (DSN not applied?)", p, got, w)
		}
	}
	return nil
}

// CPUMeter reports process CPU time (user+sys) per operation as the
// "cpu-ns/op" metric. On a shared machine wall time per op swings with other
// processes' load, while CPU time per op mostly does not; for fsync-bound
// writes it also separates the driver's CPU cost from waiting on the disk.
type CPUMeter struct{ start time.Duration }

// StartCPU starts a CPUMeter; call it right before b.ResetTimer.
func StartCPU() *CPUMeter {
	t, _ := CPUTime()
	return &CPUMeter{start: t}
}

// Report adds cpu-ns/op; call it after b.StopTimer.
func (m *CPUMeter) Report(b *testing.B) {
	if t, ok := CPUTime(); ok && b.N > 0 {
		b.ReportMetric(float64(t-m.start)/float64(b.N), "cpu-ns/op")
	}
}

// open copies the fixture into a fresh temp dir and opens a pool on it.
func open(b *testing.B, d Driver, cfg Config) (*sql.DB, *Fixture) {
	b.Helper()
	f := Get(b, d)
	path, err := f.Copy(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	db, err := d.Open(path, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if err := CheckPragmas(db, cfg); err != nil {
		b.Fatalf("%s: %v", d.Name, err)
	}
	return db, f
}

const pointReadSQL = `SELECT id, email, first_name, last_name, version, doc FROM users WHERE id = ?`

type user struct {
	id, email, first, last, doc string
	version                     int64
}

// PointRead: SELECT one user by random primary key from 8 goroutines
// (b.SetParallelism(4) x GOMAXPROCS=2) sharing one read pool of 8
// connections. This is the GET /Users/{id} hot path. Two settings:
// tuning=none is SQLite's defaults (2 MiB page cache per connection, no
// mmap: most page reads are pread system calls into the OS page cache);
// tuning=roster adds TunedPragmas, what Roster's store sets.
func PointRead(b *testing.B, d Driver) {
	b.Run("tuning=none", func(b *testing.B) { pointRead(b, d, false) })
	b.Run("tuning=roster", func(b *testing.B) { pointRead(b, d, true) })
}

func pointRead(b *testing.B, d Driver, tuned bool) {
	db, f := open(b, d, Config{Synchronous: "NORMAL", Tuned: tuned})
	const par = 4
	conns := par * runtime.GOMAXPROCS(0)
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	st, err := db.Prepare(pointReadSQL)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	// Warm every connection and its statement so round 1 is not all opens.
	var wg sync.WaitGroup
	for g := 0; g < conns; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			var u user
			for i := 0; i < 200; i++ {
				id := f.IDs[(g*997+i*7919)%len(f.IDs)]
				if err := st.QueryRow(id).Scan(&u.id, &u.email, &u.first, &u.last, &u.version, &u.doc); err != nil {
					b.Error(err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}
	var seed atomic.Uint64
	b.ReportAllocs()
	b.SetParallelism(par)
	cpu := StartCPU()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		r := rand.New(rand.NewPCG(seed.Add(1), 42))
		var u user
		for pb.Next() {
			id := f.IDs[r.IntN(len(f.IDs))]
			if err := st.QueryRow(id).Scan(&u.id, &u.email, &u.first, &u.last, &u.version, &u.doc); err != nil {
				b.Error(err)
				return
			}
			if u.id != id || len(u.doc) < 250 {
				b.Errorf("bad row for %s: %+v", id, u)
				return
			}
		}
	})
	b.StopTimer()
	cpu.Report(b)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reads/s")
}

const updateSQL = `UPDATE users SET first_name = ?, version = version + 1 WHERE id = ?`

// updates runs b.N one-row UPDATEs, perTx of them per transaction, on a
// single writer connection.
func updates(b *testing.B, d Driver, sync string, perTx int) {
	db, f := open(b, d, Config{Synchronous: sync, Immediate: true})
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	st, err := db.Prepare(updateSQL)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(7, 11))
	names := firstNames
	run := func(n int) {
		for i := 0; i < n; {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				b.Fatal(err)
			}
			ts := tx.StmtContext(ctx, st) // reuses the conn's prepared statement
			for j := 0; j < perTx && i < n; j, i = j+1, i+1 {
				res, err := ts.ExecContext(ctx, names[i%len(names)], f.IDs[r.IntN(len(f.IDs))])
				if err != nil {
					tx.Rollback()
					b.Fatal(err)
				}
				if n, err := res.RowsAffected(); err != nil || n != 1 {
					tx.Rollback()
					b.Fatalf("RowsAffected = %d, %v", n, err)
				}
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
		}
	}
	run(perTx * 5) // warm up: statement prepared, WAL created
	b.ReportAllocs()
	cpu := StartCPU()
	b.ResetTimer()
	run(b.N)
	b.StopTimer()
	cpu.Report(b)
	secs := b.Elapsed().Seconds()
	if perTx == 1 {
		b.ReportMetric(float64(b.N)/secs, "tx/s")
	} else {
		b.ReportMetric(float64(b.N)/secs, "rows/s")
		b.ReportMetric(float64(b.N)/float64(perTx)/secs, "tx/s")
	}
}

// Update: one single-row UPDATE per transaction, one writer connection,
// synchronous=NORMAL (no fsync per commit in WAL mode) and FULL (fsync of
// the WAL on every commit).
func Update(b *testing.B, d Driver) {
	for _, s := range []string{"NORMAL", "FULL"} {
		b.Run("sync="+s, func(b *testing.B) { updates(b, d, s, 1) })
	}
}

// UpdateBatch: group commit. N single-row UPDATEs per transaction with
// synchronous=FULL; b.N counts rows, so ns/op is per row update.
func UpdateBatch(b *testing.B, d Driver) {
	for _, n := range []int{10, 100} {
		b.Run(fmt.Sprintf("sync=FULL/per_tx=%d", n), func(b *testing.B) { updates(b, d, "FULL", n) })
	}
}

// Run runs the whole suite as sub-benchmarks of b.
func Run(b *testing.B, d Driver) {
	b.Run("PointRead", func(b *testing.B) { PointRead(b, d) })
	b.Run("Update", func(b *testing.B) { Update(b, d) })
	b.Run("UpdateBatch", func(b *testing.B) { UpdateBatch(b, d) })
}

// Smoke checks a driver's DSN handling and the schema on a small database,
// so `go test ./...` (without -bench) verifies every driver quickly.
func Smoke(t *testing.T, d Driver) {
	for _, cfg := range []Config{
		{Synchronous: "NORMAL"},
		{Synchronous: "FULL", Immediate: true},
		{Synchronous: "NORMAL", Tuned: true},
	} {
		db, err := d.Open(filepath.Join(t.TempDir(), "smoke.db"), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := CheckPragmas(db, cfg); err != nil {
			db.Close()
			t.Fatalf("%s %+v: %v", d.Name, cfg, err)
		}
		if _, err := db.Exec(schema); err != nil {
			t.Fatal(err)
		}
		id := genIDs()[0]
		if _, err := db.Exec(`INSERT INTO users (id, email, first_name, last_name, doc) VALUES (?, 'a@example.com', 'A', 'B', ?)`,
			id, doc(id, "a@example.com", "A", "B", 0)); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(updateSQL, "C", id); err != nil {
			t.Fatal(err)
		}
		var u user
		if err := db.QueryRow(pointReadSQL, id).Scan(&u.id, &u.email, &u.first, &u.last, &u.version, &u.doc); err != nil {
			t.Fatal(err)
		}
		if u.first != "C" || u.version != 2 || len(u.doc) < 250 {
			t.Fatalf("%s: read back %+v (doc %d bytes)", d.Name, u, len(u.doc))
		}
		db.Close()
	}
}
