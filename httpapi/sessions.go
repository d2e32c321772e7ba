// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"net/http"
	"time"

	"github.com/rosterhq/roster"
)

// The sessions API: a user's browser sessions (PRODUCT.md section 9).

// SessionResource is a browser session as the API shows it: never its
// cookie.
type SessionResource struct {
	XMLName        struct{}  `json:"-" xml:"session"`
	ID             string    `json:"id" readOnly:"true" doc:"ses_…; the ID token's sid."`
	UserID         string    `json:"user_id"`
	CreatedAt      time.Time `json:"created_at"`
	LastSeenAt     time.Time `json:"last_seen_at" doc:"When it last signed the user in to an app."`
	ExpiresAt      time.Time `json:"expires_at"`
	UserAgent      string    `json:"user_agent" doc:"The browser's User-Agent at sign-in (at most 255 bytes)."`
	Address        string    `json:"address" doc:"The client address at sign-in."`
	AMR            []string  `json:"amr" doc:"How the user signed in (RFC 8176): pwd, otp; sso for a session opened with an SSO link."`
	ImpersonatorID string    `json:"impersonator_id,omitempty" doc:"The administrator who opened it with an SSO link."`
}

// SessionList is a page of a user's sessions.
type SessionList struct {
	XMLName    struct{}          `json:"-" xml:"list"`
	Items      []SessionResource `json:"items"`
	NextCursor *string           `json:"next_cursor" nullable:"true" doc:"Pass as cursor to get the next page; null on the last page."`
}

func sessionResource(s *roster.Session) SessionResource {
	return SessionResource{ID: s.ID, UserID: s.UserID, CreatedAt: s.CreatedAt, LastSeenAt: s.LastSeenAt, ExpiresAt: s.ExpiresAt,
		UserAgent: s.UserAgent, Address: s.Address, AMR: s.AMR, ImpersonatorID: s.ImpersonatorID}
}

func (s *server) listSessions(w http.ResponseWriter, r *http.Request) {
	p, err := pageQuery(r, roster.SortSessions)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	sessions, next, err := s.Service.UserSessions(r.Context(), state(r).caller, r.PathValue("id"), p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list := SessionList{Items: make([]SessionResource, 0, len(sessions)), NextCursor: nextCursor(next)}
	for _, ses := range sessions {
		list.Items = append(list.Items, sessionResource(ses))
	}
	s.respond(w, r, http.StatusOK, "list", list)
}

func (s *server) deleteSession(w http.ResponseWriter, r *http.Request) {
	if err := s.Service.EndUserSession(r.Context(), state(r).caller, r.PathValue("id"), r.PathValue("session_id")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) deleteSessions(w http.ResponseWriter, r *http.Request) {
	if err := s.Service.EndUserSessions(r.Context(), state(r).caller, r.PathValue("id")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
