// SPDX-License-Identifier: Apache-2.0

package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Cluster is a throwaway PostgreSQL cluster in a temporary folder,
// listening on a loopback port only, with durability switched off for
// speed (fsync=off): its data is not meant to survive a crash.
type Cluster struct {
	dir      string // temporary folder: data/, postgres.log, pwfile
	bin      string // folder of initdb and postgres
	cred     *syscall.Credential
	port     int
	password string

	mu      sync.Mutex
	running *exec.Cmd
	exited  chan struct{} // closed when running ends
}

// NewCluster starts a cluster of tb's own, for a test that stops and
// starts its server; it is removed when tb ends. It skips tb when the
// server binaries are missing (and fails it as URL does, unless EnvURL
// provides the other tests' PostgreSQL).
func NewCluster(tb testing.TB) *Cluster {
	tb.Helper()
	if testing.Short() {
		tb.Skip("SKIP: PostgreSQL tests do not run under -short")
	}
	c, err := startCluster()
	if err != nil {
		unavailable(tb, err, os.Getenv(EnvURL) == "")
	}
	tb.Cleanup(func() {
		if err := c.Close(); err != nil {
			tb.Errorf("pgtest: %v", err)
		}
	})
	return c
}

// URL returns the URL of a new, empty database in c, dropped when tb
// ends (if the server runs then).
func (c *Cluster) URL(tb testing.TB) string {
	tb.Helper()
	return createDatabase(tb, c.adminURL(), "")
}

func (c *Cluster) adminURL() string {
	return fmt.Sprintf("postgres://postgres:%s@127.0.0.1:%d/postgres?sslmode=disable", c.password, c.port)
}

// startCluster makes a cluster with initdb and starts its server.
func startCluster() (*Cluster, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	cred, err := unprivileged()
	if err != nil {
		return nil, err
	}
	removeStale()
	dir, err := os.MkdirTemp("", "roster-pgtest-")
	if err != nil {
		return nil, err
	}
	var pw [16]byte
	_, _ = rand.Read(pw[:])
	c := &Cluster{dir: dir, bin: bin, cred: cred, password: hex.EncodeToString(pw[:])}
	if err := c.init(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	// A free port can be taken between finding and binding it: try again.
	for range 3 {
		if c.port, err = freePort(); err != nil {
			break
		}
		if err = c.Start(); err == nil {
			return c, nil
		}
	}
	os.RemoveAll(dir)
	return nil, err
}

// init runs initdb as the unprivileged user.
func (c *Cluster) init() error {
	if c.cred != nil {
		if err := os.Chown(c.dir, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			return err
		}
	}
	pwfile := filepath.Join(c.dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(c.password+"\n"), 0o600); err != nil {
		return err
	}
	if c.cred != nil {
		if err := os.Chown(pwfile, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			return err
		}
	}
	var out []byte
	var err error
	// C.UTF-8 gives pg_trgm the character classes of UTF-8 text; fall
	// back to the C locale where the system lacks it.
	for _, locale := range []string{"--locale=C.UTF-8", "--no-locale"} {
		cmd := exec.Command(filepath.Join(c.bin, "initdb"), "-D", filepath.Join(c.dir, "data"), "-U", "postgres",
			"--pwfile="+pwfile, "--auth=scram-sha-256", "--encoding=UTF8", locale, "--no-sync", "--no-instructions")
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
		cmd.Dir = c.dir
		if out, err = cmd.CombinedOutput(); err == nil {
			return nil
		}
		os.RemoveAll(filepath.Join(c.dir, "data"))
	}
	return fmt.Errorf("initdb: %v: %s", err, out)
}

// Start starts the cluster's server (again, after Stop) on its port and
// waits until it accepts connections.
func (c *Cluster) Start() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running != nil {
		return errors.New("pgtest: the cluster is already running")
	}
	logPath := filepath.Join(c.dir, "postgres.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close()
	cmd := exec.Command(filepath.Join(c.bin, "postgres"), "-D", filepath.Join(c.dir, "data"),
		"-c", "listen_addresses=127.0.0.1", "-c", "port="+strconv.Itoa(c.port), "-c", "unix_socket_directories=",
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=300", "-c", "shared_buffers=64MB")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Setpgid keeps a terminal's Ctrl-C away from the server (Stop and
	// Close end it); Pdeathsig ends it if the test process dies first.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred, Setpgid: true, Pdeathsig: syscall.SIGQUIT}
	started := make(chan error, 1)
	exited := make(chan struct{})
	go func() {
		// Pdeathsig fires when the thread that started the child ends, so
		// this goroutine keeps its thread for as long as the server runs.
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		cmd.Wait()
		close(exited)
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	c.running, c.exited = cmd, exited
	if err := c.waitReady(exited); err != nil {
		c.stopLocked()
		tail, _ := os.ReadFile(logPath)
		if len(tail) > 2000 {
			tail = tail[len(tail)-2000:]
		}
		return fmt.Errorf("postgres did not start: %v\n%s", err, tail)
	}
	return nil
}

// waitReady polls until the server accepts a connection.
func (c *Cluster) waitReady(exited <-chan struct{}) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		conn, err := pgx.Connect(ctx, c.adminURL())
		cancel()
		if err == nil {
			conn.Close(context.Background())
			return nil
		}
		select {
		case <-exited:
			return errors.New("the server exited")
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return err
		}
	}
}

// Stop shuts the server down (fast shutdown: sessions are ended) and
// waits for it to exit. The data stays for Start.
func (c *Cluster) Stop() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stopLocked()
}

