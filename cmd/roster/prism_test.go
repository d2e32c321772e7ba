// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"math"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster/httpapi"
	"github.com/rosterhq/roster/openapi"
)

// With ROSTER_TEST_PRISM set to the path of a Stoplight Prism 5 binary
// (scripts/test.sh installs one from tools/prism), every server that
// startServer starts is put behind `prism proxy` with Roster's own OpenAPI
// document, and the test talks to Prism through a small Go proxy that
// reads Prism's verdict (its sl-violations header) on every exchange:
//
//   - a violation in a response fails the test: the document does not
//     describe what the server answered;
//   - a violation in a request fails the test when the server accepted the
//     request (1xx–3xx): a request the server takes as valid must be valid
//     by the document. Requests a test sends as invalid on purpose get a
//     4xx and are not held against the document.
//
// Answers in XML (asked for with ?format=xml, a .xml suffix or Accept) and
// JSONP are not checked against the document, which describes JSON and
// says so; nor are XML and JSON Patch request bodies (see judgeViolations).
//
// The path is test → front (Go) → Prism → shim (Go) → server. The shim
// notes which requests reached the server and marks its answers, so the
// front can tell Prism's own answers from the server's: what Prism cannot
// take (bodies JavaScript would change, a JSON scalar, a GET with a body,
// a bad %-escape) goes from the front to the server directly, and Prism
// failing on an answer the server gave fails the test. Tests of the
// transport itself cannot pass through any proxy and are left out of the
// Prism run (scripts/test.sh): TestTransportErrorsAreProblems and
// TestHostileRequests send requests net/http refuses before any handler,
// and TestClientHangUpIsNoServerError needs the hang-up to reach the
// server.

// prismDocOnce writes the document Prism validates against, once per run.
var prismDocOnce = sync.OnceValues(func() (string, error) {
	doc, err := httpapi.Document("prism")
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "roster-prism-")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "openapi.json")
	return path, os.WriteFile(path, doc, 0o644)
})

// sharedPrism is the one `prism proxy` of the run, with the shim behind
// it: starting Prism takes seconds, which every test paid when each had
// its own. The shim finds each request's server in a header the test's
// front sets, so tests share it, one after the other or in parallel.
type sharedPrism struct {
	url     *url.URL
	reached sync.Map     // front sequence numbers a server saw
	seq     atomic.Int64 // the fronts' sequence numbers, unique in the run
	logs    *syncBuffer
}

var prismOnce = sync.OnceValues(startPrism)

