// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/scrypt"
)

// Users imported from NDJSON (POST /v1/users/import, PRODUCT.md sections
// 12 and 13), black-box, on the embedded store or PostgreSQL.

// importLine is one line of an import's answer.
type importLine struct {
	Line    int            `json:"line"`
	Status  int            `json:"status"`
	ID      string         `json:"id"`
	Problem map[string]any `json:"problem"`
}

// ndjson writes lines, each marshalled to JSON unless it is a string.
func ndjson(lines ...any) []byte {
	var body bytes.Buffer
	for _, l := range lines {
		if str, ok := l.(string); ok {
			body.WriteString(str)
		} else {
			body.Write(mustJSON(l))
		}
		body.WriteByte('\n')
	}
	return body.Bytes()
}

// importAs posts lines (each marshalled to JSON unless it is a string) as
// key and returns the answer lines by input line number.
func (s *testServer) importAs(key, query string, lines ...any) map[int]importLine {
	s.t.Helper()
	res := s.doAs(key, "POST", "/v1/users/import"+query, ndjson(lines...), "Content-Type", "application/x-ndjson").want(http.StatusOK)
	if ct := res.Header.Get("Content-Type"); ct != "application/x-ndjson" {
		s.t.Fatalf("Content-Type %q, want application/x-ndjson", ct)
	}
	out := map[int]importLine{}
	for _, raw := range bytes.Split(bytes.TrimSpace(res.Body), []byte("\n")) {
		var l importLine
		if err := json.Unmarshal(raw, &l); err != nil {
			s.t.Fatalf("answer line %q: %v", raw, err)
		}
		if _, dup := out[l.Line]; dup {
			s.t.Fatalf("two answers for line %d", l.Line)
		}
		out[l.Line] = l
	}
	if len(out) != len(lines) {
		s.t.Fatalf("%d answer lines for %d input lines: %s", len(out), len(lines), res.Body)
	}
	return out
}

// importSignIn tries the password grant and returns its status.
func (s *testServer) importSignIn(user, password string) int {
	s.t.Helper()
	return s.form("/v1/auth/token", url.Values{"grant_type": {"password"}, "username": {user}, "password": {password}}).Status
}

// storedHash reads a user's password hash from the database.
func (s *testServer) storedHash(userID string) string {
	s.t.Helper()
	q := "SELECT hash FROM passwords WHERE user_id = ?"
	if onPostgres() {
		q = "SELECT hash FROM passwords WHERE user_id = $1"
	}
	var h string
	if err := storeSQL(s.t, s).QueryRow(q, userID).Scan(&h); err != nil {
		s.t.Fatalf("read the password hash of %s: %v", userID, err)
	}
	return h
}

// eventCount counts the events the owner sees.
func (s *testServer) eventCount() int {
	s.t.Helper()
	n, q := 0, "?limit=200"
	for {
		items, next := s.events(q)
		n += len(items)
		if next == "" || len(items) == 0 {
			return n
		}
		q = "?limit=200&after=" + items[len(items)-1].ID
	}
}