func (c *Cluster) stopLocked() error {
	if c.running == nil {
		return nil
	}
	cmd, exited := c.running, c.exited
	c.running, c.exited = nil, nil
	_ = cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-exited:
		return nil
	case <-time.After(30 * time.Second):
	}
	_ = cmd.Process.Kill()
	<-exited
	return errors.New("pgtest: postgres did not stop within 30s and was killed")
}

// Close stops the server and removes the cluster's folder.
func (c *Cluster) Close() error {
	err := c.Stop()
	return errors.Join(err, os.RemoveAll(c.dir))
}

// findBin returns the folder of initdb and postgres: pg_config's bindir
// when it holds them (on Debian it may name the client's only), else the
// newest /usr/lib/postgresql/*/bin, else the PATH's.
func findBin() (string, error) {
	has := func(dir string) bool {
		for _, name := range []string{"initdb", "postgres"} {
			if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.IsDir() {
				return false
			}
		}
		return true
	}
	var candidates []string
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		candidates = append(candidates, strings.TrimSpace(string(out)))
	}
	versions, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(versions, func(a, b string) int { return majorOf(b) - majorOf(a) })
	candidates = append(candidates, versions...)
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		candidates = append(candidates, filepath.Dir(p))
	}
	for _, dir := range candidates {
		if has(dir) {
			return dir, nil
		}
	}
	return "", errors.New("PostgreSQL server binaries (initdb, postgres) not found: install Debian's postgresql package (scripts/test.sh does, as root) or set " + EnvURL)
}

// majorOf returns the version number in /usr/lib/postgresql/<n>/bin.
func majorOf(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// unprivileged returns the user to run PostgreSQL as, which refuses to
// run as root: nil (the current user) unless the process is root; then
// the postgres user, or a roster-test user created for the purpose.
func unprivileged() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		if u, err = user.Lookup("roster-test"); err != nil {
			out, err := exec.Command("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "roster-test").CombinedOutput()
			if err != nil {
				return nil, fmt.Errorf("running as root, and no unprivileged user to run PostgreSQL: useradd roster-test: %v: %s", err, out)
			}
			if u, err = user.Lookup("roster-test"); err != nil {
				return nil, err
			}
		}
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// freePort returns a loopback TCP port that is free right now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// removeStale removes the folders of clusters whose test process was
// killed: older than an hour, with no server running in them.
func removeStale() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "roster-pgtest-*"))
	for _, dir := range dirs {
		fi, err := os.Stat(dir)
		if err != nil || time.Since(fi.ModTime()) < time.Hour {
			continue
		}
		if pid, err := os.ReadFile(filepath.Join(dir, "data", "postmaster.pid")); err == nil {
			line, _, _ := strings.Cut(string(pid), "\n")
			if n, err := strconv.Atoi(strings.TrimSpace(line)); err == nil && syscall.Kill(n, 0) == nil {
				continue // still running
			}
		}
		os.RemoveAll(dir)
	}
}
