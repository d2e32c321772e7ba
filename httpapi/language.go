// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"fmt"
	"net/http"

	"github.com/rosterhq/roster/service"
)

// The pages' language is the known user's preference, else the
// browser's (service.Language); these find the user a page is for.

// knownLocale returns the preferred language of the user a sign-in step
// is for: the one whose password was accepted (second factor), else the
// browser session's user; "" when no user is known yet.
func (s *server) knownLocale(r *http.Request, req *service.AuthRequest) string {
	if req != nil && req.UserID != "" {
		return s.Service.PreferredLanguage(r.Context(), req.UserID)
	}
	if _, u, err := s.browserSession(r); err == nil && u != nil {
		return u.Preferences.Language
	}
	return ""
}

// msgf returns a message with %-verbs filled in.
func msgf(lang, id string, args ...any) string {
	return fmt.Sprintf(msg(lang, id), args...)
}