// startPrism starts Prism (ROSTER_TEST_PRISM) in front of the shim; it
// dies with the test process.
func startPrism() (*sharedPrism, error) {
	doc, err := prismDocOnce()
	if err != nil {
		return nil, fmt.Errorf("document: %w", err)
	}
	p := &sharedPrism{logs: &syncBuffer{}}
	// The shim notes which requests reached a server and marks the
	// answers that came from one, so that a front can tell Prism's own
	// failures from the server's answers.
	shim := httptest.NewServer(&httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			p.reached.Store(r.In.Header.Get(seqHeader), true)
			server, _ := url.Parse(r.In.Header.Get(serverHeader))
			passOn(r, server)
			r.Out.Header.Del(seqHeader)
			r.Out.Header.Del(serverHeader)
		},
		ModifyResponse: func(res *http.Response) error {
			res.Header.Set(upstreamHeader, "1")
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if r.Header.Get(serverHeader) != "" { // not startPrism's own probe
				log.Printf("prism shim: %s %s: %v", r.Method, r.URL.RequestURI(), err)
			}
			w.WriteHeader(http.StatusBadGateway)
		},
	})
	l, err := net.Listen("tcp", "127.0.0.1:0") // a port nothing listens on, for Prism
	if err != nil {
		return nil, err
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	cmd := exec.Command(os.Getenv("ROSTER_TEST_PRISM"), "proxy", doc, shim.URL, "--host", "127.0.0.1", "--port", port, "--errors=false", "--cors=false")
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	dieWithTest(cmd)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p.url, _ = url.Parse("http://127.0.0.1:" + port)
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := http.Get(p.url.String() + "/healthz")
		if err == nil {
			res.Body.Close()
			return p, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("did not start: %v\n%s", err, p.logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// viaPrism puts ts behind Prism when ROSTER_TEST_PRISM is set.
func viaPrism(t *testing.T, ts *testServer) {
	t.Helper()
	if os.Getenv("ROSTER_TEST_PRISM") == "" {
		return
	}
	shared, err := prismOnce()
	if err != nil {
		t.Fatalf("prism: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("prism log (shared by the run's tests):\n%s", tail(shared.logs.String(), 4000))
		}
	})
	direct, _ := url.Parse(ts.URL)
	reached, seq := &shared.reached, &shared.seq
	target := shared.url
	var exchanges, flagged, bypassed atomic.Int64
	t.Cleanup(func() {
		t.Logf("prism: %d exchanges checked against the document (%d with request violations the server also refused), %d sent past Prism",
			exchanges.Load(), flagged.Load(), bypassed.Load())
	})
	unchecked := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) { passOn(r, direct) }}
	// A request Prism sits on without answering goes to the server after
	// a while (longer than any long poll the tests make).
	toPrism := &http.Transport{ResponseHeaderTimeout: 70 * time.Second}
	t.Cleanup(toPrism.CloseIdleConnections)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		straight := func() {
			bypassed.Add(1)
			r.Body = io.NopCloser(bytes.NewReader(body))
			unchecked.ServeHTTP(w, r)
		}
		// Prism 5 hangs on a JSON body it cannot parse, sends a JSON string
		// on without its quotes, and refuses a GET with a body. None of
		// them can be valid by the document (every body is an object or
		// an array), so they go straight to the server.
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		jsonBody := mt == "application/json" || strings.HasSuffix(mt, "+json")
		trimmed := bytes.TrimSpace(body)
		structured := len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[')
		if len(body) > 0 && (jsonBody && (!structured || !json.Valid(body) || !nodeKeepsNumbers(body)) || r.Method == http.MethodGet || r.Method == http.MethodHead) {
			straight()
			return
		}
		// NDJSON (the import's body and answer, the export's streamed
		// answer, cut when it fails half-way) is no JSON document Prism 5
		// can judge, and a cut answer passes through no proxy as it is:
		// their line schemas are pinned by unit tests.
		if mt == "application/x-ndjson" || httpapi.RouteMediaType(r.URL.Path) == openapi.Stream {
			straight()
			return
		}
		// Prism follows a redirect itself (to the app's host, which does
		// not exist) rather than pass it on, so the hosted sign-in pages,
		// whose answers are redirects or HTML, go past it; so does the
		// console (its sign-in redirects; its files are not the API's).
		if hostedPage(r.URL.Path, "text/html") {
			straight()
			return
		}
		n := fmt.Sprint(seq.Add(1))
		r.Header.Set(seqHeader, n)
		r.Header.Set(serverHeader, direct.String())
		var replay bool
		checked := &httputil.ReverseProxy{
			Transport: toPrism,
			Rewrite: func(r *httputil.ProxyRequest) {
				passOn(r, target)
			},
			ModifyResponse: func(res *http.Response) error {
				if res.Header.Get(upstreamHeader) == "" {
					// Prism answered by itself: a request it could not
					// take (a bad %-escape, a number or nesting Node
					// cannot parse) goes to the server as it is; a failure
					// after the server answered is Prism failing to read
					// an answer, which the test must hear about.
					if _, ok := reached.Load(n); !ok {
						replay = true
						return errReplay
					}
					b, _ := io.ReadAll(io.LimitReader(res.Body, 2000))
					t.Errorf("OpenAPI proxy (Prism) could not pass on the answer to %s %s: %d %s", r.Method, r.URL.RequestURI(), res.StatusCode, b)
					res.Body = io.NopCloser(bytes.NewReader(b))
					return nil
				}
				res.Header.Del(upstreamHeader)
				exchanges.Add(1)
				if v := res.Header.Get("sl-violations"); v != "" {
					res.Header.Del("sl-violations")
					if msg := judgeViolations(res.Request, res, v); msg != "" {
						t.Errorf("OpenAPI violation (Prism): %s", msg)
					} else {
						flagged.Add(1)
					}
				}
				return nil
			},
			ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
				if r.Context().Err() != nil {
					return // the client hung up: nothing to judge, nobody to answer
				}
				if _, ok := reached.Load(n); replay || !ok {
					r.Header.Del(seqHeader)
					r.Header.Del(serverHeader)
					straight()
					return
				}
				t.Errorf("OpenAPI proxy (Prism) failed on %s %s after the server answered: %v", r.Method, r.URL.RequestURI(), err)
				w.WriteHeader(http.StatusBadGateway)
			},
		}
		checked.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	ts.URL = front.URL
}

// The headers the front, the shim and Prism pass between them.
const (
	seqHeader      = "X-Prism-Front-Seq"
	serverHeader   = "X-Prism-Front-Server"
	upstreamHeader = "X-Prism-Front-Upstream"
)

var errReplay = errors.New("prism answered by itself")

// passOn sends a proxied request to u unchanged: the same Host, and the
// X-Forwarded-* and Forwarded headers the client sent (which Rewrite
// would otherwise drop; the server's trusted-proxy rules read them).
func passOn(r *httputil.ProxyRequest, u *url.URL) {
	r.SetURL(u)
	r.Out.Host = r.In.Host
	for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"} {
		if v, ok := r.In.Header[h]; ok {
			r.Out.Header[h] = v
		}
	}
}

