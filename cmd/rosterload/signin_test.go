// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// fakeOAuth is what fakeRoster keeps of the sign-in flow: the one app,
// passwords, pending forms, codes and refresh tokens. f.mu guards it.
type fakeOAuth struct {
	clientID, secret   string
	scopes             []string
	passwords          map[string]string     // username → password
	forms              map[string]url.Values // csrf → the authorization request
	codes              map[string]url.Values // code → the authorization request
	refresh            map[string]bool       // refresh token → used
	seq                int
	signIns, refreshes int
	// sameRefresh makes every refresh answer the refresh token it was
	// given, as a server that does not rotate them; the next use of it is
	// then a reuse, which fails.
	sameRefresh bool
	// refuseAll answers every sign-in form as a wrong password.
	refuseAll bool
}

// oauthPublic reports whether a request needs no API key: the pages and
// the token endpoint authenticate otherwise.
func oauthPublic(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/oauth2/") || r.URL.Path == "/v1/auth/token"
}

func (f *fakeRoster) oauthRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/oauth-clients", f.createClient)
	mux.HandleFunc("POST /v1/users/{id}/password", f.setPassword)
	mux.HandleFunc("GET /oauth2/authorize", f.authorizePage)
	mux.HandleFunc("POST /oauth2/authorize", f.authorizeForm)
	mux.HandleFunc("POST /v1/auth/token", f.token)
}

// next returns a new unique secret. f.mu is held.
func (o *fakeOAuth) next(prefix string) string {
	o.seq++
	return fmt.Sprintf("%s%06d", prefix, o.seq)
}

func (f *fakeRoster) createClient(w http.ResponseWriter, r *http.Request) {
	var body struct {
		FirstParty    bool     `json:"first_party"`
		RedirectURIs  []string `json:"redirect_uris"`
		AllowedScopes []string `json:"allowed_scopes"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || !body.FirstParty || len(body.RedirectURIs) != 1 || body.RedirectURIs[0] != redirectURI {
		problem(w, http.StatusUnprocessableEntity, fmt.Sprint("bad client: ", err))
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	o := &f.oauth
	o.clientID, o.secret, o.scopes = "cli_1", "rcs_secret/+=", body.AllowedScopes
	o.passwords, o.forms, o.codes, o.refresh = map[string]string{}, map[string]url.Values{}, map[string]url.Values{}, map[string]bool{}
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(map[string]string{"client_id": o.clientID, "client_secret": o.secret})
}

func (f *fakeRoster) setPassword(w http.ResponseWriter, r *http.Request) {
	var body struct {
		NewPassword string `json:"new_password"`
	}
	json.NewDecoder(r.Body).Decode(&body)
	f.mu.Lock()
	defer f.mu.Unlock()
	i := f.find(r.PathValue("id"))
	if i < 0 || body.NewPassword == "" || f.users[i].Username == "" {
		problem(w, http.StatusNotFound, "no such user, or no password or username")
		return
	}
	f.oauth.passwords[f.users[i].Username] = body.NewPassword
	w.WriteHeader(http.StatusNoContent)
}

// authorizePage shows the sign-in form, with the request in the fake's
// memory under the form's CSRF token, which the cookie must repeat.
func (f *fakeRoster) authorizePage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	defer f.mu.Unlock()
	o := &f.oauth
	if q.Get("client_id") != o.clientID || q.Get("redirect_uri") != redirectURI || q.Get("code_challenge_method") != "S256" || q.Get("response_type") != "code" {
		http.Error(w, "bad authorization request", http.StatusBadRequest)
		return
	}
	csrf := o.next("csrf-")
	o.forms[csrf] = q
	http.SetCookie(w, &http.Cookie{Name: "csrf", Value: csrf, Path: "/oauth2"})
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!doctype html><p>Sign in</p><form method="post" action="/oauth2/authorize">
<input type="hidden" name="csrf" value="%s">
<input type="hidden" name="request" value="%s">
<input type="text" name="username" required>
<input type="password" name="password" required>
</form>`, html.EscapeString(csrf), html.EscapeString(`a&"b`))
}

// authorizeForm checks the form and sends the browser back with a code.
func (f *fakeRoster) authorizeForm(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie("csrf")
	r.ParseForm()
	f.mu.Lock()
	defer f.mu.Unlock()
	o := &f.oauth
	q, ok := o.forms[r.PostForm.Get("csrf")]
	switch {
	case err != nil || c.Value != r.PostForm.Get("csrf") || !ok || r.PostForm.Get("request") != `a&"b`:
		http.Error(w, "CSRF", http.StatusForbidden)
		return
	case o.refuseAll || o.passwords[r.PostForm.Get("username")] != r.PostForm.Get("password"):
		http.Error(w, "wrong password", http.StatusBadRequest)
		return
	}
	delete(o.forms, r.PostForm.Get("csrf"))
	code := o.next("code-")
	o.codes[code] = q
	http.Redirect(w, r, redirectURI+"?"+url.Values{"code": {code}, "state": {q.Get("state")}}.Encode(), http.StatusSeeOther)
}

