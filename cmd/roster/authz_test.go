// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/httpapi"
)

// The authorisation matrix (PRODUCT.md sections 2, 3 and 8). azTable has
// one row per /v1 route; TestAuthzMatrixCoversEveryRoute fails when the
// server has a route without a row, so no route is added without saying
// who may use it. Each row makes its cells: every fixture caller, with
// each scope variant of its keys that the row cares about, against every
// target (users, organisations, keys) and aspect (which field a write
// changes). The expected status comes from the model in
// authz_fixture_test.go and the order the rules give:
//
//  1. a target the caller may not see: 404 (422 when it is named in the
//     body, as an unknown organisation is), and the answer must be the
//     same, apart from the request id, as for a well-formed id that names
//     nothing. A 403 is right too when the refusal does not depend on the
//     target (the key lacks every scope the route accepts), provided it
//     is again the same as for the unknown id;
//  2. a call the caller's roles allow but its key's scopes do not: 403
//     naming the scope;
//  3. a call the roles do not allow: 403, naming the field when a field
//     is the reason;
//  4. else the success status.
//
// Each row runs on its own server with a fresh fixture, and calls that
// use up their target (disable, change roles, move, delete) get a fresh
// copy of it (a clone with the same organisation and roles), so rows and
// cells do not disturb one another.

// azRow is one route of the matrix.
type azRow struct {
	Method, Path string
	// Scopes are the scopes the route declares in the route table (any
	// one of them), nil when it needs none: azDeclaredScopes fills them in,
	// so that the matrix holds the declaration to what the service checks.
	Scopes []string
	// Variants are the scope lists of the callers' keys to try.
	Variants []azVariant
	Cells    func(t *testing.T, f *azFixture, row *azRow) []azCell
}

func (r *azRow) key() string { return r.Method + " " + r.Path }

var (
	azUserVariants = []azVariant{azFull, azUsersRead, azWriteSelf, azMembers}
	azOrgVariants  = []azVariant{azFull, azOrgsRead, azUsersRead}
	azListVariants = []azVariant{azFull, azUsersRead, azWriteSelf, azOrgsRead, azMembers}
	azKeyVariants  = []azVariant{azFull, azUsersRead}

	azUserWrite = []string{"users:write:self", "users:write:members", "users:write:all"}
	azUserSelf  = []string{"users:read", "users:write:self", "users:write:members", "users:write:all"}
)

// azTable is the matrix: one row per route, keyed by method and path.
var azTable = azDeclaredScopes([]azRow{
	{Method: "POST", Path: "/v1/users", Variants: azUserVariants, Cells: azCreateUser},
	{Method: "GET", Path: "/v1/users", Variants: azListVariants, Cells: azListUsers},
	{Method: "GET", Path: "/v1/users/export", Variants: azListVariants, Cells: azExportUsers},
	{Method: "GET", Path: "/v1/users/{id}", Variants: azUserVariants, Cells: azGetUser},
	{Method: "PUT", Path: "/v1/users/{id}", Variants: azUserVariants, Cells: azPutUser},
	{Method: "PATCH", Path: "/v1/users/{id}", Variants: azUserVariants, Cells: azPatchUser},
	{Method: "DELETE", Path: "/v1/users/{id}", Variants: azUserVariants, Cells: azDeleteUser},
	{Method: "POST", Path: "/v1/users/{id}/tags", Variants: azUserVariants, Cells: azAddTag},
	{Method: "DELETE", Path: "/v1/users/{id}/tags/{tag_id}", Variants: azUserVariants, Cells: azRemoveTag},
	{Method: "POST", Path: "/v1/users/import", Variants: azUserVariants, Cells: azImportUsers}, // authz_import_test.go

	{Method: "POST", Path: "/v1/orgs", Variants: azOrgVariants, Cells: azCreateOrg},
	{Method: "GET", Path: "/v1/orgs", Variants: azListVariants, Cells: azListOrgs},
	{Method: "GET", Path: "/v1/orgs/{id}", Variants: azOrgVariants, Cells: azGetOrg},
	{Method: "PUT", Path: "/v1/orgs/{id}", Variants: azOrgVariants, Cells: azPutOrg},
	{Method: "PATCH", Path: "/v1/orgs/{id}", Variants: azOrgVariants, Cells: azPatchOrg},
	{Method: "DELETE", Path: "/v1/orgs/{id}", Variants: azOrgVariants, Cells: azDeleteOrg},
	{Method: "POST", Path: "/v1/orgs/{id}/credit", Variants: azOrgVariants, Cells: azCredit},
	{Method: "GET", Path: "/v1/orgs/{id}/members", Variants: azOrgVariants, Cells: azListMembers},
	{Method: "PUT", Path: "/v1/orgs/{id}/members/{user_id}", Variants: azUserVariants, Cells: azPutMember},
	{Method: "DELETE", Path: "/v1/orgs/{id}/members/{user_id}", Variants: azUserVariants, Cells: azDeleteMember},
	{Method: "GET", Path: "/v1/orgs/{id}/settings-schema", Variants: azOrgVariants, Cells: azGetSchema},
	{Method: "PUT", Path: "/v1/orgs/{id}/settings-schema", Variants: azOrgVariants, Cells: azPutSchema},

	{Method: "POST", Path: "/v1/api-keys", Variants: azKeyVariants, Cells: azCreateKey},
	{Method: "GET", Path: "/v1/api-keys", Variants: azKeyVariants, Cells: azListKeys},
	{Method: "DELETE", Path: "/v1/api-keys/{id}", Variants: azKeyVariants, Cells: azDeleteKey},

	{Method: "GET", Path: "/v1/events", Variants: azKeyVariants, Cells: azEvents},
	{Method: "GET", Path: "/v1/audit-events", Variants: azKeyVariants, Cells: azAudit},

	{Method: "POST", Path: "/v1/webhooks", Variants: azHookVariants, Cells: azCreateWebhook},
	{Method: "GET", Path: "/v1/webhooks", Variants: azHookVariants, Cells: azListWebhooks},
	{Method: "GET", Path: "/v1/webhooks/{id}", Variants: azHookVariants, Cells: azHookCells("GET", "", 200)},
	{Method: "PUT", Path: "/v1/webhooks/{id}", Variants: azHookVariants, Cells: azHookCells("PUT", "", 200)},
	{Method: "PATCH", Path: "/v1/webhooks/{id}", Variants: azHookVariants, Cells: azHookCells("PATCH", "", 200)},
	{Method: "DELETE", Path: "/v1/webhooks/{id}", Variants: azHookVariants, Cells: azHookCells("DELETE", "", 204)},
	{Method: "GET", Path: "/v1/webhooks/{id}/deliveries", Variants: azHookVariants, Cells: azHookCells("GET", "/deliveries", 200)},
	{Method: "POST", Path: "/v1/webhooks/{id}/deliveries/{delivery_id}/retry", Variants: azHookVariants,
		Cells: azHookCells("POST", "/deliveries/"+azGhostID("dlv_01JD3M0000000000000000000A")+"/retry", 404)},
	{Method: "POST", Path: "/v1/webhooks/{id}/test", Variants: azHookVariants, Cells: azHookCells("POST", "/test", 200)},
	{Method: "POST", Path: "/v1/webhooks/{id}/rotate-secret", Variants: azHookVariants, Cells: azHookCells("POST", "/rotate-secret", 200)},
	// Account security (authz_security_test.go).
	{Method: "POST", Path: "/v1/users/{id}/password", Variants: azUserVariants, Cells: azChangePassword},
	{Method: "POST", Path: "/v1/users/{id}/mfa/totp", Variants: azUserVariants, Cells: azEnrolTOTP},
	{Method: "POST", Path: "/v1/users/{id}/mfa/totp/confirm", Variants: azUserVariants, Cells: azConfirmTOTP},
	{Method: "DELETE", Path: "/v1/users/{id}/mfa/totp", Variants: azUserVariants, Cells: azDisableTOTP},
	{Method: "POST", Path: "/v1/users/{id}/email-change", Variants: azUserVariants, Cells: azEmailChange},
	{Method: "POST", Path: "/v1/users/{id}/email-change/confirm", Variants: azUserVariants, Cells: azEmailConfirm},
	{Method: "POST", Path: "/v1/users/{id}/username", Variants: azUserVariants, Cells: azUsername},
	{Method: "POST", Path: "/v1/auth/set-password", Variants: []azVariant{azFull}, Cells: azSetPassword},
	{Method: "DELETE", Path: "/v1/users/{id}/lockout", Variants: azUserVariants, Cells: azLiftLockout},
	// Sessions and SSO links (authz_sso_test.go).
	{Method: "GET", Path: "/v1/users/{id}/sessions", Variants: azUserVariants, Cells: azListSessions},
	{Method: "DELETE", Path: "/v1/users/{id}/sessions/{session_id}", Variants: azUserVariants, Cells: azEndSession},
	{Method: "DELETE", Path: "/v1/users/{id}/sessions", Variants: azUserVariants, Cells: azEndSessions},
	{Method: "POST", Path: "/v1/users/{id}/sso-links", Variants: azUserVariants, Cells: azCreateSSOLink},
	{Method: "POST", Path: "/v1/oauth-clients", Variants: azKeyVariants, Cells: azCreateClient},
	{Method: "GET", Path: "/v1/oauth-clients", Variants: azKeyVariants, Cells: azListClients},
	{Method: "GET", Path: "/v1/oauth-clients/{id}", Variants: azKeyVariants, Cells: azClientCells("GET", "", 200)},
	{Method: "PUT", Path: "/v1/oauth-clients/{id}", Variants: azKeyVariants, Cells: azClientCells("PUT", "", 200)},
	{Method: "PATCH", Path: "/v1/oauth-clients/{id}", Variants: azKeyVariants, Cells: azClientCells("PATCH", "", 200)},
	{Method: "POST", Path: "/v1/oauth-clients/{id}/rotate-secret", Variants: azKeyVariants, Cells: azClientCells("POST", "/rotate-secret", 200)},
	{Method: "DELETE", Path: "/v1/oauth-clients/{id}", Variants: azKeyVariants, Cells: azClientCells("DELETE", "", 204)},
	{Method: "POST", Path: "/v1/auth/token", Variants: []azVariant{azFull}, Cells: azToken},
	{Method: "POST", Path: "/v1/auth/revoke", Variants: []azVariant{azFull}, Cells: azRevoke},
})

