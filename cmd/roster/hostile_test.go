// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/httpapi"
	"github.com/rosterhq/roster/openapi"
)

// TestHostileRequests sends a few thousand generated hostile requests to
// every route of the server's own OpenAPI document: malformed JSON and
// XML, deep nesting, numbers beyond float64, wrong types, control
// characters, bad %-escapes, wrong content types, oversized bodies, bad
// ids, cursors and query parameters, bad credentials. Every request that
// writes is built to be refused, so the test fails on any 5xx, on any
// request that takes over 2 s, on a refusal that is not a problem
// document, on a write that is not refused, and on any change to the
// users, organisations and events, compared every 250 requests.
//
// The run is seeded: the seed is logged and named in every failure, and
// ROSTER_HOSTILE_SEED=<seed> replays it (ROSTER_HOSTILE_REQUESTS sets the
// number of requests, 2,500 by default, 500 with -short).
func TestHostileRequests(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("ROSTER_HOSTILE_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("ROSTER_HOSTILE_SEED=%q: %v", v, err)
		}
		seed = n
	}
	requests := 2500
	if testing.Short() {
		requests = 500
	}
	if v, err := strconv.Atoi(os.Getenv("ROSTER_HOSTILE_REQUESTS")); err == nil && v > 0 {
		requests = v
	}
	t.Logf("seed %d (replay with ROSTER_HOSTILE_SEED=%d), %d requests", seed, seed, requests)

	s := startServer(t)
	fx := newHostileFixture(t, s)
	ops := hostileOperations(t, s)
	h := &hostile{rng: rand.New(rand.NewPCG(seed, seed^0x5eed)), fx: fx}
	client := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	// The console's first sign-in makes its client (service.
	// EnsureConsoleClient), once: from then on no request changes data.
	newBrowser(t, s).get("/console/signin").location()
	before := fx.snapshot(s)
	var recent []string // the requests since the last snapshot
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("seed %d (replay with ROSTER_HOSTILE_SEED=%d): %s", seed, seed, fmt.Sprintf(format, args...))
	}
	slowest, slowestReq := time.Duration(0), ""
	for i := range requests {
		op := ops[h.rng.IntN(len(ops))]
		req := h.request(op)
		desc := fmt.Sprintf("#%d %s", i, req)
		recent = append(recent, desc)
		status, ct, body, took, err := req.send(client, s.URL)
		if err != nil {
			fail("%s: %v after %v", desc, err, took)
		}
		if took > slowest {
			slowest, slowestReq = took, desc
		}
		switch {
		case took > 2*time.Second:
			fail("%s took %v", desc, took)
		case status >= 500:
			fail("%s answered %d: %.300s", desc, status, body)
		case req.refuse && strings.HasPrefix(ct, "application/x-ndjson"):
			// A streamed import refuses per line (POST /v1/users/import).
			if msg := ndjsonRefused(status, body); msg != "" {
				fail("%s must be refused on every line: %s: %.300s", desc, msg, body)
			}
		case req.refuse && (status < 400 || status >= 500):
			fail("%s must be refused, answered %d: %.300s", desc, status, body)
		case status >= 400 && !strings.HasPrefix(ct, "application/problem+") && !oauthProtocol(op.path) && !hostedPage(op.path, ct):
			fail("%s answered %d as %q, not a problem document: %.300s", desc, status, ct, body)
		case status >= 400 && len(body) > 64<<10:
			fail("%s: a refusal of %d bytes: %.300s", desc, len(body), body)
		}
		if (i+1)%250 == 0 || i == requests-1 {
			if after := fx.snapshot(s); after != before {
				fail("data changed during requests %d–%d:\n%s\nbefore: %.2000s\nafter:  %.2000s", i+1-len(recent), i, strings.Join(recent, "\n"), before, after)
			}
			recent = recent[:0]
		}
	}
	t.Logf("slowest: %v for %s", slowest, slowestReq)
}

