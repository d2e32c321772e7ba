// SPDX-License-Identifier: Apache-2.0

package testdata

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// skipRecorder records a Skipf call instead of stopping the test, so that the
// skip path of Dir can be observed.
type skipRecorder struct {
	testing.TB
	skipped string
}

func (r *skipRecorder) Skipf(format string, args ...any) { r.skipped = fmt.Sprintf(format, args...) }

func TestDir(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		t.Setenv(EnvVar, "")
		dir := Dir(t, "isemail")
		if !filepath.IsAbs(dir) {
			t.Fatalf("Dir = %q, want an absolute path", dir)
		}
		if want := filepath.Join("shared", "testdata", "isemail"); !strings.HasSuffix(dir, want) {
			t.Errorf("Dir = %q, want a path ending in %q", dir, want)
		}
		if _, err := os.Stat(filepath.Join(dir, "tests.json")); err != nil {
			t.Errorf("isemail/tests.json not found: %v", err)
		}
	})

	t.Run("EnvOverride", func(t *testing.T) {
		tmp := t.TempDir()
		if err := os.Mkdir(filepath.Join(tmp, "corpus"), 0o755); err != nil {
			t.Fatal(err)
		}
		t.Setenv(EnvVar, tmp)
		if got, want := Dir(t, "corpus"), filepath.Join(tmp, "corpus"); got != want {
			t.Errorf("Dir = %q, want %q", got, want)
		}
	})

	t.Run("SkipWhenAbsent", func(t *testing.T) {
		t.Setenv(EnvVar, t.TempDir())
		rec := &skipRecorder{TB: t}
		path := Dir(rec, "no-such-corpus")
		want := fmt.Sprintf("SKIP: third-party test data not found at %s (set ROSTER_TESTDATA)", path)
		if rec.skipped != want {
			t.Errorf("Skipf message = %q, want %q", rec.skipped, want)
		}
	})
}
