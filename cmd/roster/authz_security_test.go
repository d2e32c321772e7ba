// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"net/url"
	"testing"
)

// Rows of the authorisation matrix for the account security routes.

func azChangePassword(t *testing.T, f *azFixture, row *azRow) []azCell {
	// Every cell uses a fresh target: once a password is set, users
	// changing their own need the current one.
	fresh := func(string) bool { return true }
	return f.userCells(row, azUserTargets, []string{""}, fresh, nil, func(t *testing.T, cs *azCase, u *azUser, ref, _ string) {
		self := u.ID == cs.Caller.ID
		cs.Req = azJSON("POST", "/v1/users/"+ref+"/password", map[string]any{"new_password": fmt.Sprintf("az-Password-%d", f.next())})
		cs.Want = azJudge(cs.Variant, row, cs.Hidden != "", 404, "", 204, "",
			"users set their own password; an admin of the user sets others' (an owner those of admins and owners)",
			azWay{OK: self, Scopes: azUserWrite},
			azWay{OK: !self && azAdminOf(f, cs.Caller, u), Scopes: []string{"users:write:all"}})
	})
}

func azLiftLockout(t *testing.T, f *azFixture, row *azRow) []azCell {
	return f.userCells(row, azUserTargets, []string{""}, nil, nil, func(t *testing.T, cs *azCase, u *azUser, ref, _ string) {
		cs.Req = azJSON("DELETE", "/v1/users/"+ref+"/lockout", nil)
		cs.Want = azJudge(cs.Variant, row, cs.Hidden != "", 404, "", 204, "", "an admin of the user lifts its lockout (an owner for admins and owners)",
			azWay{OK: azAdminOf(f, cs.Caller, u), Scopes: row.Scopes})
	})
}

func azCreateClient(t *testing.T, f *azFixture, row *azRow) []azCell {
	return f.orgCells(row, []string{""}, func(t *testing.T, cs *azCase, org, _ string) {
		cs.Req = azJSON("POST", "/v1/oauth-clients", map[string]any{"name": fmt.Sprintf("c%d", f.next()), "scopes": []string{"users:read"}, "organization_id": f.oid(org)})
		cs.Want = azJudge(cs.Variant, row, cs.Hidden != "", 422, "organization_id", 201, "", "an admin of an organisation makes its clients",
			azWay{OK: f.rank(cs.Caller, org) >= azAdmin, Scopes: row.Scopes})
		cs.Check = func(t *testing.T, res *response) {
			if res.str("organization_id") != f.oid(org) || res.str("client_secret") == "" {
				t.Errorf("POST /v1/oauth-clients: want a client of %s with its secret: %s", org, res.Body)
			}
		}
	})
}

func azListClients(t *testing.T, f *azFixture, row *azRow) []azCell {
	for _, org := range azOrgs {
		f.must(t, "POST", "/v1/oauth-clients", map[string]any{"name": org, "scopes": []string{"users:read"}, "organization_id": f.oid(org)}, 201)
	}
	return f.listCells(row, []string{""}, func(t *testing.T, cs *azCase, _ string) {
		cs.Req = azJSON("GET", "/v1/oauth-clients?limit=200", nil)
		cs.Want = azJudge(cs.Variant, row, false, 0, "", 200, "", "a caller lists, with keys:write, the clients of the organisations it administers", azWay{OK: true})
		var want []string
		for _, org := range azOrgs {
			if f.rank(cs.Caller, org) >= azAdmin && cs.Variant.hasAny([]string{"keys:write"}) {
				want = append(want, f.oid(org))
			}
		}
		cs.Check = func(t *testing.T, res *response) {
			got := azItems(t, res, "organization_id")
			f.sameSet(t, "GET /v1/oauth-clients as "+cs.Caller.Name, got, want)
			if len(got) != len(want) {
				t.Errorf("GET /v1/oauth-clients as %s: %d clients, want %d", cs.Caller.Name, len(got), len(want))
			}
		}
	})
}

