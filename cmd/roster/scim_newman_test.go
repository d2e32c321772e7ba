// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bufio"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/testdata"
)

// TestSCIMMicrosoftCollection runs Microsoft's SCIM test collection
// (../shared/testdata/scim, read in place) with newman against the real
// server, as an identity provider's client_credentials token of a fresh
// organisation. Every failed assertion must be listed, with its reason,
// in docs/SCIM.md; a listed one that passes fails the test too, so that
// the list stays true. newman comes from ROSTER_TEST_NEWMAN or
// tools/scim (npm ci --prefix tools/scim, as scripts/test.sh does).
func TestSCIMMicrosoftCollection(t *testing.T) {
	collection := filepath.Join(testdata.Dir(t, "scim"), "ms-scim-reference-postman-collection.json")
	newman := newmanBinary(t)
	s := startServer(t)
	root := s.do("GET", "/v1/users/me", nil).want(200).str("organization_id")
	org := s.do("POST", "/v1/orgs", map[string]any{"name": "Entra tenant", "parent_id": root}).want(201).str("id")
	cl := s.do("POST", "/v1/oauth-clients", map[string]any{"name": "idp", "scopes": []string{"scim"}, "organization_id": org}).want(201).obj()
	token := s.form("/v1/auth/token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {cl["client_id"].(string)}, "client_secret": {cl["client_secret"].(string)}}).want(200).str("access_token")

	dir := t.TempDir()
	env := map[string]any{"name": "roster", "values": []map[string]string{
		{"key": "Protocol", "value": "http"}, {"key": "Server", "value": "127.0.0.1"},
		{"key": "Port", "value": ":" + portOf(s.Main.Addr())}, {"key": "Api", "value": "scim/v2"},
		{"key": "token", "value": token},
	}}
	envFile, report := filepath.Join(dir, "env.json"), filepath.Join(dir, "report.json")
	if err := os.WriteFile(envFile, mustJSON(env), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"run", collection, "--environment", envFile, "--reporters", "cli,json",
		"--reporter-json-export", report, "--timeout-request", "10000"}
	for _, name := range collectionItems(t, collection) {
		// "Get Token" is the reference implementation's own token
		// endpoint; its script would replace the token given with none.
		if name != "Get Token" {
			args = append(args, "--folder", name)
		}
	}
	cmd := exec.Command(newman, args...)
	out, _ := cmd.CombinedOutput() // failures are read from the report
	var rep struct {
		Run struct {
			Stats    map[string]map[string]int `json:"stats"`
			Failures []struct {
				Source struct {
					Name string `json:"name"`
				} `json:"source"`
				Error struct {
					Test    string `json:"test"`
					Message string `json:"message"`
				} `json:"error"`
			} `json:"failures"`
		} `json:"run"`
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatalf("newman wrote no report (%v): %s", err, out)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("newman report: %v", err)
	}
	known := documentedSCIMFailures(t)
	var failed []string
	for _, f := range rep.Run.Failures {
		key := f.Source.Name + " › " + f.Error.Test
		failed = append(failed, key)
		if _, ok := known[key]; !ok {
			t.Errorf("undocumented failure: %s: %s", key, f.Error.Message)
		}
	}
	for key := range known {
		if !slices.Contains(failed, key) {
			t.Errorf("docs/SCIM.md lists %q, which passes now: take it off the list", key)
		}
	}
	t.Logf("newman: %v assertions, %d failed (all documented unless reported above)", rep.Run.Stats["assertions"]["total"], len(failed))
	if t.Failed() {
		t.Logf("newman output:\n%s", out)
	}
}

// collectionItems returns the names of a collection's top-level items.
func collectionItems(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Item []struct {
			Name string `json:"name"`
		} `json:"item"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var names []string
	for _, it := range c.Item {
		names = append(names, it.Name)
	}
	return names
}

// newmanBinary finds newman, or skips the test saying how to get it.
func newmanBinary(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("SKIP: node not found: install Node.js 20+ and run npm ci --prefix tools/scim to run the SCIM collection")
	}
	if bin := os.Getenv("ROSTER_TEST_NEWMAN"); bin != "" {
		return bin
	}
	bin, _ := filepath.Abs(filepath.Join("..", "..", "tools", "scim", "node_modules", ".bin", "newman"))
	if _, err := os.Stat(bin); err != nil {
		t.Skip("SKIP: newman not installed: run npm ci --prefix tools/scim (or set ROSTER_TEST_NEWMAN)")
	}
	return bin
}

func portOf(addr string) string {
	return addr[strings.LastIndexByte(addr, ':')+1:]
}

// documentedSCIMFailures reads the table of docs/SCIM.md's section
// "Known failures of the Microsoft collection": rows of
// | request | assertion | reason |, keyed "request › assertion".
func documentedSCIMFailures(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "docs", "SCIM.md"))
	if err != nil {
		t.Fatalf("docs/SCIM.md: %v", err)
	}
	defer f.Close()
	known := map[string]string{}
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			in = strings.HasPrefix(line, "## Known failures of the Microsoft collection")
			continue
		}
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if !in || !strings.HasPrefix(line, "|") || len(cells) != 3 || cells[0] == "request" || strings.HasPrefix(cells[0], "---") {
			continue
		}
		unquote := func(s string) string { return strings.Trim(s, "`") }
		known[unquote(cells[0])+" › "+unquote(cells[1])] = cells[2]
	}
	return known
}