// foreignHashes makes a hash of password in each accepted form, as other
// systems write them.
func foreignHashes(t *testing.T, password string) map[string]any {
	salt := []byte("import-salt-0123")
	b64, ab64 := base64.RawStdEncoding, strings.NewReplacer("+", ".")
	out := map[string]any{}
	for _, v := range []string{"2a", "2b", "2y"} {
		h, err := bcrypt.GenerateFromPassword([]byte(password), 4)
		if err != nil {
			t.Fatal(err)
		}
		out["bcrypt-"+v] = "$" + v + string(h[3:])
	}
	out["argon2i"] = fmt.Sprintf("$argon2i$v=19$m=256,t=2,p=1$%s$%s", b64.EncodeToString(salt), b64.EncodeToString(argon2.Key([]byte(password), salt, 2, 256, 1, 32)))
	out["argon2id"] = fmt.Sprintf("$argon2id$v=19$m=256,t=2,p=2$%s$%s", b64.EncodeToString(salt), b64.EncodeToString(argon2.IDKey([]byte(password), salt, 2, 256, 2, 32)))
	k1, _ := pbkdf2.Key(sha1.New, password, salt, 1000, 20)
	k256, _ := pbkdf2.Key(sha256.New, password, salt, 1000, 32)
	k512, _ := pbkdf2.Key(sha512.New, password, salt, 1000, 64)
	out["pbkdf2-sha1"] = fmt.Sprintf("$pbkdf2-sha1$i=1000,l=20$%s$%s", b64.EncodeToString(salt), b64.EncodeToString(k1))
	out["pbkdf2-sha256"] = fmt.Sprintf("$pbkdf2-sha256$i=1000$%s$%s", b64.EncodeToString(salt), b64.EncodeToString(k256))
	out["pbkdf2-sha512"] = fmt.Sprintf("$pbkdf2-sha512$i=1000,l=64$%s$%s", b64.EncodeToString(salt), b64.EncodeToString(k512))
	out["passlib-pbkdf2-sha256"] = fmt.Sprintf("$pbkdf2-sha256$1000$%s$%s", ab64.Replace(b64.EncodeToString(salt)), ab64.Replace(b64.EncodeToString(k256)))
	out["passlib-pbkdf2-sha1"] = fmt.Sprintf("$pbkdf2$1000$%s$%s", ab64.Replace(b64.EncodeToString(salt)), ab64.Replace(b64.EncodeToString(k1)))
	kc, _ := pbkdf2.Key(sha256.New, password, salt, 27500, 32)
	out["keycloak-pbkdf2-sha256"] = map[string]any{"type": "password",
		"secretData":     string(mustJSON(map[string]string{"value": base64.StdEncoding.EncodeToString(kc), "salt": base64.StdEncoding.EncodeToString(salt)})),
		"credentialData": `{"hashIterations":27500,"algorithm":"pbkdf2-sha256"}`}
	ks, err := scrypt.Key([]byte(password), salt, 1<<10, 8, 1, 32)
	if err != nil {
		t.Fatal(err)
	}
	out["scrypt"] = fmt.Sprintf("$scrypt$ln=10,r=8,p=1$%s$%s", ab64.Replace(b64.EncodeToString(salt)), ab64.Replace(b64.EncodeToString(ks)))
	return out
}

