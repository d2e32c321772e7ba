// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/service"
)

// The hosted sign-in pages (PRODUCT.md sections 9 and 13): the
// authorization endpoint and RP-initiated logout. Server-rendered HTML
// that needs no JavaScript; every form carries a CSRF token tied to a
// pre-session cookie, and the pending request travels sealed
// (service.SealRequest), so no hidden field is trusted as sent.

//go:embed templates/*.html
var templateFiles embed.FS

var pageTemplates = template.Must(template.New("").Funcs(template.FuncMap{"msg": msg, "scope": scopeText}).
	ParseFS(templateFiles, "templates/*.html"))

// Cookies of the pages: the browser session, and the pre-session value
// that CSRF tokens and sealed requests are bound to.
const (
	sessionCookie = "roster_session"
	csrfCookie    = "roster_csrf"
)

// AuthorizeForm documents the sign-in pages' form fields.
type AuthorizeForm struct {
	CSRF     string `json:"csrf" required:"true" doc:"The form's CSRF token."`
	Request  string `json:"request" required:"true" doc:"The pending authorization request, sealed; sent back unchanged."`
	Step     string `json:"step" required:"true" enum:"password,totp,consent"`
	Username string `json:"username,omitempty" doc:"password step: a username or an email."`
	Password string `json:"password,omitempty" writeOnly:"true"`
	TOTP     string `json:"totp,omitempty" writeOnly:"true" doc:"totp step: a code from the authenticator app or a recovery code."`
	Consent  string `json:"consent,omitempty" enum:"allow,deny"`
}

// LogoutForm documents the logout page's parameters (query or form).
type LogoutForm struct {
	IDTokenHint           string `json:"id_token_hint,omitempty"`
	ClientID              string `json:"client_id,omitempty"`
	PostLogoutRedirectURI string `json:"post_logout_redirect_uri,omitempty"`
	State                 string `json:"state,omitempty"`
	CSRF                  string `json:"csrf,omitempty" doc:"POST from the confirmation page."`
	Confirm               string `json:"confirm,omitempty" enum:"yes"`
}

// page is what a page template renders.
type page struct {
	Lang, Page, Title, Error, Detail string
	// Locale is the known user's preferred language ("" for none),
	// which goes before the browser's (service.Language).
	Locale             string
	Nonce              string
	Accent, AccentText template.CSS // checked colours (branding.go)
	LogoAlt            string
	Brand              service.Branding
	CSRF, Request      string
	Username           string
	Scopes             []string
	Hidden             map[string]string
	// Notice is a message id shown as news rather than an error (the
	// password was changed); FieldError is the text of an error of the
	// page's one input, shown next to it; Token is a reset link's.
	Notice, FieldError, Token string
}

// render writes a page with the pages' security headers.
func (s *server) render(w http.ResponseWriter, r *http.Request, status int, p *page) {
	var nonce [16]byte
	_, _ = rand.Read(nonce[:])
	p.Nonce = base64.RawStdEncoding.EncodeToString(nonce[:])
	p.Lang = service.Language(p.Locale, r.Header.Get("Accept-Language"))
	applyBranding(p)
	if p.Title == "" {
		p.Title = p.Page + ".title"
	}
	var buf bytes.Buffer
	if err := pageTemplates.ExecuteTemplate(&buf, "base", p); err != nil {
		s.Log.Error("rendering a page", "page", p.Page, "error", err, "request_id", state(r).id)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	pageHeaders(w)
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// No script at all; styles only from this page's own nonce'd block;
	// images (the organisation's logo) from anywhere on the web.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'nonce-"+p.Nonce+"'; img-src https: http:; base-uri 'none'; frame-ancestors 'none'")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// pageHeaders are the headers of every page answer, redirects included.
func pageHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
}

// errorPage shows a refusal with a message id (or detail text, which the
// template escapes).
func (s *server) errorPage(w http.ResponseWriter, r *http.Request, status int, id, detail string) {
	s.render(w, r, status, &page{Page: "error", Title: "error.title", Error: id, Detail: detail})
}

// redirect sends the browser on: 302 from a GET, 303 (a GET) from a form.
func redirect(w http.ResponseWriter, r *http.Request, to string) {
	pageHeaders(w)
	status := http.StatusFound
	if r.Method == http.MethodPost {
		status = http.StatusSeeOther
	}
	w.Header().Set("Location", to)
	w.WriteHeader(status)
}

// secureCookies reports whether cookies get Secure: Roster's public URL
// is https.
func (s *server) secureCookies() bool { return strings.HasPrefix(s.Service.Issuer(), "https://") }

// csrfBinding returns the browser's pre-session value, setting a new one
// when it has none (or a malformed one).
func (s *server) csrfBinding(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) == 43 {
		return c.Value
	}
	var b [32]byte
	_, _ = rand.Read(b[:])
	v := base64.RawURLEncoding.EncodeToString(b[:])
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: v, Path: "/oauth2", HttpOnly: true, Secure: s.secureCookies(), SameSite: http.SameSiteLaxMode})
	return v
}