// azClientCells are the cells of a route on one client: each cell makes a
// fresh client in one of the organisations, which only an admin there
// may see.
func azClientCells(method, suffix string, ok int) func(t *testing.T, f *azFixture, row *azRow) []azCell {
	return func(t *testing.T, f *azFixture, row *azRow) []azCell {
		return f.orgCells(row, []string{""}, func(t *testing.T, cs *azCase, org, _ string) {
			id := f.must(t, "POST", "/v1/oauth-clients", map[string]any{"name": "d", "scopes": []string{"users:read"}, "organization_id": f.oid(org)}, 201)["client_id"].(string)
			admin := f.rank(cs.Caller, org) >= azAdmin
			cs.Target, cs.Hidden = "a client of "+org, ""
			if !admin {
				cs.Hidden = id
			}
			path := "/v1/oauth-clients/" + id + suffix
			switch method {
			case "PUT":
				cs.Req = azJSON("PUT", path, map[string]any{"name": fmt.Sprint(f.next()), "scopes": []string{"users:read"}})
			case "PATCH":
				cs.Req = azMerge(path, map[string]any{"name": fmt.Sprint(f.next())})
			default:
				cs.Req = azJSON(method, path, nil)
			}
			cs.Want = azJudge(cs.Variant, row, !admin, 404, "", ok, "", "an admin of the client's organisation reads and changes it; others may not see it",
				azWay{OK: true, Scopes: row.Scopes})
			if method == "DELETE" {
				cs.Check = func(t *testing.T, res *response) { f.must(t, "DELETE", path, nil, 404) }
			}
		})
	}
}

// azToken signs in as a clone of each caller: the token endpoint needs no
// bearer token, and the one sent is ignored.
func azToken(t *testing.T, f *azFixture, row *azRow) []azCell {
	return f.listCells(row, []string{""}, func(t *testing.T, cs *azCase, _ string) {
		u := f.clone(t, cs.Caller)
		email := f.must(t, "GET", "/v1/users/"+u.ID, nil, 200)["email"].(string)
		pw := fmt.Sprintf("az-Token-%d", f.next())
		f.must(t, "POST", "/v1/users/"+u.ID+"/password", map[string]any{"new_password": pw}, 204)
		cs.Req = azReq{Method: "POST", Path: "/v1/auth/token", ContentType: "application/x-www-form-urlencoded",
			Body: []byte(url.Values{"grant_type": {"password"}, "username": {email}, "password": {pw}}.Encode())}
		cs.Want = azWant{Status: 200, Why: "anyone may sign in with a username and password"}
		cs.Check = func(t *testing.T, res *response) {
			if res.str("access_token") == "" || res.str("refresh_token") == "" {
				t.Errorf("token answer without tokens: %s", res.Body)
			}
		}
	})
}

func azRevoke(t *testing.T, f *azFixture, row *azRow) []azCell {
	return f.listCells(row, []string{""}, func(t *testing.T, cs *azCase, _ string) {
		cs.Req = azReq{Method: "POST", Path: "/v1/auth/revoke", ContentType: "application/x-www-form-urlencoded",
			Body: []byte(url.Values{"token": {fmt.Sprintf("rat_unknown%d", f.next())}}.Encode())}
		cs.Want = azWant{Status: 200, Why: "revocation needs no client authentication; unknown tokens are not an error"}
	})
}

// azSelfMFA is the rule of enrolment and confirmation: only the user
// itself, since it holds the authenticator app.
func azSelfMFA(f *azFixture, row *azRow, cs *azCase, u *azUser, ok int) azWant {
	return azJudge(cs.Variant, row, cs.Hidden != "", 404, "", ok, "", "only users enrol their own second factor",
		azWay{OK: u.ID == cs.Caller.ID, Scopes: azUserWrite})
}

func azEnrolTOTP(t *testing.T, f *azFixture, row *azRow) []azCell {
	return f.userCells(row, azUserTargets, []string{""}, nil, nil, func(t *testing.T, cs *azCase, u *azUser, ref, _ string) {
		cs.Req = azJSON("POST", "/v1/users/"+ref+"/mfa/totp", nil)
		cs.Want = azSelfMFA(f, row, cs, u, 201)
		cs.Check = func(t *testing.T, res *response) {
			if res.str("secret") == "" {
				t.Errorf("enrolment without a secret: %s", res.Body)
			}
		}
	})
}

func azConfirmTOTP(t *testing.T, f *azFixture, row *azRow) []azCell {
	// Nothing is pending in the fixture: a call the rules allow gets as
	// far as the 409 that says so.
	return f.userCells(row, azUserTargets, []string{""}, nil, nil, func(t *testing.T, cs *azCase, u *azUser, ref, _ string) {
		cs.Req = azJSON("POST", "/v1/users/"+ref+"/mfa/totp/confirm", map[string]any{"code": "abcdef"})
		cs.Want = azSelfMFA(f, row, cs, u, 409)
	})
}

