// SPDX-License-Identifier: Apache-2.0

package main

import (
	"net/http"
	"strings"
	"testing"
)

// The takeover paths an admin key had (issue "No way up"), each tried as
// an attacker would through the real server. The matrix (authz_test.go)
// and the property test cover the rank rule broadly; these keep the
// concrete attacks that worked once.

// escalationWorld is organisation A with an admin and an owner, and an
// organisation P beside it whose owner is homed in A as a plain member.
type escalationWorld struct {
	s                     *testServer
	orgA, orgP            string
	admin, owner, pOwner  string // user ids
	adminKey              string
	memberWithManagerRole string // homed in A as member, manager of P
}

func newEscalationWorld(t *testing.T) *escalationWorld {
	s := startServer(t)
	w := &escalationWorld{s: s}
	w.orgA = s.do("POST", "/v1/orgs", map[string]any{"name": "A"}).want(201).str("id")
	w.orgP = s.do("POST", "/v1/orgs", map[string]any{"name": "P"}).want(201).str("id")
	user := func(name, org, role string) string {
		return s.do("POST", "/v1/users", map[string]any{"first_name": name, "email": name + "@example.com", "organization_id": org, "roles": []string{role}}).want(201).str("id")
	}
	w.admin = user("admin", w.orgA, "admin")
	w.owner = user("owner", w.orgA, "owner")
	w.pOwner = user("powner", w.orgA, "member")
	s.do("PUT", "/v1/orgs/"+w.orgP+"/members/"+w.pOwner, map[string]any{"roles": []string{"owner"}}).want(200)
	w.memberWithManagerRole = user("pmanager", w.orgA, "member")
	s.do("PUT", "/v1/orgs/"+w.orgP+"/members/"+w.memberWithManagerRole, map[string]any{"roles": []string{"manager"}}).want(200)
	w.adminKey = s.do("POST", "/v1/api-keys", map[string]any{"name": "admin", "user_id": w.admin}).want(201).str("key")
	return w
}

func TestNoKeyMintingAboveOnesRank(t *testing.T) {
	w := newEscalationWorld(t)
	s := w.s
	// P is invisible to A's admin; its owner, homed in A, is visible.
	s.doAs(w.adminKey, "GET", "/v1/orgs/"+w.orgP, nil).problem(404)
	for _, target := range []string{w.owner, w.pOwner, w.memberWithManagerRole} {
		s.doAs(w.adminKey, "POST", "/v1/api-keys", map[string]any{"name": "stolen", "user_id": target}).problem(403)
	}
	// The attack had two steps: a key for the owner, then acting with it.
	// Nothing changed in P or in the admin's roles.
	if got := s.do("GET", "/v1/orgs/"+w.orgP, nil).want(200).str("name"); got != "P" {
		t.Fatalf("P was renamed: %q", got)
	}
	keys := s.do("GET", "/v1/api-keys?limit=200", nil).want(200).obj()["items"].([]any)
	for _, k := range keys {
		if uid := k.(map[string]any)["user_id"]; uid == w.owner || uid == w.pOwner {
			t.Fatalf("a key was made for a user that outranks the admin: %v", k)
		}
	}
	// An owner of A may make a key for an owner of A (equal rank).
	ownerKey := s.do("POST", "/v1/api-keys", map[string]any{"name": "owner", "user_id": w.owner}).want(201).str("key")
	s.doAs(ownerKey, "POST", "/v1/api-keys", map[string]any{"name": "for member", "user_id": w.memberWithManagerRole}).problem(403) // manager of P, outside A's tree
}

