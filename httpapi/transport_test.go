// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/xmljson"
)

// TestRewriteServerError checks the rewriting of net/http's own error
// answers, as net/http writes them, and that nothing else is touched.
func TestRewriteServerError(t *testing.T) {
	for _, c := range []struct {
		raw    string
		status int
		detail string
	}{
		{"HTTP/1.1 400 Bad Request" + serverErrorHeaders + "400 Bad Request", 400, "%25"},
		{"HTTP/1.1 431 Request Header Fields Too Large" + serverErrorHeaders + "431 Request Header Fields Too Large", 431, "64 KiB"},
		{"HTTP/1.1 400 Bad Request: missing required Host header" + serverErrorHeaders + "400 Bad Request: missing required Host header", 400, "missing required Host header"},
		{"HTTP/1.1 501 Not Implemented" + serverErrorHeaders + "Unsupported transfer encoding", 501, "Transfer-Encoding"},
	} {
		out, ok := rewriteServerError([]byte(c.raw))
		if !ok {
			t.Fatalf("%q not rewritten", c.raw)
		}
		res, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(out)), nil)
		if err != nil {
			t.Fatal(err)
		}
		var p problem
		if err := json.NewDecoder(res.Body).Decode(&p); err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != c.status || res.Header.Get("Content-Type") != "application/problem+json" || p.Status != c.status || !strings.Contains(p.Detail, c.detail) || p.Title == "" || p.Type == "" {
			t.Fatalf("%q became %d %v %+v", c.raw, res.StatusCode, res.Header, p)
		}
	}
	for _, raw := range []string{
		"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nDate: x\r\n\r\nok",
		"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nDate: x\r\n\r\n400 Bad Request",
		"HTTP/1.1 200 OK\r\nX: 1" + serverErrorHeaders + "body",
		`{"items": []}`,
	} {
		if _, ok := rewriteServerError([]byte(raw)); ok {
			t.Fatalf("%q rewritten", raw)
		}
	}
}

// FuzzRewriteServerError checks that rewriting never panics and yields
// an HTTP answer whenever it rewrites.
func FuzzRewriteServerError(f *testing.F) {
	f.Add([]byte("HTTP/1.1 400 Bad Request" + serverErrorHeaders + "400 Bad Request"))
	f.Add([]byte("HTTP/1.1 200 OK\r\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		out, ok := rewriteServerError(b)
		if !ok {
			return
		}
		res, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(out)), nil)
		if err != nil || res.StatusCode < 400 || res.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("rewriteServerError(%q) = %q: %v", b, out, err)
		}
	})
}

// TestXMLAnswerOfUnrepresentableText checks that stored text XML cannot
// carry (a NUL from before input refused it) does not fail the answer:
// it is written as U+FFFD.
func TestXMLAnswerOfUnrepresentableText(t *testing.T) {
	s := &server{Config: Config{Log: slog.New(slog.DiscardHandler)}}
	r := httptest.NewRequest("GET", "/v1/users", nil)
	r = r.WithContext(context.WithValue(r.Context(), keyRequest, &reqState{id: "req_1", format: "xml"}))
	w := httptest.NewRecorder()
	s.write(w, r, http.StatusOK, "list", "", []byte(`{"items": [{"first_name": "A\u0000B", "settings": {"k\u0001": "\uFFFF"}}]}`))
	body := w.Body.String()
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/xml") || !strings.Contains(body, "<first_name>A\uFFFDB</first_name>") {
		t.Fatalf("%d %s: %s", w.Code, w.Header().Get("Content-Type"), body)
	}
}

// TestOneDepthLimit checks that XML bodies have the same nesting limit
// as JSON bodies, the one the OpenAPI document states.
func TestOneDepthLimit(t *testing.T) {
	if xmljson.MaxDepth != roster.MaxDepth {
		t.Fatalf("xmljson.MaxDepth %d, roster.MaxDepth %d", xmljson.MaxDepth, roster.MaxDepth)
	}
}