func azDisableTOTP(t *testing.T, f *azFixture, row *azRow) []azCell {
	return f.userCells(row, azUserTargets, []string{""}, nil, nil, func(t *testing.T, cs *azCase, u *azUser, ref, _ string) {
		cs.Req = azJSON("DELETE", "/v1/users/"+ref+"/mfa/totp", nil)
		cs.Want = azSelfOrTakeover(f, row, cs, u, 204,
			"users turn their own second factor off; an admin of the user turns others' off (an owner those of admins and owners)")
	})
}

// azSelfOrTakeover is the rule of a call that users make on their own
// account (any users:write scope) and an admin of the user makes as a
// takeover call (users:write:all; an owner's call for admins and owners).
func azSelfOrTakeover(f *azFixture, row *azRow, cs *azCase, u *azUser, ok int, why string) azWant {
	self := u.ID == cs.Caller.ID
	return azJudge(cs.Variant, row, cs.Hidden != "", 404, "", ok, "", why,
		azWay{OK: self, Scopes: azUserWrite},
		azWay{OK: !self && azAdminOf(f, cs.Caller, u), Scopes: []string{"users:write:all"}})
}

// azAdminOf is the rule of the calls an admin makes about another user
// that can take its account over: admin of the user's organisation, and
// an owner's call by the rank rule (owner wherever the user is an admin
// or owner, at least its rank wherever it is a manager).
func azAdminOf(f *azFixture, c, u *azUser) bool {
	return f.rank(c, u.Home) >= azAdmin && f.outranks(c, u, true)
}

func azEmailChange(t *testing.T, f *azFixture, row *azRow) []azCell {
	return f.userCells(row, azUserTargets, []string{""}, nil, nil, func(t *testing.T, cs *azCase, u *azUser, ref, _ string) {
		self := u.ID == cs.Caller.ID
		body := map[string]any{"email": f.email()}
		ok := 202
		if !self {
			body["reason"], ok = "matrix", 200
		}
		cs.Req = azJSON("POST", "/v1/users/"+ref+"/email-change", body)
		cs.Want = azJudge(cs.Variant, row, cs.Hidden != "", 404, "", ok, "",
			"users change their own email through a confirmation; an admin of the user changes others' directly (an owner those of admins and owners)",
			azWay{OK: self, Scopes: azUserWrite}, azWay{OK: !self && azAdminOf(f, cs.Caller, u), Scopes: []string{"users:write:all"}})
	})
}

func azEmailConfirm(t *testing.T, f *azFixture, row *azRow) []azCell {
	// Nothing is pending in the fixture: a call the rules allow gets as
	// far as the 409 that says so.
	return f.userCells(row, azUserTargets, []string{""}, nil, nil, func(t *testing.T, cs *azCase, u *azUser, ref, _ string) {
		cs.Req = azJSON("POST", "/v1/users/"+ref+"/email-change/confirm", map[string]any{"code": "123456"})
		cs.Want = azJudge(cs.Variant, row, cs.Hidden != "", 404, "", 409, "", "only users confirm their own email change",
			azWay{OK: u.ID == cs.Caller.ID, Scopes: azUserWrite})
	})
}

func azUsername(t *testing.T, f *azFixture, row *azRow) []azCell {
	return f.userCells(row, azUserTargets, []string{""}, nil, nil, func(t *testing.T, cs *azCase, u *azUser, ref, _ string) {
		cs.Req = azJSON("POST", "/v1/users/"+ref+"/username", map[string]any{"username": fmt.Sprintf("az-name-%d", f.next())})
		cs.Want = azJudge(cs.Variant, row, cs.Hidden != "", 404, "", 200, "", "an admin of the user changes its username (an owner those of admins and owners)",
			azWay{OK: azAdminOf(f, cs.Caller, u), Scopes: row.Scopes})
	})
}

func azSetPassword(t *testing.T, f *azFixture, row *azRow) []azCell {
	return f.listCells(row, []string{""}, func(t *testing.T, cs *azCase, _ string) {
		cs.Req = azJSON("POST", "/v1/auth/set-password", map[string]any{"token": fmt.Sprintf("riv_unknown%d", f.next()), "new_password": "az-Password-1"})
		cs.Want = azWant{Status: 422, Names: []string{"token"}, Why: "anyone may use an invitation link; an unknown one is refused"}
	})
}