// TestImportForeignPasswordHashes: a user imported with a hash of each
// family signs in with its password, after which the stored hash is
// argon2id and the password still works; a wrong password fails; an
// over-cost hash is refused on its line, naming password_hash.
func TestImportForeignPasswordHashes(t *testing.T) {
	s := startServer(t)
	const pw = "Imported-Secret-42"
	hashes := foreignHashes(t, pw)
	var lines []any
	var names []string
	for name, h := range hashes {
		names = append(names, name)
		lines = append(lines, map[string]any{"first_name": "Imported", "last_name": name, "email": name + "@import.example", "password_hash": h})
	}
	over := []string{
		"$2b$14$" + strings.Repeat("C", 21) + ".E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
		"$pbkdf2-sha256$i=5000000$c2FsdHNhbHQ$" + base64.RawStdEncoding.EncodeToString(make([]byte, 32)),
		"$scrypt$ln=20,r=8,p=1$c2FsdHNhbHQ$" + base64.RawStdEncoding.EncodeToString(make([]byte, 32)),
		"$argon2id$v=19$m=1048576,t=3,p=1$c2FsdHNhbHQ$" + base64.RawStdEncoding.EncodeToString(make([]byte, 32)),
	}
	for i, h := range over {
		lines = append(lines, map[string]any{"first_name": "Costly", "email": fmt.Sprintf("costly%d@import.example", i), "password_hash": h})
	}
	res := s.importAs(s.Key, "", lines...)
	events := s.eventCount()
	for i, name := range names {
		l := res[i+1]
		if l.Status != http.StatusCreated || l.ID == "" {
			t.Fatalf("%s: line %+v", name, l)
		}
		email := name + "@import.example"
		if st := s.importSignIn(email, pw+"-wrong"); st != http.StatusBadRequest {
			t.Errorf("%s: a wrong password answered %d", name, st)
		}
		before := s.storedHash(l.ID)
		if strings.HasPrefix(before, "$argon2id$v=19$m=64,") {
			t.Fatalf("%s: stored as %q before any sign-in", name, before)
		}
		if st := s.importSignIn(email, pw); st != http.StatusOK {
			t.Fatalf("%s: the right password answered %d", name, st)
		}
		after := s.storedHash(l.ID)
		if !strings.HasPrefix(after, "$argon2id$") {
			t.Errorf("%s: after a sign-in the stored hash is %.20q…, not argon2id", name, after)
		}
		if name != "argon2id" && after == before {
			t.Errorf("%s: the hash was not replaced at sign-in", name)
		}
		if st := s.importSignIn(email, pw); st != http.StatusOK {
			t.Errorf("%s: the second sign-in answered %d", name, st)
		}
		if st := s.importSignIn(email, pw+"-wrong"); st != http.StatusBadRequest {
			t.Errorf("%s: a wrong password after the upgrade answered %d", name, st)
		}
	}
	// The swaps to argon2id changed nothing anyone sees: no event.
	if n := s.eventCount(); n != events {
		t.Errorf("the sign-ins that replaced imported hashes wrote %d events", n-events)
	}
	for i := range over {
		l := res[len(names)+i+1]
		if l.Status != http.StatusUnprocessableEntity {
			t.Fatalf("over-cost hash %d: line %+v", i, l)
		}
		errs, _ := l.Problem["errors"].([]any)
		first, _ := errs[0].(map[string]any)
		if len(errs) != 1 || first["location"] != "body.password_hash" || !strings.Contains(first["message"].(string), "accepted") {
			t.Errorf("over-cost hash %d: problem %v", i, l.Problem)
		}
		if strings.Contains(string(mustJSON(l.Problem)), over[i][10:30]) {
			t.Errorf("the problem repeats the hash: %v", l.Problem)
		}
		s.do("GET", "/v1/users/username:"+fmt.Sprintf("costly%d@import.example", i), nil).want(http.StatusNotFound)
	}
	// The hash is write-only: no answer shows it.
	for _, l := range res {
		if l.ID != "" {
			if b := s.do("GET", "/v1/users/"+l.ID, nil).want(200).Body; bytes.Contains(b, []byte("password_hash")) || bytes.Contains(b, []byte("$2")) {
				t.Fatalf("the user shows its hash: %s", b)
			}
		}
	}
}

