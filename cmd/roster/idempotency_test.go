// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"database/sql"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx": the tests read PostgreSQL's rows directly
)

// storeSQL opens the server's database beside it, to look at what is
// stored (and to damage it) as an operator with the database would.
func storeSQL(t *testing.T, s *testServer) *sql.DB {
	t.Helper()
	driver, dsn := "sqlite", "file:"+filepath.Join(s.Main.Config.DataDir, "roster.db")+"?_pragma=busy_timeout(10000)"
	if onPostgres() {
		driver, dsn = "pgx", s.Main.Config.DatabaseURL
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// replayOf sends a POST with an Idempotency-Key twice and checks that the
// second answer is the first, replayed: same status, headers and body.
func (s *testServer) replayOf(path string, body any, key string, status int) *response {
	s.t.Helper()
	first := s.do("POST", path, body, "Idempotency-Key", key).want(status)
	again := s.do("POST", path, body, "Idempotency-Key", key).want(status)
	if again.Header.Get("Idempotency-Replayed") != "true" || !bytes.Equal(again.Body, first.Body) {
		s.t.Fatalf("POST %s was not replayed:\nfirst  %s\nreplay %s (Idempotency-Replayed %q)", path, first.Body, again.Body, again.Header.Get("Idempotency-Replayed"))
	}
	for _, h := range []string{"Content-Type", "Location", "ETag", "Cache-Control"} {
		if again.Header.Get(h) != first.Header.Get(h) {
			s.t.Errorf("POST %s: replayed %s %q, want %q", path, h, again.Header.Get(h), first.Header.Get(h))
		}
	}
	return first
}

// TestIdempotentSecretsSealed: answers that show a secret once, sent with
// an Idempotency-Key, replay the same, and what the store records for the
// replay holds none of those secrets in clear.
func TestIdempotentSecretsSealed(t *testing.T) {
	s := startServer(t)
	rc := newReceiver(t)
	hook := s.replayOf("/v1/webhooks", map[string]any{"url": rc.URL, "events": []string{"user.updated"}}, "hook-1", http.StatusCreated).obj()
	rotated := s.replayOf("/v1/webhooks/"+hook["id"].(string)+"/rotate-secret", nil, "rotate-1", http.StatusOK).obj()
	owner := s.do("GET", "/v1/users/me", nil).want(http.StatusOK).str("id")
	key := s.replayOf("/v1/api-keys", map[string]any{"name": "sealed", "user_id": owner}, "key-1", http.StatusCreated).obj()
	secrets := []string{signingSecret(hook), signingSecret(rotated), key["key"].(string)}
	for _, secret := range secrets {
		if len(secret) < 20 {
			t.Fatalf("an answer did not show its secret: %q in %v %v %v", secret, hook, rotated, key)
		}
	}

	db := storeSQL(t, s)
	rows, err := db.Query(`SELECT header, body, request_hash FROM idempotency WHERE done`)
	if err != nil {
		t.Fatal(err)
	}
	var stored [][]byte
	for rows.Next() {
		var header, body, hash []byte
		if err := rows.Scan(&header, &body, &hash); err != nil {
			t.Fatal(err)
		}
		stored = append(stored, header, body, hash)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(stored) != 3*3 {
		t.Fatalf("%d idempotency records, want 3", len(stored)/3)
	}
	if !onPostgres() {
		for _, name := range []string{"roster.db", "roster.db-wal"} {
			b, _ := os.ReadFile(filepath.Join(s.Main.Config.DataDir, name))
			stored = append(stored, b)
		}
	}
	for _, b := range stored {
		for _, secret := range secrets {
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("the store holds a secret in clear: %.12s…", secret)
			}
		}
	}

	// A recorded answer that does not open (damaged, or sealed with
	// another key) is a problem that says so, not a 500 and not a second
	// run of the request.
	if _, err := db.Exec(`UPDATE idempotency SET body = body || 'x' WHERE done`); err != nil {
		t.Fatal(err)
	}
	p := s.do("POST", "/v1/api-keys", map[string]any{"name": "sealed", "user_id": owner}, "Idempotency-Key", "key-1").problem(http.StatusUnprocessableEntity)
	if detail := p["detail"].(string); !bytes.Contains([]byte(detail), []byte("cannot be replayed")) {
		t.Errorf("detail %q does not say the answer cannot be replayed", detail)
	}
	if n := len(s.do("GET", "/v1/api-keys", nil).want(http.StatusOK).obj()["items"].([]any)); n != 2 {
		t.Errorf("%d API keys, want 2 (the bootstrap key and the one created once)", n)
	}
}
