// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/pgtest"
)

// startAndStop runs a server and stops it again; it returns Run's error.
func startAndStop(t *testing.T, configure ...func(*Config)) error {
	t.Helper()
	m, _ := newTestMain(t, configure...)
	err := m.Run(context.Background())
	if cerr := m.Close(); cerr != nil {
		t.Errorf("close server: %v", cerr)
	}
	return err
}

// wantRefused fails the test unless a start was refused with a message
// that says what to do.
func wantRefused(t *testing.T, what string, err error, says ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: the server started", what)
	}
	for _, s := range says {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("%s: the error does not say %q: %v", what, s, err)
		}
	}
}

// TestSecretKeyChanged: a server restarted on its database with another
// secret key (ROSTER_SECRET_KEY changed, or a data folder moved without
// its secret.key) refuses to start, saying why; with its key back it
// starts, and its sealed secrets open.
func TestSecretKeyChanged(t *testing.T) {
	dir, dbURL := t.TempDir(), ""
	if onPostgres() {
		dbURL = pgtest.URL(t)
	}
	same := func(c *Config) { c.DataDir, c.DatabaseURL = dir, dbURL }
	fix := "put back the data folder's secret.key"
	if onPostgres() {
		fix = "set the same ROSTER_SECRET_KEY on every node"
	}

	m, logs := newTestMain(t, same)
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := &testServer{t: t, URL: "http://" + m.Addr(), Key: testKey, Main: m, logs: logs}
	rc := newReceiver(t)
	secret := signingSecret(s.createWebhook(map[string]any{"url": rc.URL, "events": []string{"user.updated"}}))
	rc.check = func(r *http.Request, body []byte) string { return verifySignature(secret, r.Header, body) }
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(filepath.Join(dir, "secret.key"))
	if err != nil {
		t.Fatal(err)
	}

	err = startAndStop(t, same, func(c *Config) { c.SecretKey = "another-secret-key-0123456789abcdef0123" })
	wantRefused(t, "another ROSTER_SECRET_KEY", err, "does not open", "ROSTER_SECRET_KEY", fix)
	if err := os.Remove(filepath.Join(dir, "secret.key")); err != nil {
		t.Fatal(err)
	}
	err = startAndStop(t, same)
	wantRefused(t, "without its secret.key", err, "does not open", "the key in", fix)

	// With its key back, it starts, and the webhook's signing secret
	// opens: a change is delivered, signed.
	s = startServer(t, same, func(c *Config) { c.SecretKey = strings.TrimSpace(string(key)) })
	s.do("PATCH", "/v1/users/me", map[string]any{"last_name": "Keyed"}, "Content-Type", "application/merge-patch+json").want(http.StatusOK)
	rc.wait(1)
}

// TestMultiNodeSecretKeyMismatch: a node whose secret key is not the one
// the first node sealed the database's secrets with, set or generated,
// refuses to start and says to share ROSTER_SECRET_KEY; the nodes that
// share it go on.
func TestMultiNodeSecretKeyMismatch(t *testing.T) {
	needPostgres(t)
	url := pgtest.URL(t)
	first := startNodes(t, url, 1)[0]
	for what, key := range map[string]string{"another ROSTER_SECRET_KEY": "another-secret-key-0123456789abcdef0123", "ROSTER_SECRET_KEY unset": ""} {
		err := startAndStop(t, func(c *Config) { c.DatabaseURL, c.SecretKey = url, key })
		wantRefused(t, what, err, "does not open", "set the same ROSTER_SECRET_KEY on every node")
	}
	first.do("GET", "/v1/users/me", nil).want(http.StatusOK)
	startNodes(t, url, 1)[0].do("GET", "/v1/users/me", nil).want(http.StatusOK)
}