// hostedPage reports whether an answer is a hosted sign-in page's (an
// error page for a browser, not a problem document).
func hostedPage(path, contentType string) bool {
	return httpapi.RouteMediaType(path) == openapi.Page && strings.HasPrefix(contentType, "text/html")
}

// oauthProtocol reports whether a route answers errors in the form its
// OAuth 2.0 or OpenID Connect RFC gives (the token endpoint, userinfo,
// introspection) rather than as problem documents.
func oauthProtocol(path string) bool {
	return strings.HasPrefix(path, "/v1/auth/") || path == "/oauth2/userinfo" || path == "/oauth2/introspect"
}

// ndjsonRefused says what is wrong ("" when nothing is) with an NDJSON
// answer (an import's) to a request that must be refused: every line must
// carry a 4xx problem.
func ndjsonRefused(status int, body []byte) string {
	if status != http.StatusOK {
		return fmt.Sprintf("status %d", status)
	}
	for _, raw := range bytes.Split(bytes.TrimSpace(body), []byte("\n")) {
		var l struct {
			Status  int
			Problem map[string]any
		}
		if err := json.Unmarshal(raw, &l); err != nil {
			return "an answer line is not JSON"
		}
		if l.Status < 400 || l.Status >= 500 || l.Problem == nil {
			return fmt.Sprintf("a line answered %d", l.Status)
		}
	}
	return ""
}

// hostileOp is one operation of the OpenAPI document.
type hostileOp struct {
	method, path string
	bodies       []string // request content types; none when it takes no body
	query        []string // query parameter names
	ifMatch      bool     // it honours If-Match
}