// nodeKeepsNumbers reports whether Prism, which parses a JSON body with
// JavaScript's JSON.parse and sends it on re-encoded, would send its
// numbers unchanged: not those beyond a float64 (Infinity, sent as null)
// nor integers beyond 2^53 (rounded).
func nodeKeepsNumbers(body []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err != nil {
			return err == io.EOF
		}
		if n, ok := tok.(json.Number); ok {
			f, err := strconv.ParseFloat(string(n), 64)
			if err != nil || math.IsInf(f, 0) {
				return false
			}
			if !strings.ContainsAny(string(n), ".eE") && math.Abs(f) > 1<<53 {
				return false
			}
		}
	}
}

// violation is one entry of Prism's sl-violations header.
type violation struct {
	Location []string `json:"location"`
	Severity string   `json:"severity"`
	Code     any      `json:"code"`
	Message  string   `json:"message"`
}

// judgeViolations returns what is wrong with one exchange, or "".
func judgeViolations(req *http.Request, res *http.Response, header string) string {
	var vs []violation
	if rest, ok := strings.CutPrefix(header, "Too many violations! "); ok {
		// Prism cut the list short: judge what the text shows.
		if res.StatusCode < 400 || strings.Contains(rest, `"location":["response"`) {
			return fmt.Sprintf("%s %s → %d: %s", req.Method, req.URL.RequestURI(), res.StatusCode, tail(header, 1000))
		}
		return ""
	}
	if err := json.Unmarshal([]byte(header), &vs); err != nil {
		return fmt.Sprintf("%s %s → %d: unreadable sl-violations header %q", req.Method, req.URL.RequestURI(), res.StatusCode, header)
	}
	accepted := res.StatusCode < 400
	// The document describes the JSON answers; XML (format=xml, a .xml
	// suffix, Accept) and JSONP (callback) forms of them are described in
	// words, and so are the .json and .xml suffixes on paths.
	ct := res.Header.Get("Content-Type")
	otherFormat := strings.Contains(ct, "xml") || strings.Contains(ct, "javascript")
	suffixed := strings.HasSuffix(req.URL.Path, ".json") || strings.HasSuffix(req.URL.Path, ".xml")
	// Prism 5 does not read XML bodies, and matches a body's media type by
	// its subtype alone, so application/json-patch+json is checked against
	// the first +json entry (the merge patch): such request bodies are
	// not judged here (the JSON Patch schema is pinned by unit tests).
	reqType, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
	skipReqBody := strings.Contains(reqType, "xml") || reqType == "application/json-patch+json"
	var bad []string
	for _, v := range vs {
		if v.Message == "Selected route not found" && (!accepted || suffixed) || v.Severity != "Error" && v.Message != "Selected route not found" {
			continue
		}
		side := ""
		if len(v.Location) > 0 {
			side = v.Location[0]
		}
		switch {
		case side == "response" && otherFormat:
		case side == "response":
			bad = append(bad, fmt.Sprintf("%s: %s", strings.Join(v.Location, "."), v.Message))
		case side == "request" && len(v.Location) > 1 && v.Location[1] == "body" && skipReqBody:
		case accepted:
			bad = append(bad, fmt.Sprintf("%s: %s (the server accepted the request)", strings.Join(v.Location, "."), v.Message))
		}
	}
	if len(bad) == 0 {
		return ""
	}
	return fmt.Sprintf("%s %s → %d:\n\t%s", req.Method, req.URL.RequestURI(), res.StatusCode, strings.Join(bad, "\n\t"))
}

// tail is the last n bytes of s, from a line start.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[len(s)-n:]
	sc := bufio.NewScanner(strings.NewReader(s))
	if sc.Scan() {
		return s[len(sc.Text())+1:]
	}
	return s
}
