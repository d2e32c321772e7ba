// SPDX-License-Identifier: Apache-2.0

package main

import (
	"compress/gzip"
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	collector "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// otlpReceiver is an in-process OTLP/HTTP trace receiver: it decodes the
// protobuf the real exporter sends and keeps the spans.
type otlpReceiver struct {
	URL   string
	mu    sync.Mutex
	spans []*tracepb.Span
	paths []string
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	t.Helper()
	rc := &otlpReceiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), 400)
				return
			}
			body = zr
		}
		b, err := io.ReadAll(body)
		req := &collector.ExportTraceServiceRequest{}
		if err == nil {
			err = proto.Unmarshal(b, req)
		}
		if err != nil {
			t.Errorf("the receiver got a body it cannot decode: %v", err)
			http.Error(w, err.Error(), 400)
			return
		}
		rc.mu.Lock()
		rc.paths = append(rc.paths, r.URL.Path)
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				rc.spans = append(rc.spans, ss.Spans...)
			}
		}
		rc.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		out, _ := proto.Marshal(&collector.ExportTraceServiceResponse{})
		w.Write(out)
	}))
	t.Cleanup(srv.Close)
	rc.URL = srv.URL
	return rc
}

// received returns the spans received so far, by their id.
func (rc *otlpReceiver) received() map[string]*tracepb.Span {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := map[string]*tracepb.Span{}
	for _, s := range rc.spans {
		out[hex.EncodeToString(s.SpanId)] = s
	}
	return out
}

func spanAttr(s *tracepb.Span, key string) string {
	for _, a := range s.Attributes {
		if a.Key == key {
			return a.Value.GetStringValue()
		}
	}
	return ""
}

// TestTracing: with --otel-endpoint, a PATCH of a user is one trace that
// reaches an OTLP/HTTP receiver through the real exporter: the request's
// span, named by its route, holds the operation's span, which holds the
// store transaction's; the request's log line carries its trace id. No
// span holds a credential, not even one sent in the query.
func TestTracing(t *testing.T) {
	rc := newOTLPReceiver(t)
	s := startServer(t, func(c *Config) { c.OTelEndpoint = rc.URL })
	id := s.createUser(nil)["id"].(string)
	res := s.do("PATCH", "/v1/users/"+id, `{"last_name": "Traced"}`, "Content-Type", "application/merge-patch+json").want(200)
	requestID := res.Header.Get("X-Request-Id")
	s.do("GET", "/healthz", nil).want(200) // no span: probes are not traced
	s.do("GET", "/v1/users?access_token="+s.Key, nil).want(400)
	if err := s.Main.tracing.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	spans := rc.received()
	var request *tracepb.Span
	for _, sp := range spans {
		if spanAttr(sp, "roster.request_id") == requestID {
			request = sp
		}
		if strings.Contains(sp.Name, "healthz") {
			t.Errorf("a probe was traced: %s", sp.Name)
		}
		for _, a := range sp.Attributes {
			if strings.Contains(a.Value.String(), s.Key) {
				t.Errorf("span %s holds the API key in %s", sp.Name, a.Key)
			}
		}
	}
	if request == nil {
		t.Fatalf("no span has roster.request_id %s among %d spans", requestID, len(spans))
	}
	if request.Name != "PATCH /v1/users/{id}" || spanAttr(request, "http.route") != "PATCH /v1/users/{id}" {
		t.Errorf("the request's span is named %q (http.route %q), want its route", request.Name, spanAttr(request, "http.route"))
	}
	// under reports whether sp descends from the span with the id.
	under := func(sp *tracepb.Span, id []byte) bool {
		for sp != nil && len(sp.ParentSpanId) > 0 {
			if string(sp.ParentSpanId) == string(id) {
				return true
			}
			sp = spans[hex.EncodeToString(sp.ParentSpanId)]
		}
		return false
	}
	found := map[string][]*tracepb.Span{}
	for _, sp := range spans {
		if under(sp, request.SpanId) {
			found[sp.Name] = append(found[sp.Name], sp)
		}
	}
	store := "sqlite.Update"
	if onPostgres() {
		store = "postgres.Update"
	}
	for _, want := range []string{"authenticate", "patchUser", store} {
		if len(found[want]) == 0 {
			t.Errorf("the request's span has no %s span under it; it has %v", want, found)
		}
	}
	if op := found["patchUser"]; len(op) == 1 && !slices.ContainsFunc(found[store], func(sp *tracepb.Span) bool { return under(sp, op[0].SpanId) }) {
		t.Errorf("no %s span under the patchUser span", store)
	}
	traceID := hex.EncodeToString(request.TraceId)
	logged := false
	for _, line := range strings.Split(s.logs.String(), "\n") {
		if strings.Contains(line, "msg=request") && strings.Contains(line, "request_id="+requestID) {
			logged = strings.Contains(line, "trace_id="+traceID)
			if !logged {
				t.Errorf("the request's log line lacks trace_id=%s: %s", traceID, line)
			}
		}
	}
	if !logged {
		t.Errorf("no log line of request %s", requestID)
	}
	for _, p := range rc.paths {
		if p != "/v1/traces" {
			t.Errorf("spans went to %s, want /v1/traces (an endpoint without a path)", p)
		}
	}
}

// TestOTelEndpointMalformed: a malformed --otel-endpoint stops the start
// with a message naming the flag.
func TestOTelEndpointMalformed(t *testing.T) {
	for _, v := range []string{"collector:4318", "ftp://collector", "http://", "http://user:pw@collector:4318", "http://collector:4318/?x=1", "http://[::1"} {
		m := NewMain(io.Discard, io.Discard)
		err := m.ParseFlags([]string{"--otel-endpoint", v}, func(string) string { return "" })
		if err == nil || !strings.Contains(err.Error(), "--otel-endpoint") {
			t.Errorf("--otel-endpoint %q: %v, want an error naming the flag", v, err)
		}
	}
	m := NewMain(io.Discard, io.Discard)
	if err := m.ParseFlags(nil, func(k string) string {
		if k == "ROSTER_OTEL_ENDPOINT" {
			return "https://otel.example.com/custom/traces"
		}
		return ""
	}); err != nil || m.Config.OTelEndpoint != "https://otel.example.com/custom/traces" {
		t.Errorf("ROSTER_OTEL_ENDPOINT: %v, endpoint %q", err, m.Config.OTelEndpoint)
	}
	if u, _ := otelURL("https://otel.example.com/custom/traces"); u != "https://otel.example.com/custom/traces" {
		t.Errorf("an endpoint with a path becomes %s, want it as it is", u)
	}
}
