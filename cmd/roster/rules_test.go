// SPDX-License-Identifier: Apache-2.0

package main

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func TestAuthentication(t *testing.T) {
	s := startServer(t)
	for name, key := range map[string]string{"missing": "", "wrong": "not-a-key-but-long-enough-to-be-one-0123456789"} {
		t.Run(name, func(t *testing.T) {
			res := s.doAs(key, "GET", "/v1/users", nil)
			res.problem(401)
			if res.Header.Get("WWW-Authenticate") == "" {
				t.Fatal("no WWW-Authenticate")
			}
		})
	}
	s.doAs("", "GET", "/v1/users", nil, "Authorization", "Basic Zm9vOmJhcg==").problem(401)
	for _, q := range []string{"access_token", "api_key", "key", "token"} {
		s.doAs("", "GET", "/v1/users?"+q+"="+testKey, nil).problem(400)
		s.do("GET", "/v1/users?"+q+"=x", nil).problem(400)
	}
	// The bootstrap key is never written to the log.
	if strings.Contains(s.logs.String(), testKey) {
		t.Fatal("the bootstrap key appears in the log")
	}
}

func TestBadBodies(t *testing.T) {
	s := startServer(t)
	id := s.createUser(nil)["id"].(string)
	huge := `{"first_name": "` + strings.Repeat("a", 1<<20) + `", "email": "huge@example.com"}`
	for _, c := range []struct {
		name, method, path, ct, body string
		status                       int
	}{
		{"malformed JSON", "POST", "/v1/users", "application/json", `{"first_name": "A",`, 400},
		{"trailing data", "POST", "/v1/users", "application/json", `{"first_name": "A", "email": "t@example.com"} {}`, 400},
		{"empty body", "POST", "/v1/users", "application/json", ``, 400},
		{"not an object", "POST", "/v1/users", "application/json", `"hello"`, 422},
		{"form body", "POST", "/v1/users", "application/x-www-form-urlencoded", `first_name=A`, 415},
		{"no content type", "POST", "/v1/users", "", `{"first_name": "A"}`, 415},
		{"too large", "POST", "/v1/users", "application/json", huge, 413},
		{"too large patch", "PATCH", "/v1/users/" + id, "application/merge-patch+json", huge, 413},
		{"malformed XML", "POST", "/v1/users", "application/xml", `<user><first_name>A</user>`, 400},
		{"XML doctype", "POST", "/v1/users", "application/xml", `<!DOCTYPE x [<!ENTITY e "x">]><user><first_name>&e;</first_name></user>`, 400},
		{"XML unknown element", "POST", "/v1/users", "application/xml", `<user><first_name>A</first_name><email>x@example.com</email><nick>n</nick></user>`, 422},
	} {
		t.Run(c.name, func(t *testing.T) {
			var hdr []string
			if c.ct != "" {
				hdr = []string{"Content-Type", c.ct}
			} else {
				hdr = []string{"Content-Type", ""}
			}
			s.do(c.method, c.path, c.body, hdr...).problem(c.status)
		})
	}
	if n := len(s.do("GET", "/v1/users", nil).want(200).obj()["items"].([]any)); n != 2 {
		t.Fatalf("%d users after bad bodies, want 2", n)
	}
	s.do("GET", "/v1/nothing-here", nil).problem(404)
	res := s.do("POST", "/v1/users/"+id, `{}`)
	res.problem(405)
	if res.Header.Get("Allow") == "" {
		t.Fatal("405 without Allow")
	}
}

