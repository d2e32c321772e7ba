// SPDX-License-Identifier: Apache-2.0

package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"modernc.org/sqlite"
)

// fileDSN is the data source name of the database file at path with the
// given query (pragmas, mode).
func fileDSN(path, query string) string {
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + query
}

// Backup writes a consistent copy of the database at dbPath (a server may
// be running on it and writing) to dest, which must not exist: SQLite's
// online backup API, over a connection of its own, copies the database's
// pages as one read transaction sees them — every transaction committed
// before it began, none after — without blocking the writer (WAL mode).
// The copy is created readable by its owner only (0600), then checked
// (Verify) and synced; on any failure no file is left at dest.
//
// progress, when not nil, is called about every 200 ms while the copy is
// written, with the bytes written so far and the size of the database.
func Backup(ctx context.Context, dbPath, dest string, progress func(written, total int64)) (err error) {
	if _, err := os.Stat(dbPath); err != nil {
		return fmt.Errorf("no Roster database to back up: %w", err)
	}
	// The copy is written under a temporary name beside dest and renamed
	// once checked, so that dest never holds a partial copy.
	tmp := dest + ".partial"
	f, err := os.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create the backup file: %w", err)
	}
	f.Close()
	defer func() {
		if err != nil {
			os.Remove(dest)
			os.Remove(tmp)
		}
	}()
	// An empty file made here with 0600 keeps the copy private from its
	// first byte.
	t, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create the backup file: %w", err)
	}
	t.Close()
	// mode=rw: never create a database where there is none.
	src, err := sql.Open("sqlite", fileDSN(dbPath, "mode=rw&_pragma=busy_timeout(10000)"))
	if err != nil {
		return err
	}
	defer src.Close()
	src.SetMaxOpenConns(1)
	var n int
	if err := src.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&n); err != nil {
		return fmt.Errorf("read %s: %w", dbPath, err)
	} else if n == 0 {
		return fmt.Errorf("%s is not a Roster database (no schema_migrations table)", dbPath)
	}
	if progress != nil {
		var total int64 // 0, unknown, if the size cannot be read
		_ = src.QueryRowContext(ctx, `SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()`).Scan(&total)
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			t := time.NewTicker(200 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					if fi, err := os.Stat(tmp); err == nil {
						progress(fi.Size(), total)
					}
				}
			}
		}()
		defer func() { close(stop); <-done }()
	}
	if err := copyPages(ctx, src, tmp); err != nil {
		return fmt.Errorf("copy the database: %w", err)
	}
	if err := Verify(ctx, tmp); err != nil {
		return fmt.Errorf("the copy does not check out: %w", err)
	}
	if err := syncFile(tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, dest); err != nil {
		return err
	}
	return syncDir(filepath.Dir(dest))
}

// backuper is the modernc driver connection's online backup.
type backuper interface {
	NewBackup(dstURI string) (*sqlite.Backup, error)
}

// copyPages copies every page of src's database into the empty file at
// dest with SQLite's online backup API, in ONE step: the step holds a
// single read transaction on src, so the copy is one snapshot while the
// server's writer goes on (WAL). Steps of a few pages would let writes in
// between them, and each write by another connection restarts a backup
// from its first page: under a steady load it would never end. Copying
// pages as they are is several times faster than VACUUM INTO, which
// rebuilt every table and index row by row. The copy needs no journal
// and no syncs of its own: a failed copy is deleted, and a finished one
// is checked and synced before it takes dest's name. The one step cannot
// be interrupted: a cancelled ctx is noticed when it returns.
func copyPages(ctx context.Context, src *sql.DB, dest string) error {
	conn, err := src.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		b, ok := dc.(backuper)
		if !ok {
			return fmt.Errorf("the SQLite driver (%T) has no backup API", dc)
		}
		bk, err := b.NewBackup(fileDSN(dest, "_pragma=journal_mode(OFF)&_pragma=synchronous(OFF)"))
		if err != nil {
			return err
		}
		_, err = bk.Step(-1)
		if err == nil {
			err = ctx.Err()
		}
		if ferr := bk.Finish(); err == nil {
			err = ferr
		}
		return err
	})
}

// Verify checks that the file at path is a sound Roster database:
// PRAGMA integrity_check answers ok, it has the schema_migrations table,
// and it holds no migration this build does not know (a newer Roster's).
// The file must not be in use (it is opened immutable).
func Verify(ctx context.Context, path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", path)
	}
	db, err := sql.Open("sqlite", fileDSN(path, "mode=ro&immutable=1"))
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return fmt.Errorf("%s is not a SQLite database: %w", path, err)
	}
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return err
		}
		if s != "ok" {
			problems = append(problems, s)
		}
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s is not a SQLite database: %w", path, err)
	}
	if len(problems) > 0 {
		if len(problems) > 5 {
			problems = append(problems[:5], "…")
		}
		return fmt.Errorf("integrity_check of %s: %s", path, strings.Join(problems, "; "))
	}
	names, err := db.QueryContext(ctx, `SELECT name FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("%s is not a Roster database (no schema_migrations table): %w", path, err)
	}
	defer names.Close()
	known := map[string]bool{}
	for _, n := range migrationNames() {
		known[n] = true
	}
	count := 0
	for names.Next() {
		var n string
		if err := names.Scan(&n); err != nil {
			return err
		}
		if !known[n] {
			return fmt.Errorf("%s was made by a newer Roster (migration %s is unknown to this one): restore it with that version", path, n)
		}
		count++
	}
	if err := names.Err(); err != nil {
		return err
	}
	if count == 0 {
		return fmt.Errorf("%s is not a Roster database (no migration applied)", path)
	}
	return nil
}

// Restore checks the backup at src (Verify) and copies it to dbPath,
// 0600, replacing what is there: the caller has made sure that no server
// runs on it and that replacing it is wanted. The WAL and shared-memory
// files of the database it replaces are removed first — SQLite would
// otherwise apply that stale WAL to the restored file.
func Restore(ctx context.Context, src, dbPath string) (err error) {
	// A database with a WAL beside it is a live one (or a crashed one's):
	// the file alone misses what the WAL holds.
	if fi, err := os.Stat(src + "-wal"); err == nil && fi.Size() > 0 {
		return fmt.Errorf("%s has a write-ahead log beside it (%s): it is a database in use, not a backup; make one with roster backup", src, filepath.Base(src)+"-wal")
	}
	if err := Verify(ctx, src); err != nil {
		return err
	}
	dir := filepath.Dir(dbPath)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create data folder: %w", err)
	}
	tmp := dbPath + ".restoring"
	if err := copyFile(src, tmp); err != nil {
		os.Remove(tmp)
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	for _, name := range []string{dbPath + "-wal", dbPath + "-shm", dbPath + "-journal"} {
		if err := os.Remove(name); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove the replaced database's %s: %w", filepath.Base(name), err)
		}
	}
	if err := os.Rename(tmp, dbPath); err != nil {
		return err
	}
	return syncDir(dir)
}

// copyFile copies src to a new file dst (0600) and syncs it.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if err := out.Chmod(0o600); err != nil { // an older file of that name
		out.Close()
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", src, err)
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
