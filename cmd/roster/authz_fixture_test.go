// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// The authorisation fixture: a real server with two organisation trees
// under the root, a user for every role that matters, and API keys for
// each of them, full and narrowed. Next to the server it keeps a model of
// what it created (organisations, memberships, keys), from which the
// tests work out what PRODUCT.md section 3 allows. The model is written
// from the rules, never from the product's code.
//
//	root (root-owner)
//	├── R   reseller: R-owner, R-admin, R-manager, R-member
//	│   ├── C1  client: C1-admin, C1-manager, C1-member, C1-member2
//	│   └── C2  client: C2-member
//	└── O   another reseller: O-admin
//
// Besides the callers, targets that are plain members at home and hold a
// higher role elsewhere (azDualTargets): above, beside and below the
// callers, where the rank rule decides.

// Ranks of the roles, weakest first; a role includes what the weaker ones
// may do.
const (
	azNone = iota
	azMember
	azManager
	azAdmin
	azOwner
)

func azRank(role string) int {
	switch role {
	case "owner":
		return azOwner
	case "admin":
		return azAdmin
	case "manager":
		return azManager
	case "member":
		return azMember
	}
	return azNone
}

func azTop(roles []string) int {
	top := azNone
	for _, r := range roles {
		top = max(top, azRank(r))
	}
	return top
}

// azVariant is the scope list of a key. A key without a scope list has
// every scope its holder's roles allow.
type azVariant struct {
	Name    string
	Scopes  []string // nil: no scope list
	MinRank int      // the weakest best role that may hold such a key
}

var (
	azFull      = azVariant{Name: "full"}
	azUsersRead = azVariant{Name: "users:read", Scopes: []string{"users:read"}, MinRank: azMember}
	azWriteSelf = azVariant{Name: "users:write:self", Scopes: []string{"users:write:self"}, MinRank: azMember}
	azOrgsRead  = azVariant{Name: "orgs:read", Scopes: []string{"orgs:read"}, MinRank: azMember}
	azMembers   = azVariant{Name: "users:read+users:write:members", Scopes: []string{"users:read", "users:write:members"}, MinRank: azManager}

	azAllVariants = []azVariant{azFull, azUsersRead, azWriteSelf, azOrgsRead, azMembers}
)

// hasAny reports whether a key of this variant carries one of scopes
// (any key does when scopes is empty: nothing is needed).
func (v azVariant) hasAny(scopes []string) bool {
	if v.Scopes == nil || len(scopes) == 0 {
		return true
	}
	for _, s := range scopes {
		if slices.Contains(v.Scopes, s) {
			return true
		}
	}
	return false
}

// azCallers are the fixture users that make calls in the matrix.
var azCallers = []string{"root-owner", "R-owner", "R-admin", "R-manager", "R-member",
	"C1-admin", "C1-manager", "C1-member", "C1-member2", "C2-member", "O-admin"}

// azDualTargets are users homed as members that hold a role elsewhere:
// name, home, and the organisation and role of the other membership.
var azDualTargets = []struct{ Name, Home, Org, Role string }{
	{"C1-member/O-owner", "C1", "O", "owner"},       // owner of a tree C1's staff cannot see
	{"C2-member/R-owner", "C2", "R", "owner"},       // owner above the clients' staff
	{"R-member/C1-admin", "R", "C1", "admin"},       // admin below the reseller's staff
	{"C1-member/C2-manager", "C1", "C2", "manager"}, // manager of a sibling
	{"O-member/C1-owner", "O", "C1", "owner"},       // owner of C1 from another tree
}

// azOrgs are the fixture organisations.
var azOrgs = []string{"root", "R", "C1", "C2", "O"}

// azUser is a user the fixture made, as the model knows it.
type azUser struct {
	Name string
	ID   string
	Home string              // home organisation (fixture name)
	In   map[string][]string // organisation name → roles held there, the home included
	Keys map[string]string   // variant name → secret
}