// TestImportThousandLines: of a 1,000-line file exactly the 10 bad lines
// fail, each naming its field; the same file again answers 204 for every
// good line and writes no event.
func TestImportThousandLines(t *testing.T) {
	s := startServer(t)
	bad := map[int]struct {
		field string
		set   func(m map[string]any)
	}{
		7:   {"body.email", func(m map[string]any) { m["email"] = "not-an-email" }},
		101: {"body.first_name", func(m map[string]any) { delete(m, "first_name") }},
		202: {"body.phone.number", func(m map[string]any) { m["phone"] = map[string]any{"country": "NL", "number": "12"} }},
		303: {"body.preferences.language", func(m map[string]any) { m["preferences"] = map[string]any{"language": "not a tag!"} }},
		404: {"body.status", func(m map[string]any) { m["status"] = "sleeping" }},
		505: {"body.roles[0]", func(m map[string]any) { m["roles"] = []string{"emperor"} }},
		606: {"body.organization_id", func(m map[string]any) { m["organization_id"] = "org_01JD3M0000000000000000000A" }},
		707: {"body.password_hash", func(m map[string]any) {
			m["password_hash"] = "$2b$31$" + strings.Repeat("C", 22) + strings.Repeat("A", 31)
		}},
		808: {"body.last_name", func(m map[string]any) { m["last_name"] = strings.Repeat("x", 300) }},
		999: {"body.tags[0].color", func(m map[string]any) { m["tags"] = []map[string]any{{"name": "vip", "color": "red"}} }},
	}
	var file bytes.Buffer
	for i := 1; i <= 1000; i++ {
		m := map[string]any{"first_name": fmt.Sprintf("User%d", i), "last_name": "Bulk", "email": fmt.Sprintf("bulk%04d@import.example", i),
			"preferences": map[string]any{"language": "en", "time_zone": "Europe/Amsterdam"}}
		if b, ok := bad[i]; ok {
			b.set(m)
		}
		file.Write(mustJSON(m))
		file.WriteString("\n")
	}
	run := func(want int) {
		t.Helper()
		lines := strings.Split(strings.TrimSuffix(file.String(), "\n"), "\n")
		args := make([]any, len(lines))
		for i, l := range lines {
			args[i] = l
		}
		res := s.importAs(s.Key, "?match=email", args...)
		for i := 1; i <= 1000; i++ {
			l := res[i]
			b, isBad := bad[i]
			if !isBad {
				if l.Status != want || l.ID == "" {
					t.Fatalf("line %d: %+v, want status %d", i, l, want)
				}
				continue
			}
			if l.Status != http.StatusUnprocessableEntity || l.ID != "" {
				t.Fatalf("bad line %d: %+v", i, l)
			}
			if locs := fieldErrors(l.Problem); len(locs) != 1 || locs[0] != b.field {
				t.Errorf("bad line %d names %v, want %s; problem %v", i, locs, b.field, l.Problem)
			}
			if l.Problem["status"] != float64(422) || l.Problem["type"] == "" || l.Problem["detail"] == "" {
				t.Errorf("bad line %d: incomplete problem %v", i, l.Problem)
			}
		}
	}
	events := s.eventCount()
	run(http.StatusCreated)
	if got := s.eventCount() - events; got != 990 {
		t.Fatalf("the import wrote %d events, want 990 (one user.created a good line)", got)
	}
	events += 990
	run(http.StatusNoContent)
	if got := s.eventCount() - events; got != 0 {
		t.Fatalf("running the file again wrote %d events", got)
	}
	u := s.do("GET", "/v1/users/username:bulk0001@import.example", nil).want(200).obj()
	if u["version"] != float64(1) {
		t.Fatalf("version %v after running the file twice", u["version"])
	}
}