// hostileOperations reads the operations from the running server's
// OpenAPI document, so that routes added later are covered as well.
func hostileOperations(t *testing.T, s *testServer) []hostileOp {
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct{ Name, In string }
			Body       *struct {
				Content map[string]any `json:"content"`
			} `json:"requestBody"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(s.do("GET", "/openapi.json", nil).want(200).Body, &doc); err != nil {
		t.Fatal(err)
	}
	var ops []hostileOp
	for path, methods := range doc.Paths {
		for m, o := range methods {
			op := hostileOp{method: strings.ToUpper(m), path: path}
			if !slices.Contains([]string{"GET", "POST", "PUT", "PATCH", "DELETE"}, op.method) {
				continue
			}
			for _, p := range o.Parameters {
				if p.In == "query" {
					op.query = append(op.query, p.Name)
				}
				if p.In == "header" && p.Name == "If-Match" {
					op.ifMatch = true
				}
			}
			if o.Body != nil {
				for ct := range o.Body.Content {
					op.bodies = append(op.bodies, ct)
				}
				slices.Sort(op.bodies)
			}
			ops = append(ops, op)
		}
	}
	// A stable order, so that a seed replays the same requests.
	slices.SortFunc(ops, func(a, b hostileOp) int { return strings.Compare(a.method+" "+a.path, b.method+" "+b.path) })
	if len(ops) < 40 {
		t.Fatalf("the OpenAPI document lists only %d operations", len(ops))
	}
	return ops
}

// hostileFixture holds real resources for the path parameters, so that
// a hostile body reaches the code that decodes it.
type hostileFixture struct {
	ids    map[string]string // by the path's collection: users, orgs, webhooks, api-keys, oauth-clients, tags
	cursor string            // a real cursor, to mangle
}

func newHostileFixture(t *testing.T, s *testServer) *hostileFixture {
	u := s.createUser(map[string]any{"email": "hostile-target@example.com", "tags": []map[string]any{{"name": "vip"}}})
	root := s.do("GET", "/v1/users/me", nil).want(200).str("organization_id")
	org := s.do("POST", "/v1/orgs", map[string]any{"name": "Hostile target", "parent_id": root}).want(201).str("id")
	hook := s.createWebhook(map[string]any{"url": "http://127.0.0.1:9/hostile", "events": []string{"org.deleted"}, "status": "disabled"})
	key := s.do("POST", "/v1/api-keys", map[string]any{"name": "hostile", "user_id": u["id"], "scopes": []string{"users:read"}}).want(201).str("id")
	client := s.do("POST", "/v1/oauth-clients", map[string]any{"name": "hostile", "scopes": []string{"users:read"}, "organization_id": org}).want(201).str("client_id")
	s.do("PUT", "/v1/orgs/"+org+"/settings-schema", `{"type": "object"}`).want(200)
	var page struct {
		Next string `json:"next_cursor"`
	}
	json.Unmarshal(s.do("GET", "/v1/users?limit=1", nil).want(200).Body, &page)
	tag := u["tags"].([]any)[0].(map[string]any)["id"].(string)
	return &hostileFixture{cursor: page.Next, ids: map[string]string{
		"users": u["id"].(string), "orgs": org, "webhooks": hook["id"].(string), "api-keys": key, "oauth-clients": client,
		"tag_id": tag, "user_id": u["id"].(string), "delivery_id": "dlv_01M956X0ZCADHCRDQ6CK83F66B"}}
}

// snapshot is what no hostile request may change: the users, the
// organisations, the webhooks, the keys and the newest events.
func (fx *hostileFixture) snapshot(s *testServer) string {
	var b strings.Builder
	for _, path := range []string{"/v1/users?limit=200", "/v1/orgs?limit=200", "/v1/webhooks", "/v1/api-keys", "/v1/oauth-clients", "/v1/events?limit=200", "/v1/orgs/" + fx.ids["orgs"] + "/settings-schema"} {
		b.WriteString(path + " ")
		b.Write(s.do("GET", path, nil).want(200).Body)
		b.WriteString("\n")
	}
	return b.String()
}

// hostileRequest is one generated request.
type hostileRequest struct {
	what   string // the hostile part, for the failure message
	method string
	path   string // sent as is, not escaped again
	query  string
	header http.Header
	body   []byte
	refuse bool // it must be answered 4xx
	noAuth bool
}

func (r *hostileRequest) String() string {
	body := string(r.body)
	if len(body) > 160 {
		body = body[:160] + fmt.Sprintf("…(%d bytes)", len(r.body))
	}
	path := r.path
	if len(path) > 160 {
		path = path[:160] + "…"
	}
	q := r.query
	if len(q) > 160 {
		q = q[:160] + "…"
	}
	return fmt.Sprintf("[%s] %s %s?%s %v %q", r.what, r.method, path, q, r.header, body)
}

func (r *hostileRequest) send(c *http.Client, base string) (status int, ct string, body []byte, took time.Duration, err error) {
	u, _ := url.Parse(base)
	u.Opaque, u.RawQuery = r.path, r.query // Opaque: bad escapes go out as they are
	req, err := http.NewRequest(r.method, "http://placeholder/", bytes.NewReader(r.body))
	if err != nil {
		return 0, "", nil, 0, err
	}
	req.URL = u
	req.Host = u.Host
	if r.body == nil {
		req.Body, req.ContentLength = nil, 0
	}
	req.Header = r.header.Clone()
	if !r.noAuth && req.Header.Get("Authorization") == "" {
		req.Header.Set("Authorization", "Bearer "+testKey)
	}
	start := time.Now()
	res, err := c.Do(req)
	if err != nil {
		return 0, "", nil, time.Since(start), err
	}
	defer res.Body.Close()
	body, err = io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Content-Type"), body, time.Since(start), err
}

// hostile generates requests.
type hostile struct {
	rng *rand.Rand
	fx  *hostileFixture
}

func (h *hostile) pick(list ...string) string { return list[h.rng.IntN(len(list))] }

// request builds a hostile request for op. A request that may write is
// always given something that must make the server refuse it: a hostile
// body, a bad id, bad credentials or a bad escape.
func (h *hostile) request(op hostileOp) *hostileRequest {
	r := &hostileRequest{method: op.method, header: http.Header{}, what: "plain"}
	r.path = h.path(op, r, false)
	if h.rng.IntN(3) == 0 {
		r.query = h.query(op, r)
	}
	if h.rng.IntN(6) == 0 {
		r.header.Set("Accept", h.pick("application/xml", "application/json", "text/xml", "image/png", "*/*;q=0", "application/xml;q=0.5, application/json", "application/problem+xml"))
	}
	if op.method == "GET" {
		return r
	}
	r.refuse = true
	public := strings.HasPrefix(op.path, "/v1/auth/") || strings.HasPrefix(op.path, "/oauth2/") // no credentials to spoil
	switch n := h.rng.IntN(10); {
	case len(op.bodies) > 0 && n < 7:
		h.body(op, r)
	case n == 7 && !public:
		r.what, r.noAuth = "bad credentials", true
		if v := h.pick("", "Bearer nope", "Basic Zm9vOmJhcg==", "Bearer "+strings.Repeat("x", 5000), "Bearer rat_"+base64.RawURLEncoding.EncodeToString([]byte("forged"))); v != "" {
			r.header.Set("Authorization", v)
		}
		h.validBody(op, r)
	case n == 8 && op.ifMatch && h.rng.IntN(2) == 0:
		r.what = "stale If-Match"
		r.header.Set("If-Match", h.pick(`"999999"`, `W/"1"`, `"abc"`, `""`, `"998", "999"`, `1`))
		h.validBody(op, r)
	case n == 8 && op.method == "POST" && !public:
		r.what = "bad Idempotency-Key"
		r.header.Set("Idempotency-Key", strings.Repeat("k", 256+h.rng.IntN(1000)))
		h.validBody(op, r)
	default:
		r.path = h.path(op, r, true)
		if !strings.Contains(r.what, "bad id") { // no path parameter to spoil
			r.what += ", bad escape in path"
			r.path += h.pick("/%zz", "%", "/%e0%", "/%%", "%2")
		}
		if len(op.bodies) > 0 && h.rng.IntN(2) == 0 {
			h.validBody(op, r)
		}
	}
	return r
}

// path fills op's path parameters with the fixture's ids, or with one
// bad id when bad is set.
func (h *hostile) path(op hostileOp, r *hostileRequest, bad bool) string {
	segs := strings.Split(op.path, "/")
	var params []int
	for i, s := range segs {
		if strings.HasPrefix(s, "{") {
			params = append(params, i)
		}
	}
	spoil := -1
	if bad && len(params) > 0 {
		spoil = params[h.rng.IntN(len(params))]
	}
	for _, i := range params {
		name := strings.Trim(segs[i], "{}")
		if name == "id" {
			name = segs[i-1] // the collection: users, orgs, webhooks…
		}
		if i == spoil {
			r.what += ", bad id"
			segs[i] = h.badID()
			continue
		}
		segs[i] = h.fx.ids[name]
	}
	return strings.Join(segs, "/")
}

func (h *hostile) badID() string {
	crockford := "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	random := func(n int, alphabet string) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[h.rng.IntN(len(alphabet))]
		}
		return string(b)
	}
	switch h.rng.IntN(12) {
	case 0:
		return h.pick("usr_", "org_", "whk_", "key_", "tag_", "cli_", "dlv_", "evt_") + random(26, crockford) // well-formed, unknown
	case 1:
		return "usr_" + random(26, "!$&'()*+,;=-._~ILOU")
	case 2:
		return url.PathEscape(random(1+h.rng.IntN(40), "\x00\x01\x1f\x7f abc/\\\"'<>{}%:"))
	case 3:
		return strings.Repeat("a", 1000+h.rng.IntN(20000))
	case 4:
		return "username:" + url.PathEscape(random(1+h.rng.IntN(20), "abc@.\x00%/"))
	case 5:
		return "external:" + url.PathEscape(random(h.rng.IntN(30), "org_:x\x00"))
	case 6:
		return h.pick("%zz", "%", "%e0%80", "%c0%af", "%ff%fe", "%00", "%2e%2e", "..", ".", "%2f", "me%00")
	case 7:
		return h.pick("usr_01M956X0ZCADHCRDQ6CK83F66", "usr_01M956X0ZCADHCRDQ6CK83F66BB", "USR_01M956X0ZCADHCRDQ6CK83F66B", "usr-01M956X0ZCADHCRDQ6CK83F66B")
	case 8:
		return url.PathEscape("🙂" + random(5, "ßøé"))
	case 9:
		return "1e400"
	case 10:
		return "-1"
	}
	return ""
}

// query returns hostile query parameters for op (and, on any route, some
// that only GETs of lists know).
func (h *hostile) query(op hostileOp, r *hostileRequest) string {
	names := append(slices.Clone(op.query), "limit", "cursor", "format", "callback", "q")
	var parts []string
	for range 1 + h.rng.IntN(3) {
		name := names[h.rng.IntN(len(names))]
		var v string
		switch name {
		case "limit":
			v = h.pick("0", "-1", "201", "1e400", "abc", "99999999999999999999", "", "1.5", "%zz")
		case "cursor":
			v = h.cursor()
		case "created_after", "created_before", "updated_after", "before":
			v = h.pick("yesterday", "2026-13-45T00:00:00Z", "1e400", "0000-00-00", "%zz", url.QueryEscape("2026-01-01T00:00:00+99:00"))
		case "wait": // only values that are not numbers: a real wait long-polls
			v = h.pick("soon", "1e400", "NaN", "%zz", "0x10")
		case "format":
			v = h.pick("yaml", "", "XML", "%00")
		case "callback":
			v = h.pick("cb", "alert(1)", "%zz")
		default:
			v = h.pick("%zz", "%00", url.QueryEscape("\x00\x1b"), strings.Repeat("x", 5000), "bogus", url.QueryEscape("' OR 1=1 --"), "%e0%80", "usr_"+strings.Repeat("Z", 26))
		}
		parts = append(parts, name+"="+v)
	}
	r.what += ", query"
	return strings.Join(parts, "&")
}

// cursor returns a mangled or forged cursor.
func (h *hostile) cursor() string {
	c := h.fx.cursor
	switch h.rng.IntN(5) {
	case 0:
		if len(c) > 2 {
			i := h.rng.IntN(len(c))
			return c[:i] + "A" + c[i+1:]
		}
	case 1:
		return base64.RawURLEncoding.EncodeToString([]byte(h.pick(`{"s":"email","k":["x"],"id":"usr_"}`, `{}`, `[]`, `{"k":[1e400]}`, `null`, strings.Repeat("[", 100))))
	case 2:
		return c + c
	case 3:
		return h.pick("%zz", "!!!", "====", strings.Repeat("A", 3000))
	}
	return c[:len(c)/2]
}

// baseBody is a plausible body for op, into which hostile values go.
func baseBody(op hostileOp) string {
	p := op.path
	switch {
	case strings.HasSuffix(p, "/tags"):
		return `{"tags": [{"name": "hostile", "color": "#ff0000"}]}`
	case strings.HasSuffix(p, "/credit"):
		return `{"amount": "1.00", "reason": "hostile"}`
	case strings.Contains(p, "/members/"):
		return `{"roles": ["member"]}`
	case strings.HasSuffix(p, "/settings-schema"):
		return `{"type": "object", "properties": {"n": {"type": "number"}}}`
	case strings.HasSuffix(p, "/password"):
		return `{"current_password": "x", "new_password": "Hostile-Password-123"}`
	case strings.Contains(p, "/mfa/"), strings.HasSuffix(p, "/confirm"):
		return `{"code": "123456"}`
	case strings.HasSuffix(p, "/email-change"):
		return `{"email": "hostile-new@example.com"}`
	case strings.HasSuffix(p, "/username"):
		return `{"username": "hostile"}`
	case strings.HasSuffix(p, "/set-password"):
		return `{"token": "hostile", "password": "Hostile-Password-123"}`
	case strings.HasPrefix(p, "/v1/users"):
		return `{"first_name": "Hostile", "email": "hostile@example.com", "settings": {"a": [1, "b"]}}`
	case strings.HasPrefix(p, "/v1/orgs"):
		return `{"name": "Hostile", "status": "enabled"}`
	case strings.HasPrefix(p, "/v1/webhooks"):
		return `{"url": "http://127.0.0.1:9/h", "events": ["user.*"], "status": "disabled"}`
	case strings.HasPrefix(p, "/v1/api-keys"), strings.HasPrefix(p, "/v1/oauth-clients"):
		return `{"name": "hostile", "scopes": ["users:read"]}`
	}
	return `{"name": "hostile"}`
}

// validBody gives r a body op would accept (with the rest of the request
// spoiled elsewhere).
func (h *hostile) validBody(op hostileOp, r *hostileRequest) {
	if len(op.bodies) == 0 {
		return
	}
	switch {
	case slices.Contains(op.bodies, "application/x-www-form-urlencoded"):
		r.header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.body = []byte("grant_type=client_credentials&client_id=nope&client_secret=nope")
	case op.method == "PATCH":
		r.header.Set("Content-Type", "application/merge-patch+json")
		r.body = []byte(`{"name": "Patched"}`)
	default:
		r.header.Set("Content-Type", "application/json")
		r.body = []byte(baseBody(op))
	}
}

// hostileValue returns a JSON value that no input may hold.
func (h *hostile) hostileValue() (string, string) {
	switch h.rng.IntN(5) {
	case 0:
		d := 65 + h.rng.IntN([]int{100, 1000, 20000}[h.rng.IntN(3)])
		open, close := `{"a":`, `}`
		if h.rng.IntN(2) == 0 {
			open, close = `[`, `]`
		}
		return "deep " + strconv.Itoa(d), strings.Repeat(open, d) + "1" + strings.Repeat(close, d)
	case 1:
		n := h.pick("1e400", "-1e400", "1E+309", "123e999999999", "-9.9e99999")
		return "number " + n, n
	case 2:
		c := h.rng.IntN(0x20)
		if c == '\t' || c == '\n' || c == '\r' {
			c = 0
		}
		s := fmt.Sprintf(`"a\u%04xb"`, c)
		if h.rng.IntN(4) == 0 {
			s = h.pick(`"\uFFFE"`, `"\uffff"`)
		}
		return "control character", s
	case 3:
		return "control character in a name", fmt.Sprintf(`{"k\u%04x": 1}`, h.rng.IntN(9))
	}
	// A deep value in an array of objects, past the limit by a little.
	return "deep array", strings.Repeat(`[{"x":`, 33) + "0" + strings.Repeat(`}]`, 33)
}

// body gives r a body that must be refused.
func (h *hostile) body(op hostileOp, r *hostileRequest) {
	ct := op.bodies[h.rng.IntN(len(op.bodies))]
	r.header.Set("Content-Type", ct)
	base := baseBody(op)
	if ct == "application/json-patch+json" {
		base = `[{"op": "replace", "path": "/name", "value": "x"}]`
	}
	switch {
	case ct == "application/x-www-form-urlencoded":
		r.what = "form endpoint, not a form"
		r.header.Set("Content-Type", h.pick("application/json", "text/plain", "", "multipart/form-data; boundary=x"))
		r.body = []byte(h.pick(`{"grant_type": "password"}`, "grant_type=password&grant_type=password", "%zz=%zz"))
		if r.header.Get("Content-Type") == "" {
			r.header.Del("Content-Type")
		}
		return
	case ct == "application/xml":
		r.what, r.body = h.hostileXML()
		return
	}
	switch h.rng.IntN(9) {
	case 8:
		r.what = "wide array"
		n := 1001 + h.rng.IntN(100000)
		if base[0] == '[' {
			r.body = []byte("[" + strings.Repeat(`{"op": "test", "path": "/x", "value": 1},`, n) + `{"op": "test", "path": "/x", "value": 1}]`)
			break
		}
		field, item := "tags", `{}`
		switch {
		case strings.HasSuffix(op.path, "/settings-schema"):
			field, item = "type", `"nope"`
		case h.rng.IntN(2) == 0:
			field, item = "roles", `"nope"`
		}
		r.body = []byte(base[:len(base)-1] + `, "` + field + `": [` + strings.Repeat(item+",", n) + item + `]}`)
	case 0, 1, 2:
		what, v := h.hostileValue()
		r.what = what
		if base[0] == '[' {
			r.body = []byte(strings.Replace(base, `"value": "x"`, `"value": `+v, 1))
		} else {
			field := h.pick("name", "first_name", "settings", "tags", "roles", "headers", "x", "code", "url", "amount", "type", "properties")
			r.body = []byte(base[:len(base)-1] + `, "` + field + `": ` + v + `}`)
		}
	case 3:
		r.what = "malformed JSON"
		b := base
		switch h.rng.IntN(5) {
		case 0:
			b = b[:h.rng.IntN(len(b)-1)]
		case 1:
			b += h.pick("}", "]", ",", " x", " {}")
		case 2:
			b = strings.Replace(b, `"`, `'`, -1)
		case 3:
			b = "\xef\xbb\xbf" + b
		case 4:
			b = strings.Replace(b, ":", "", 1)
		}
		r.body = []byte(b)
	case 4:
		r.what = "wrong content type"
		r.header.Set("Content-Type", h.pick("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx", "application/json-seq", "text/html"))
		r.body = []byte(base)
	case 5:
		r.what = "no content type"
		r.header.Del("Content-Type")
		r.body = []byte(base)
	case 6:
		r.what = "over 1 MiB"
		r.body = []byte(`{"name": "` + strings.Repeat("a", 1<<20+h.rng.IntN(1<<18)) + `"}`)
	case 7:
		r.what = "wrong type"
		if base[0] == '[' {
			r.body = []byte(h.pick(`{"op": "add"}`, `"x"`, `[1, 2]`, `[{"op": "add", "path": 5, "value": 1}]`, `[{"op": "nope", "path": "/x"}]`, `[{"op": "add", "path": "x", "value": 1}]`))
		} else {
			r.body = []byte(h.pick(`[]`, `"x"`, `12`, `true`, `[{"name": "x"}]`, `{"name": ["x"], "first_name": {}, "email": 5, "url": [], "roles": "admin", "type": 1, "tags": "x", "code": {}, "amount": []}`))
		}
	}
}

// hostileXML returns an XML body that must be refused.
func (h *hostile) hostileXML() (string, []byte) {
	switch h.rng.IntN(6) {
	case 0:
		d := 65 + h.rng.IntN(2000)
		return "deep XML", []byte("<user>" + strings.Repeat("<a>", d) + strings.Repeat("</a>", d) + "</user>")
	case 1:
		return "XML entity bomb", []byte(`<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><user><first_name>&lol2;</first_name></user>`)
	case 2:
		return "malformed XML", []byte(h.pick("<user><first_name>x</user>", "<user>", "not xml", "<user><a>x<b/></a></user>", "<a/><b/>"))
	case 3:
		return "XML character reference to NUL", []byte("<user><first_name>a&#0;b</first_name></user>")
	case 4:
		return "XML in another encoding", []byte(`<?xml version="1.0" encoding="ISO-8859-1"?><user><first_name>x</first_name></user>`)
	}
	return "XML over 1 MiB", []byte("<user><first_name>" + strings.Repeat("a", 1<<20+10) + "</first_name></user>")
}