// Roles returns the user's roles in its home organisation.
func (u *azUser) Roles() []string { return u.In[u.Home] }

// best returns the user's best rank anywhere.
func (u *azUser) best() int {
	top := azNone
	for _, roles := range u.In {
		top = max(top, azTop(roles))
	}
	return top
}

// azFixture is a server with the fixture in it and the model beside it.
type azFixture struct {
	s *testServer

	mu      sync.Mutex
	seq     int
	parent  map[string]string  // organisation name → parent name ("" for the root)
	orgID   map[string]string  // organisation name → id
	orgName map[string]string  // organisation id → name
	users   map[string]*azUser // by name
	byID    map[string]*azUser
	keyUser map[string]string // API key id → user name, for every key made
	dests   map[string]string // organisation name → an organisation made directly below it
}

// newAuthzFixture starts a server and builds the fixture in it.
func newAuthzFixture(t *testing.T) *azFixture {
	t.Helper()
	// The matrix asks for hundreds of email changes per user: lift the
	// per-user limit (TestEmailChangeRequestsLimited holds it).
	noMailLimit := func(c *Config) { c.Security.EmailChangeLimit = 1 << 20 }
	f := &azFixture{s: startServer(t, noMailLimit), parent: map[string]string{}, orgID: map[string]string{}, orgName: map[string]string{},
		users: map[string]*azUser{}, byID: map[string]*azUser{}, keyUser: map[string]string{}, dests: map[string]string{}}
	me := f.must(t, "GET", "/v1/users/me", nil, 200)
	f.addOrg("root", me["organization_id"].(string), "")
	owner := &azUser{Name: "root-owner", ID: me["id"].(string), Home: "root", In: map[string][]string{"root": {"owner"}}, Keys: map[string]string{}}
	f.addUser(owner)
	for _, o := range []struct{ name, parent string }{{"R", "root"}, {"O", "root"}, {"C1", "R"}, {"C2", "R"}} {
		f.newOrg(t, o.name, o.parent)
	}
	for _, u := range []struct{ name, home, role string }{
		{"R-owner", "R", "owner"}, {"R-admin", "R", "admin"}, {"R-manager", "R", "manager"}, {"R-member", "R", "member"},
		{"C1-admin", "C1", "admin"}, {"C1-manager", "C1", "manager"}, {"C1-member", "C1", "member"}, {"C1-member2", "C1", "member"},
		{"C2-member", "C2", "member"}, {"O-admin", "O", "admin"},
	} {
		f.newUser(t, u.name, u.home, []string{u.role})
	}
	for _, d := range azDualTargets {
		f.join(t, f.newUser(t, d.Name, d.Home, []string{"member"}), d.Org, []string{d.Role})
	}
	// The bootstrap key is the root owner's full key.
	owner.Keys[azFull.Name] = testKey
	for _, k := range f.must(t, "GET", "/v1/api-keys", nil, 200)["items"].([]any) {
		k := k.(map[string]any)
		if k["user_id"] == owner.ID {
			f.keyUser[k["id"].(string)] = owner.Name
		}
	}
	for _, name := range azCallers {
		u := f.users[name]
		for _, v := range azAllVariants {
			if name == "root-owner" && v.Scopes == nil {
				continue
			}
			if u.best() >= v.MinRank {
				u.Keys[v.Name], _ = f.newKey(t, u, v)
			}
		}
	}
	return f
}

func (f *azFixture) addOrg(name, id, parent string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.parent[name], f.orgID[name], f.orgName[id] = parent, id, name
}

func (f *azFixture) addUser(u *azUser) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users[u.Name], f.byID[u.ID] = u, u
}

// next returns a number not used before in this fixture.
func (f *azFixture) next() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	return f.seq
}

// user returns a fixture user by name.
func (f *azFixture) user(name string) *azUser {
	f.mu.Lock()
	defer f.mu.Unlock()
	u := f.users[name]
	if u == nil {
		panic("no fixture user " + name)
	}
	return u
}

