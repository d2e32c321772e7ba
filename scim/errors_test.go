// SPDX-License-Identifier: Apache-2.0

package scim

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rosterhq/roster"
)

// TestEveryCodeHasItsStatus: an error Roster answers with a 4xx (or 503)
// on /v1 is never a SCIM 500.
func TestEveryCodeHasItsStatus(t *testing.T) {
	want := map[roster.Code]int{
		roster.CodeInvalid: 400, roster.CodeMalformed: 400, roster.CodeNotFound: 404, roster.CodeConflict: 409,
		roster.CodePatchConflict: 400, roster.CodeForbidden: 403, roster.CodeUnauthorized: 401,
		roster.CodePreconditionFailed: 412, roster.CodePreconditionRequired: 428, roster.CodeTooLarge: 413,
		roster.CodeRequestTimeout: 408, roster.CodeUnsupportedMedia: 415, roster.CodeNotAcceptable: 406,
		roster.CodeRateLimited: 429, roster.CodeGone: 410, roster.CodeUnavailable: 503, roster.CodeInternal: 500,
	}
	for code, status := range want {
		if got := asSCIM(roster.Errorf(code, "x")).status; got != status {
			t.Errorf("%s: status %d, want %d", code, got, status)
		}
	}
}

// TestInternalErrorsLogged: the client reads only "internal error"; the
// operator's log has the cause.
func TestInternalErrorsLogged(t *testing.T) {
	var logged bytes.Buffer
	h := NewHandler(nil, slog.New(slog.NewTextHandler(&logged, nil)))
	h.mux.HandleFunc("GET "+Base+"/Users/broken", func(w http.ResponseWriter, r *http.Request) {
		h.writeErr(w, r, errors.New("disk on fire"))
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", Base+"/Users/broken", nil))
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "disk on fire") {
		t.Errorf("answer %d %s: want a 500 that does not name the cause", rec.Code, rec.Body)
	}
	if !strings.Contains(logged.String(), "disk on fire") || !strings.Contains(logged.String(), "/Users/broken") {
		t.Errorf("log %q: want the cause and the path", logged.String())
	}
}