// checkCSRF reports whether a form's token belongs to this browser.
func (s *server) checkCSRF(r *http.Request, form map[string]string) (string, bool) {
	c, err := r.Cookie(csrfCookie)
	if err != nil || c.Value == "" {
		return "", false
	}
	want := s.Service.FormToken(c.Value)
	return c.Value, want != "" && subtle.ConstantTimeCompare([]byte(form["csrf"]), []byte(want)) == 1
}

// browserInfo is what a new session records of the browser, with the
// cookie of its earlier session, which the new one ends.
func browserInfo(r *http.Request) service.BrowserInfo {
	b := service.BrowserInfo{UserAgent: r.UserAgent()}
	if c, err := r.Cookie(sessionCookie); err == nil {
		b.Earlier = c.Value
	}
	return b
}

// browserSession returns the session behind the cookie (nil: none).
func (s *server) browserSession(r *http.Request) (*roster.Session, *roster.User, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, nil, nil
	}
	return s.Service.BrowserSession(r.Context(), c.Value)
}

func (s *server) setSession(w http.ResponseWriter, secret string, ses *roster.Session) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: secret, Path: "/", HttpOnly: true, Secure: s.secureCookies(), SameSite: http.SameSiteLaxMode,
		Expires: ses.ExpiresAt, MaxAge: max(int(time.Until(ses.ExpiresAt)/time.Second), 1)})
}

func (s *server) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, Secure: s.secureCookies(), SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// singleQuery reads a query's parameters; none may repeat (RFC 6749
// section 3.1).
func singleQuery(r *http.Request) (map[string]string, error) {
	out := map[string]string{}
	for k, vs := range r.URL.Query() {
		if len(vs) > 1 {
			return nil, errors.New("parameter " + strconv.Quote(k) + " is repeated")
		}
		out[k] = vs[0]
	}
	return out, nil
}

func (s *server) authorizeGet(w http.ResponseWriter, r *http.Request) {
	q, err := singleQuery(r)
	if err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "", err.Error())
		return
	}
	req, err := s.Service.Authorize(r.Context(), service.AuthorizeParams{ClientID: q["client_id"], RedirectURI: q["redirect_uri"],
		ResponseType: q["response_type"], ResponseMode: q["response_mode"], Scope: q["scope"], State: q["state"], Nonce: q["nonce"],
		CodeChallenge: q["code_challenge"], CodeChallengeMethod: q["code_challenge_method"], Prompt: q["prompt"], MaxAge: q["max_age"], LoginHint: q["login_hint"],
		Request: q["request"], RequestURI: q["request_uri"]})
	if err != nil {
		s.authorizeFail(w, r, err)
		return
	}
	binding := s.csrfBinding(w, r)
	ses, u, err := s.browserSession(r)
	if err != nil {
		s.authorizeFail(w, r, err)
		return
	}
	next, err := s.Service.Continue(r.Context(), req, ses, u)
	if err != nil {
		s.authorizeFail(w, r, err)
		return
	}
	s.proceed(w, r, binding, next, "")
}

func (s *server) authorizePost(w http.ResponseWriter, r *http.Request) {
	form, oe := readForm(w, r)
	if oe != nil {
		s.errorPage(w, r, http.StatusBadRequest, "", oe.Description)
		return
	}
	binding, ok := s.checkCSRF(r, form)
	if !ok {
		s.errorPage(w, r, http.StatusForbidden, "error.csrf", "")
		return
	}
	req := s.Service.OpenRequest(form["request"], binding)
	if req == nil {
		s.errorPage(w, r, http.StatusBadRequest, "error.expired", "")
		return
	}
	ctx, browser := r.Context(), browserInfo(r)
	var next *service.Next
	var err error
	switch form["step"] {
	case "password":
		next, err = s.Service.PageSignIn(ctx, req, form["username"], form["password"], browser)
	case "totp":
		next, err = s.Service.PageSecondFactor(ctx, req, form["totp"], browser)
	case "consent":
		next, err = s.consent(r, req, form["consent"])
	default:
		s.errorPage(w, r, http.StatusBadRequest, "", "step must be password, totp or consent")
		return
	}
	switch service.SignInRefusal(err) {
	case "credentials":
		s.showPage(w, r, http.StatusBadRequest, binding, &service.Next{Page: service.PageSignIn, Request: req}, "error.credentials", form["username"])
		return
	case "code":
		s.showPage(w, r, http.StatusBadRequest, binding, &service.Next{Page: service.PageTOTP, Request: req}, "error.code", "")
		return
	}
	if err != nil {
		s.authorizeFail(w, r, err)
		return
	}
	s.proceed(w, r, binding, next, "")
}

// consent answers the consent page for the browser's session; with none
// (it ended meanwhile) the user signs in again.
func (s *server) consent(r *http.Request, req *service.AuthRequest, answer string) (*service.Next, error) {
	if answer != "allow" && answer != "deny" {
		return nil, &service.AuthorizeError{Code: "invalid_request", Description: "consent must be allow or deny"}
	}
	ses, u, err := s.browserSession(r)
	if err != nil || ses == nil {
		return &service.Next{Page: service.PageSignIn, Request: req}, err
	}
	return s.Service.PageConsent(r.Context(), req, ses, u, answer == "allow")
}

