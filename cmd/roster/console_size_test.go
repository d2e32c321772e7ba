// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"regexp"
	"testing"
)

// consoleFirstPageBudget is the most the console's first page may
// transfer compressed (issue 17: under 100 KB).
const consoleFirstPageBudget = 100_000

// consoleRefs finds what a console file loads: the page's stylesheet and
// script, and the modules each script imports (all statically, so the
// first page loads the whole graph).
var consoleRefs = regexp.MustCompile(`(?:href|src)="([a-z]+\.(?:css|js))"|from "\./([a-z]+\.js)"`)

// TestConsoleAssetsCompressed checks that the console's files go out
// gzipped to a browser that takes gzip (Vary: Accept-Encoding, an ETag of
// their own that revalidates), as they are to one that does not, and
// that the first page — the HTML and every file it loads — transfers
// under 100 KB.
func TestConsoleAssetsCompressed(t *testing.T) {
	s := startServer(t)
	base := s.issuer() + "/console/"
	// Setting Accept-Encoding by hand stops the transport from
	// decompressing, so the test sees the bytes on the wire.
	get := func(path, acceptEncoding, ifNoneMatch string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("Accept-Encoding", acceptEncoding)
		if ifNoneMatch != "" {
			req.Header.Set("If-None-Match", ifNoneMatch)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res, body
	}

	plain, identity := get("app.js", "identity", "")
	if plain.Header.Get("Content-Encoding") != "" || plain.Header.Get("Vary") != "Accept-Encoding" {
		t.Errorf("app.js without gzip: Content-Encoding %q, Vary %q", plain.Header.Get("Content-Encoding"), plain.Header.Get("Vary"))
	}
	if refused, _ := get("app.js", "gzip;q=0, br", ""); refused.Header.Get("Content-Encoding") != "" {
		t.Errorf("gzip;q=0 still got Content-Encoding %q", refused.Header.Get("Content-Encoding"))
	}
	zipped, wire := get("app.js", "gzip, deflate, br, zstd", "")
	if zipped.Header.Get("Content-Encoding") != "gzip" || zipped.Header.Get("Vary") != "Accept-Encoding" {
		t.Fatalf("app.js with gzip: Content-Encoding %q, Vary %q", zipped.Header.Get("Content-Encoding"), zipped.Header.Get("Vary"))
	}
	if got := gunzip(t, wire); !bytes.Equal(got, identity) {
		t.Error("app.js gzipped is not app.js")
	}
	if zipped.Header.Get("ETag") == plain.Header.Get("ETag") {
		t.Errorf("the gzipped and plain app.js share the ETag %s", plain.Header.Get("ETag"))
	}
	if again, _ := get("app.js", "gzip", zipped.Header.Get("ETag")); again.StatusCode != http.StatusNotModified {
		t.Errorf("revalidating the gzipped app.js: %d, want 304", again.StatusCode)
	}

	// The first page: index.html and everything it loads, each once.
	total, seen, queue := 0, map[string]bool{"": true}, []string{""}
	for len(queue) > 0 {
		path := queue[0]
		queue = queue[1:]
		res, wire := get(path, "gzip", "")
		if res.StatusCode != 200 {
			t.Fatalf("/console/%s: %d", path, res.StatusCode)
		}
		total += len(wire)
		text := wire
		if res.Header.Get("Content-Encoding") == "gzip" {
			text = gunzip(t, wire)
		}
		for _, m := range consoleRefs.FindAllSubmatch(text, -1) {
			ref := string(m[1]) + string(m[2])
			if !seen[ref] {
				seen[ref] = true
				queue = append(queue, ref)
			}
		}
	}
	t.Logf("the console's first page: %d files, %d bytes gzipped (bodies only)", len(seen), total)
	if total > consoleFirstPageBudget {
		t.Errorf("the console's first page is %d bytes gzipped, over the %d budget", total, consoleFirstPageBudget)
	}
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
