// SPDX-License-Identifier: Apache-2.0

package main

import (
	"net/http"
	"testing"
)

// Rows of the authorisation matrix for the sessions API and SSO links.
// Listing sessions is for the user and those who administer it with at
// least its rank; ending them and making SSO links reach into the
// account's sign-in, so they follow the takeover calls (azAdminOf: an
// owner's call for admins and owners), and an SSO link is never for
// oneself.

const azSSORedirect = "https://app.example/cb"

// azSSOApp registers a sign-in app at the root, which is at or above
// every user's organisation, and returns its client_id.
func azSSOApp(t *testing.T, f *azFixture) string {
	t.Helper()
	return f.must(t, "POST", "/v1/oauth-clients", map[string]any{"name": "product", "organization_id": f.oid("root"), "type": "confidential",
		"first_party": true, "redirect_uris": []string{azSSORedirect}, "grant_types": []string{"authorization_code", "refresh_token"},
		"allowed_scopes": []string{"openid"}}, 201)["client_id"].(string)
}

// azSession opens a browser session for u (through an SSO link made by
// the root owner) and returns its id.
func azSession(t *testing.T, f *azFixture, app string, u *azUser) string {
	t.Helper()
	link := f.must(t, "POST", "/v1/users/"+u.ID+"/sso-links", map[string]any{"client_id": app, "redirect_uri": azSSORedirect}, 201)["url"].(string)
	res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(link)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		t.Fatalf("opening an SSO link for %s: %d", u.Name, res.StatusCode)
	}
	items := f.must(t, "GET", "/v1/users/"+u.ID+"/sessions", nil, 200)["items"].([]any)
	return items[0].(map[string]any)["id"].(string)
}

func azListSessions(t *testing.T, f *azFixture, row *azRow) []azCell {
	return f.userCells(row, azUserTargets, []string{""}, nil, nil, func(t *testing.T, cs *azCase, u *azUser, ref, _ string) {
		self := u.ID == cs.Caller.ID
		cs.Req = azJSON("GET", "/v1/users/"+ref+"/sessions", nil)
		cs.Want = azJudge(cs.Variant, row, cs.Hidden != "", 404, "", 200, "",
			"users list their own sessions; an admin of the user with at least its rank lists others'",
			azWay{OK: self, Scopes: row.Scopes},
			azWay{OK: !self && f.rank(cs.Caller, u.Home) >= azAdmin && f.outranks(cs.Caller, u, false), Scopes: row.Scopes})
	})
}

func azEndSession(t *testing.T, f *azFixture, row *azRow) []azCell {
	app := azSSOApp(t, f)
	// A cell that may end the session ends a real one of a fresh target.
	fresh := func(string) bool { return true }
	return f.userCells(row, azUserTargets, []string{""}, fresh, nil, func(t *testing.T, cs *azCase, u *azUser, ref, _ string) {
		cs.Want = azSelfOrTakeover(f, row, cs, u, 204, "users end their own sessions; an admin of the user ends others' (an owner those of admins and owners)")
		ses := azGhostID("ses_01JD3M0000000000000000000B")
		if cs.Want.Status == 204 {
			ses = azSession(t, f, app, u)
			cs.Check = func(t *testing.T, res *response) {
				if items := f.must(t, "GET", "/v1/users/"+u.ID+"/sessions", nil, 200)["items"].([]any); len(items) != 0 {
					t.Errorf("the session is still listed: %v", items)
				}
			}
		}
		cs.Req = azJSON("DELETE", "/v1/users/"+ref+"/sessions/"+ses, nil)
	})
}

func azEndSessions(t *testing.T, f *azFixture, row *azRow) []azCell {
	return f.userCells(row, azUserTargets, []string{""}, nil, nil, func(t *testing.T, cs *azCase, u *azUser, ref, _ string) {
		cs.Req = azJSON("DELETE", "/v1/users/"+ref+"/sessions", nil)
		cs.Want = azSelfOrTakeover(f, row, cs, u, 204, "users sign themselves out everywhere; an admin of the user signs others out (an owner admins and owners)")
	})
}

func azCreateSSOLink(t *testing.T, f *azFixture, row *azRow) []azCell {
	app := azSSOApp(t, f)
	return f.userCells(row, azUserTargets, []string{""}, nil, nil, func(t *testing.T, cs *azCase, u *azUser, ref, _ string) {
		cs.Req = azJSON("POST", "/v1/users/"+ref+"/sso-links", map[string]any{"client_id": app, "redirect_uri": azSSORedirect})
		cs.Want = azJudge(cs.Variant, row, cs.Hidden != "", 404, "", 201, "",
			"an admin of the user makes SSO links for it (an owner for admins and owners), never for itself",
			azWay{OK: u.ID != cs.Caller.ID && azAdminOf(f, cs.Caller, u), Scopes: row.Scopes})
		cs.Check = func(t *testing.T, res *response) {
			if res.str("url") == "" || res.str("expires_at") == "" {
				t.Errorf("an SSO link's answer: %s", res.Body)
			}
		}
	})
}
