// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestGeneratedClientQuickStart drives the README's quick start through a
// TypeScript client generated from the OpenAPI document (openapi-typescript
// + openapi-fetch, examples/client-ts) against a real server. It runs when
// ROSTER_TEST_CLIENT_TS names that folder with the client built, which
// scripts/test.sh does:
//
//	cd examples/client-ts && npm ci && go run ../../cmd/roster openapi > openapi.json &&
//	npx openapi-typescript openapi.json -o src/roster.d.ts && npx tsc -p .
//
// With ROSTER_TEST_PRISM set too, the client talks through Prism.
func TestGeneratedClientQuickStart(t *testing.T) {
	dir := os.Getenv("ROSTER_TEST_CLIENT_TS")
	if dir == "" {
		t.Skip("SKIP: set ROSTER_TEST_CLIENT_TS to examples/client-ts, built (scripts/test.sh does)")
	}
	script := filepath.Join(dir, "dist", "quickstart.js")
	if _, err := os.Stat(script); err != nil {
		t.Fatalf("%v: build the client first (npx tsc -p %s)", err, dir)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	s := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "ROSTER_URL="+s.URL, "ROSTER_KEY="+s.Key)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("quick start through the generated client: %v", err)
	}
}
