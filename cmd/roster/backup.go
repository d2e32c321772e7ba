// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/rosterhq/roster/sqlite"
)

// errPostgresBackup answers roster backup and restore on PostgreSQL.
var errPostgresBackup = errors.New("the PostgreSQL store is backed up with PostgreSQL's own tools, not roster backup: " +
	"pg_dump --format=custom --file=roster.dump URL (restore with pg_restore --dbname=URL roster.dump), " +
	"or pg_basebackup for the whole cluster with point-in-time recovery (see README, Backups)")

// storeFlags parses the flags backup and restore share, with the
// ROSTER_DATA_DIR and ROSTER_DATABASE_URL defaults of roster serve.
func storeFlags(name string, args []string, getenv func(string) string, stderr io.Writer, force *bool) (dataDir, databaseURL string, rest []string, err error) {
	fs := flag.NewFlagSet("roster "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir = DefaultConfig().DataDir
	if v := getenv("ROSTER_DATA_DIR"); v != "" {
		dataDir = v
	}
	databaseURL = getenv("ROSTER_DATABASE_URL")
	fs.StringVar(&dataDir, "data-dir", dataDir, "folder of the embedded database (ROSTER_DATA_DIR)")
	fs.StringVar(&databaseURL, "database-url", databaseURL, "PostgreSQL URL (ROSTER_DATABASE_URL): refused, PostgreSQL has its own tools")
	if force != nil {
		fs.BoolVar(force, "force", false, "replace the database of a data folder that is not empty")
	}
	fs.Usage = func() {
		if force != nil {
			fmt.Fprintf(stderr, "Usage: roster restore [--force] --data-dir DIR FILE\n\nChecks the backup FILE and makes it the database of DIR (stop the server first).\n\n")
		} else {
			fmt.Fprintf(stderr, "Usage: roster backup --data-dir DIR FILE\n\nWrites a consistent copy of DIR's database to FILE, safe while a server runs on it.\n\n")
		}
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return "", "", nil, errUsage // -h included: the usage is printed
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return "", "", nil, errUsage
	}
	return dataDir, databaseURL, fs.Args(), nil
}

// runBackup is roster backup: a consistent online copy of the embedded
// store (sqlite.Backup), checked, 0600.
func runBackup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	dataDir, databaseURL, rest, err := storeFlags("backup", args, getenv, stderr, nil)
	if err != nil {
		return err
	}
	if databaseURL != "" {
		return errPostgresBackup
	}
	dest := rest[0]
	p := newProgress(stderr, "backup")
	p.note("copying " + filepath.Join(dataDir, "roster.db"))
	if err := sqlite.Backup(ctx, filepath.Join(dataDir, "roster.db"), dest, p.bytes); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	size := int64(0)
	if fi, err := os.Stat(dest); err == nil {
		size = fi.Size()
	}
	p.done(fmt.Sprintf("backed up to %s (%d bytes, integrity_check ok)", dest, size))
	if _, err := os.Stat(filepath.Join(dataDir, "secret.key")); err == nil {
		fmt.Fprintf(stderr, "roster backup: keep a copy of %s too (or your ROSTER_SECRET_KEY): the backup's webhook and TOTP secrets are sealed with it, and it is not in the backup\n",
			filepath.Join(dataDir, "secret.key"))
	}
	return nil
}

// runRestore is roster restore: checks the backup, refuses a data folder
// that holds anything but a secret.key unless --force, and copies the
// backup in as its database.
func runRestore(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var force bool
	dataDir, databaseURL, rest, err := storeFlags("restore", args, getenv, stderr, &force)
	if err != nil {
		return err
	}
	if databaseURL != "" {
		return errPostgresBackup
	}
	src := rest[0]
	if err := sqlite.Verify(ctx, src); err != nil {
		return fmt.Errorf("restore: %s cannot be restored: %w", src, err)
	}
	entries, err := os.ReadDir(dataDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("restore: %w", err)
	}
	var held []string
	for _, e := range entries {
		// The secret key belongs beside the database it seals secrets
		// of: putting it in first is the right order.
		if e.Name() != "secret.key" {
			held = append(held, e.Name())
		}
	}
	if len(held) > 0 && !force {
		return fmt.Errorf("restore: the data folder %s is not empty (it holds %s): restore into an empty folder, or stop the server on it and pass --force to replace its database", dataDir, held[0])
	}
	if err := sqlite.Restore(ctx, src, filepath.Join(dataDir, "roster.db")); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	fmt.Fprintf(stdout, "restored %s into %s\n", src, filepath.Join(dataDir, "roster.db"))
	if _, err := os.Stat(filepath.Join(dataDir, "secret.key")); err != nil && getenv("ROSTER_SECRET_KEY") == "" {
		fmt.Fprintf(stderr, "roster restore: %s has no secret.key: put back the one of the backed-up data folder (or set ROSTER_SECRET_KEY) before you start the server\n", dataDir)
	}
	return nil
}