// azDeclaredScopes gives each row the scopes its route declares
// (httpapi.DeclaredScopes), the ones the OpenAPI document lists: the
// cells then expect a key with one of them to pass the scope check and a
// key with none to be refused 403, naming them. A row without a route
// keeps none (TestAuthzMatrixCoversEveryRoute reports it).
func azDeclaredScopes(rows []azRow) []azRow {
	for i := range rows {
		rows[i].Scopes, _ = httpapi.DeclaredScopes(rows[i].Method, rows[i].Path)
	}
	return rows
}

// TestAuthzMatrixCoversEveryRoute fails for a /v1 route of the server's
// OpenAPI document without a row in azTable, and for a row whose route
// is gone.
func TestAuthzMatrixCoversEveryRoute(t *testing.T) {
	s := startServer(t)
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(s.doAs("", "GET", "/openapi.json", nil).want(200).Body, &doc); err != nil {
		t.Fatal(err)
	}
	served := map[string]bool{}
	for path, item := range doc.Paths {
		if !strings.HasPrefix(path, "/v1/") {
			continue
		}
		for m := range item {
			switch m {
			case "get", "put", "post", "patch", "delete", "head", "options", "trace":
				served[strings.ToUpper(m)+" "+path] = true
			}
		}
	}
	if len(served) == 0 {
		t.Fatal("the OpenAPI document lists no /v1 route")
	}
	rows := map[string]bool{}
	for i := range azTable {
		k := azTable[i].key()
		if rows[k] {
			t.Errorf("azTable has two rows for %s", k)
		}
		rows[k] = true
		if !served[k] {
			t.Errorf("azTable has a row for %s, which the server does not serve", k)
		}
	}
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range served {
			if !yield(k) {
				return
			}
		}
	}) {
		if !rows[k] {
			t.Errorf("route %s has no row in azTable (authz_test.go): add one that says who may call it", k)
		}
	}
}

// TestAuthzMatrix runs every row of azTable.
func TestAuthzMatrix(t *testing.T) {
	for i := range azTable {
		row := &azTable[i]
		t.Run(row.key(), func(t *testing.T) {
			t.Parallel()
			f := newAuthzFixture(t)
			cells := row.Cells(t, f, row)
			if len(cells) == 0 {
				t.Fatal("the row makes no cells")
			}
			wants, rels := map[int]int{}, map[string]int{}
			for _, c := range cells {
				t.Run(c.Name, func(t *testing.T) {
					cs := c.Setup(t)
					wants[cs.Want.Status]++
					rels[cs.Rel]++
					f.run(t, cs)
				})
			}
			t.Logf("%d cells; expected statuses %v; target relations %v", len(cells), wants, rels)
			azCheckDeclaredScopes(t, f, row)
		})
	}
}

// azCell is one call of the matrix; Setup prepares what it needs (fresh
// targets, keys) and says what the rules expect.
type azCell struct {
	Name  string
	Setup func(t *testing.T) *azCase
}

// azCase is a prepared cell.
type azCase struct {
	Caller  *azUser
	Variant azVariant
	Key     string
	Target  string // what the call aims at, for messages
	Rel     string // how the target relates to the caller
	Req     azReq
	Hidden  string // the id of a target the caller may not see
	Want    azWant
	Check   func(t *testing.T, res *response) // more checks of a 2xx answer
}

// azWant is what the rules expect.
type azWant struct {
	Status int
	Alt403 bool     // a 403 is right too (see the order above)
	Names  []string // a 403 or 422 must name one of these: a field or a scope
	Why    string   // the rule, for failure messages
}

// azWay is one way the rules may allow a call: the roles allow it (OK)
// and the key carries one of Scopes.
type azWay struct {
	OK     bool
	Scopes []string
}

// azJudge applies the order of the rules. field names the field that a
// refusal by role is about ("" when it is the whole call).
func azJudge(v azVariant, row *azRow, hidden bool, hiddenStatus int, hiddenField string, ok int, field, why string, ways ...azWay) azWant {
	lacks := row.Scopes != nil && !v.hasAny(row.Scopes)
	if hidden {
		w := azWant{Status: hiddenStatus, Alt403: lacks, Why: "the caller may not see the target"}
		if hiddenField != "" {
			w.Names = []string{hiddenField}
		}
		return w
	}
	var need []string
	for _, way := range ways {
		if !way.OK {
			continue
		}
		if v.hasAny(way.Scopes) {
			return azWant{Status: ok, Why: why}
		}
		need = append(need, way.Scopes...)
	}
	if need != nil {
		return azWant{Status: 403, Names: need, Why: "the roles allow it but the key lacks the scope: " + why}
	}
	// Refused by role. When the key also lacks what a permitting role
	// would need, naming that scope is as right as naming the field.
	w := azWant{Status: 403, Why: why}
	if field != "" {
		w.Names = []string{field}
		if lacks {
			w.Names = append(w.Names, row.Scopes...)
		}
		for _, way := range ways {
			if !v.hasAny(way.Scopes) {
				w.Names = append(w.Names, way.Scopes...)
			}
		}
	}
	return w
}

var azRequestIDRE = regexp.MustCompile(`"request_id":"[^"]*"`)

// azNormalize drops the request id from an answer and writes ids as {id}.
func azNormalize(body []byte, ids ...string) string {
	s := azRequestIDRE.ReplaceAllString(string(body), `"request_id":""`)
	for _, id := range ids {
		s = strings.ReplaceAll(s, id, "{id}")
	}
	return s
}

// azHeaderDiff compares two answers' headers but for Date and the
// request id.
func azHeaderDiff(a, b http.Header) string {
	var diff []string
	seen := map[string]bool{}
	for _, h := range []http.Header{a, b} {
		for k := range h {
			if seen[k] || k == "Date" || k == "X-Request-Id" {
				continue
			}
			seen[k] = true
			if x, y := strings.Join(a.Values(k), ", "), strings.Join(b.Values(k), ", "); x != y {
				diff = append(diff, fmt.Sprintf("%s: %q vs %q", k, x, y))
			}
		}
	}
	sort.Strings(diff)
	return strings.Join(diff, "; ")
}

// azGhost is r with the id replaced by one that names nothing.
func azGhost(r azReq, id, ghost string) azReq {
	g := r
	g.Path = strings.ReplaceAll(r.Path, id, ghost)
	if r.Body != nil {
		g.Body = bytes.ReplaceAll(r.Body, []byte(id), []byte(ghost))
	}
	return g
}

// run makes a cell's call and checks the answer against the rules.
func (f *azFixture) run(t *testing.T, cs *azCase) {
	t.Helper()
	res := f.send(t, cs.Key, cs.Req)
	w := cs.Want
	who := fmt.Sprintf("%s %s as %s (key %s) on %s (%s)", cs.Req.Method, cs.Req.Path, cs.Caller.Name, cs.Variant.Name, cs.Target, cs.Rel)
	if res.Status != w.Status && !(w.Alt403 && res.Status == 403) {
		t.Fatalf("%s: status %d, want %d (%s); body: %s", who, res.Status, w.Status, w.Why, res.Body)
	}
	if res.Status >= 400 {
		azCheckProblem(t, who, res, w)
	}
	if cs.Hidden != "" {
		ghost := azGhostID(cs.Hidden)
		g := f.send(t, cs.Key, azGhost(cs.Req, cs.Hidden, ghost))
		if a, b := azNormalize(res.Body, cs.Hidden), azNormalize(g.Body, ghost); res.Status != g.Status || a != b {
			t.Fatalf("%s: the answer for a target the caller may not see differs from the one for an id that names nothing:\n  hidden:  %d %s\n  unknown: %d %s", who, res.Status, a, g.Status, b)
		}
		if d := azHeaderDiff(res.Header, g.Header); d != "" {
			t.Fatalf("%s: headers differ from those for an id that names nothing: %s", who, d)
		}
	}
	if res.Status < 300 && cs.Check != nil {
		cs.Check(t, res)
	}
}