func TestXMLAndFormats(t *testing.T) {
	s := startServer(t)
	res := s.do("POST", "/v1/users", `<?xml version="1.0"?><user><first_name>Xavier</first_name><email>x@example.com</email>
		<tags><item><name>vip</name><color>#ff0000</color></item></tags><preferences><language>en</language></preferences>
		<settings><ring_tone>ringtone3</ring_tone></settings></user>`, "Content-Type", "application/xml", "Accept", "application/xml").want(201)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/xml") {
		t.Fatalf("Content-Type %q", ct)
	}
	var u struct {
		XMLName   xml.Name `xml:"user"`
		ID        string   `xml:"id"`
		FirstName string   `xml:"first_name"`
		Version   int      `xml:"version"`
		Tags      []struct {
			Name string `xml:"name"`
		} `xml:"tags>item"`
		Links struct {
			Self struct {
				Href string `xml:"href"`
			} `xml:"self"`
		} `xml:"_links"`
	}
	if err := xml.Unmarshal(res.Body, &u); err != nil {
		t.Fatalf("%v: %s", err, res.Body)
	}
	if u.FirstName != "Xavier" || u.Version != 1 || len(u.Tags) != 1 || u.Tags[0].Name != "vip" || u.Links.Self.Href != "/v1/users/"+u.ID {
		t.Fatalf("XML answer: %+v\n%s", u, res.Body)
	}
	path := "/v1/users/" + u.ID
	for _, c := range []struct {
		path    string
		headers []string
		want    string
	}{
		{path, nil, "application/json"},
		{path + ".xml", nil, "application/xml"},
		{path + ".json", []string{"Accept", "application/xml"}, "application/json"},
		{path + "?format=xml", nil, "application/xml"},
		{path + ".xml?format=json", nil, "application/json"},
		{path, []string{"Accept", "text/xml"}, "application/xml"},
		{path, []string{"Accept", "application/xml;q=0.5, application/json"}, "application/json"},
		{path, []string{"Accept", "*/*"}, "application/json"},
		{"/v1/users.xml", nil, "application/xml"},
	} {
		res := s.do("GET", c.path, nil, c.headers...).want(200)
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, c.want) {
			t.Errorf("GET %s %v: Content-Type %q, want %s", c.path, c.headers, ct, c.want)
		}
	}
	s.do("GET", path, nil, "Accept", "text/html").problem(406)
	s.do("GET", path+"?format=yaml", nil).problem(400)
	// Errors follow the format: problem+xml.
	res = s.do("GET", "/v1/users/usr_01ARZ3NDEKTSV4RRFFQ69G5FAV.xml", nil).want(404)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+xml") || !strings.Contains(string(res.Body), `<problem xmlns="urn:ietf:rfc:7807">`) {
		t.Fatalf("XML error: %s %s", ct, res.Body)
	}
	// An XML merge patch.
	res = s.do("PATCH", path+".xml", `<user><last_name>Xu</last_name></user>`, "Content-Type", "application/xml").want(200)
	if !strings.Contains(string(res.Body), "<last_name>Xu</last_name>") {
		t.Fatalf("XML patch: %s", res.Body)
	}
	// A list in XML.
	res = s.do("GET", "/v1/users?format=xml", nil).want(200)
	if !strings.HasPrefix(strings.SplitN(string(res.Body), "\n", 2)[1], "<list><items><item>") {
		t.Fatalf("XML list: %s", res.Body)
	}
}