// TestImportMatching: lines match by email (case-insensitively), by
// external_id and by id; a match is updated as a merge (fields the line
// leaves out are kept), a line with an unknown id creates the user with
// that id, and the request refuses a bad match or content type whole.
func TestImportMatching(t *testing.T) {
	s := startServer(t)
	me := s.do("GET", "/v1/users/me", nil).want(200).obj()
	org := me["organization_id"].(string)
	a := s.createUser(map[string]any{"email": "Match.A@import.example", "last_name": "A", "preferences": map[string]any{"time_zone": "Europe/Oslo"}})
	b := s.createUser(map[string]any{"email": "match.b@import.example", "external_id": "ext-b"})
	c := s.createUser(map[string]any{"email": "match.c@import.example"})

	res := s.importAs(s.Key, "", map[string]any{"email": "MATCH.a@import.example", "first_name": "Test", "last_name": "Renamed"})
	if l := res[1]; l.Status != http.StatusOK || l.ID != a["id"] {
		t.Fatalf("match by email: %+v", l)
	}
	got := s.do("GET", "/v1/users/"+a["id"].(string), nil).want(200).obj()
	if got["last_name"] != "Renamed" || got["preferences"].(map[string]any)["time_zone"] != "Europe/Oslo" || got["email"] != "Match.A@import.example" {
		t.Fatalf("after a merge by email: %v", got)
	}

	// A user whose username is not its email is matched by its email too.
	d := s.createUser(map[string]any{"email": "match.d@import.example", "username": "dee-username"})
	res = s.importAs(s.Key, "?match=email", map[string]any{"email": "Match.D@import.example", "first_name": "Dee"})
	if l := res[1]; l.Status != http.StatusOK || l.ID != d["id"] {
		t.Fatalf("match by email of a user with its own username: %+v", l)
	}

	res = s.importAs(s.Key, "?match=external_id",
		map[string]any{"external_id": "ext-b", "organization_id": org, "first_name": "Bee"},
		map[string]any{"external_id": "ext-new", "email": "match.new@import.example", "first_name": "New"},
		map[string]any{"email": "match.c@import.example", "first_name": "No external id"})
	if l := res[1]; l.Status != http.StatusOK || l.ID != b["id"] {
		t.Fatalf("match by external_id: %+v", l)
	}
	if l := res[2]; l.Status != http.StatusCreated {
		t.Fatalf("no match by external_id creates: %+v", l)
	}
	if l := res[3]; l.Status != http.StatusUnprocessableEntity || fieldErrors(l.Problem)[0] != "body.external_id" {
		t.Fatalf("a line without external_id: %+v", l)
	}

	ghost := "usr_01JD3M00000000000000000ABC"
	res = s.importAs(s.Key, "?match=id",
		map[string]any{"id": c["id"], "first_name": "Cee", "email": "match.c@import.example"},
		map[string]any{"id": c["id"], "first_name": "Cee", "email": "other@import.example"},
		map[string]any{"id": ghost, "first_name": "Ghost", "email": "ghost@import.example", "version": 7, "created_at": "2020-01-01T00:00:00Z"},
		map[string]any{"first_name": "No id", "email": "noid@import.example"},
		`{"id": "usr_broken", "first_name": "x", "email": "broken@import.example"}`,
		`{"id": `)
	if l := res[1]; l.Status != http.StatusOK || l.ID != c["id"] {
		t.Fatalf("match by id: %+v", l)
	}
	if l := res[2]; l.Status != http.StatusUnprocessableEntity || fieldErrors(l.Problem)[0] != "body.email" {
		t.Fatalf("an email change through an import: %+v", l)
	}
	if l := res[3]; l.Status != http.StatusCreated || l.ID != ghost {
		t.Fatalf("an unknown id creates the user with it: %+v", l)
	}
	if l := res[4]; l.Status != http.StatusUnprocessableEntity || fieldErrors(l.Problem)[0] != "body.id" {
		t.Fatalf("a line without id: %+v", l)
	}
	if l := res[5]; l.Status != http.StatusUnprocessableEntity {
		t.Fatalf("a malformed id: %+v", l)
	}
	if l := res[6]; l.Status != http.StatusBadRequest {
		t.Fatalf("malformed JSON: %+v", l)
	}
	s.do("GET", "/v1/users/"+ghost, nil).want(200)

	s.doAs(s.Key, "POST", "/v1/users/import?match=phone", "{}\n", "Content-Type", "application/x-ndjson").problem(400)
	s.doAs(s.Key, "POST", "/v1/users/import", "{}\n", "Content-Type", "application/json").problem(415)
}

