// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/service"
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
	store, err := openStore(ctx, m.Config, prometheus.NewRegistry(), true) // metrics of a one-off command go nowhere
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