func TestNoTakeoverThroughAdminCalls(t *testing.T) {
	w := newEscalationWorld(t)
	s := w.s
	for _, target := range []string{w.pOwner, w.owner} {
		before := s.do("GET", "/v1/users/"+target, nil).want(200).obj()
		s.doAs(w.adminKey, "POST", "/v1/users/"+target+"/password", map[string]any{"new_password": "Taken-Over-123"}).problem(403)
		s.doAs(w.adminKey, "DELETE", "/v1/users/"+target+"/mfa/totp", nil).problem(403)
		s.doAs(w.adminKey, "POST", "/v1/users/"+target+"/email-change", map[string]any{"email": "attacker@example.com", "reason": "x"}).problem(403)
		s.doAs(w.adminKey, "POST", "/v1/users/"+target+"/username", map[string]any{"username": "attacker"}).problem(403)
		after := s.do("GET", "/v1/users/"+target, nil).want(200).obj()
		if before["version"] != after["version"] || after["email"] != before["email"] {
			t.Fatalf("the target changed: %v → %v", before, after)
		}
	}
	// The password grant with the password the attacker would have set.
	res := s.form("/v1/auth/token", map[string][]string{"grant_type": {"password"}, "username": {"powner@example.com"}, "password": {"Taken-Over-123"}})
	if res.Status == http.StatusOK {
		t.Fatalf("signed in as P's owner with the attacker's password: %s", res.Body)
	}
}

func TestAdminsCannotDemoteDisableMoveOrDeleteOwners(t *testing.T) {
	w := newEscalationWorld(t)
	s := w.s
	dest := s.do("POST", "/v1/orgs", map[string]any{"name": "A2", "parent_id": w.orgA}).want(201).str("id")
	for _, target := range []string{w.owner, w.pOwner} {
		for _, patch := range []map[string]any{{"roles": []string{"manager"}}, {"status": "disabled"}, {"organization_id": dest}} {
			p := s.doAs(w.adminKey, "PATCH", "/v1/users/"+target, patch, "Content-Type", "application/merge-patch+json").problem(403)
			for field := range patch {
				if !strings.Contains(p["detail"].(string), field) {
					t.Errorf("the 403 does not name %s: %v", field, p["detail"])
				}
			}
		}
		s.doAs(w.adminKey, "DELETE", "/v1/users/"+target, nil).problem(403)
	}
	// P's owner's membership in P cannot be touched from A either (P is
	// invisible: 404), and its home roles cannot be raised to take A.
	s.doAs(w.adminKey, "DELETE", "/v1/orgs/"+w.orgP+"/members/"+w.pOwner, nil).problem(404)
	s.doAs(w.adminKey, "PUT", "/v1/orgs/"+w.orgA+"/members/"+w.pOwner, map[string]any{"roles": []string{"manager"}}).problem(403)
	// Another admin of A is an owner's call too.
	other := s.do("POST", "/v1/users", map[string]any{"first_name": "a2", "email": "a2@example.com", "organization_id": w.orgA, "roles": []string{"admin"}}).want(201).str("id")
	s.doAs(w.adminKey, "PATCH", "/v1/users/"+other, map[string]any{"status": "disabled"}, "Content-Type", "application/merge-patch+json").problem(403)
	// A plain member is the admin's to manage.
	member := s.do("POST", "/v1/users", map[string]any{"first_name": "m", "email": "m@example.com", "organization_id": w.orgA}).want(201).str("id")
	s.doAs(w.adminKey, "PATCH", "/v1/users/"+member, map[string]any{"status": "disabled"}, "Content-Type", "application/merge-patch+json").want(200)
	s.doAs(w.adminKey, "DELETE", "/v1/users/"+member, nil).want(204)
}