// TestImportRankRule: an admin's import cannot update an owner (that line
// is 403) while its other lines go through; a key without
// users:write:all is refused whole.
func TestImportRankRule(t *testing.T) {
	s := startServer(t)
	admin := s.createUser(map[string]any{"email": "rank.admin@import.example", "roles": []string{"admin"}})
	s.createUser(map[string]any{"email": "rank.owner@import.example", "roles": []string{"owner"}})
	member := s.createUser(map[string]any{"email": "rank.member@import.example"})
	key := s.do("POST", "/v1/api-keys", map[string]any{"name": "admin", "user_id": admin["id"]}).want(201).str("key")
	res := s.importAs(key, "",
		map[string]any{"email": "rank.owner@import.example", "first_name": "Demoted?"},
		map[string]any{"email": "rank.member@import.example", "first_name": "Renamed"},
		map[string]any{"email": "rank.new@import.example", "first_name": "New"},
		map[string]any{"email": "rank.member@import.example", "first_name": "Renamed", "password_hash": foreignHashes(t, "Member-Secret-1")["pbkdf2-sha256"]},
		map[string]any{"email": "rank.owner@import.example", "first_name": "Test", "password_hash": foreignHashes(t, "Owner-Taken-1")["pbkdf2-sha256"]},
		map[string]any{"email": "rank.new2@import.example", "first_name": "New", "roles": []string{"owner"}})
	if l := res[1]; l.Status != http.StatusForbidden {
		t.Fatalf("an admin updating an owner: %+v", l)
	}
	if l := res[2]; l.Status != http.StatusOK || l.ID != member["id"] {
		t.Fatalf("an admin updating a member: %+v", l)
	}
	if l := res[3]; l.Status != http.StatusCreated {
		t.Fatalf("an admin creating a member: %+v", l)
	}
	if l := res[4]; l.Status != http.StatusOK {
		t.Fatalf("an admin setting a member's password: %+v", l)
	}
	if items, _ := s.events("?type=user.password_changed"); len(items) != 1 || items[0].Resource.ID != member["id"] {
		t.Fatalf("setting a password through an import wrote %+v", items)
	}
	if l := res[5]; l.Status != http.StatusForbidden {
		t.Fatalf("an admin setting an owner's password: %+v", l)
	}
	if l := res[6]; l.Status != http.StatusForbidden || !strings.Contains(string(mustJSON(l.Problem)), "owner") {
		t.Fatalf("an admin granting owner: %+v", l)
	}
	if st := s.importSignIn("rank.owner@import.example", "Owner-Taken-1"); st == http.StatusOK {
		t.Fatal("the admin's import took the owner's account over")
	}
	if st := s.importSignIn("rank.member@import.example", "Member-Secret-1"); st != http.StatusOK {
		t.Fatalf("the member's imported password answered %d", st)
	}
	if got := s.do("GET", "/v1/users/username:rank.owner@import.example", nil).want(200).obj(); got["first_name"] != "Test" {
		t.Fatalf("the owner changed: %v", got)
	}
	narrow := s.do("POST", "/v1/api-keys", map[string]any{"name": "narrow", "user_id": admin["id"], "scopes": []string{"users:read", "users:write:members"}}).want(201).str("key")
	p := s.doAs(narrow, "POST", "/v1/users/import", "{}\n", "Content-Type", "application/x-ndjson").problem(403)
	if !strings.Contains(p["detail"].(string), "users:write:all") {
		t.Fatalf("the refusal does not name the scope: %v", p)
	}
}

// TestImportBounds: a line over 1 MiB answers 413 on its own and the next
// line still goes through; blank lines are skipped but counted; a body
// that stops arriving ends the answer with a 408 line.
func TestImportBounds(t *testing.T) {
	s := startServer(t, func(c *Config) { c.BodyReadTimeout = 500 * time.Millisecond })
	huge := `{"first_name": "Huge", "email": "huge@import.example", "last_name": "` + strings.Repeat("x", 1<<20) + `"}`
	body := huge + "\n\n" + `{"first_name": "After", "email": "after@import.example"}` + "\r\n"
	res := s.doAs(s.Key, "POST", "/v1/users/import", body, "Content-Type", "application/x-ndjson").want(200)
	lines := bytes.Split(bytes.TrimSpace(res.Body), []byte("\n"))
	if len(lines) != 2 || !bytes.Contains(lines[0], []byte(`"line":1,"status":413`)) || !bytes.Contains(lines[1], []byte(`"line":3,"status":201`)) {
		t.Fatalf("answer: %.500s", res.Body)
	}

	if os.Getenv("ROSTER_TEST_PRISM") != "" {
		return // a proxy reads the whole body before it sends it on: no stall reaches the server
	}
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", s.URL+"/v1/users/import", pr)
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Authorization", "Bearer "+s.Key)
	go func() {
		pw.Write([]byte(`{"first_name": "Slow", "email": "slow@import.example"}` + "\n"))
		time.Sleep(2 * time.Second) // longer than the read timeout
		pw.Close()
	}()
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	lines = bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	if len(lines) != 2 || !bytes.Contains(lines[0], []byte(`"status":201`)) || !bytes.Contains(lines[1], []byte(`"line":2,"status":408`)) {
		t.Fatalf("a stalled body: %s", b)
	}
}