// token answers the authorization_code and refresh_token grants.
func (f *fakeRoster) token(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	id, secret, _ := r.BasicAuth()
	f.mu.Lock()
	defer f.mu.Unlock()
	o := &f.oauth
	if id != o.clientID || secret != url.QueryEscape(o.secret) {
		http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
		return
	}
	refresh := o.next("rrt_")
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		q, ok := o.codes[r.PostForm.Get("code")]
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if !ok || base64.RawURLEncoding.EncodeToString(sum[:]) != q.Get("code_challenge") || r.PostForm.Get("redirect_uri") != redirectURI {
			http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
			return
		}
		delete(o.codes, r.PostForm.Get("code"))
		o.signIns++
	case "refresh_token":
		used, ok := o.refresh[r.PostForm.Get("refresh_token")]
		if !ok || used {
			http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
			return
		}
		o.refresh[r.PostForm.Get("refresh_token")] = true
		if o.sameRefresh {
			refresh = r.PostForm.Get("refresh_token")
		}
		o.refreshes++
	default:
		http.Error(w, `{"error":"unsupported_grant_type"}`, http.StatusBadRequest)
		return
	}
	o.refresh[refresh] = o.refresh[refresh] && o.sameRefresh
	json.NewEncoder(w).Encode(map[string]string{"access_token": o.next("rat_"), "token_type": "Bearer", "refresh_token": refresh, "id_token": "x.y.z"})
}

func TestSignInAndRefresh(t *testing.T) {
	f, srv := newFakeRoster(t, 0)
	stdout, err := runLoad(t, context.Background(), "-url", srv.URL, "-signin-users", "5", "-signin-conns", "2", "-conns", "3",
		"-duration", "150ms", "-scenarios", "signin,refresh", "-json")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "created 5 users with passwords in ") {
		t.Errorf("stdout lacks the seeding line:\n%s", stdout)
	}
	got := jsonResults(t, stdout)
	for _, name := range []string{"signin", "refresh"} {
		if r := got[name]; r.Requests == 0 || r.Errors != 0 {
			t.Errorf("%s: %+v, want iterations and no errors", name, r)
		}
	}
	if s, c := got["signin"].Conns, got["refresh"].Conns; s != 2 || c != 3 {
		t.Errorf("conns: signin %d, refresh %d; want -signin-conns 2 and -conns 3", s, c)
	}
	// Three sign-ins started the refresh chains.
	if f.oauth.signIns != got["signin"].Requests+3 || f.oauth.refreshes != got["refresh"].Requests {
		t.Errorf("server saw %d sign-ins and %d refreshes; the tool counted %d and %d (and 3 to start the chains)",
			f.oauth.signIns, f.oauth.refreshes, got["signin"].Requests, got["refresh"].Requests)
	}
}

func TestRefreshReuseFails(t *testing.T) {
	f, srv := newFakeRoster(t, 0)
	f.oauth.sameRefresh = true
	stdout, err := runLoad(t, context.Background(), "-url", srv.URL, "-signin-users", "2", "-signin-conns", "1", "-conns", "1",
		"-duration", "150ms", "-scenarios", "refresh", "-json")
	if err != nil {
		t.Fatal(err)
	}
	r := jsonResults(t, stdout)["refresh"]
	if r.Errors == 0 || r.Statuses["token (refresh_token) 400"] == 0 || r.Statuses["chain restarted"] == 0 || !strings.Contains(r.FirstError, "invalid_grant") {
		t.Errorf("refresh: %+v, want the reuse and the restarted chain counted as errors", r)
	}
	if !strings.Contains(stdout, "refresh errors: map[") {
		t.Errorf("stdout lacks the error breakdown:\n%s", stdout)
	}
}

func TestSignInRefusedFails(t *testing.T) {
	f, srv := newFakeRoster(t, 0)
	f.oauth.refuseAll = true
	stdout, err := runLoad(t, context.Background(), "-url", srv.URL, "-signin-users", "2", "-signin-conns", "1",
		"-duration", "100ms", "-scenarios", "signin", "-json")
	if err != nil {
		t.Fatal(err)
	}
	r := jsonResults(t, stdout)["signin"]
	if r.Requests == 0 || r.Errors != r.Requests || r.Statuses["POST /oauth2/authorize 400"] != r.Requests || !strings.Contains(r.FirstError, "wrong password") {
		t.Errorf("signin: %+v, want every sign-in counted as a refused form", r)
	}
	// The refresh chains cannot start: the run stops with the reason.
	if _, err := runLoad(t, context.Background(), "-url", srv.URL, "-signin-users", "2", "-duration", "100ms", "-scenarios", "refresh"); err == nil || !strings.Contains(err.Error(), "wrong password") {
		t.Errorf("refresh without sign-ins: %v, want the refusal", err)
	}
}
