// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster/service"
)

// Forgot password pages (PRODUCT.md section 9): the sign-in page links to
// a form that mails a reset link (the same answer whether or not the
// account exists), and the link opens a form for the new password. A
// pending authorization goes along: the forgot form carries it sealed,
// and a cookie of this browser keeps it while the user reads the mail, so
// that after the reset the sign-in continues to the app.

// pendingCookie holds the sealed authorization request the user left
// for a reset link (bound to the browser like every sealed request).
const pendingCookie = "roster_pending"

// ForgotForm documents the forgot password form.
type ForgotForm struct {
	CSRF     string `json:"csrf" required:"true" doc:"The form's CSRF token."`
	Request  string `json:"request,omitempty" doc:"The pending authorization request, sealed; sent back unchanged."`
	Username string `json:"username" required:"true" doc:"A username or an email."`
}

// ResetForm documents the new password form of a reset link.
type ResetForm struct {
	CSRF        string `json:"csrf" required:"true" doc:"The form's CSRF token."`
	Token       string `json:"token" required:"true" writeOnly:"true" doc:"The reset link's token."`
	Request     string `json:"request,omitempty" doc:"The pending authorization request, sealed; sent back unchanged."`
	NewPassword string `json:"new_password" required:"true" writeOnly:"true"`
}

// forgotGet shows the forgot password form.
func (s *server) forgotGet(w http.ResponseWriter, r *http.Request) {
	q, err := singleQuery(r)
	if err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "", err.Error())
		return
	}
	binding := s.csrfBinding(w, r)
	req := s.Service.OpenRequest(q["request"], binding)
	s.renderForgot(w, r, http.StatusOK, binding, req, "", "")
}

// renderForgot renders the forgot form, with the pending request (nil:
// none) and an error of its field.
func (s *server) renderForgot(w http.ResponseWriter, r *http.Request, status int, binding string, req *service.AuthRequest, username, fieldErr string) {
	p := &page{Page: "forgot", CSRF: s.Service.FormToken(binding), Username: username, FieldError: fieldErr}
	if req != nil {
		p.Brand = s.Service.Branding(r.Context(), req.ClientID)
	}
	s.renderWithRequest(w, r, status, p, req, binding)
}

// renderWithRequest renders a page whose form carries the pending
// request (nil: none), sealed anew.
func (s *server) renderWithRequest(w http.ResponseWriter, r *http.Request, status int, p *page, req *service.AuthRequest, binding string) {
	if req != nil {
		sealed, err := s.Service.SealRequest(req, binding)
		if err != nil {
			s.authorizeFail(w, r, err)
			return
		}
		p.Request = sealed
	}
	s.render(w, r, status, p)
}

// forgotPost mails a reset link and answers alike whether or not the
// account exists.
func (s *server) forgotPost(w http.ResponseWriter, r *http.Request) {
	form, binding, ok := s.pageForm(w, r)
	if !ok {
		return
	}
	req := s.Service.OpenRequest(form["request"], binding)
	name := strings.TrimSpace(form["username"])
	if name == "" {
		lang := service.Language("", r.Header.Get("Accept-Language"))
		s.renderForgot(w, r, http.StatusBadRequest, binding, req, "", msg(lang, "forgot.required"))
		return
	}
	clientID := ""
	if req != nil {
		clientID = req.ClientID
	}
	if err := s.Service.RequestPasswordReset(r.Context(), name, clientID, r.Header.Get("Accept-Language")); err != nil {
		s.pageFail(w, r, err)
		return
	}
	p := &page{Page: "forgot_sent"}
	if req != nil {
		s.keepPending(w, req, binding)
		p.Brand = s.Service.Branding(r.Context(), req.ClientID)
	}
	s.render(w, r, http.StatusOK, p)
}

// keepPending keeps the pending request in this browser while the user
// reads the mail (the request itself expires as on every page).
func (s *server) keepPending(w http.ResponseWriter, req *service.AuthRequest, binding string) {
	sealed, err := s.Service.SealRequest(req, binding)
	if err != nil {
		return // no continuation: after the reset the user goes back to the app
	}
	http.SetCookie(w, &http.Cookie{Name: pendingCookie, Value: sealed, Path: "/oauth2/password", HttpOnly: true, Secure: s.secureCookies(),
		SameSite: http.SameSiteLaxMode, MaxAge: int(service.PasswordResetTTL / time.Second)})
}

