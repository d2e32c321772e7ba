// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/sqlite"
)

func noEnv(string) string { return "" }

// runCmd runs a roster subcommand in-process and returns its output.
func runCmd(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	err = run(context.Background(), args, noEnv, &out, &errb)
	return out.String(), errb.String(), err
}

// TestBackupWhileServingAndRestore: roster backup copies the embedded
// store while a server on it answers a steady stream of PATCHes; the copy
// is 0600 and sound; restored into a new folder and served, it holds
// every write acknowledged before the backup began. A restore into a
// folder that is not empty is refused without --force, and with --force
// replaces the database and drops its stale WAL.
func TestBackupWhileServingAndRestore(t *testing.T) {
	if onPostgres() {
		t.Skip("roster backup is for the embedded store; PostgreSQL is refused (TestBackupRefusesPostgres)")
	}
	const secret = "backup-test-secret-key-0123456789abcdef"
	s := startServer(t, func(c *Config) { c.SecretKey = secret })
	var ids []string
	for i := range 20 {
		ids = append(ids, s.do("POST", "/v1/users", map[string]any{"first_name": "Load", "last_name": "L0", "email": fmt.Sprintf("load%d@example.com", i)}).want(201).str("id"))
	}

	type ack struct {
		version  int64
		lastName string
	}
	var mu sync.Mutex
	acked := map[string]ack{}
	nAcked := 0
	stop := make(chan struct{})
	loadErr := make(chan error, 1)
	go func() {
		client := &http.Client{Timeout: 30 * time.Second}
		for i := 1; ; i++ {
			select {
			case <-stop:
				loadErr <- nil
				return
			default:
			}
			id, last := ids[i%len(ids)], fmt.Sprintf("L%d", i)
			req, _ := http.NewRequest("PATCH", s.URL+"/v1/users/"+id, strings.NewReader(`{"last_name":"`+last+`"}`))
			req.Header.Set("Authorization", "Bearer "+s.Key)
			req.Header.Set("Content-Type", "application/merge-patch+json")
			res, err := client.Do(req)
			if err != nil {
				loadErr <- err
				return
			}
			var u struct {
				Version  int64  `json:"version"`
				LastName string `json:"last_name"`
			}
			err = json.NewDecoder(res.Body).Decode(&u)
			res.Body.Close()
			if res.StatusCode != 200 || err != nil || u.LastName != last {
				loadErr <- fmt.Errorf("PATCH %s: status %d, %v, last_name %q", id, res.StatusCode, err, u.LastName)
				return
			}
			mu.Lock()
			acked[id] = ack{u.Version, last}
			nAcked++
			mu.Unlock()
		}
	}()
	waitAcks := func(n int) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			mu.Lock()
			got := nAcked
			mu.Unlock()
			if got >= n {
				return
			}
			select {
			case err := <-loadErr:
				t.Fatalf("load stopped: %v", err)
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("only %d PATCHes acknowledged, want %d", got, n)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitAcks(100)

	mu.Lock()
	before, ackedBefore := maps.Clone(acked), nAcked
	mu.Unlock()
	file := filepath.Join(t.TempDir(), "roster.backup")
	_, stderr, err := runCmd(t, "backup", "--data-dir", s.Main.Config.DataDir, file)
	if err != nil {
		t.Fatalf("roster backup: %v\n%s", err, stderr)
	}
	mu.Lock()
	during := nAcked - ackedBefore
	mu.Unlock()
	waitAcks(ackedBefore + during + 50) // the server goes on serving writes
	close(stop)
	if err := <-loadErr; err != nil {
		t.Fatalf("load: %v", err)
	}
	t.Logf("PATCHes acknowledged before the backup: %d, while it ran: %d; stderr: %s", ackedBefore, during, stderr)
	if strings.ContainsAny(stderr, "\r\x1b") {
		t.Errorf("backup's output to a non-terminal holds control characters: %q", stderr)
	}
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("backup file mode %o, want 600", fi.Mode().Perm())
	}
	if _, err := os.Stat(file + ".partial"); !os.IsNotExist(err) {
		t.Errorf("the backup left its temporary file: %v", err)
	}
	if err := sqlite.Verify(context.Background(), file); err != nil {
		t.Errorf("the backup does not verify: %v", err)
	}
	if _, _, err := runCmd(t, "backup", "--data-dir", s.Main.Config.DataDir, file); err == nil {
		t.Error("roster backup over an existing file succeeded; it must refuse")
	}

	dir := filepath.Join(t.TempDir(), "restored")
	if out, stderr, err := runCmd(t, "restore", "--data-dir", dir, file); err != nil {
		t.Fatalf("roster restore into a new folder: %v\n%s%s", err, out, stderr)
	}
	db := filepath.Join(dir, "roster.db")
	if fi, err := os.Stat(db); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("restored database: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}
	if err := sqlite.Verify(context.Background(), db); err != nil {
		t.Fatalf("restored database: %v", err)
	}

	s2 := startServer(t, func(c *Config) { c.SecretKey = secret; c.DataDir = dir })
	for id, a := range before {
		u := s2.do("GET", "/v1/users/"+id, nil).want(200)
		var got struct {
			Version  int64  `json:"version"`
			LastName string `json:"last_name"`
		}
		if err := json.Unmarshal(u.Body, &got); err != nil {
			t.Fatal(err)
		}
		if got.Version < a.version || (got.Version == a.version && got.LastName != a.lastName) {
			t.Errorf("user %s restored at version %d (last_name %q); the write acknowledged before the backup made version %d (last_name %q)",
				id, got.Version, got.LastName, a.version, a.lastName)
		}
	}

	// The folder now holds a database: no restore without --force.
	_, _, err = runCmd(t, "restore", "--data-dir", dir, file)
	if err == nil || !strings.Contains(err.Error(), "not empty") || !strings.Contains(err.Error(), "--force") {
		t.Errorf("restore into a folder with a database: %v; want a refusal that names --force", err)
	}

	// --force replaces a database and drops its stale WAL.
	other := t.TempDir()
	for _, name := range []string{"roster.db", "roster.db-wal", "roster.db-shm"} {
		if err := os.WriteFile(filepath.Join(other, name), []byte("stale"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := runCmd(t, "restore", "--force", "--data-dir", other, file); err != nil {
		t.Fatalf("restore --force: %v", err)
	}
	for _, name := range []string{"roster.db-wal", "roster.db-shm"} {
		if _, err := os.Stat(filepath.Join(other, name)); !os.IsNotExist(err) {
			t.Errorf("restore --force left the replaced database's %s", name)
		}
	}
	if err := sqlite.Verify(context.Background(), filepath.Join(other, "roster.db")); err != nil {
		t.Errorf("database restored with --force: %v", err)
	}
}

// TestRestoreRefusesBadFiles: a file that is not a SQLite database, or a
// SQLite database that is not Roster's, is refused before the data
// folder is touched.
func TestRestoreRefusesBadFiles(t *testing.T) {
	tmp := t.TempDir()
	junk := filepath.Join(tmp, "junk")
	if err := os.WriteFile(junk, bytes.Repeat([]byte("not a database "), 1000), 0o600); err != nil {
		t.Fatal(err)
	}
	foreign := filepath.Join(tmp, "foreign.db")
	db, err := sqlite.Open(context.Background(), filepath.Join(tmp, "real", "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	// A SQLite file without schema_migrations: VACUUM INTO of an empty
	// database made by hand.
	if err := os.WriteFile(foreign, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ file, want string }{{junk, "not a SQLite database"}, {foreign, "not a Roster database"}} {
		dir := filepath.Join(tmp, "dest-"+filepath.Base(c.file))
		_, _, err := runCmd(t, "restore", "--data-dir", dir, c.file)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("restore of %s: %v; want an error saying %q", filepath.Base(c.file), err, c.want)
		}
		if _, err := os.Stat(filepath.Join(dir, "roster.db")); !os.IsNotExist(err) {
			t.Errorf("a refused restore wrote %s", filepath.Join(dir, "roster.db"))
		}
	}
	// And the real one, fresh from Open, restores, also into a folder
	// that holds only the secret key put back first.
	dest := filepath.Join(tmp, "dest-real")
	if err := os.MkdirAll(dest, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dest, "secret.key"), []byte("k"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCmd(t, "restore", "--data-dir", dest, filepath.Join(tmp, "real", "roster.db")); err != nil {
		t.Errorf("restore of a fresh database into a folder with only secret.key: %v", err)
	}
}

// TestBackupRefusesPostgres: on PostgreSQL, backup and restore refuse and
// point to PostgreSQL's own tools.
func TestBackupRefusesPostgres(t *testing.T) {
	for _, args := range [][]string{
		{"backup", "--database-url", "postgres://roster@db.example/roster", "out.backup"},
		{"restore", "--database-url", "postgres://roster@db.example/roster", "out.backup"},
	} {
		_, _, err := runCmd(t, args...)
		if err == nil || !strings.Contains(err.Error(), "pg_dump") || !strings.Contains(err.Error(), "pg_basebackup") {
			t.Errorf("roster %s on PostgreSQL: %v; want a refusal naming pg_dump and pg_basebackup", args[0], err)
		}
	}
	_, _, err := runCmd(t, "backup", "--data-dir", t.TempDir(), filepath.Join(t.TempDir(), "x.backup"))
	if err == nil || !strings.Contains(err.Error(), "no Roster database") {
		t.Errorf("backup of an empty data folder: %v; want a refusal", err)
	}
}
