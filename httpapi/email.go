// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"net/http"
	"time"

	"github.com/rosterhq/roster/service"
)

// Email and username changes and invitation links (service/email.go,
// service/invite.go).

// PendingEmailChangeResource is the answer to a self-service email change.
type PendingEmailChangeResource struct {
	XMLName   struct{}        `json:"-" xml:"email_change"`
	Email     string          `json:"email" doc:"The new address, to which the code and link were mailed."`
	ExpiresAt time.Time       `json:"expires_at"`
	Links     map[string]Link `json:"_links" readOnly:"true"`
}

func (s *server) requestEmailChange(w http.ResponseWriter, r *http.Request) {
	var in service.EmailChangeInput
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	pending, u, err := s.Service.RequestEmailChange(r.Context(), state(r).caller, r.PathValue("id"), &in)
	if err != nil || u != nil {
		s.userWritten(w, r, u, err)
		return
	}
	s.respond(w, r, http.StatusAccepted, "email_change", PendingEmailChangeResource{Email: pending.Email, ExpiresAt: pending.ExpiresAt,
		Links: map[string]Link{"confirm": {Href: "/v1/users/" + r.PathValue("id") + "/email-change/confirm", Method: "POST"}}})
}

func (s *server) confirmEmailChange(w http.ResponseWriter, r *http.Request) {
	var in service.EmailConfirmInput
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	u, err := s.Service.ConfirmEmailChange(r.Context(), state(r).caller, r.PathValue("id"), &in)
	s.userWritten(w, r, u, err)
}

func (s *server) changeUsername(w http.ResponseWriter, r *http.Request) {
	var in service.UsernameInput
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	u, err := s.Service.ChangeUsername(r.Context(), state(r).caller, r.PathValue("id"), &in)
	s.userWritten(w, r, u, err)
}

func (s *server) setPassword(w http.ResponseWriter, r *http.Request) {
	var in service.SetPasswordInput
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.Service.SetPasswordWithInvite(r.Context(), &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
