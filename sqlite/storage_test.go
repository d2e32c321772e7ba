// SPDX-License-Identifier: Apache-2.0

package sqlite

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/service"
	"github.com/rosterhq/roster/storetest"
)

// TestStorageFootprint measures what the embedded store keeps and writes
// (docs/PERFORMANCE.md, "Storage"): ROSTER_STORAGE_USERS users created
// through the service by 32 goroutines (first name, last name, email, as
// scripts/bench.sh seeds them), then as many one-field merge patches. It
// reports the database and WAL sizes after each phase, the bytes per user
// and per patch kept in the database (after a TRUNCATE checkpoint), the
// bytes the process wrote per patch (wchar of /proc/self/io: WAL frames
// and checkpoint copies), the largest WAL seen, and the largest tables.
// It is skipped without the variable.
//
//	ROSTER_STORAGE_USERS=20000 go test ./sqlite -run TestStorageFootprint -count=1 -v -timeout 30m
func TestStorageFootprint(t *testing.T) {
	n := storetest.StorageUsers(t)
	ctx := context.Background()
	dir := os.Getenv("ROSTER_STORAGE_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, "roster.db")
	db, s, c := openService(t, path)
	var walPeak atomic.Int64
	stopWatch := watchWAL(path, &walPeak)
	defer stopWatch()

	ids := make([]string, n)
	start := time.Now()
	storetest.Parallel(t, n, func(i int) error {
		r := rand.New(rand.NewPCG(uint64(i), 7))
		first, last, email := randomName(r), randomName(r), fmt.Sprintf("load-%d@example.com", i)
		u, err := s.CreateUser(ctx, c, &roster.UserInput{FirstName: &first, LastName: &last, Email: &email})
		if u != nil {
			ids[i] = u.ID
		}
		return err
	})
	t.Logf("created %d users in %s", n, time.Since(start).Round(time.Millisecond))
	logSizes(t, path, "after seeding (as left)")
	seeded := emptyWAL(t, db, path)
	t.Logf("after seeding, checkpointed: database %s = %.0f bytes/user", mib(seeded), float64(seeded)/float64(n))
	logTables(t, db, n)

	w0 := wchar(t)
	start = time.Now()
	storetest.Parallel(t, n, func(i int) error {
		// A trailing z, which no syllable has, makes every patch a change.
		r := rand.New(rand.NewPCG(uint64(i), 8))
		patch := []byte(`{"first_name":"` + randomName(r) + `z"}`)
		_, err := s.PatchUser(ctx, c, ids[i], roster.MergePatch, patch, nil)
		return err
	})
	written := wchar(t) - w0
	t.Logf("patched %d users in %s: %.0f bytes written/patch (wchar)", n, time.Since(start).Round(time.Millisecond), float64(written)/float64(n))
	logSizes(t, path, "after patching (as left)")
	patched := emptyWAL(t, db, path)
	t.Logf("after patching, checkpointed: database %s, +%.0f bytes/patch; largest WAL seen %s",
		mib(patched), float64(patched-seeded)/float64(n), mib(walPeak.Load()))
	logTables(t, db, n)

	start = time.Now()
	expired, purged, err := s.ApplyRetention(ctx, service.Retention{Feed: time.Nanosecond, Audit: time.Nanosecond}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	t.Logf("retention: %d events left the feed and %d were deleted in %s, %.1f ms a transaction of up to 500",
		expired, purged, took.Round(time.Millisecond), float64(took.Milliseconds())/float64((expired+purged)/500+2))
	logSizes(t, path, "after the retention (as left)")
}

// watchWAL records the largest size of the WAL file, sampled every 50 ms.
func watchWAL(path string, peak *atomic.Int64) (stop func()) {
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() > peak.Load() {
					peak.Store(fi.Size())
				}
			}
		}
	}()
	return func() { close(done) }
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

func logSizes(t *testing.T, path, when string) {
	t.Logf("%s: database %s, WAL %s", when, mib(fileSize(path)), mib(fileSize(path+"-wal")))
}

// emptyWAL copies the WAL into the database file and empties it, and
// returns the database file's size.
func emptyWAL(t *testing.T, db *DB, path string) int64 {
	t.Helper()
	if _, err := db.ckpt.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	return fileSize(path)
}

// wchar returns the bytes this process has written with system calls.
func wchar(t *testing.T) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/io")
	if err != nil {
		t.Skip("no /proc/self/io")
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "wchar: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	t.Skip("no wchar in /proc/self/io")
	return 0
}

// logTables logs every table and index with its bytes (dbstat) and bytes
// per user, and the average stored documents of users and events.
func logTables(t *testing.T, db *DB, users int) {
	rows, err := db.read.Query(`SELECT name, sum(pgsize) AS size FROM dbstat GROUP BY name HAVING size > 8192 ORDER BY size DESC`)
	if err != nil {
		t.Logf("no dbstat: %v", err)
		return
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var size int64
		if err := rows.Scan(&name, &size); err != nil {
			t.Fatal(err)
		}
		t.Logf("  %-28s %9s %6.0f bytes/user", name, mib(size), float64(size)/float64(users))
	}
	var user, event, search float64
	if err := db.read.QueryRow(`SELECT (SELECT avg(length(doc)) FROM users), (SELECT coalesce(avg(length(doc)), 0) FROM events), (SELECT avg(length(search)) FROM users)`).Scan(&user, &event, &search); err != nil {
		t.Fatal(err)
	}
	t.Logf("  average users.doc %.0f bytes, users.search %.0f bytes, events.doc %.0f bytes", user, search, event)
}

// TestWALStaysBounded writes about three times walLimit of log through
// concurrent creations while readers read, and checks that the WAL file
// never grows far past walLimit, and that it is emptied once the writes
// stop.
func TestWALStaysBounded(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "roster.db")
	_, s, c := openService(t, path)
	var peak atomic.Int64
	stop := watchWAL(path, &peak)
	storetest.Parallel(t, 3000, func(i int) error {
		r := rand.New(rand.NewPCG(uint64(i), 7))
		first, email := randomName(r), fmt.Sprintf("wal-%d@example.com", i)
		u, err := s.CreateUser(ctx, c, &roster.UserInput{FirstName: &first, Email: &email})
		if err == nil {
			_, err = s.User(ctx, c, u.ID)
		}
		return err
	})
	stop()
	if p := peak.Load(); p > walLimit+walLimit/2 {
		t.Errorf("the WAL grew to %s, want at most about %s", mib(p), mib(walLimit))
	}
	deadline := time.Now().Add(10 * time.Second)
	for fileSize(path+"-wal") > 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if n := fileSize(path + "-wal"); n > 0 {
		t.Errorf("the WAL is %d bytes after the writes stopped, want it emptied", n)
	}
	t.Logf("largest WAL %s", mib(peak.Load()))
}
