// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/postgres"
	"github.com/rosterhq/roster/service"
	"github.com/rosterhq/roster/sqlite"
)

// runKeys is `roster keys rotate [serve flags]`: it makes new current
// signing keys and retires the old ones, which stay in the JWKS until
// the ID tokens they signed have expired (--access-token-ttl plus a
// margin). It takes serve's flags and ROSTER_* variables, so the store,
// the secret key and the token lifetime are those of the server, which
// may keep running: every node picks the new keys up within 30 s.
func runKeys(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "rotate" {
		fmt.Fprint(stderr, "usage: roster keys rotate --data-dir DIR | --database-url URL [serve's flags]\n")
		return errUsage
	}
	m := NewMain(stdout, stderr)
	if err := m.ParseFlags(args[1:], getenv); err != nil {
		return err
	}
	m.log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	store, err := openStoreBeside(ctx, m.Config)
	if err != nil {
		return err
	}
	defer store.Close()
	svc := service.New(store, m.log)
	if err := svc.SetSecurity(m.Config.Security); err != nil {
		return err
	}
	if err := m.setSecretKey(ctx, svc); err != nil {
		return err
	}
	ids, err := svc.RotateSigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("rotate the signing keys: %w", err)
	}
	for i, id := range ids {
		fmt.Fprintf(stdout, "%s %s\n", roster.SigningAlgs[i], id)
	}
	return nil
}

// openStoreBeside opens the store of a server that may be running: the
// embedded store must exist already (a rotation never makes a new
// database, nor a new secret key beside it).
func openStoreBeside(ctx context.Context, c Config) (roster.Store, error) {
	if c.DatabaseURL != "" {
		db, err := postgres.Open(ctx, c.DatabaseURL, c.DB)
		if err != nil {
			return nil, fmt.Errorf("open the PostgreSQL store: %w", err)
		}
		return db, nil
	}
	path := filepath.Join(c.DataDir, "roster.db")
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no database in %s: give the data folder of the server (--data-dir) or its --database-url", c.DataDir)
	}
	db, err := sqlite.OpenBeside(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("open the embedded store: %w", err)
	}
	return db, nil
}
