// SPDX-License-Identifier: Apache-2.0

// Package pgtest gives tests a PostgreSQL database of their own without any
// setup by hand. When ROSTER_TEST_DATABASE_URL is set, the databases are
// made on that server; otherwise the first test that asks starts a
// throwaway cluster with the server binaries of Debian's postgresql package
// (initdb, postgres) in a temporary folder on a free loopback port, and
// Main stops it when the tests end. Each call to URL creates a new, empty
// database, so tests may run in parallel.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the variable that points the tests at an existing server.
// Its URL must be allowed to create and drop databases.
const EnvURL = "ROSTER_TEST_DATABASE_URL"

// shared is the server that URL uses: the one of EnvURL or a cluster
// started on first use.
var shared struct {
	once    sync.Once
	admin   string   // URL of a database to run CREATE DATABASE from
	cluster *Cluster // nil when EnvURL is set
	err     error
}

// Main runs the tests of a package and then stops the cluster that URL
// may have started. Use it as the package's TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// If the test process dies before Main returns (a panic, a timeout), the
// cluster is still stopped: its server gets a signal when the process
// that started it exits.
func Main(m *testing.M) {
	code := m.Run()
	if c := shared.cluster; c != nil {
		if err := c.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
		}
	}
	os.Exit(code)
}

// URL returns the URL of a new, empty database that is dropped when tb
// ends. It skips tb under -short, and when there is no PostgreSQL to use:
// no EnvURL and no server binaries. A test run that asked for PostgreSQL
// (ROSTER_TEST_STORE=postgres) fails instead of skipping.
func URL(tb testing.TB) string {
	tb.Helper()
	return createDatabase(tb, adminURL(tb), "")
}

// URLWith is URL for a database created with options added to CREATE
// DATABASE, such as "TEMPLATE template0 LOCALE 'C'".
func URLWith(tb testing.TB, options string) string {
	tb.Helper()
	return createDatabase(tb, adminURL(tb), options)
}

// adminURL returns the URL of the server's admin database, starting the
// throwaway cluster on first use.
func adminURL(tb testing.TB) string {
	tb.Helper()
	if testing.Short() {
		tb.Skip("SKIP: PostgreSQL tests do not run under -short")
	}
	shared.once.Do(func() {
		if u := os.Getenv(EnvURL); u != "" {
			shared.admin = u
			return
		}
		shared.cluster, shared.err = startCluster()
		if shared.err == nil {
			shared.admin = shared.cluster.adminURL()
		}
	})
	if shared.err != nil {
		unavailable(tb, shared.err, true)
	}
	return shared.admin
}

// unavailable skips tb because PostgreSQL cannot be had, or fails it when
// required and the run asked for PostgreSQL explicitly.
func unavailable(tb testing.TB, err error, required bool) {
	tb.Helper()
	if required && os.Getenv("ROSTER_TEST_STORE") == "postgres" {
		tb.Fatalf("PostgreSQL is required (ROSTER_TEST_STORE=postgres) but unavailable: %v", err)
	}
	tb.Skipf("SKIP: no PostgreSQL for this test: %v", err)
}

// createDatabase creates a randomly named database on the server of
// admin, with options, and returns its URL; the database is dropped when
// tb ends.
func createDatabase(tb testing.TB, admin, options string) string {
	tb.Helper()
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		tb.Fatalf("pgtest: %s must be a postgres:// URL", EnvURL)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "test_" + hex.EncodeToString(b[:])
	if err := adminExec(admin, strings.TrimSpace("CREATE DATABASE "+name+" "+options)); err != nil {
		tb.Fatalf("pgtest: create database: %v", err)
	}
	tb.Cleanup(func() {
		// FORCE ends the sessions a failed test may have left open.
		if err := adminExec(admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Logf("pgtest: drop database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// adminExec runs one statement on its own connection to admin. A
// connection per statement keeps working across a restart of the server.
func adminExec(admin, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}