// proceed carries out a next step: a new session's cookie, then a
// redirect or a page.
func (s *server) proceed(w http.ResponseWriter, r *http.Request, binding string, next *service.Next, username string) {
	if next.SessionSecret != "" {
		s.setSession(w, next.SessionSecret, next.Session)
	}
	if next.Redirect != "" {
		redirect(w, r, next.Redirect)
		return
	}
	s.showPage(w, r, http.StatusOK, binding, next, "", username)
}

// showPage renders a step's page with its sealed request. The username
// shown is the one typed, else the request's login_hint.
func (s *server) showPage(w http.ResponseWriter, r *http.Request, status int, binding string, next *service.Next, errID, username string) {
	s.showStep(w, r, status, binding, next, &page{Error: errID, Username: username})
}

// showStep renders a step's page: p with what the step adds (an error,
// a notice, the username typed) and the step's own fields.
func (s *server) showStep(w http.ResponseWriter, r *http.Request, status int, binding string, next *service.Next, p *page) {
	if p.Username == "" {
		p.Username = next.Request.LoginHint
	}
	sealed, err := s.Service.SealRequest(next.Request, binding)
	if err != nil {
		s.authorizeFail(w, r, err)
		return
	}
	p.Page, p.Brand, p.CSRF, p.Request = next.Page, s.Service.Branding(r.Context(), next.Request.ClientID), s.Service.FormToken(binding), sealed
	p.Scopes, p.Locale = next.Ask, s.knownLocale(r, next.Request)
	s.render(w, r, status, p)
}

// authorizeFail answers a refusal: back to the client when its redirect
// URI is trusted, else an error page; 429 with Retry-After for the
// sign-in limits.
func (s *server) authorizeFail(w http.ResponseWriter, r *http.Request, err error) {
	var ae *service.AuthorizeError
	var rl *service.RateLimitError
	switch {
	case errors.As(err, &ae) && ae.RedirectURI != "":
		redirect(w, r, ae.RedirectURL(s.Service.Issuer()))
	case errors.As(err, &ae):
		s.errorPage(w, r, http.StatusBadRequest, "", ae.Description)
	case errors.As(err, &rl):
		w.Header().Set("Retry-After", strconv.Itoa(rl.RetryAfterSeconds()))
		if rl.Unavailable {
			s.errorPage(w, r, http.StatusServiceUnavailable, "error.busy", "")
		} else {
			s.errorPage(w, r, http.StatusTooManyRequests, "error.rate_limited", "")
		}
	default:
		s.Log.Error("sign-in page", "error", err, "request_id", state(r).id)
		s.errorPage(w, r, http.StatusInternalServerError, "error.internal", "")
	}
}

// logout is RP-initiated logout, by GET (parameters in the query) or POST
// (a form: the confirmation page's, or an RP's).
func (s *server) logout(w http.ResponseWriter, r *http.Request) {
	params, err := singleQuery(r)
	if r.Method == http.MethodPost {
		var oe *service.OAuthError
		if params, oe = readForm(w, r); oe != nil {
			err = errors.New(oe.Description)
		}
	}
	if err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "", err.Error())
		return
	}
	ses, u, err := s.browserSession(r)
	if err != nil {
		s.authorizeFail(w, r, err)
		return
	}
	lp := service.LogoutParams{IDTokenHint: params["id_token_hint"], ClientID: params["client_id"], PostLogoutRedirectURI: params["post_logout_redirect_uri"], State: params["state"]}
	lo, err := s.Service.PrepareLogout(r.Context(), lp, u)
	if err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "", roster.ErrorMessage(err))
		return
	}
	confirmed := lo.Hinted
	if r.Method == http.MethodPost && params["confirm"] == "yes" {
		if _, ok := s.checkCSRF(r, params); !ok {
			s.errorPage(w, r, http.StatusForbidden, "error.csrf", "")
			return
		}
		confirmed = true
	}
	if ses != nil && !confirmed {
		// A page cannot sign a user out by merely linking here: ask.
		binding := s.csrfBinding(w, r)
		hidden := map[string]string{}
		for k, v := range map[string]string{"id_token_hint": lp.IDTokenHint, "client_id": lp.ClientID, "post_logout_redirect_uri": lp.PostLogoutRedirectURI, "state": lp.State} {
			if v != "" {
				hidden[k] = v
			}
		}
		s.render(w, r, http.StatusOK, &page{Page: "logout", Brand: s.Service.Branding(r.Context(), lo.ClientID), CSRF: s.Service.FormToken(binding), Hidden: hidden})
		return
	}
	if ses != nil {
		if err := s.Service.EndSession(r.Context(), service.SessionCaller(u, ses), ses); err != nil {
			s.authorizeFail(w, r, err)
			return
		}
	}
	s.clearSession(w)
	if lo.Redirect != "" {
		redirect(w, r, lo.Redirect)
		return
	}
	s.render(w, r, http.StatusOK, &page{Page: "signedout", Brand: s.Service.Branding(r.Context(), lo.ClientID)})
}