func TestJSONP(t *testing.T) {
	off := startServer(t)
	off.do("GET", "/v1/users/me?callback=cb", nil).problem(400)
	on := startServer(t, func(c *Config) { c.JSONP = true })
	res := on.do("GET", "/v1/users/me?callback=my.cb", nil).want(200)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/javascript") || !strings.HasPrefix(string(res.Body), "/**/my.cb({") {
		t.Fatalf("JSONP: %s %s", ct, res.Body)
	}
	on.do("GET", "/v1/users/me?callback=alert(1)", nil).problem(400)
	on.do("PATCH", "/v1/users/me?callback=cb", `{"last_name": "x"}`).problem(400)
}

func TestRequireIfMatch(t *testing.T) {
	s := startServer(t, func(c *Config) { c.RequireIfMatch = true })
	id := s.createUser(nil)["id"].(string)
	s.do("PATCH", "/v1/users/"+id, `{"last_name": "x"}`).problem(428)
	s.do("PUT", "/v1/users/"+id, map[string]any{"first_name": "x"}).problem(428)
	s.do("DELETE", "/v1/users/"+id, nil).problem(428)
	s.do("PATCH", "/v1/users/"+id, `{"last_name": "x"}`, "If-Match", `"1"`).want(200)
}

func TestIdempotencyKey(t *testing.T) {
	s := startServer(t)
	body := map[string]any{"first_name": "Idem", "email": "idem@example.com"}
	first := s.do("POST", "/v1/users", body, "Idempotency-Key", "k-1").want(201)
	again := s.do("POST", "/v1/users", body, "Idempotency-Key", "k-1").want(201)
	if first.str("id") != again.str("id") || again.Header.Get("Idempotency-Replayed") != "true" || again.Header.Get("Location") != first.Header.Get("Location") {
		t.Fatalf("replay differs: %s / %s", first.Body, again.Body)
	}
	s.do("POST", "/v1/users", map[string]any{"first_name": "Other", "email": "other@example.com"}, "Idempotency-Key", "k-1").problem(422)
	// A failed request is replayed too: the same answer for the same request.
	s.do("POST", "/v1/users", map[string]any{"first_name": ""}, "Idempotency-Key", "k-2").problem(422)
	s.do("POST", "/v1/users", map[string]any{"first_name": ""}, "Idempotency-Key", "k-2").problem(422)
	if n := len(s.do("GET", "/v1/users?q=idem", nil).want(200).obj()["items"].([]any)); n != 1 {
		t.Fatalf("%d users named Idem, want 1", n)
	}
}

func TestSystemRoutes(t *testing.T) {
	s := startServer(t)
	if st := s.doAs("", "GET", "/healthz", nil).want(200).str("status"); st != "ok" {
		t.Fatalf("healthz %q", st)
	}
	checks := s.doAs("", "GET", "/readyz", nil).want(200).obj()["checks"]
	if !reflect.DeepEqual(checks, map[string]any{"database": "ok", "migrations": "ok", "secret_key": "ok"}) {
		t.Errorf("/readyz checks: %v", checks)
	}
	if m := string(s.doAs("", "GET", "/metrics", nil).want(200).Body); !strings.Contains(m, "roster_http_requests_total") {
		t.Fatal("metrics lack roster_http_requests_total")
	}
	if d := string(s.doAs("", "GET", "/docs", nil).want(200).Body); !strings.Contains(d, "/openapi.json") {
		t.Fatal("docs page does not load the document")
	}
	// What a Prometheus server and a person send: the text format, never
	// a 406 (PRODUCT §13).
	for _, accept := range []string{"text/plain", "text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
		"application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1", "*/*"} {
		res := s.doAs("", "GET", "/metrics", nil, "Accept", accept).want(200)
		if !strings.Contains(string(res.Body), "roster_http_requests_total") || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") &&
			!strings.HasPrefix(res.Header.Get("Content-Type"), "application/openmetrics-text") {
			t.Errorf("/metrics with Accept %q: %s %.80s", accept, res.Header.Get("Content-Type"), res.Body)
		}
	}
	s.doAs("", "GET", "/docs", nil, "Accept", "text/html").want(200)
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(s.doAs("", "GET", "/openapi.json", nil).want(200).Body, &doc); err != nil {
		t.Fatal(err)
	}
	// Every documented operation is served: it never answers "no such
	// route" (404 naming the path) or 405.
	for path, item := range doc.Paths {
		for method := range item {
			p := strings.NewReplacer("{id}", "usr_01ARZ3NDEKTSV4RRFFQ69G5FAV", "{tag_id}", "tag_x").Replace(path)
			res := s.do(strings.ToUpper(method), p, nil)
			if res.Status == http.StatusMethodNotAllowed || strings.Contains(string(res.Body), "no such resource") {
				t.Errorf("%s %s is documented but not served: %d %s", method, path, res.Status, res.Body)
			}
		}
	}
}

// TestReadyzNamesWhatIsDown: a database that is reachable but not
// migrated to this version answers 503 naming the migrations, with the
// count, and is ready again once they are all there.
func TestReadyzNamesWhatIsDown(t *testing.T) {
	s := startServer(t)
	db := storeSQL(t, s)
	var name string
	if err := db.QueryRow(`SELECT name FROM schema_migrations ORDER BY name DESC LIMIT 1`).Scan(&name); err != nil {
		t.Fatal(err)
	}
	del, ins := `DELETE FROM schema_migrations WHERE name = ?`, `INSERT INTO schema_migrations (name, applied_at) VALUES (?, 0)`
	if onPostgres() {
		del, ins = `DELETE FROM schema_migrations WHERE name = $1`, `INSERT INTO schema_migrations (name, applied_at) VALUES ($1, now())`
	}
	if _, err := db.Exec(del, name); err != nil {
		t.Fatal(err)
	}
	d := s.doAs("", "GET", "/readyz", nil).problem(503)["detail"].(string)
	if !strings.Contains(d, "migrations: not migrated") || strings.Contains(d, "database:") {
		t.Errorf("/readyz of an unmigrated database: %s", d)
	}
	if _, err := db.Exec(ins, name); err != nil {
		t.Fatal(err)
	}
	s.doAs("", "GET", "/readyz", nil).want(200)
}
