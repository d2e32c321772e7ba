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
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// roster import through the real command against a real server, on the
// embedded store or PostgreSQL (ROSTER_TEST_STORE).

// importRun is what one roster import printed.
type importRun struct {
	stdout, stderr string
	err            error
}

// runImportCmd runs roster import with s's owner key.
func (s *testServer) runImportCmd(args ...string) importRun {
	s.t.Helper()
	env := map[string]string{"ROSTER_API_KEY": s.Key}
	var out, errb bytes.Buffer
	err := run(context.Background(), append([]string{"import", "--url", s.URL}, args...), func(k string) string { return env[k] }, &out, &errb)
	r := importRun{out.String(), errb.String(), err}
	if strings.ContainsAny(r.stderr, "\r\x1b") {
		s.t.Errorf("roster import's stderr (not a terminal) holds control characters: %q", r.stderr)
	}
	return r
}

// wantSummary fails unless the run printed these counts and succeeded
// exactly when nothing failed.
func (r importRun) wantSummary(t *testing.T, created, updated, unchanged, failed int) {
	t.Helper()
	want := fmt.Sprintf("created %d, updated %d, unchanged %d, failed %d\n", created, updated, unchanged, failed)
	if r.stdout != want {
		t.Fatalf("summary %q, want %q; error %v; stderr:\n%s", r.stdout, want, r.err, r.stderr)
	}
	if (r.err != nil) != (failed > 0) {
		t.Fatalf("with %d failed the command returned %v", failed, r.err)
	}
}

// writeFile writes a test input file and returns its path.
func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// readLines reads a file's lines (none when it does not exist).
func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	} else if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// bulkFile makes n import lines; every line i with bad[i] set is broken
// in the field bad[i] names.
func bulkFile(n int, prefix string, bad map[int]string) []byte {
	breaks := map[string]func(m map[string]any){
		"body.email":                func(m map[string]any) { m["email"] = "not-an-email" },
		"body.first_name":           func(m map[string]any) { delete(m, "first_name") },
		"body.phone.number":         func(m map[string]any) { m["phone"] = map[string]any{"country": "NL", "number": "12"} },
		"body.preferences.language": func(m map[string]any) { m["preferences"] = map[string]any{"language": "not a tag!"} },
		"body.status":               func(m map[string]any) { m["status"] = "sleeping" },
		"body.roles[0]":             func(m map[string]any) { m["roles"] = []string{"emperor"} },
		"body.last_name":            func(m map[string]any) { m["last_name"] = strings.Repeat("x", 300) },
		"body.password_hash":        func(m map[string]any) { m["password_hash"] = "$2b$31$" + strings.Repeat("C", 53) },
		"body.tags[0].color":        func(m map[string]any) { m["tags"] = []map[string]any{{"name": "vip", "color": "red"}} },
		"body.organization_id":      func(m map[string]any) { m["organization_id"] = "org_01JD3M0000000000000000000A" },
	}
	var file bytes.Buffer
	for i := 1; i <= n; i++ {
		m := map[string]any{"first_name": fmt.Sprintf("User%d", i), "last_name": "Bulk", "email": fmt.Sprintf("%s%05d@import.example", prefix, i),
			"preferences": map[string]any{"language": "en", "time_zone": "Europe/Amsterdam"}}
		if field, ok := bad[i]; ok {
			breaks[field](m)
		}
		file.Write(mustJSON(m))
		file.WriteByte('\n')
	}
	return file.Bytes()
}

// badLines picks every 100th line (from 37) of n, cycling through the
// fields bulkFile can break.
func badLines(n int) map[int]string {
	fields := []string{"body.email", "body.first_name", "body.phone.number", "body.preferences.language", "body.status",
		"body.roles[0]", "body.last_name", "body.password_hash", "body.tags[0].color", "body.organization_id"}
	bad := map[int]string{}
	for i := 37; i <= n; i += 100 {
		bad[i] = fields[len(bad)%len(fields)]
	}
	return bad
}

// problemLine is a line of the problems file.
type problemLine struct {
	Line    int            `json:"line"`
	Status  int            `json:"status"`
	Problem map[string]any `json:"problem"`
}