// TestImportEmptyAndIdempotencyKey: a body without a line is a 400
// problem; an Idempotency-Key is accepted but not recorded (the import
// runs again, changing nothing), and an over-long one is refused.
func TestImportEmptyAndIdempotencyKey(t *testing.T) {
	s := startServer(t)
	s.doAs(s.Key, "POST", "/v1/users/import", "\n \n", "Content-Type", "application/x-ndjson").problem(400)
	line := `{"first_name": "Idem", "email": "idem@import.example"}` + "\n"
	first := s.doAs(s.Key, "POST", "/v1/users/import", line, "Content-Type", "application/x-ndjson", "Idempotency-Key", "imp-1").want(200)
	again := s.doAs(s.Key, "POST", "/v1/users/import", line, "Content-Type", "application/x-ndjson", "Idempotency-Key", "imp-1").want(200)
	if !bytes.Contains(first.Body, []byte(`"status":201`)) || !bytes.Contains(again.Body, []byte(`"status":204`)) || again.Header.Get("Idempotency-Replayed") != "" {
		t.Fatalf("first %s, again %s", first.Body, again.Body)
	}
	s.doAs(s.Key, "POST", "/v1/users/import", line, "Content-Type", "application/x-ndjson", "Idempotency-Key", strings.Repeat("k", 300)).problem(400)
}

// TestImportOwnExportChangesNothing: the export's lines (the API's JSON
// form, with the fields only the server sets) import as they are, and
// into the Roster they came from change nothing: every line 204.
func TestImportOwnExportChangesNothing(t *testing.T) {
	s := startServer(t)
	s.createUser(map[string]any{"email": "exported.a@import.example", "last_name": "A", "phone": map[string]any{"country": "NL", "number": "020 123 4567"},
		"tags": []map[string]any{{"name": "vip", "color": "#ff0000"}}, "preferences": map[string]any{"language": "nl", "time_zone": "Europe/Amsterdam"}})
	s.createUser(map[string]any{"email": "exported.b@import.example", "external_id": "b-1", "roles": []string{"manager"}})
	export := s.do("GET", "/v1/users/export", nil).want(200).Body
	var lines []any
	for _, l := range bytes.Split(bytes.TrimSpace(export), []byte("\n")) {
		lines = append(lines, string(l))
	}
	if len(lines) < 3 {
		t.Fatalf("export: %s", export)
	}
	events := s.eventCount()
	for _, match := range []string{"?match=id", "?match=email"} {
		for n, l := range s.importAs(s.Key, match, lines...) {
			if l.Status != http.StatusNoContent {
				t.Fatalf("%s: line %d: %+v", match, n, l)
			}
		}
	}
	if n := s.eventCount(); n != events {
		t.Fatalf("importing the export back wrote %d events", n-events)
	}
}

// TestImportLinesNamingOneUserRunInOrder: lines run several at a time,
// but a line that names a user an earlier line names (by id, email,
// username, external_id or as its manager) runs after it, so the answers
// are those of a file read a line at a time.
func TestImportLinesNamingOneUserRunInOrder(t *testing.T) {
	s := startServer(t)
	const boss = "usr_01JD3M00000000000000000B05"
	var lines []any
	for i := range 100 {
		lines = append(lines, map[string]any{"email": fmt.Sprintf("filler%d@order.example", i), "first_name": "Filler"})
	}
	lines = append(lines,
		map[string]any{"id": boss, "email": "boss@order.example", "username": "boss@order.example", "first_name": "Boss"},
		map[string]any{"email": "worker@order.example", "first_name": "Worker", "manager_id": boss},
		map[string]any{"email": "boss@order.example", "first_name": "Boss", "last_name": "Renamed"},
		map[string]any{"email": "BOSS@order.example", "first_name": "Boss", "last_name": "Renamed"},
		map[string]any{"email": "other@order.example", "username": "worker-2", "first_name": "Other", "external_id": "x-1"},
		map[string]any{"email": "other2@order.example", "username": "WORKER-2", "first_name": "Other"},
	)
	res := s.importAs(s.Key, "", lines...)
	for i, want := range []int{201, 201, 200, 204, 201, 409} {
		if l := res[101+i]; l.Status != want {
			t.Errorf("line %d: %+v, want %d", 101+i, l, want)
		}
	}
	if got := s.userByEmail("worker@order.example"); got["manager_id"] != boss {
		t.Errorf("worker: %v", got)
	}
}
