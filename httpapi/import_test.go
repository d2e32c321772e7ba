// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"
)

// FuzzImportReadLine checks the import's line reader against a plain
// split: every line comes back in order without its line break, a line
// over the limit comes back empty and flagged, and nothing panics.
func FuzzImportReadLine(f *testing.F) {
	f.Add("a\nb\r\nc", 4)
	f.Add("\n\n", 1)
	f.Add(strings.Repeat("x", 70000)+"\nshort", 65536)
	f.Add("no break", 3)
	f.Add("abc\r\r\r\nd", 4)
	f.Fuzz(func(t *testing.T, body string, max int) {
		if max < 1 || max > 1<<17 {
			return
		}
		in := bufio.NewReaderSize(strings.NewReader(body), 16)
		want := strings.Split(body, "\n")
		for i, w := range want {
			line, tooLong, err := ReadLine(in, max)
			raw := len(w) // as read, with its line break
			if i < len(want)-1 {
				raw++
			}
			w = strings.TrimRight(w, "\r\n")
			if raw > max+2 {
				if !tooLong || line != nil {
					t.Fatalf("line %d of %d bytes (max %d): tooLong %v, %q", i, len(w), max, tooLong, line)
				}
			} else if tooLong || !bytes.Equal(line, []byte(w)) {
				t.Fatalf("line %d: %q (tooLong %v), want %q", i, line, tooLong, w)
			}
			if last := i == len(want)-1; last != (err == io.EOF) {
				t.Fatalf("line %d of %d: err %v", i, len(want), err)
			}
		}
	})
}
