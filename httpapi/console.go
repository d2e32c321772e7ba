// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rosterhq/roster"
)

// The console (PRODUCT.md section 10): static ES modules, HTML and CSS,
// embedded, with no build step. The page signs in through /oauth2/authorize
// as service.ConsoleClientID and then calls only the public /v1 API with
// its user's token, so the server has nothing console-specific to trust.

//go:embed console
var consoleFiles embed.FS

// consoleCSP lets the console run only its own scripts and styles and
// talk only to this server; nothing may frame it.
const consoleCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// consoleAsset is one embedded file with what its answer needs: the
// file as it is and gzipped once (about 10 ms for the whole console),
// each with its own ETag since they are two representations.
type consoleAsset struct {
	body        []byte
	gzipped     []byte // nil when gzip would not make it smaller
	contentType string
	etag        string
	gzipETag    string
}

// consoleAssets maps a path under /console/ to its file. The page itself
// answers at /console/ and at its sign-in callback; every other view is
// a #fragment of it, so no server route follows the page's navigation.
// Made at the first request, so that commands and servers that never
// serve the console do not gzip it.
var consoleAssets = sync.OnceValue(loadConsoleAssets)

var consoleTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
}

func loadConsoleAssets() map[string]consoleAsset {
	out := map[string]consoleAsset{}
	zw := gzip.NewWriter(nil) // one for all files: each costs a large state
	err := fs.WalkDir(consoleFiles, "console", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := consoleFiles.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		tag := base64.RawURLEncoding.EncodeToString(sum[:12])
		a := consoleAsset{body: b, contentType: consoleTypes[path.Ext(p)], etag: `"` + tag + `"`}
		if z := gzipped(zw, b); len(z) < len(b) {
			a.gzipped, a.gzipETag = z, `"`+tag+`-gz"`
		}
		out[p[len("console/"):]] = a
		return nil
	})
	if err != nil {
		panic("the embedded console: " + err.Error())
	}
	out[""], out["callback"] = out["index.html"], out["index.html"]
	return out
}

// gzipped compresses b with zw, which it resets.
func gzipped(zw *gzip.Writer, b []byte) []byte {
	var buf bytes.Buffer
	zw.Reset(&buf)
	_, _ = zw.Write(b) // a bytes.Buffer does not fail
	_ = zw.Close()
	return buf.Bytes()
}

// acceptsGzip reports whether the request's Accept-Encoding takes gzip
// with a weight above zero: named (or as x-gzip), else through *.
func acceptsGzip(r *http.Request) bool {
	named, star := -1.0, -1.0 // -1: not mentioned
	for _, v := range r.Header.Values("Accept-Encoding") {
		for _, part := range strings.Split(v, ",") {
			name, params, _ := strings.Cut(part, ";")
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "gzip", "x-gzip":
				named = weight(params)
			case "*":
				star = weight(params)
			}
		}
	}
	if named >= 0 {
		return named > 0
	}
	return star > 0
}

// weight is the q parameter of an Accept-Encoding entry: 1 when absent,
// 0 when it cannot be read (an unreadable weight takes nothing).
func weight(params string) float64 {
	for _, p := range strings.Split(params, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
			q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || q < 0 {
				return 0
			}
			return q
		}
	}
	return 1
}

// consoleRoot sends /console to /console/, relative to where the browser
// is, so that a public URL with a path prefix keeps it.
func (s *server) consoleRoot(w http.ResponseWriter, r *http.Request) {
	redirect(w, r, "console/")
}

// console serves the console's files, gzipped for a browser that takes
// it. Scripts and styles are revalidated by ETag on each load (no-cache):
// the modules import each other by plain names, so no name changes with
// an upgrade and a long max-age would keep old files; an unchanged file
// costs a 304.
func (s *server) console(w http.ResponseWriter, r *http.Request) {
	a, ok := consoleAssets()[r.PathValue("asset")]
	if !ok || a.contentType == "" {
		s.writeError(w, r, roster.Errorf(roster.CodeNotFound, "the console has no file %q: open /console/", r.PathValue("asset")))
		return
	}
	pageHeaders(w)
	h := w.Header()
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Security-Policy", consoleCSP)
	h.Set("Content-Type", a.contentType)
	h.Set("Vary", "Accept-Encoding")
	body, etag := a.body, a.etag
	if a.gzipped != nil && acceptsGzip(r) {
		body, etag = a.gzipped, a.gzipETag
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// consoleSignIn starts the console's sign-in: it makes sure the console's
// client exists as the console needs it (service.EnsureConsoleClient),
// then passes the page's authorization request, untouched, on to
// /oauth2/authorize, which checks all of it.
func (s *server) consoleSignIn(w http.ResponseWriter, r *http.Request) {
	if err := s.Service.EnsureConsoleClient(r.Context()); roster.ErrorCode(err) == roster.CodeInvalid {
		s.errorPage(w, r, http.StatusServiceUnavailable, "",
			"The console cannot sign in on this server: its public URL ("+s.Service.Issuer()+") must be https, or http on a loopback address. Start Roster with --public-url https://….")
		return
	} else if err != nil {
		s.Log.ErrorContext(r.Context(), "the console's client", "error", err, "request_id", state(r).id)
		s.errorPage(w, r, http.StatusInternalServerError, "", "The console's sign-in is not available right now. Try again in a moment.")
		return
	}
	redirect(w, r, "../oauth2/authorize?"+r.URL.RawQuery)
}
