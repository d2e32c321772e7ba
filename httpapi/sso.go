// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"errors"
	"net/http"

	"github.com/rosterhq/roster/service"
)

// Reseller SSO links (PRODUCT.md section 9): made through the API, opened
// in a browser.

// SSOLinkResource is the answer to an SSO link's creation.
type SSOLinkResource struct {
	XMLName struct{} `json:"-" xml:"sso_link"`
	service.SSOLinkCreated
}

func (s *server) createSSOLink(w http.ResponseWriter, r *http.Request) {
	var in service.SSOLinkInput
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	link, err := s.Service.CreateSSOLink(r.Context(), state(r).caller, r.PathValue("id"), &in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	s.respond(w, r, http.StatusCreated, "sso_link", SSOLinkResource{SSOLinkCreated: *link})
}

// openSSOLink is the link itself: a session cookie and on to the app, or
// an error page that says what is wrong with the link (never a redirect).
func (s *server) openSSOLink(w http.ResponseWriter, r *http.Request) {
	q, err := singleQuery(r)
	if err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "error.sso_unknown", "")
		return
	}
	landing, err := s.Service.OpenSSOLink(r.Context(), q["link"], browserInfo(r))
	var le *service.SSOLinkError
	switch {
	case errors.As(err, &le):
		s.errorPage(w, r, ssoLinkStatus[le.Reason], "error.sso_"+le.Reason, "")
	case err != nil:
		s.authorizeFail(w, r, err)
	default:
		s.setSession(w, landing.SessionSecret, landing.Session)
		redirect(w, r, landing.Redirect)
	}
}

// ssoLinkStatus is the status of each refusal: a link that was good
// once is gone (410); one that never was is a bad request; a sign-in the
// server will not make is forbidden.
var ssoLinkStatus = map[string]int{
	service.SSOLinkUnknown: http.StatusBadRequest,
	service.SSOLinkUsed:    http.StatusGone,
	service.SSOLinkExpired: http.StatusGone,
	service.SSOLinkRefused: http.StatusForbidden,
}