func TestScopesNest(t *testing.T) {
	w := newEscalationWorld(t)
	s := w.s
	member := s.do("POST", "/v1/users", map[string]any{"first_name": "m", "email": "m@example.com", "organization_id": w.orgA}).want(201).str("id")
	all := s.do("POST", "/v1/api-keys", map[string]any{"name": "all", "user_id": w.admin, "scopes": []string{"users:write:all", "keys:write"}}).want(201).str("key")
	// users:write:all does what users:write:members and :self allow…
	s.doAs(all, "PATCH", "/v1/users/me", map[string]any{"last_name": "Self"}, "Content-Type", "application/merge-patch+json").want(200)
	s.doAs(all, "PATCH", "/v1/users/"+member, map[string]any{"last_name": "Member"}, "Content-Type", "application/merge-patch+json").want(200)
	// …and may hand the narrower scopes to a key it makes.
	s.doAs(all, "POST", "/v1/api-keys", map[string]any{"name": "self", "scopes": []string{"users:write:self"}}).want(201)
	s.doAs(all, "POST", "/v1/api-keys", map[string]any{"name": "members", "scopes": []string{"users:write:members"}}).want(201)
	// The narrower one does not reach up.
	self := s.do("POST", "/v1/api-keys", map[string]any{"name": "self", "user_id": w.admin, "scopes": []string{"users:write:self", "keys:write"}}).want(201).str("key")
	s.doAs(self, "PATCH", "/v1/users/"+member, map[string]any{"last_name": "No"}, "Content-Type", "application/merge-patch+json").problem(403)
	s.doAs(self, "POST", "/v1/api-keys", map[string]any{"name": "wider", "scopes": []string{"users:write:members"}}).problem(403)
}

func TestForbiddenNamesTheField(t *testing.T) {
	s := startServer(t)
	org := s.do("POST", "/v1/orgs", map[string]any{"name": "A"}).want(201).str("id")
	mk := func(name, role string) (id, key string) {
		id = s.do("POST", "/v1/users", map[string]any{"first_name": name, "email": name + "@example.com", "organization_id": org, "roles": []string{role}}).want(201).str("id")
		key = s.do("POST", "/v1/api-keys", map[string]any{"name": name, "user_id": id, "scopes": []string{"users:read", "users:write:self"}}).want(201).str("key")
		return id, key
	}
	_, memberKey := mk("member", "member")
	_, managerKey := mk("manager", "manager")
	for _, c := range []struct{ key, field string }{{memberKey, "roles"}, {managerKey, "status"}} {
		p := s.doAs(c.key, "PATCH", "/v1/users/me", map[string]any{c.field: map[string]any{"roles": []string{"owner"}, "status": "disabled"}[c.field]},
			"Content-Type", "application/merge-patch+json").problem(403)
		if d := p["detail"].(string); !strings.Contains(d, c.field) || strings.Contains(d, "scope") {
			t.Errorf("a 403 for %s should name the field, not a scope: %s", c.field, d)
		}
	}
}

// TestNoOpWriteNeedsItsScope: a PATCH that changes nothing answers the
// whole user, so it is judged as a profile change: a key without a users
// scope cannot read a user through it, nor a member another user.
func TestNoOpWriteNeedsItsScope(t *testing.T) {
	w := newEscalationWorld(t)
	s := w.s
	orgsOnly := s.do("POST", "/v1/api-keys", map[string]any{"name": "orgs", "user_id": w.admin, "scopes": []string{"orgs:write"}}).want(201).str("key")
	member := s.do("POST", "/v1/users", map[string]any{"first_name": "m", "email": "m@example.com", "organization_id": w.orgA}).want(201).str("id")
	for _, body := range []map[string]any{{}, {"status": "enabled"}} {
		s.doAs(orgsOnly, "PATCH", "/v1/users/"+member, body, "Content-Type", "application/merge-patch+json").problem(403)
	}
	memberKey := s.do("POST", "/v1/api-keys", map[string]any{"name": "m", "user_id": member}).want(201).str("key")
	s.doAs(memberKey, "PATCH", "/v1/users/"+w.memberWithManagerRole, map[string]any{}, "Content-Type", "application/merge-patch+json").problem(403)
	s.doAs(memberKey, "PATCH", "/v1/users/me", map[string]any{}, "Content-Type", "application/merge-patch+json").want(200)
}