// azCheckProblem checks an error answer: a complete problem document
// that names the field or scope at fault.
func azCheckProblem(t *testing.T, who string, res *response, w azWant) {
	t.Helper()
	if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("%s: Content-Type %q, want application/problem+json; body: %s", who, ct, res.Body)
	}
	var p struct {
		Type, Title, Detail string
		Status              int
		Errors              []struct{ Location, Message string }
	}
	if err := json.Unmarshal(res.Body, &p); err != nil {
		t.Fatalf("%s: problem is not JSON: %v: %s", who, err, res.Body)
	}
	if p.Status != res.Status || p.Type == "" || p.Title == "" || p.Detail == "" {
		t.Fatalf("%s: incomplete problem document: %s", who, res.Body)
	}
	if len(w.Names) == 0 || res.Status != w.Status || (res.Status != 403 && res.Status != 422) {
		return
	}
	text := p.Detail
	for _, e := range p.Errors {
		text += " " + e.Location + " " + e.Message
	}
	for _, n := range w.Names {
		if strings.Contains(text, n) {
			return
		}
	}
	t.Errorf("%s: the %d names none of %s: %s", who, res.Status, strings.Join(w.Names, ", "), res.Body)
}

// Cell makers.

// azWho labels a caller and the scope list of its key.
func azWho(c *azUser, v azVariant) string {
	if v.Scopes == nil {
		return c.Name
	}
	return c.Name + "[" + v.Name + "]"
}

func azCellName(c *azUser, v azVariant, target, aspect string) string {
	return strings.TrimSpace(azWho(c, v) + "→" + target + " " + aspect)
}

// each calls fn for every caller and every variant of the row its roles
// may hold.
func (f *azFixture) each(row *azRow, fn func(c *azUser, v azVariant)) {
	for _, name := range azCallers {
		c := f.user(name)
		for _, v := range row.Variants {
			if c.best() >= v.MinRank {
				fn(c, v)
			}
		}
	}
}

func (f *azFixture) oid(name string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.orgID[name]
}

func (f *azFixture) parentOf(name string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.parent[name]
}

func (f *azFixture) email() string { return fmt.Sprintf("az%d@example.com", f.next()) }

// azUserTargets are the users that user routes aim at; "me" is the
// caller by the alias.
var azUserTargets = func() []string {
	ts := append([]string{"me"}, azCallers...)
	for _, d := range azDualTargets {
		ts = append(ts, d.Name)
	}
	return ts
}()

// userCells makes a cell per caller, variant, user target and aspect.
// When fresh says an aspect uses up its target, the target is a clone,
// and for the caller itself so is the caller (with a key like its own).
// label names an aspect for a target (nil: the aspect itself).
func (f *azFixture) userCells(row *azRow, targets, aspects []string, fresh func(aspect string) bool, label func(aspect string, u *azUser) string,
	build func(t *testing.T, cs *azCase, u *azUser, ref, aspect string)) []azCell {
	var cells []azCell
	f.each(row, func(c0 *azUser, v azVariant) {
		for _, tn := range targets {
			self := tn == "me" || tn == c0.Name
			tl, t0 := tn, c0
			if tn == c0.Name {
				tl = "self"
			}
			if !self {
				t0 = f.user(tn)
			}
			for _, a := range aspects {
				al := a
				if label != nil {
					al = label(a, t0)
				}
				cells = append(cells, azCell{Name: azCellName(c0, v, tl, al), Setup: func(t *testing.T) *azCase {
					c, key, u := c0, c0.Keys[v.Name], t0
					if fresh != nil && fresh(a) {
						if self {
							c = f.clone(t, c0)
							key, _ = f.newKey(t, c, v)
							u = c
						} else {
							u = f.clone(t, t0)
						}
					}
					ref := u.ID
					if tn == "me" {
						ref = "me"
					}
					cs := &azCase{Caller: c, Variant: v, Key: key, Target: tl, Rel: f.rel(c, u, "")}
					if !f.seesUser(c, u) {
						cs.Hidden = u.ID
					}
					build(t, cs, u, ref, a)
					return cs
				}})
			}
		}
	})
	return cells
}

// orgCells makes a cell per caller, variant, fixture organisation and
// aspect.
func (f *azFixture) orgCells(row *azRow, aspects []string, build func(t *testing.T, cs *azCase, org, aspect string)) []azCell {
	var cells []azCell
	f.each(row, func(c *azUser, v azVariant) {
		for _, org := range azOrgs {
			for _, a := range aspects {
				cells = append(cells, azCell{Name: azCellName(c, v, org, a), Setup: func(t *testing.T) *azCase {
					cs := &azCase{Caller: c, Variant: v, Key: c.Keys[v.Name], Target: org, Rel: f.rel(c, nil, org)}
					if !f.seesOrg(c, org) {
						cs.Hidden = f.oid(org)
					}
					build(t, cs, org, a)
					return cs
				}})
			}
		}
	})
	return cells
}

// listCells makes a cell per caller, variant and aspect.
func (f *azFixture) listCells(row *azRow, aspects []string, build func(t *testing.T, cs *azCase, aspect string)) []azCell {
	var cells []azCell
	f.each(row, func(c *azUser, v azVariant) {
		for _, a := range aspects {
			name := a
			if name == "" {
				name = "all"
			}
			cells = append(cells, azCell{Name: azCellName(c, v, "list", name), Setup: func(t *testing.T) *azCase {
				cs := &azCase{Caller: c, Variant: v, Key: c.Keys[v.Name], Target: "list " + name, Rel: "list"}
				build(t, cs, a)
				return cs
			}})
		}
	})
	return cells
}

// azItems returns the values at a path of each item of a list answer.
func azItems(t *testing.T, res *response, field ...string) []string {
	t.Helper()
	var page struct {
		Items      []map[string]any `json:"items"`
		NextCursor *string          `json:"next_cursor"`
	}
	if err := json.Unmarshal(res.Body, &page); err != nil {
		t.Fatalf("list answer: %v: %s", err, res.Body)
	}
	if page.NextCursor != nil && *page.NextCursor != "" {
		t.Fatalf("list answer has a next page; the fixture fits in one: %s", res.Body)
	}
	var out []string
	for _, it := range page.Items {
		var v any = it
		for _, k := range field {
			m, _ := v.(map[string]any)
			v = m[k]
		}
		s, _ := v.(string)
		out = append(out, s)
	}
	return out
}