// name returns the fixture name of a user, organisation or key id.
func (f *azFixture) name(id string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if u := f.byID[id]; u != nil {
		return u.Name
	}
	if n := f.orgName[id]; n != "" {
		return n
	}
	if n := f.keyUser[id]; n != "" {
		return "key of " + n
	}
	return id
}

// newOrg creates an organisation as the root owner.
func (f *azFixture) newOrg(t *testing.T, name, parent string) string {
	t.Helper()
	o := f.must(t, "POST", "/v1/orgs", map[string]any{"name": name, "parent_id": f.orgID[parent]}, 201)
	f.addOrg(name, o["id"].(string), parent)
	return name
}

// newUser creates a user as the root owner.
func (f *azFixture) newUser(t *testing.T, name, home string, roles []string) *azUser {
	t.Helper()
	body := map[string]any{"first_name": name, "email": fmt.Sprintf("az%d@example.com", f.next()), "organization_id": f.orgID[home], "roles": roles}
	u := f.must(t, "POST", "/v1/users", body, 201)
	au := &azUser{Name: name, ID: u["id"].(string), Home: home, In: map[string][]string{home: slices.Clone(roles)}, Keys: map[string]string{}}
	f.addUser(au)
	return au
}

// clone makes a new user with the same home organisation, roles and
// memberships as u: the rules treat it as they treat u, and a
// destructive call may use it up.
func (f *azFixture) clone(t *testing.T, u *azUser) *azUser {
	t.Helper()
	c := f.newUser(t, fmt.Sprintf("%s#%d", u.Name, f.next()), u.Home, u.Roles())
	f.mu.Lock()
	other := map[string][]string{}
	for org, roles := range u.In {
		if org != u.Home {
			other[org] = roles
		}
	}
	f.mu.Unlock()
	for org, roles := range other {
		f.join(t, c, org, roles)
	}
	return c
}

// newKey makes an API key for u as the root owner and returns its secret
// and id.
func (f *azFixture) newKey(t *testing.T, u *azUser, v azVariant) (secret, id string) {
	t.Helper()
	body := map[string]any{"name": fmt.Sprintf("%s %s", u.Name, v.Name), "user_id": u.ID}
	if v.Scopes != nil {
		body["scopes"] = v.Scopes
	}
	k := f.must(t, "POST", "/v1/api-keys", body, 201)
	id = k["id"].(string)
	f.mu.Lock()
	f.keyUser[id] = u.Name
	f.mu.Unlock()
	return k["key"].(string), id
}

// join gives u a membership in org with roles, as the root owner.
func (f *azFixture) join(t *testing.T, u *azUser, org string, roles []string) {
	t.Helper()
	f.must(t, "PUT", "/v1/orgs/"+f.orgID[org]+"/members/"+u.ID, map[string]any{"roles": roles}, 200)
	f.mu.Lock()
	u.In[org] = slices.Clone(roles)
	f.mu.Unlock()
}

// dest returns an organisation made (once) directly below c's home: a
// place to move users to that c administers exactly when it administers
// its home.
func (f *azFixture) dest(t *testing.T, c *azUser) string {
	t.Helper()
	f.mu.Lock()
	name, ok := f.dests[c.Home]
	f.mu.Unlock()
	if ok {
		return name
	}
	name = f.newOrg(t, fmt.Sprintf("dest-%s-%d", c.Home, f.next()), c.Home)
	f.mu.Lock()
	f.dests[c.Home] = name
	f.mu.Unlock()
	return name
}

// The model: what PRODUCT.md section 3 says each caller may see and do.

// below reports whether org is top or one of its descendants.
func (f *azFixture) below(org, top string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for o := org; o != ""; o = f.parent[o] {
		if o == top {
			return true
		}
	}
	return false
}

// rank is c's rank in org: the best role it holds there or, for manager
// and above, in an ancestor (roles reach down the tree; member does not).
func (f *azFixture) rank(c *azUser, org string) int {
	best := azNone
	for m, roles := range c.In {
		top := azTop(roles)
		if m == org || (top >= azManager && f.below(org, m)) {
			best = max(best, top)
		}
	}
	return best
}