// TestImportCommandTenThousandLines: of a 10,000-line file exactly the
// 100 bad lines fail, each naming its field in the problems file, and
// the failed file holds exactly those lines; the command fails. Run again,
// every good line is unchanged (and writes no event); the failed file,
// fixed, imports as it is.
func TestImportCommandTenThousandLines(t *testing.T) {
	s := startServer(t)
	const n = 10_000
	bad := badLines(n)
	if len(bad) != 100 {
		t.Fatalf("%d bad lines", len(bad))
	}
	file := writeFile(t, "users.ndjson", bulkFile(n, "ten", bad))
	input := readLines(t, file)
	r := s.runImportCmd("--batch", "3000", file)
	r.wantSummary(t, n-100, 0, 0, 100)
	if !strings.Contains(r.err.Error(), "100 lines failed") || !strings.Contains(r.err.Error(), file+".failed.ndjson") {
		t.Errorf("the error does not say what failed and where: %v", r.err)
	}
	failed := readLines(t, file+".failed.ndjson")
	var want []string
	for _, i := range slices.Sorted(maps.Keys(bad)) {
		want = append(want, input[i-1])
	}
	if !slices.Equal(failed, want) {
		t.Fatalf("the failed file holds %d lines, not the %d bad ones as they were", len(failed), len(want))
	}
	problems := readLines(t, file+".failed.problems.ndjson")
	if len(problems) != 100 {
		t.Fatalf("%d problems", len(problems))
	}
	for _, raw := range problems {
		var p problemLine
		if err := json.Unmarshal([]byte(raw), &p); err != nil {
			t.Fatal(err)
		}
		if field, ok := bad[p.Line]; !ok || p.Status != http.StatusUnprocessableEntity || !slices.Equal(fieldErrors(p.Problem), []string{field}) {
			t.Errorf("problem of line %d: %s; want 422 naming %s", p.Line, raw, bad[p.Line])
		}
	}
	if _, err := os.Stat(file + ".roster-import-state"); !os.IsNotExist(err) {
		t.Errorf("the state file is left after the whole file was answered: %v", err)
	}

	events := s.eventCount()
	s.runImportCmd(file).wantSummary(t, 0, 0, n-100, 100)
	if got := s.eventCount(); got != events {
		t.Errorf("running the file again wrote %d events", got-events)
	}

	// Fixed, the failed file imports as it is, and nothing is left over.
	fixed := strings.Split(string(bulkFile(n, "ten", nil)), "\n")
	var fixedLines []string
	for _, i := range slices.Sorted(maps.Keys(bad)) {
		fixedLines = append(fixedLines, fixed[i-1])
	}
	failedFile := file + ".failed.ndjson"
	if err := os.WriteFile(failedFile, []byte(strings.Join(fixedLines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.runImportCmd(failedFile).wantSummary(t, 100, 0, 0, 0)
	if _, err := os.Stat(failedFile + ".failed.ndjson"); !os.IsNotExist(err) {
		t.Errorf("a run with no failure leaves a failed file: %v", err)
	}
}

// TestImportCommandResumes: an import stopped part-way (--stop-after) is
// resumed by the same command, which says so, and gives the users an
// uninterrupted import gives; after a crash that lost the last state
// saves the lines sent again answer unchanged and no failed line is
// written twice. A state of another command or a changed file is refused
// unless --restart.
func TestImportCommandResumes(t *testing.T) {
	const n = 2000
	bad := map[int]string{600: "body.email", 1500: "body.status"}
	data := bulkFile(n, "resume", bad)

	whole := startServer(t)
	wholeFile := writeFile(t, "users.ndjson", data)
	whole.runImportCmd("--batch", "300", wholeFile).wantSummary(t, n-2, 0, 0, 2)

	s := startServer(t)
	file := writeFile(t, "users.ndjson", data)
	state := file + ".roster-import-state"
	s.runImportCmd("--batch", "300", "--stop-after", "500", file).wantSummary(t, 500, 0, 0, 0)
	at500, err := os.ReadFile(state)
	if err != nil {
		t.Fatalf("no state file after a stopped import: %v", err)
	}
	r := s.runImportCmd("--batch", "300", "--stop-after", "200", file)
	if !strings.Contains(r.stderr, "resuming after line 500") {
		t.Errorf("the resumed run does not say so: %s", r.stderr)
	}
	r.wantSummary(t, 699, 0, 0, 1)
	if got := readLines(t, file+".failed.ndjson"); len(got) != 1 {
		t.Fatalf("failed file after line 700: %d lines", len(got))
	}
	// A crash after line 700 that lost the saves since line 500.
	if err := os.WriteFile(state, at500, 0o600); err != nil {
		t.Fatal(err)
	}
	// Another command, or a --restart, does not take this state.
	if r := s.runImportCmd("--match", "external_id", file); r.err == nil || !strings.Contains(r.err.Error(), "--restart") {
		t.Fatalf("a state of another command was taken: %v", r.err)
	}
	s.runImportCmd("--batch", "300", file).wantSummary(t, 500+(n-700)-1, 0, 199, 2)
	if got := readLines(t, file+".failed.ndjson"); len(got) != 2 {
		t.Errorf("failed file after the resumed import: %d lines, want the 2 bad ones once each", len(got))
	}
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Errorf("the state is left: %v", err)
	}
	if got, want := s.eventCount(), whole.eventCount(); got != want {
		t.Errorf("the resumed import wrote %d events, an uninterrupted one %d", got, want)
	}
	if got, want := comparableExport(t, s), comparableExport(t, whole); !reflect.DeepEqual(got, want) {
		t.Errorf("the resumed import's users differ from an uninterrupted one's (%d and %d users)", len(got), len(want))
	}

	// --restart ignores a state; a changed file's state is refused.
	s.runImportCmd("--stop-after", "10", file).wantSummary(t, 0, 0, 10, 0)
	if err := os.WriteFile(file, append(data, data[:100]...), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := s.runImportCmd(file); r.err == nil || !strings.Contains(r.err.Error(), "changed") {
		t.Fatalf("the state of a changed file was taken: %v", r.err)
	}
	if r := s.runImportCmd("--restart", "--stop-after", "20", file); strings.Contains(r.stderr, "resuming") || r.err != nil {
		t.Fatalf("--restart: %v %s", r.err, r.stderr)
	}
}

// comparableExport is a server's export by email without what differs
// between two servers given the same file: ids, times and organisations.
func comparableExport(t *testing.T, s *testServer) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, u := range exportLines(t, s.do("GET", "/v1/users/export", nil).want(200).Body) {
		if u["email"] == "owner@roster.local" {
			continue
		}
		for _, k := range []string{"id", "created_at", "updated_at", "organization_id", "memberships"} {
			delete(u, k)
		}
		out[u["email"].(string)] = u
	}
	return out
}

// TestProgressShare: an import's progress is a bar with its share, rate
// and time left on a terminal, and a plain line with the same otherwise.
func TestProgressShare(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, "import")
	p.plainEvery, p.start = 0, time.Now().Add(-2*time.Second)
	p.share(1000, 250, 1000, ", 3 failed")
	if got := b.String(); !strings.HasPrefix(got, "import: 25%, 1000 users, ") || !strings.HasSuffix(got, " users/s, about 6s left, 3 failed\n") || strings.ContainsAny(got, "\r\x1b") {
		t.Errorf("plain: %q", got)
	}
	b.Reset()
	p.tty, p.tick = true, 0
	p.share(1000, 250, 1000, "")
	if got := b.String(); !strings.HasPrefix(got, "\rimport [=======                       ]  25% 1000 users, ") || !strings.HasSuffix(got, "/s, 6s left\x1b[K") {
		t.Errorf("terminal: %q", got)
	}
}

// TestImportCommandInterrupted: an import cut off in the middle of a
// request (as by Ctrl-C) keeps its state, says how to go on, and the same
// command finishes it: every line is imported once (lines the server did
// but the client never heard of answer unchanged), one event each.
func TestImportCommandInterrupted(t *testing.T) {
	s := startServer(t)
	const n = 5000
	file := writeFile(t, "users.ndjson", bulkFile(n, "cut", nil))
	state := file + ".roster-import-state"
	events := s.eventCount()
	ctx, cancel := context.WithCancel(context.Background())
	env := map[string]string{"ROSTER_API_KEY": s.Key}
	var out, errb bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"import", "--url", s.URL, "--batch", "4000", file}, func(k string) string { return env[k] }, &out, &errb)
	}()
	// The state is first saved a second into the run: interrupt then.
	for {
		if _, err := os.Stat(state); err == nil {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("the import ended before it could be interrupted: %v\n%s", err, errb.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	if err := <-done; err == nil || !strings.Contains(err.Error(), "interrupted") || !strings.Contains(errb.String(), "run the same command again") {
		t.Fatalf("interrupted import: %v\n%s", err, errb.String())
	}
	var st importState
	if b, err := os.ReadFile(state); err != nil || json.Unmarshal(b, &st) != nil || st.Done < 1 || st.Done >= n {
		t.Fatalf("the state after the interruption: %+v (%v)", st, err)
	}
	r := s.runImportCmd(file)
	if !strings.Contains(r.stderr, fmt.Sprintf("resuming after line %d", st.Done)) {
		t.Errorf("the resumed run does not say where it goes on: %s", r.stderr)
	}
	var created, unchanged int
	if _, err := fmt.Sscanf(r.stdout, "created %d, updated 0, unchanged %d, failed 0", &created, &unchanged); err != nil || created+unchanged != n || r.err != nil {
		b, _ := os.ReadFile(file + ".failed.problems.ndjson")
		t.Logf("problems: %.1500s", b)
		t.Fatalf("summary %q (%v), want created and unchanged to make %d", r.stdout, r.err, n)
	}
	if got := s.eventCount() - events; got != n {
		t.Errorf("%d events for %d users", got, n)
	}
	if got := len(comparableExport(t, s)); got != n {
		t.Errorf("%d users after the resumed import, want %d", got, n)
	}
}
