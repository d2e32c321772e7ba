// SPDX-License-Identifier: Apache-2.0

package main

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// pageSignIn signs a new browser in to the app through the pages and
// returns the browser and the tokens of the code it got.
func (s *testServer) pageSignIn(t *testing.T, conf *oauth2.Config, username, password string) (*browser, *oauth2.Token) {
	t.Helper()
	b := newBrowser(t, s)
	q, verifier := b.authorize(conf, username, password)
	tok, err := exchange(t, conf, q.Get("code"), verifier)
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	return b, tok
}

// sessionIDs lists a user's sessions as key, all pages of limit.
func (s *testServer) sessionIDs(key, user string, limit int) []map[string]any {
	s.t.Helper()
	var out []map[string]any
	path := "/v1/users/" + user + "/sessions?limit=" + strconv.Itoa(limit)
	for pages := 0; pages < 20; pages++ {
		page := s.doAs(key, "GET", path, nil).want(200).obj()
		for _, it := range page["items"].([]any) {
			out = append(out, it.(map[string]any))
		}
		next, _ := page["next_cursor"].(string)
		if next == "" {
			return out
		}
		path = "/v1/users/" + user + "/sessions?limit=" + strconv.Itoa(limit) + "&cursor=" + url.QueryEscape(next)
	}
	s.t.Fatal("the sessions' cursor does not advance")
	return nil
}

// refreshFails checks that a refresh token no longer works.
func refreshFails(t *testing.T, conf *oauth2.Config, refresh, what string) {
	t.Helper()
	if _, err := conf.TokenSource(t.Context(), &oauth2.Token{RefreshToken: refresh}).Token(); err == nil {
		t.Errorf("%s: the refresh token still works", what)
	} else if code, _ := oauthErrorCode(t, err); code != "invalid_grant" {
		t.Errorf("%s: refresh answered %s, want invalid_grant", what, code)
	}
}

// TestSessionsAPI: a user lists its browser sessions in pages, ends one
// (its tokens stop working, the other session's do not), and is signed
// out everywhere (every session and every access and refresh token,
// those of the token endpoint too; introspection says inactive), each
// with its event.
func TestSessionsAPI(t *testing.T) {
	s := startServer(t)
	u := s.userWithPassword(map[string]any{"email": "sess@example.com", "username": "sess"}, "sess-Secret-1")
	uid := u["id"].(string)
	key := s.do("POST", "/v1/api-keys", map[string]any{"name": "self", "user_id": uid, "scopes": []string{"users:read", "users:write:self"}}).want(201).str("key")
	app := s.newApp(t, nil)
	conf := app.oauth(s, "openid", "offline_access", "users:read")
	_, tok1 := s.pageSignIn(t, conf, "sess", "sess-Secret-1")
	b2, tok2 := s.pageSignIn(t, conf, "sess@example.com", "sess-Secret-1")
	pw, err := s.signIn("sess", "sess-Secret-1") // the token endpoint's own sign-in: no session
	if err != nil {
		t.Fatal(err)
	}

	all := s.sessionIDs(key, "me", 50)
	if len(all) != 2 {
		t.Fatalf("%d sessions, want 2: %v", len(all), all)
	}
	for _, ses := range all {
		for _, f := range []string{"id", "user_id", "created_at", "last_seen_at", "expires_at", "user_agent", "address", "amr"} {
			if _, ok := ses[f]; !ok {
				t.Errorf("a session lacks %s: %v", f, ses)
			}
		}
		if _, ok := ses["impersonator_id"]; ok || ses["user_id"] != uid || !slices.Equal(toStrings(ses["amr"]), []string{"pwd"}) {
			t.Errorf("a session of one's own sign-in: %v", ses)
		}
	}
	paged := s.sessionIDs(key, uid, 1)
	if len(paged) != 2 || paged[0]["id"] != all[0]["id"] || paged[1]["id"] != all[1]["id"] {
		t.Errorf("in pages of 1: %v, want %v", paged, all)
	}
	s.doAs(key, "GET", "/v1/users/me/sessions?cursor=not-a-cursor", nil).problem(400)
	// The newest first: the second browser's session.
	first, second := all[1]["id"].(string), all[0]["id"].(string)

	// Ending one session revokes its tokens only.
	s.doAs(key, "DELETE", "/v1/users/me/sessions/"+first, nil).want(204)
	refreshFails(t, conf, tok1.RefreshToken, "a token of the ended session")
	s.doAs(tok1.AccessToken, "GET", "/v1/users/me", nil).problem(401)
	s.doAs(tok2.AccessToken, "GET", "/v1/users/me", nil).want(200)
	s.doAs(key, "DELETE", "/v1/users/me/sessions/"+first, nil).problem(404)
	s.doAs(key, "DELETE", "/v1/users/me/sessions/ses_nonsense", nil).problem(404)
	other := s.userWithPassword(map[string]any{"email": "other-sess@example.com", "username": "other-sess"}, "other-Secret-1")
	s.pageSignIn(t, conf, "other-sess", "other-Secret-1")
	othersSession := s.sessionIDs(s.Key, other["id"].(string), 50)[0]["id"].(string)
	s.doAs(key, "DELETE", "/v1/users/me/sessions/"+othersSession, nil).problem(404) // another user's session
	if left := s.sessionIDs(key, "me", 50); len(left) != 1 || left[0]["id"] != second {
		t.Errorf("after ending one: %v", left)
	}
	// The browser whose session ended is asked to sign in again; the
	// other is still signed in.
	if page := b2.get(conf.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))); page.Status != 302 {
		t.Errorf("the browser still signed in was shown a page: %d", page.Status)
	}

	// Signing out everywhere, by an admin: every session and every token.
	s.do("DELETE", "/v1/users/"+uid+"/sessions", nil).want(204)
	if left := s.sessionIDs(key, uid, 50); len(left) != 0 {
		t.Errorf("sessions left after signing out everywhere: %v", left)
	}
	refreshFails(t, conf, tok2.RefreshToken, "a session's token after signing out everywhere")
	refreshFails(t, s.oauthConfig(), pw.RefreshToken, "the token endpoint's token after signing out everywhere")
	ask := s.asClient(app.ID, app.Secret, true)
	for _, tk := range []string{tok2.AccessToken, tok2.RefreshToken, pw.AccessToken, pw.RefreshToken} {
		wantActive(t, ask, tk, false)
	}
	if page := b2.get(conf.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))); page.Status != 200 || !strings.Contains(string(page.Body), `name="password"`) {
		t.Errorf("after signing out everywhere the browser is not asked to sign in: %d", page.Status)
	}
	s.doAs(key, "GET", "/v1/users/me", nil).want(200) // API keys stay
	s.do("DELETE", "/v1/users/"+uid+"/sessions", nil).want(204)

	// The events: one session.revoked, one sessions.revoked (the second
	// sign-out had nothing to end).
	entries, _ := s.audit(s.Key)
	var revoked, everywhere []auditEntry
	for _, e := range entries {
		switch e.Action {
		case "session.revoked":
			revoked = append(revoked, e)
		case "sessions.revoked":
			everywhere = append(everywhere, e)
		}
	}
	if len(revoked) != 1 || revoked[0].Target.ID != first || revoked[0].Actor["user_id"] != uid {
		t.Errorf("session.revoked entries: %+v", revoked)
	}
	if len(everywhere) != 1 || everywhere[0].Target.ID != uid || !strings.Contains(everywhere[0].Reason, "1 browser sessions") {
		t.Errorf("sessions.revoked entries: %+v", everywhere)
	}
}

func toStrings(v any) []string {
	var out []string
	list, _ := v.([]any)
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}
