// SPDX-License-Identifier: Apache-2.0

// Package testdata locates the third-party test corpora that Roster's tests
// read. The corpora live outside the repository, in shared/testdata beside
// it, and are never copied in: their licences and provenance are recorded in
// shared/testdata/README.md.
package testdata

import (
	"os"
	"path/filepath"
	"testing"
)

// EnvVar names the environment variable that, when set, points at the
// testdata folder itself (the folder that holds isemail/, phonenumbers/, …).
// A relative value is taken relative to the repository root, so that it means
// the same thing for every package that go test runs.
const EnvVar = "ROSTER_TESTDATA"

// Dir returns the absolute path of the corpus folder sub, which by default is
// <repo-root>/../shared/testdata/<sub>. The repository root is the nearest
// directory at or above the working directory that contains go.mod. When the
// folder does not exist, Dir skips the test through tb.Skipf, so a checkout
// without the shared data still passes.
func Dir(tb testing.TB, sub string) string {
	tb.Helper()
	root := repoRoot()
	base := os.Getenv(EnvVar)
	switch {
	case base != "" && !filepath.IsAbs(base) && root != "":
		base = filepath.Join(root, base)
	case base == "" && root != "":
		base = filepath.Join(root, "..", "shared", "testdata")
	case base == "":
		base = filepath.Join("..", "shared", "testdata") // no go.mod found: best effort
	}
	path, err := filepath.Abs(filepath.Join(base, sub))
	if err != nil {
		path = filepath.Join(base, sub)
	}
	if fi, err := os.Stat(path); err != nil || !fi.IsDir() {
		tb.Skipf("SKIP: third-party test data not found at %s (set %s)", path, EnvVar)
	}
	return path
}

// repoRoot returns the nearest directory at or above the working directory
// that contains go.mod, or "" when there is none.
func repoRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}