// sameSet fails unless got and want hold the same ids, naming them by
// their fixture names.
func (f *azFixture) sameSet(t *testing.T, what string, got, want []string) {
	t.Helper()
	names := func(ids []string) []string {
		var out []string
		for _, id := range ids {
			out = append(out, f.name(id))
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	g, w := names(got), names(want)
	if !slices.Equal(g, w) {
		var extra, missing []string
		for _, n := range g {
			if !slices.Contains(w, n) {
				extra = append(extra, n)
			}
		}
		for _, n := range w {
			if !slices.Contains(g, n) {
				missing = append(missing, n)
			}
		}
		t.Errorf("%s: shows %v that the caller may not see and lacks %v that it may\n  got:  %v\n  want: %v", what, extra, missing, g, w)
	}
	if len(got) != len(slices.Compact(slices.Sorted(slices.Values(got)))) {
		t.Errorf("%s: an id appears twice: %v", what, got)
	}
}

// subset fails unless every id of got is in allowed, and need is among
// them.
func (f *azFixture) subset(t *testing.T, what string, got []string, allowed func(id string) bool, need string) {
	t.Helper()
	var bad []string
	for _, id := range got {
		if !allowed(id) {
			bad = append(bad, f.name(id))
		}
	}
	if len(bad) > 0 {
		t.Errorf("%s shows what the caller may not see: %v", what, bad)
	}
	if need != "" && !slices.Contains(got, need) {
		t.Errorf("%s lacks %s, which the caller may see: %v", what, f.name(need), got)
	}
}

// profileWays are the ways the rules let c change u's profile fields.
func (f *azFixture) profileWays(c, u *azUser) []azWay {
	r := f.rank(c, u.Home)
	onlyMember := u.best() == azMember
	return []azWay{
		{OK: c.ID == u.ID, Scopes: azUserWrite},
		{OK: c.ID != u.ID && r >= azManager && onlyMember, Scopes: []string{"users:write:members", "users:write:all"}},
		{OK: r >= azAdmin && f.outranks(c, u, false), Scopes: []string{"users:write:all"}},
	}
}

const azProfileRule = "a member edits its own profile, a manager also its members' (users whose only role anywhere is member), an admin every user below its organisation that does not outrank it anywhere"

// The rows.

func azCreateUser(t *testing.T, f *azFixture, row *azRow) []azCell {
	return f.orgCells(row, []string{"roles=[member]", "roles=[admin]"}, func(t *testing.T, cs *azCase, org, aspect string) {
		role := strings.TrimSuffix(strings.TrimPrefix(aspect, "roles=["), "]")
		cs.Req = azJSON("POST", "/v1/users", map[string]any{"first_name": "New", "email": f.email(), "organization_id": f.oid(org), "roles": []string{role}})
		r := f.rank(cs.Caller, org)
		field := ""
		if r >= azAdmin && azRank(role) >= azAdmin {
			field = "roles"
		}
		cs.Want = azJudge(cs.Variant, row, cs.Hidden != "", 422, "organization_id", 201, field,
			"admins create users below their organisation; only owners grant admin or owner",
			azWay{OK: r >= azAdmin && (azRank(role) < azAdmin || r >= azOwner), Scopes: []string{"users:write:all"}})
	})
}

func azListUsers(t *testing.T, f *azFixture, row *azRow) []azCell {
	return f.listCells(row, []string{"", "organization_id=R&include_descendants=true"}, func(t *testing.T, cs *azCase, aspect string) {
		path := "/v1/users?limit=200"
		if aspect != "" {
			path += "&organization_id=" + f.oid("R") + "&include_descendants=true"
		}
		cs.Req = azJSON("GET", path, nil)
		cs.Want = azJudge(cs.Variant, row, false, 0, "", 200, "", "lists need users:read", azWay{OK: true, Scopes: row.Scopes})
		want := f.visibleTargets(cs.Caller, aspect != "")
		cs.Check = func(t *testing.T, res *response) {
			f.sameSet(t, "GET "+path+" as "+cs.Caller.Name, azItems(t, res, "id"), want)
		}
	})
}

// visibleTargets returns the ids of the target users the caller may see,
// only those in R's subtree when underR.
func (f *azFixture) visibleTargets(c *azUser, underR bool) []string {
	var ids []string
	for _, name := range azUserTargets[1:] {
		u := f.user(name)
		if f.seesUser(c, u) && (!underR || f.below(u.Home, "R")) {
			ids = append(ids, u.ID)
		}
	}
	return ids
}

// azExportUsers: the export holds exactly the users the caller may see
// (of the subtree asked for), each once, as NDJSON without _links.
func azExportUsers(t *testing.T, f *azFixture, row *azRow) []azCell {
	return f.listCells(row, []string{"", "organization_id=R"}, func(t *testing.T, cs *azCase, aspect string) {
		path := "/v1/users/export"
		if aspect != "" {
			path += "?organization_id=" + f.oid("R")
		}
		cs.Req = azJSON("GET", path, nil)
		cs.Want = azJudge(cs.Variant, row, false, 0, "", 200, "", "the export needs users:read", azWay{OK: true, Scopes: row.Scopes})
		want := f.visibleTargets(cs.Caller, aspect != "")
		cs.Check = func(t *testing.T, res *response) {
			if ct := res.Header.Get("Content-Type"); ct != "application/x-ndjson" {
				t.Errorf("GET %s: Content-Type %q, want application/x-ndjson", path, ct)
			}
			var got []string
			for _, line := range bytes.Split(bytes.TrimSuffix(res.Body, []byte("\n")), []byte("\n")) {
				if len(line) == 0 {
					continue
				}
				var u map[string]any
				if err := json.Unmarshal(line, &u); err != nil {
					t.Fatalf("GET %s: a line is not JSON: %v: %s", path, err, line)
				}
				if _, ok := u["_links"]; ok {
					t.Errorf("GET %s: a line has _links: %s", path, line)
				}
				got = append(got, u["id"].(string))
			}
			f.sameSet(t, "GET "+path+" as "+cs.Caller.Name, got, want)
		}
	})
}

func azGetUser(t *testing.T, f *azFixture, row *azRow) []azCell {
	return f.userCells(row, azUserTargets, []string{""}, nil, nil, func(t *testing.T, cs *azCase, u *azUser, ref, _ string) {
		cs.Req = azJSON("GET", "/v1/users/"+ref, nil)
		cs.Want = azJudge(cs.Variant, row, cs.Hidden != "", 404, "", 200, "",
			"a caller sees itself (with users:read or any users:write scope: me works with users:write:self) and, with users:read, the users it may see",
			azWay{OK: u.ID == cs.Caller.ID, Scopes: azUserSelf}, azWay{OK: true, Scopes: []string{"users:read"}})
		cs.Check = func(t *testing.T, res *response) {
			if id := res.str("id"); id != u.ID {
				t.Errorf("GET /v1/users/%s answered user %s, want %s", ref, f.name(id), u.Name)
			}
		}
	})
}

func azPutUser(t *testing.T, f *azFixture, row *azRow) []azCell {
	return f.userCells(row, azUserTargets, []string{"last_name"}, nil, nil, func(t *testing.T, cs *azCase, u *azUser, ref, _ string) {
		doc := f.must(t, "GET", "/v1/users/"+u.ID, nil, 200)
		for _, k := range []string{"version", "created_at", "updated_at", "memberships", "_links"} {
			delete(doc, k)
		}
		ln := fmt.Sprintf("Put%d", f.next())
		doc["last_name"] = ln
		cs.Req = azJSON("PUT", "/v1/users/"+ref, doc)
		cs.Want = azJudge(cs.Variant, row, cs.Hidden != "", 404, "", 200, "", azProfileRule, f.profileWays(cs.Caller, u)...)
		cs.Check = func(t *testing.T, res *response) {
			if got := res.str("last_name"); got != ln {
				t.Errorf("PUT answered last_name %q, want %q", got, ln)
			}
		}
	})
}

// azLowRoles and azHighRoles are role changes that change something:
// up to manager, and to admin or owner.
func azLowRoles(u *azUser) []string {
	if slices.Equal(u.Roles(), []string{"manager"}) {
		return []string{"member"}
	}
	return []string{"manager"}
}

func azHighRoles(u *azUser) []string {
	if slices.Equal(u.Roles(), []string{"admin"}) {
		return []string{"owner"}
	}
	return []string{"admin"}
}

func azPatchUser(t *testing.T, f *azFixture, row *azRow) []azCell {
	aspects := []string{"last_name", "status", "roles-low", "roles-high", "organization_id", "manager_id", "external_id"}
	fresh := func(a string) bool {
		return a == "status" || a == "roles-low" || a == "roles-high" || a == "organization_id"
	}
	label := func(a string, u *azUser) string {
		switch a {
		case "status":
			return "status=disabled"
		case "roles-low":
			return "roles=" + mustString(azLowRoles(u))
		case "roles-high":
			return "roles=" + mustString(azHighRoles(u))
		}
		return a
	}
	return f.userCells(row, azUserTargets, aspects, fresh, label, func(t *testing.T, cs *azCase, u *azUser, ref, a string) {
		c := cs.Caller
		r := f.rank(c, u.Home)
		admin := azWay{OK: r >= azAdmin && f.outranks(c, u, false), Scopes: []string{"users:write:all"}}
		ownersCall := azWay{OK: r >= azAdmin && f.outranks(c, u, true), Scopes: []string{"users:write:all"}}
		why := "admin fields (status, roles, organization_id, manager_id, external_id) are changed only by admins of the user's organisation or above who are not outranked by the user anywhere (owners for admins' and owners' status, roles and organisation)"
		var body map[string]any
		switch a {
		case "last_name":
			body = map[string]any{"last_name": fmt.Sprintf("Patch%d", f.next())}
			cs.Want = azJudge(cs.Variant, row, cs.Hidden != "", 404, "", 200, "", azProfileRule, f.profileWays(c, u)...)
		case "status":
			body = map[string]any{"status": "disabled"}
			cs.Want = azJudge(cs.Variant, row, cs.Hidden != "", 404, "", 200, "status", why, ownersCall)
		case "roles-low":
			body = map[string]any{"roles": azLowRoles(u)}
			cs.Want = azJudge(cs.Variant, row, cs.Hidden != "", 404, "", 200, "roles", "admins set roles up to manager of users that are not admins or owners anywhere", ownersCall)
		case "roles-high":
			body = map[string]any{"roles": azHighRoles(u)}
			cs.Want = azJudge(cs.Variant, row, cs.Hidden != "", 404, "", 200, "roles", "only owners grant admin and owner",
				azWay{OK: r >= azOwner && f.outranks(c, u, true), Scopes: []string{"users:write:all"}})
		case "organization_id":
			d := f.dest(t, c)
			body = map[string]any{"organization_id": f.oid(d)}
			cs.Want = azJudge(cs.Variant, row, cs.Hidden != "", 404, "", 200, "organization_id", "users are moved only by an admin of both organisations",
				azWay{OK: r >= azAdmin && f.rank(c, d) >= azAdmin && f.outranks(c, u, true), Scopes: []string{"users:write:all"}})
		case "manager_id":
			// A new user of the caller's organisation: one it sees, and
			// never the target's current manager (no no-op).
			m := f.newUser(t, fmt.Sprintf("boss#%d", f.next()), c.Home, []string{"member"})
			body = map[string]any{"manager_id": m.ID}
			cs.Want = azJudge(cs.Variant, row, cs.Hidden != "", 404, "", 200, "manager_id", why, admin)
		case "external_id":
			body = map[string]any{"external_id": fmt.Sprintf("ext-%d", f.next())}
			cs.Want = azJudge(cs.Variant, row, cs.Hidden != "", 404, "", 200, "external_id", why, admin)
		}
		cs.Req = azMerge("/v1/users/"+ref, body)
	})
}

func mustString(v any) string { return string(mustJSON(v)) }

func azDeleteUser(t *testing.T, f *azFixture, row *azRow) []azCell {
	always := func(string) bool { return true }
	return f.userCells(row, azUserTargets, []string{""}, always, nil, func(t *testing.T, cs *azCase, u *azUser, ref, _ string) {
		cs.Req = azJSON("DELETE", "/v1/users/"+ref, nil)
		ok := 204
		if u.ID == cs.Caller.ID {
			ok = 409 // nobody deletes itself
		}
		cs.Want = azJudge(cs.Variant, row, cs.Hidden != "", 404, "", ok, "", "admins delete users below their organisation (owners delete admins and owners); a user cannot delete itself (409)",
			azWay{OK: azAdminOf(f, cs.Caller, u), Scopes: []string{"users:write:all"}})
		cs.Check = func(t *testing.T, res *response) {
			f.must(t, "GET", "/v1/users/"+u.ID, nil, 404)
		}
	})
}

func azAddTag(t *testing.T, f *azFixture, row *azRow) []azCell {
	return f.userCells(row, azUserTargets, []string{""}, nil, nil, func(t *testing.T, cs *azCase, u *azUser, ref, _ string) {
		// One tag name whose colour changes: a target never fills up.
		cs.Req = azJSON("POST", "/v1/users/"+ref+"/tags", map[string]any{"tags": []map[string]any{{"name": "az", "color": fmt.Sprintf("#%06x", f.next())}}})
		cs.Want = azJudge(cs.Variant, row, cs.Hidden != "", 404, "", 200, "", azProfileRule, f.profileWays(cs.Caller, u)...)
	})
}

func azRemoveTag(t *testing.T, f *azFixture, row *azRow) []azCell {
	return f.userCells(row, azUserTargets, []string{""}, nil, nil, func(t *testing.T, cs *azCase, u *azUser, ref, _ string) {
		name := fmt.Sprintf("del%d", f.next())
		got := f.must(t, "POST", "/v1/users/"+u.ID+"/tags", map[string]any{"tags": []map[string]any{{"name": name}}}, 200)
		tagID := ""
		for _, tg := range got["tags"].([]any) {
			if tg := tg.(map[string]any); tg["name"] == name {
				tagID = tg["id"].(string)
			}
		}
		cs.Req = azJSON("DELETE", "/v1/users/"+ref+"/tags/"+tagID, nil)
		cs.Want = azJudge(cs.Variant, row, cs.Hidden != "", 404, "", 204, "", azProfileRule, f.profileWays(cs.Caller, u)...)
	})
}

func azCreateOrg(t *testing.T, f *azFixture, row *azRow) []azCell {
	return f.orgCells(row, []string{"child"}, func(t *testing.T, cs *azCase, org, _ string) {
		cs.Req = azJSON("POST", "/v1/orgs", map[string]any{"name": fmt.Sprintf("child-%d", f.next()), "parent_id": f.oid(org)})
		cs.Want = azJudge(cs.Variant, row, cs.Hidden != "", 422, "parent_id", 201, "", "admins create child organisations below theirs",
			azWay{OK: f.rank(cs.Caller, org) >= azAdmin, Scopes: []string{"orgs:write"}})
	})
}

func azListOrgs(t *testing.T, f *azFixture, row *azRow) []azCell {
	return f.listCells(row, []string{"", "parent_id=R"}, func(t *testing.T, cs *azCase, aspect string) {
		path := "/v1/orgs?limit=200"
		if aspect != "" {
			path += "&parent_id=" + f.oid("R")
		}
		cs.Req = azJSON("GET", path, nil)
		cs.Want = azJudge(cs.Variant, row, false, 0, "", 200, "", "lists need orgs:read", azWay{OK: true, Scopes: row.Scopes})
		var want []string
		for _, o := range azOrgs {
			if f.seesOrg(cs.Caller, o) && (aspect == "" || f.parentOf(o) == "R") {
				want = append(want, f.oid(o))
			}
		}
		cs.Check = func(t *testing.T, res *response) {
			f.sameSet(t, "GET "+path+" as "+cs.Caller.Name, azItems(t, res, "id"), want)
		}
	})
}

func azGetOrg(t *testing.T, f *azFixture, row *azRow) []azCell {
	return f.orgCells(row, []string{""}, func(t *testing.T, cs *azCase, org, _ string) {
		cs.Req = azJSON("GET", "/v1/orgs/"+f.oid(org), nil)
		cs.Want = azJudge(cs.Variant, row, cs.Hidden != "", 404, "", 200, "", "a caller sees the organisations it belongs to and, as manager or above, those below",
			azWay{OK: true, Scopes: row.Scopes})
	})
}

const azOrgAdminRule = "admins change their organisation and those below it"

func azPutOrg(t *testing.T, f *azFixture, row *azRow) []azCell {
	return f.orgCells(row, []string{"name"}, func(t *testing.T, cs *azCase, org, _ string) {
		doc := f.must(t, "GET", "/v1/orgs/"+f.oid(org), nil, 200)
		for _, k := range []string{"credit", "version", "created_at", "updated_at", "_links"} {
			delete(doc, k)
		}
		doc["name"] = fmt.Sprintf("%s-%d", org, f.next())
		cs.Req = azJSON("PUT", "/v1/orgs/"+f.oid(org), doc)
		cs.Want = azJudge(cs.Variant, row, cs.Hidden != "", 404, "", 200, "", azOrgAdminRule,
			azWay{OK: f.rank(cs.Caller, org) >= azAdmin, Scopes: row.Scopes})
	})
}

func azPatchOrg(t *testing.T, f *azFixture, row *azRow) []azCell {
	return f.orgCells(row, []string{"name"}, func(t *testing.T, cs *azCase, org, _ string) {
		cs.Req = azMerge("/v1/orgs/"+f.oid(org), map[string]any{"name": fmt.Sprintf("%s-%d", org, f.next())})
		cs.Want = azJudge(cs.Variant, row, cs.Hidden != "", 404, "", 200, "", azOrgAdminRule,
			azWay{OK: f.rank(cs.Caller, org) >= azAdmin, Scopes: row.Scopes})
	})
}

func azDeleteOrg(t *testing.T, f *azFixture, row *azRow) []azCell {
	return f.orgCells(row, []string{"child"}, func(t *testing.T, cs *azCase, org, _ string) {
		// An empty organisation made for the cell below the target.
		leaf := f.newOrg(t, fmt.Sprintf("leaf-%d", f.next()), org)
		cs.Target, cs.Rel, cs.Hidden = "a new child of "+org, f.rel(cs.Caller, nil, leaf), ""
		if !f.seesOrg(cs.Caller, leaf) {
			cs.Hidden = f.oid(leaf)
		}
		cs.Req = azJSON("DELETE", "/v1/orgs/"+f.oid(leaf), nil)
		cs.Want = azJudge(cs.Variant, row, cs.Hidden != "", 404, "", 204, "", azOrgAdminRule,
			azWay{OK: f.rank(cs.Caller, leaf) >= azAdmin, Scopes: row.Scopes})
	})
}

func azCredit(t *testing.T, f *azFixture, row *azRow) []azCell {
	return f.orgCells(row, []string{""}, func(t *testing.T, cs *azCase, org, _ string) {
		cs.Req = azJSON("POST", "/v1/orgs/"+f.oid(org)+"/credit", map[string]any{"amount": "1", "reason": "x"})
		p := f.parentOf(org)
		cs.Want = azJudge(cs.Variant, row, cs.Hidden != "", 404, "", 200, "", "only admins of an ancestor organisation adjust credit (the root has none)",
			azWay{OK: p != "" && f.rank(cs.Caller, p) >= azAdmin, Scopes: row.Scopes})
	})
}

func azListMembers(t *testing.T, f *azFixture, row *azRow) []azCell {
	return f.orgCells(row, []string{""}, func(t *testing.T, cs *azCase, org, _ string) {
		path := "/v1/orgs/" + f.oid(org) + "/members?limit=200"
		cs.Req = azJSON("GET", path, nil)
		cs.Want = azJudge(cs.Variant, row, cs.Hidden != "", 404, "", 200, "", "the members of an organisation the caller sees, with users:read",
			azWay{OK: true, Scopes: row.Scopes})
		var want []string
		for _, name := range azUserTargets[1:] {
			if u := f.user(name); u.In[org] != nil && f.seesUser(cs.Caller, u) {
				want = append(want, u.ID)
			}
		}
		cs.Check = func(t *testing.T, res *response) {
			f.sameSet(t, "GET /v1/orgs/"+org+"/members as "+cs.Caller.Name, azItems(t, res, "user_id"), want)
		}
	})
}

// azPair is a membership target: a new user whose home is Home, in Org.
type azPair struct {
	Org, Home string
	Aspects   []string
}

func (p azPair) label() string {
	if p.Org == p.Home {
		return p.Org + " member"
	}
	return p.Home + " user in " + p.Org
}

// pairCells makes a cell per caller, variant, pair and aspect; the user
// is made for the cell (and joined to Org when join is set and Org is
// not its home).
func (f *azFixture) pairCells(row *azRow, pairs []azPair, join bool, build func(t *testing.T, cs *azCase, p azPair, u *azUser, aspect string)) []azCell {
	var cells []azCell
	f.each(row, func(c *azUser, v azVariant) {
		for _, p := range pairs {
			for _, a := range p.Aspects {
				cells = append(cells, azCell{Name: azCellName(c, v, p.label(), a), Setup: func(t *testing.T) *azCase {
					u := f.newUser(t, fmt.Sprintf("%s-user#%d", p.Home, f.next()), p.Home, []string{"member"})
					if join && p.Org != p.Home {
						f.join(t, u, p.Org, []string{"member"})
					}
					cs := &azCase{Caller: c, Variant: v, Key: c.Keys[v.Name], Target: p.label(), Rel: f.rel(c, nil, p.Org) + " (user: " + f.rel(c, u, "") + ")"}
					switch {
					case !f.seesOrg(c, p.Org):
						cs.Hidden = f.oid(p.Org)
					case !f.seesUser(c, u):
						cs.Hidden = u.ID
					}
					build(t, cs, p, u, a)
					return cs
				}})
			}
		}
	})
	return cells
}

func azPutMember(t *testing.T, f *azFixture, row *azRow) []azCell {
	var pairs []azPair
	for _, o := range azOrgs {
		pairs = append(pairs, azPair{Org: o, Home: o, Aspects: []string{"roles=[manager]", "roles=[admin]"}})
	}
	pairs = append(pairs, azPair{Org: "C2", Home: "C1", Aspects: []string{"roles=[member]"}}, azPair{Org: "R", Home: "O", Aspects: []string{"roles=[member]"}})
	return f.pairCells(row, pairs, false, func(t *testing.T, cs *azCase, p azPair, u *azUser, aspect string) {
		role := strings.TrimSuffix(strings.TrimPrefix(aspect, "roles=["), "]")
		cs.Req = azJSON("PUT", "/v1/orgs/"+f.oid(p.Org)+"/members/"+u.ID, map[string]any{"roles": []string{role}})
		r := f.rank(cs.Caller, p.Org)
		field := ""
		if r >= azAdmin && azRank(role) >= azAdmin {
			field = "roles"
		}
		cs.Want = azJudge(cs.Variant, row, cs.Hidden != "", 404, "", 200, field, "admins change memberships below their organisation, roles up to manager; owners also grant admin and owner",
			azWay{OK: r >= azAdmin && (azRank(role) < azAdmin || r >= azOwner), Scopes: row.Scopes})
		if cs.Hidden == u.ID && r < azAdmin {
			cs.Want.Alt403 = true // refused in that organisation whoever the user is
		}
	})
}

func azDeleteMember(t *testing.T, f *azFixture, row *azRow) []azCell {
	one := []string{""}
	pairs := []azPair{{Org: "C2", Home: "C1", Aspects: one}, {Org: "R", Home: "O", Aspects: one}, {Org: "C1", Home: "C2", Aspects: one}, {Org: "C1", Home: "C1", Aspects: one}}
	return f.pairCells(row, pairs, true, func(t *testing.T, cs *azCase, p azPair, u *azUser, _ string) {
		cs.Req = azJSON("DELETE", "/v1/orgs/"+f.oid(p.Org)+"/members/"+u.ID, nil)
		r := f.rank(cs.Caller, p.Org)
		ok := 204
		if p.Org == p.Home {
			ok = 409 // the home membership stays: move the user instead
		}
		cs.Want = azJudge(cs.Variant, row, cs.Hidden != "", 404, "", ok, "", "admins remove memberships below their organisation; the home membership cannot be removed (409)",
			azWay{OK: r >= azAdmin, Scopes: row.Scopes})
		if cs.Hidden == u.ID && r < azAdmin {
			cs.Want.Alt403 = true
		}
	})
}

func azGetSchema(t *testing.T, f *azFixture, row *azRow) []azCell {
	// A schema on the root applies everywhere, so the answer is 200
	// wherever the caller may look.
	f.must(t, "PUT", "/v1/orgs/"+f.oid("root")+"/settings-schema", map[string]any{"type": "object"}, 200)
	return f.orgCells(row, []string{""}, func(t *testing.T, cs *azCase, org, _ string) {
		cs.Req = azJSON("GET", "/v1/orgs/"+f.oid(org)+"/settings-schema", nil)
		cs.Want = azJudge(cs.Variant, row, cs.Hidden != "", 404, "", 200, "", "the schema of an organisation the caller sees, with orgs:read",
			azWay{OK: true, Scopes: row.Scopes})
	})
}

func azPutSchema(t *testing.T, f *azFixture, row *azRow) []azCell {
	return f.orgCells(row, []string{""}, func(t *testing.T, cs *azCase, org, _ string) {
		cs.Req = azJSON("PUT", "/v1/orgs/"+f.oid(org)+"/settings-schema", map[string]any{"type": "object", "title": fmt.Sprint(f.next())})
		cs.Want = azJudge(cs.Variant, row, cs.Hidden != "", 404, "", 200, "", azOrgAdminRule,
			azWay{OK: f.rank(cs.Caller, org) >= azAdmin, Scopes: row.Scopes})
	})
}

func azCreateKey(t *testing.T, f *azFixture, row *azRow) []azCell {
	return f.userCells(row, azUserTargets, []string{"", "scopes=[users:write:all]"}, nil, nil, func(t *testing.T, cs *azCase, u *azUser, ref, a string) {
		body := map[string]any{"name": fmt.Sprintf("k%d", f.next())}
		if ref != "me" {
			body["user_id"] = u.ID
		}
		if a != "" {
			body["scopes"] = []string{"users:write:all"}
		}
		cs.Req = azJSON("POST", "/v1/api-keys", body)
		cs.Want = azJudge(cs.Variant, row, cs.Hidden != "", 404, "", 201, "", "a caller makes its own keys; an admin makes keys for the users below its organisation whom it outranks (an owner for admins and owners)",
			azWay{OK: u.ID == cs.Caller.ID || azAdminOf(f, cs.Caller, u), Scopes: row.Scopes})
		if cs.Want.Status == 201 && a != "" && u.best() < azAdmin {
			cs.Want = azWant{Status: 403, Names: []string{"users:write:all"}, Why: "a key never carries more scopes than its user's roles allow"}
		}
		cs.Check = func(t *testing.T, res *response) {
			if res.str("user_id") != u.ID || res.str("key") == "" {
				t.Errorf("POST /v1/api-keys: want a key for %s with its secret: %s", u.Name, res.Body)
			}
		}
	})
}

func azListKeys(t *testing.T, f *azFixture, row *azRow) []azCell {
	return f.listCells(row, []string{""}, func(t *testing.T, cs *azCase, _ string) {
		cs.Req = azJSON("GET", "/v1/api-keys?limit=200", nil)
		cs.Want = azJudge(cs.Variant, row, false, 0, "", 200, "", "a caller lists its own keys and, with keys:write, those of the users it administers", azWay{OK: true})
		f.mu.Lock()
		keys := maps.Clone(f.keyUser)
		f.mu.Unlock()
		others := cs.Variant.hasAny([]string{"keys:write"})
		var want []string
		for id, name := range keys {
			if u := f.user(name); u.ID == cs.Caller.ID || others && f.rank(cs.Caller, u.Home) >= azAdmin {
				want = append(want, id)
			}
		}
		cs.Check = func(t *testing.T, res *response) {
			f.sameSet(t, "GET /v1/api-keys as "+cs.Caller.Name, azItems(t, res, "id"), want)
		}
	})
}

func azDeleteKey(t *testing.T, f *azFixture, row *azRow) []azCell {
	return f.userCells(row, azCallers, []string{""}, nil, nil, func(t *testing.T, cs *azCase, u *azUser, _, _ string) {
		_, kid := f.newKey(t, u, azFull)
		cs.Target = "a key of " + cs.Target
		cs.Hidden = ""
		visible := u.ID == cs.Caller.ID || f.rank(cs.Caller, u.Home) >= azAdmin
		if !visible {
			cs.Hidden = kid
		}
		cs.Req = azJSON("DELETE", "/v1/api-keys/"+kid, nil)
		cs.Want = azJudge(cs.Variant, row, !visible, 404, "", 204, "", "a caller revokes its own keys and those of the users it administers; other keys it may not see",
			azWay{OK: true, Scopes: row.Scopes})
		cs.Check = func(t *testing.T, res *response) { f.must(t, "DELETE", "/v1/api-keys/"+kid, nil, 404) }
	})
}

func azEvents(t *testing.T, f *azFixture, row *azRow) []azCell {
	return f.listCells(row, []string{""}, func(t *testing.T, cs *azCase, _ string) {
		cs.Req = azJSON("GET", "/v1/events?limit=200", nil)
		cs.Want = azJudge(cs.Variant, row, false, 0, "", 200, "", "the feed needs events:read and shows only what the caller may see", azWay{OK: true, Scopes: row.Scopes})
		cs.Check = func(t *testing.T, res *response) {
			creds := f.credentialOrgs(t)
			f.subset(t, "GET /v1/events as "+cs.Caller.Name, azItems(t, res, "resource", "id"), func(id string) bool {
				f.mu.Lock()
				u, org := f.byID[id], f.orgName[id]
				f.mu.Unlock()
				return (u != nil && f.seesUser(cs.Caller, u)) || (org != "" && f.seesOrg(cs.Caller, org)) || f.administersCredential(cs, creds, id)
			}, cs.Caller.ID)
		}
	})
}

func azAudit(t *testing.T, f *azFixture, row *azRow) []azCell {
	return f.listCells(row, []string{""}, func(t *testing.T, cs *azCase, _ string) {
		cs.Req = azJSON("GET", "/v1/audit-events?limit=200", nil)
		cs.Want = azJudge(cs.Variant, row, false, 0, "", 200, "", "the audit log is for admins, over what they administer",
			azWay{OK: cs.Caller.best() >= azAdmin, Scopes: row.Scopes})
		cs.Check = func(t *testing.T, res *response) {
			creds := f.credentialOrgs(t)
			f.subset(t, "GET /v1/audit-events as "+cs.Caller.Name, azItems(t, res, "target", "id"), func(id string) bool {
				f.mu.Lock()
				u, org := f.byID[id], f.orgName[id]
				f.mu.Unlock()
				return (u != nil && f.administersAny(cs.Caller, u)) || (org != "" && f.rank(cs.Caller, org) >= azAdmin) || f.administersCredential(cs, creds, id)
			}, cs.Caller.ID)
		}
	})
}

// administersAny reports whether c administers an organisation where u
// has a membership: a membership's events belong to its organisation.
func (f *azFixture) administersAny(c, u *azUser) bool {
	f.mu.Lock()
	var orgs []string
	for org := range u.In {
		orgs = append(orgs, org)
	}
	f.mu.Unlock()
	return slices.ContainsFunc(orgs, func(org string) bool { return f.rank(c, org) >= azAdmin })
}

// administersCredential reports whether id is an API key or OAuth client
// whose events the caller may see, as GET /v1/api-keys and
// /v1/oauth-clients show them to those who administer them: with
// keys:write, an admin of the key's user's organisation or of the
// client's. creds is credentialOrgs.
func (f *azFixture) administersCredential(cs *azCase, creds map[string]string, id string) bool {
	org, ok := creds[id]
	return ok && cs.Variant.hasAny([]string{"keys:write"}) && f.rank(cs.Caller, org) >= azAdmin
}

// credentialOrgs maps the API keys and OAuth clients named in the feed so
// far to the fixture organisation of the key's user or of the client,
// reading the feed as the root owner (keys and clients made by other
// cells meanwhile are in it, with the user or organisation the fixture
// knows).
func (f *azFixture) credentialOrgs(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	after := ""
	for {
		var page struct {
			Items []struct {
				Resource       struct{ ID string }
				Data, Previous map[string]any
			}
			NextCursor *string `json:"next_cursor"`
		}
		res := f.send(t, testKey, azJSON("GET", "/v1/events?limit=200&type=api_key.*,oauth_client.*"+after, nil)).want(200)
		if err := json.Unmarshal(res.Body, &page); err != nil {
			t.Fatal(err)
		}
		f.mu.Lock()
		for _, e := range page.Items {
			d := e.Data
			if d == nil {
				d = e.Previous
			}
			if u := f.byID[fmt.Sprint(d["user_id"])]; u != nil {
				out[e.Resource.ID] = u.Home
			} else if org := f.orgName[fmt.Sprint(d["organization_id"])]; org != "" {
				out[e.Resource.ID] = org
			}
		}
		f.mu.Unlock()
		if page.NextCursor == nil {
			return out
		}
		after = "&after=" + *page.NextCursor
	}
}

// TestAuthzNotFoundIsIdentical checks, for users, organisations and API
// keys, that the answer for a target the caller may not see is the answer
// for a well-formed id that names nothing, byte for byte apart from the
// request id.
func TestAuthzNotFoundIsIdentical(t *testing.T) {
	f := newAuthzFixture(t)
	rAdmin := f.user("R-admin")
	_, key := f.newKey(t, rAdmin, azFull)
	r := f.oid("R")
	for _, caller := range []string{"C1-member", "O-admin", "C2-member"} {
		secret := f.user(caller).Keys[azFull.Name]
		for _, c := range []struct {
			name string
			req  azReq
			id   string
		}{
			{"GET user", azJSON("GET", "/v1/users/"+rAdmin.ID, nil), rAdmin.ID},
			{"PUT user", azJSON("PUT", "/v1/users/"+rAdmin.ID, map[string]any{"first_name": "X"}), rAdmin.ID},
			{"PATCH user", azMerge("/v1/users/"+rAdmin.ID, map[string]any{"last_name": "X"}), rAdmin.ID},
			{"DELETE user", azJSON("DELETE", "/v1/users/"+rAdmin.ID, nil), rAdmin.ID},
			{"POST user tags", azJSON("POST", "/v1/users/"+rAdmin.ID+"/tags", map[string]any{"tags": []map[string]any{{"name": "x"}}}), rAdmin.ID},
			{"GET org", azJSON("GET", "/v1/orgs/"+r, nil), r},
			{"PUT org", azJSON("PUT", "/v1/orgs/"+r, map[string]any{"name": "X"}), r},
			{"PATCH org", azMerge("/v1/orgs/"+r, map[string]any{"name": "X"}), r},
			{"DELETE org", azJSON("DELETE", "/v1/orgs/"+r, nil), r},
			{"POST org credit", azJSON("POST", "/v1/orgs/"+r+"/credit", map[string]any{"amount": "1", "reason": "x"}), r},
			{"GET org members", azJSON("GET", "/v1/orgs/"+r+"/members", nil), r},
			{"GET org settings schema", azJSON("GET", "/v1/orgs/"+r+"/settings-schema", nil), r},
			{"DELETE API key", azJSON("DELETE", "/v1/api-keys/"+key, nil), key},
		} {
			t.Run(caller+" "+c.name, func(t *testing.T) {
				ghost := azGhostID(c.id)
				hidden := f.send(t, secret, c.req)
				unknown := f.send(t, secret, azGhost(c.req, c.id, ghost))
				if hidden.Status != 404 || unknown.Status != 404 {
					t.Fatalf("%s %s as %s: status %d for a target it may not see and %d for an unknown id, want 404 for both\n  hidden:  %s\n  unknown: %s",
						c.req.Method, c.req.Path, caller, hidden.Status, unknown.Status, hidden.Body, unknown.Body)
				}
				hidden.problem(404)
				if a, b := azNormalize(hidden.Body), azNormalize(unknown.Body); a != b {
					t.Fatalf("%s %s as %s: bodies differ beyond the request id\n  hidden:  %s\n  unknown: %s", c.req.Method, c.req.Path, caller, a, b)
				}
				if d := azHeaderDiff(hidden.Header, unknown.Header); d != "" {
					t.Fatalf("%s %s as %s: headers differ: %s", c.req.Method, c.req.Path, caller, d)
				}
			})
		}
	}
}

// TestAuthzHiddenReferences checks that naming, in a body, a user or an
// organisation the caller may not see is answered as for one that does
// not exist, so that writes do not reveal what reads hide.
func TestAuthzHiddenReferences(t *testing.T) {
	f := newAuthzFixture(t)
	c := f.user("C1-admin")
	key := c.Keys[azFull.Name]
	rAdmin := f.user("R-admin")
	for _, tc := range []struct {
		name   string
		req    func(t *testing.T) azReq
		id     string
		status int
		field  string
	}{
		{"POST /v1/users organization_id", func(t *testing.T) azReq {
			return azJSON("POST", "/v1/users", map[string]any{"first_name": "N", "email": f.email(), "organization_id": f.oid("R")})
		}, f.oid("R"), 422, "organization_id"},
		{"POST /v1/orgs parent_id", func(t *testing.T) azReq {
			return azJSON("POST", "/v1/orgs", map[string]any{"name": "N", "parent_id": f.oid("R")})
		}, f.oid("R"), 422, "parent_id"},
		{"PATCH /v1/users/{id} organization_id", func(t *testing.T) azReq {
			u := f.newUser(t, fmt.Sprintf("C1-user#%d", f.next()), "C1", []string{"member"})
			return azMerge("/v1/users/"+u.ID, map[string]any{"organization_id": f.oid("C2")})
		}, f.oid("C2"), 422, "organization_id"},
		{"PATCH /v1/users/{id} manager_id", func(t *testing.T) azReq {
			u := f.newUser(t, fmt.Sprintf("C1-user#%d", f.next()), "C1", []string{"member"})
			return azMerge("/v1/users/"+u.ID, map[string]any{"manager_id": rAdmin.ID})
		}, rAdmin.ID, 422, "manager_id"},
		{"PUT /v1/users/{id} manager_id", func(t *testing.T) azReq {
			u := f.newUser(t, fmt.Sprintf("C1-user#%d", f.next()), "C1", []string{"member"})
			doc := f.must(t, "GET", "/v1/users/"+u.ID, nil, 200)
			for _, k := range []string{"version", "created_at", "updated_at", "memberships", "_links"} {
				delete(doc, k)
			}
			doc["manager_id"] = rAdmin.ID
			return azJSON("PUT", "/v1/users/"+u.ID, doc)
		}, rAdmin.ID, 422, "manager_id"},
		{"POST /v1/api-keys user_id", func(t *testing.T) azReq {
			return azJSON("POST", "/v1/api-keys", map[string]any{"name": "k", "user_id": rAdmin.ID})
		}, rAdmin.ID, 404, ""},
		{"PUT /v1/orgs/{id}/members/{user_id}", func(t *testing.T) azReq {
			return azJSON("PUT", "/v1/orgs/"+f.oid("C1")+"/members/"+rAdmin.ID, map[string]any{"roles": []string{"member"}})
		}, rAdmin.ID, 404, ""},
	} {
		t.Run("C1-admin "+tc.name, func(t *testing.T) {
			req := tc.req(t)
			ghost := azGhostID(tc.id)
			got := f.send(t, key, req)
			unknown := f.send(t, key, azGhost(req, tc.id, ghost))
			if a, b := azNormalize(got.Body, tc.id), azNormalize(unknown.Body, ghost); got.Status != unknown.Status || a != b {
				t.Errorf("a reference the caller may not see is answered unlike an unknown one:\n  hidden:  %d %s\n  unknown: %d %s", got.Status, got.Body, unknown.Status, unknown.Body)
			}
			w := azWant{Status: tc.status, Why: "a reference the caller may not see is answered as an unknown one"}
			if tc.field != "" {
				w.Names = []string{tc.field}
			}
			if got.Status != w.Status {
				t.Fatalf("%s %s as C1-admin: status %d, want %d (%s); body: %s", req.Method, req.Path, got.Status, w.Status, w.Why, got.Body)
			}
			azCheckProblem(t, req.Method+" "+req.Path, got, w)
		})
	}
	// Once C2 is visible (C1-admin is a plain member there), moving a user
	// into it is refused for want of the admin role there, naming the field.
	t.Run("C1-admin PATCH /v1/users/{id} organization_id to a visible organisation it does not administer", func(t *testing.T) {
		f.join(t, c, "C2", []string{"member"})
		u := f.newUser(t, fmt.Sprintf("C1-user#%d", f.next()), "C1", []string{"member"})
		res := f.send(t, key, azMerge("/v1/users/"+u.ID, map[string]any{"organization_id": f.oid("C2")}))
		w := azWant{Status: 403, Names: []string{"organization_id"}, Why: "users are moved only by an admin of both organisations"}
		if res.Status != w.Status {
			t.Fatalf("status %d, want 403 (%s); body: %s", res.Status, w.Why, res.Body)
		}
		azCheckProblem(t, "PATCH /v1/users/{id}", res, w)
	})
}

// TestAuthzRevocation checks that a key stops working at once when its
// user or an organisation above the user is disabled, when it is
// revoked, and when it expires; and that re-enabling an organisation
// brings its users' keys back.
func TestAuthzRevocation(t *testing.T) {
	f := newAuthzFixture(t)
	rAdmin := f.user("R-admin").Keys[azFull.Name]
	me := func(t *testing.T, key string) *response {
		t.Helper()
		return f.send(t, key, azJSON("GET", "/v1/users/me", nil))
	}
	want := func(t *testing.T, what string, keys map[string]string, status int) {
		t.Helper()
		for _, name := range slices.Sorted(func(yield func(string) bool) {
			for k := range keys {
				if !yield(k) {
					return
				}
			}
		}) {
			res := me(t, keys[name])
			if res.Status != status {
				t.Errorf("%s: GET /v1/users/me with the key of %s: status %d, want %d; body: %s", what, name, res.Status, status, res.Body)
				continue
			}
			if status == 401 {
				res.problem(401)
				if res.Header.Get("WWW-Authenticate") == "" {
					t.Errorf("%s: 401 for %s without WWW-Authenticate", what, name)
				}
			}
		}
	}
	keysOf := func(names ...string) map[string]string {
		out := map[string]string{}
		for _, n := range names {
			u := f.user(n)
			out[n] = u.Keys[azFull.Name]
			out[n+"[users:read]"] = u.Keys[azUsersRead.Name]
		}
		return out
	}

	t.Run("disabled user", func(t *testing.T) {
		u := f.newUser(t, "C1-member-to-disable", "C1", []string{"member"})
		full, _ := f.newKey(t, u, azFull)
		self, _ := f.newKey(t, u, azWriteSelf)
		keys := map[string]string{"it": full, "it[users:write:self]": self}
		want(t, "before", keys, 200)
		f.send(t, rAdmin, azMerge("/v1/users/"+u.ID, map[string]any{"status": "disabled"})).want(200)
		want(t, "after R-admin disabled the user", keys, 401)
		want(t, "after R-admin disabled another user", keysOf("C1-member", "C1-member2"), 200)
	})

	t.Run("disabled organisation", func(t *testing.T) {
		c1 := keysOf("C1-admin", "C1-manager", "C1-member", "C1-member2")
		others := keysOf("R-admin", "R-member", "C2-member", "O-admin")
		want(t, "before", c1, 200)
		f.send(t, rAdmin, azMerge("/v1/orgs/"+f.oid("C1"), map[string]any{"status": "disabled"})).want(200)
		want(t, "after R-admin disabled C1", c1, 401)
		want(t, "after R-admin disabled C1", others, 200)
		f.send(t, rAdmin, azMerge("/v1/orgs/"+f.oid("C1"), map[string]any{"status": "enabled"})).want(200)
		want(t, "after R-admin enabled C1 again", c1, 200)
	})

	t.Run("disabled ancestor organisation", func(t *testing.T) {
		below := keysOf("R-owner", "R-admin", "R-member", "C1-admin", "C1-member", "C2-member")
		others := keysOf("O-admin")
		others["root-owner"] = testKey
		f.must(t, "PATCH", "/v1/orgs/"+f.oid("R"), map[string]any{"status": "disabled"}, 200)
		want(t, "after the root owner disabled R", below, 401)
		want(t, "after the root owner disabled R", others, 200)
		f.must(t, "PATCH", "/v1/orgs/"+f.oid("R"), map[string]any{"status": "enabled"}, 200)
		want(t, "after the root owner enabled R again", below, 200)
	})

	t.Run("deleted key", func(t *testing.T) {
		admin := f.user("C1-admin").Keys[azFull.Name]
		k := f.send(t, admin, azJSON("POST", "/v1/api-keys", map[string]any{"name": "short-lived", "user_id": f.user("C1-member").ID})).want(201)
		secret, id := k.str("key"), k.str("id")
		want(t, "before", map[string]string{"new key": secret}, 200)
		f.send(t, admin, azJSON("DELETE", "/v1/api-keys/"+id, nil)).want(204)
		want(t, "after C1-admin deleted it", map[string]string{"new key": secret}, 401)
		f.send(t, admin, azJSON("DELETE", "/v1/api-keys/"+id, nil)).problem(404)
		want(t, "after C1-admin deleted another key", keysOf("C1-member"), 200)
	})

	t.Run("expired key", func(t *testing.T) {
		u := f.user("C2-member")
		f.send(t, testKey, azJSON("POST", "/v1/api-keys", map[string]any{"name": "past", "user_id": u.ID, "expires_at": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)})).problem(422)
		exp := time.Now().Add(2 * time.Second).UTC()
		k := f.send(t, testKey, azJSON("POST", "/v1/api-keys", map[string]any{"name": "soon", "user_id": u.ID, "expires_at": exp.Format(time.RFC3339Nano)})).want(201)
		secret := k.str("key")
		if time.Now().Before(exp) {
			want(t, "before it expires", map[string]string{"soon": secret}, 200)
		}
		for time.Now().Before(exp.Add(200 * time.Millisecond)) {
			time.Sleep(50 * time.Millisecond)
		}
		want(t, "after it expired", map[string]string{"soon": secret}, 401)
		want(t, "after another key expired", keysOf("C2-member"), 200)
	})
}