// pendingRequest returns the request this browser left for a reset link
// (nil: none, or it expired).
func (s *server) pendingRequest(r *http.Request, binding string) *service.AuthRequest {
	c, err := r.Cookie(pendingCookie)
	if err != nil {
		return nil
	}
	return s.Service.OpenRequest(c.Value, binding)
}

// resetGet shows the new password form of a reset link.
func (s *server) resetGet(w http.ResponseWriter, r *http.Request) {
	q, err := singleQuery(r)
	if err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "", err.Error())
		return
	}
	pr, err := s.Service.FindPasswordReset(r.Context(), q["reset"])
	if err != nil {
		s.pageFail(w, r, err)
		return
	}
	binding := s.csrfBinding(w, r)
	s.renderReset(w, r, http.StatusOK, binding, pr, q["reset"], s.pendingRequest(r, binding), "")
}

// renderReset renders the new password form, with an error of its field.
func (s *server) renderReset(w http.ResponseWriter, r *http.Request, status int, binding string, pr *service.PasswordReset, token string, req *service.AuthRequest, fieldErr string) {
	p := &page{Page: "reset", CSRF: s.Service.FormToken(binding), Token: token, Username: pr.User.Username, FieldError: fieldErr,
		Locale: pr.User.Preferences.Language, Brand: s.Service.UserBranding(r.Context(), pr.ClientID, pr.User)}
	lang := service.Language(p.Locale, r.Header.Get("Accept-Language"))
	minLen, maxLen := s.Service.PasswordLengths()
	p.Detail = msgf(lang, "reset.hint", minLen, maxLen)
	s.renderWithRequest(w, r, status, p, req, binding)
}

// resetPost sets the new password, then continues the pending sign-in
// (its page, saying the password changed) or says it is done.
func (s *server) resetPost(w http.ResponseWriter, r *http.Request) {
	form, binding, ok := s.pageForm(w, r)
	if !ok {
		return
	}
	req := s.Service.OpenRequest(form["request"], binding)
	u, err := s.Service.ResetPassword(r.Context(), form["token"], form["new_password"])
	var rule *service.PasswordRuleError
	if errors.As(err, &rule) {
		pr, ferr := s.Service.FindPasswordReset(r.Context(), form["token"])
		if ferr != nil {
			s.pageFail(w, r, ferr)
			return
		}
		lang := service.Language(pr.User.Preferences.Language, r.Header.Get("Accept-Language"))
		s.renderReset(w, r, http.StatusBadRequest, binding, pr, form["token"], req, ruleText(lang, rule))
		return
	}
	if err != nil {
		s.pageFail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: pendingCookie, Value: "", Path: "/oauth2/password", HttpOnly: true, Secure: s.secureCookies(), SameSite: http.SameSiteLaxMode, MaxAge: -1})
	s.clearSession(w)
	if req != nil {
		s.showStep(w, r, http.StatusOK, binding, &service.Next{Page: service.PageSignIn, Request: req},
			&page{Notice: "notice.password_changed", Username: u.Username})
		return
	}
	s.render(w, r, http.StatusOK, &page{Page: "reset_done", Locale: u.Preferences.Language, Brand: s.Service.UserBranding(r.Context(), "", u)})
}

// ruleText says which password rule a new password breaks.
func ruleText(lang string, e *service.PasswordRuleError) string {
	if e.Limit > 0 {
		return msgf(lang, "password."+e.Rule, e.Limit)
	}
	return msg(lang, "password."+e.Rule)
}

// pageForm reads a page's form and checks its CSRF token; when it
// answers false, it has shown the error page.
func (s *server) pageForm(w http.ResponseWriter, r *http.Request) (map[string]string, string, bool) {
	form, oe := readForm(w, r)
	if oe != nil {
		s.errorPage(w, r, http.StatusBadRequest, "", oe.Description)
		return nil, "", false
	}
	binding, ok := s.checkCSRF(r, form)
	if !ok {
		s.errorPage(w, r, http.StatusForbidden, "error.csrf", "")
		return nil, "", false
	}
	return form, binding, true
}

// pageFail answers a refusal of the forgot password pages.
func (s *server) pageFail(w http.ResponseWriter, r *http.Request, err error) {
	var rl *service.RateLimitError
	switch {
	case service.ResetLinkInvalid(err):
		s.errorPage(w, r, http.StatusBadRequest, "error.reset_link", "")
	case errors.As(err, &rl) && !rl.Unavailable:
		w.Header().Set("Retry-After", strconv.Itoa(rl.RetryAfterSeconds()))
		s.errorPage(w, r, http.StatusTooManyRequests, "error.too_many", "")
	default:
		s.authorizeFail(w, r, err)
	}
}