// seesOrg: members see the organisations they belong to; managers and
// above every organisation below theirs.
func (f *azFixture) seesOrg(c *azUser, org string) bool { return f.rank(c, org) >= azMember }

// seesUser: itself, and every user with a membership in an organisation
// it sees.
func (f *azFixture) seesUser(c, u *azUser) bool {
	if c.ID == u.ID {
		return true
	}
	for m := range u.In {
		if f.seesOrg(c, m) {
			return true
		}
	}
	return false
}

// outranks is the rank rule: c may act on u only if c's rank is at least
// u's in every organisation where u holds manager or higher, and an
// owner's call (roles, status, moving, deleting, and the calls that can
// take the account over) needs the owner rank wherever u holds admin or
// owner. Nobody goes up by acting on itself.
func (f *azFixture) outranks(c, u *azUser, ownersCall bool) bool {
	if c.ID == u.ID {
		return true
	}
	f.mu.Lock()
	held := map[string]int{}
	for org, roles := range u.In {
		held[org] = azTop(roles)
	}
	f.mu.Unlock()
	for org, h := range held {
		need := h
		if ownersCall && h >= azAdmin {
			need = azOwner
		}
		if h >= azManager && f.rank(c, org) < need {
			return false
		}
	}
	return true
}

// rel names how a target (a user, or else an organisation) relates to
// the caller's home organisation.
func (f *azFixture) rel(c, u *azUser, org string) string {
	if u != nil {
		if u.ID == c.ID {
			return "self"
		}
		org = u.Home
	}
	f.mu.Lock()
	siblings := f.parent[org] == f.parent[c.Home]
	f.mu.Unlock()
	switch {
	case org == c.Home:
		return "same org"
	case f.below(org, c.Home):
		return "descendant org"
	case f.below(c.Home, org):
		return "ancestor org"
	case siblings:
		return "sibling org"
	}
	return "other tree"
}

// HTTP, with failures reported to the test at hand (the harness's
// helpers report to the test that started the server).

// azReq is one request; Body is sent as is.
type azReq struct {
	Method, Path string
	Body         []byte
	ContentType  string
}

func azJSON(method, path string, body any) azReq {
	r := azReq{Method: method, Path: path}
	if body != nil {
		r.Body, r.ContentType = mustJSON(body), "application/json"
	}
	return r
}

func azMerge(path string, body any) azReq {
	return azReq{Method: "PATCH", Path: path, Body: mustJSON(body), ContentType: "application/merge-patch+json"}
}

var azClient = &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}

// send makes one request with key as the bearer token.
func (f *azFixture) send(t *testing.T, key string, r azReq) *response {
	t.Helper()
	var rd io.Reader
	if r.Body != nil {
		rd = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequest(r.Method, f.s.URL+r.Path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if r.Body != nil {
		req.Header.Set("Content-Type", r.ContentType)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	res, err := azClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", r.Method, r.Path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &response{t: t, Status: res.StatusCode, Header: res.Header, Body: b}
}

// must makes a request as the root owner and requires the status.
func (f *azFixture) must(t *testing.T, method, path string, body any, status int) map[string]any {
	t.Helper()
	res := f.send(t, testKey, azJSON(method, path, body))
	if res.Status != status {
		t.Fatalf("fixture: %s %s: status %d, want %d; body: %s", method, path, res.Status, status, res.Body)
	}
	if len(res.Body) == 0 {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(res.Body, &m); err != nil {
		t.Fatalf("fixture: %s %s: %v: %s", method, path, err, res.Body)
	}
	return m
}

// azGhostID returns a well-formed id of the same type as id that names
// nothing.
func azGhostID(id string) string {
	prefix, _, _ := strings.Cut(id, "_")
	const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	var b [26]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = crockford[b[i]%32]
	}
	b[0] = '0'
	return prefix + "_" + string(b[:])
}
