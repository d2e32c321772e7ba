// SPDX-License-Identifier: Apache-2.0

// Command roster runs the Roster account server.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "roster:", err)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

const usage = `Roster — the account server.

Usage:
  roster serve [flags]     run the server (roster serve -h lists the flags)
  roster check [flags]     check the flags and ROSTER_* variables of serve without starting
  roster export --url URL [--organization-id ID] > FILE
                           stream the users the key (ROSTER_API_KEY) may see as NDJSON
  roster import --url URL [--match email|external_id|id] [--from ndjson|auth0|keycloak|csv]
                [--map first_name=First,...] FILE
                           create or update the users of FILE (key in ROSTER_API_KEY); resumable
  roster backup --data-dir DIR FILE
                           copy the embedded store consistently, also while it serves
  roster restore [--force] --data-dir DIR FILE
                           check a backup and make it DIR's database (server stopped)
  roster keys rotate --data-dir DIR | --database-url URL
                           new signing keys for ID tokens; the old ones stay in the JWKS
                           until their tokens expire (serve's flags and ROSTER_* apply)
  roster openapi           print the OpenAPI document
  roster version           print the version
`

// run is the whole program: main only adds signals and the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	switch args[0] {
	case "serve":
		m := NewMain(stdout, stderr)
		if err := m.ParseFlags(args[1:], getenv); err != nil {
			return err
		}
		if err := m.Run(ctx); err != nil {
			return err
		}
		<-ctx.Done()
		return m.Close()
	case "check":
		m := NewMain(stdout, stderr)
		if err := m.ParseFlags(args[1:], getenv); err != nil {
			return err
		}
		c := m.Config
		store := "embedded store in " + c.DataDir
		if c.DatabaseURL != "" {
			store = "PostgreSQL at " + redactURL(c.DatabaseURL)
		}
		fmt.Fprintf(stdout, "the configuration is valid: listen on %s, %s\n", c.Addr, store)
		return nil
	case "export":
		return runExport(ctx, args[1:], getenv, stdout, stderr)
	case "import":
		return runImport(ctx, args[1:], getenv, stdout, stderr)
	case "backup":
		return runBackup(ctx, args[1:], getenv, stdout, stderr)
	case "restore":
		return runRestore(ctx, args[1:], getenv, stdout, stderr)
	case "keys":
		return runKeys(ctx, args[1:], getenv, stdout, stderr)
	case "openapi":
		return printDocument(stdout)
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, "roster", version)
		return nil
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(stderr, "roster: unknown command %q\n\n%s", args[0], usage)
	return errUsage
}
