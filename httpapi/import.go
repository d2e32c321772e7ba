// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/service"
)

// POST /v1/users/import (PRODUCT.md sections 12 and 13): NDJSON in, NDJSON
// out. The body is read a line at a time with flat memory, however large
// it is: each line is at most MaxImportLineBytes and a request at most
// MaxImportLines lines; the body must keep arriving (each line within the
// body read timeout of the one before, not the whole body). Each line is
// imported on its own (service.ImportUser: an ordinary create or PATCH
// with every rule, version, event, webhook and audit entry) and answered
// at once, on its own line, in the order of the input:
//
//	{"line": 3, "status": 201, "id": "usr_…"}
//	{"line": 4, "status": 422, "problem": {…a problem document…}}
//
// 201 created, 200 updated, 204 matched and nothing changed; a line's
// problem never stops the others. Blank lines are skipped (and counted,
// so that line numbers are the file's). The request as a whole is refused
// (a plain problem) only before its first answer line: a wrong content
// type, a bad match, a token without users:write:all, a body with no line
// (400), a body that does not come (408). Idempotency-Key is not
// recorded for this route: running a file again is itself safe (matched
// lines that change nothing answer 204).

// MaxImportLineBytes is the longest import line (a user and its hash).
const MaxImportLineBytes = 1 << 20

// MaxImportLines is the most lines one import request may hold; a longer
// file is sent in several requests.
const MaxImportLines = 1_000_000

// ImportLineResult is one line of an import's answer.
type ImportLineResult struct {
	Line    int      `json:"line" doc:"The input line's number, from 1."`
	Status  int      `json:"status" doc:"201 created, 200 updated, 204 matched with nothing to change, or the 4xx of the line's problem."`
	ID      string   `json:"id,omitempty" doc:"The user's id."`
	Problem *problem `json:"problem,omitempty" doc:"Why the line failed (RFC 9457)."`
}

// ImportLine is an input line: a user in the API's JSON form, plus a
// password hash from another system.
type ImportLine struct {
	roster.UserInput
	PasswordHash any `json:"password_hash,omitempty" writeOnly:"true" doc:"A hash of the user's password made by another system: bcrypt ($2a$, $2b$, $2y$), argon2i or argon2id (PHC), PBKDF2-SHA1/256/512 (PHC $pbkdf2-sha256$i=…,l=…$salt$hash or passlib's $pbkdf2-sha256$rounds$salt$hash), scrypt ($scrypt$ln=…,r=…,p=…$salt$hash), or a Keycloak credential object (secretData, credentialData). Verified at sign-in, then replaced by argon2id. Costlier hashes than a sign-in may spend are refused."`
}

func (s *server) importUsers(w http.ResponseWriter, r *http.Request) {
	if mt := mediaType(r); mt != "application/x-ndjson" && mt != "application/ndjson" {
		s.writeError(w, r, unsupported(mt, "application/x-ndjson (one JSON user a line)"))
		return
	}
	match := service.MatchEmail
	if q := r.URL.Query(); q.Has("match") {
		match = q.Get("match")
		if match != service.MatchEmail && match != service.MatchExternalID && match != service.MatchID {
			s.writeError(w, r, &roster.Error{Code: roster.CodeMalformed, Message: "the query has invalid parameters",
				Fields: []roster.FieldError{{Location: "query.match", Message: "match must be email, external_id or id", Value: match}}})
			return
		}
	}
	// Not recorded (see above), but refused as on every POST when it
	// could not be.
	if len(r.Header.Get("Idempotency-Key")) > 255 {
		s.writeError(w, r, roster.Errorf(roster.CodeMalformed, "Idempotency-Key must be at most 255 characters"))
		return
	}
	caller := state(r).caller
	if err := s.Service.CanImport(caller); err != nil {
		s.writeError(w, r, err)
		return
	}
	rc := http.NewResponseController(w)
	// Answers go out while the body still comes in.
	_ = rc.EnableFullDuplex()
	in := bufio.NewReaderSize(r.Body, 64<<10)
	enc := json.NewEncoder(w)
	ctx := r.Context()
	// The answer starts with the first line's: until then a failure (a
	// body with no line, a body that never comes) is the request's own
	// problem document.
	started := false
	answer := func(res ImportLineResult) bool {
		if !started {
			started = true
			w.Header().Set("Content-Type", "application/x-ndjson")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusOK)
		}
		if err := enc.Encode(res); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	fail := func(res ImportLineResult, err error) {
		if started {
			answer(res)
		} else {
			s.writeError(w, r, err)
		}
	}
	for n := 1; ; n++ {
		_ = rc.SetReadDeadline(time.Now().Add(s.BodyReadTimeout))
		line, tooLong, err := readLine(in, MaxImportLineBytes)
		if len(bytes.TrimSpace(line)) > 0 || tooLong {
			if n > MaxImportLines {
				e := roster.Errorf(roster.CodeTooLarge, "an import holds at most %d lines: send the rest in another request, from this line on", MaxImportLines)
				fail(s.lineProblem(r, n, e), e)
				return
			}
			var res ImportLineResult
			if tooLong {
				res = s.lineProblem(r, n, roster.Errorf(roster.CodeTooLarge, "the line is longer than 1 MiB"))
			} else {
				res = s.importLine(r, caller, match, n, line)
			}
			if ctx.Err() != nil || !answer(res) {
				return // the client has gone
			}
		}
		if err == io.EOF {
			if !started {
				s.writeError(w, r, roster.Errorf(roster.CodeMalformed, "the body is empty: send one JSON user a line"))
			}
			return
		}
		if err != nil {
			if isTimeout(err) {
				w.Header().Set("Connection", "close")
				e := roster.Errorf(roster.CodeRequestTimeout, "the body stopped arriving: line %d and those after it were not read (send each line within the body read timeout of the one before)", n)
				fail(s.lineProblem(r, n, e), e)
			} else if ctx.Err() == nil {
				e := roster.Errorf(roster.CodeMalformed, "the body could not be read from line %d on: %v", n, err)
				fail(s.lineProblem(r, n, e), e)
			}
			return
		}
	}
}

// readLine reads one line (without its line break) of at most max bytes;
// a longer one is read to its end and dropped (tooLong). err is io.EOF
// after the last line.
func readLine(in *bufio.Reader, max int) (line []byte, tooLong bool, err error) {
	for {
		part, perr := in.ReadSlice('\n')
		if !tooLong {
			if len(line)+len(part) > max+2 { // room for \r\n
				tooLong, line = true, nil
			} else {
				line = append(line, part...)
			}
		}
		if perr == bufio.ErrBufferFull {
			continue
		}
		if perr != nil && perr != io.EOF {
			return nil, false, perr
		}
		line = bytes.TrimRight(line, "\r\n")
		if perr == io.EOF {
			return line, tooLong, io.EOF
		}
		return line, tooLong, nil
	}
}

func (s *server) importLine(r *http.Request, caller *roster.Caller, match string, n int, line []byte) ImportLineResult {
	out, u, err := s.Service.ImportUser(r.Context(), caller, match, line)
	if err != nil {
		return s.lineProblem(r, n, err)
	}
	res := ImportLineResult{Line: n, ID: u.ID, Status: http.StatusOK}
	switch out {
	case service.ImportCreated:
		res.Status = http.StatusCreated
	case service.ImportUnchanged:
		res.Status = http.StatusNoContent
	}
	return res
}

// lineProblem is a line's answer for err: its problem document, made as
// writeError makes one.
func (s *server) lineProblem(r *http.Request, n int, err error) ImportLineResult {
	st := state(r)
	code := roster.ErrorCode(err)
	var rl *service.RateLimitError
	if errors.As(err, &rl) {
		code = roster.CodeRateLimited
	}
	p := &problem{RequestID: st.id, Status: statusFor(code), Type: problemTypeBase + string(code), Detail: roster.ErrorMessage(err)}
	if rl != nil {
		p.Detail = rl.Message
	}
	var e *roster.Error
	if errors.As(err, &e) {
		p.Errors = e.Fields
		if k := len(p.Errors); k > maxProblemErrors {
			p.Errors = p.Errors[:maxProblemErrors]
			p.Detail += fmt.Sprintf(" (%d invalid fields; the first %d are listed)", k, maxProblemErrors)
		}
	}
	if code == roster.CodeInternal {
		s.Log.ErrorContext(r.Context(), "internal error", "request_id", st.id, "method", r.Method, "path", r.URL.Path, "line", n, "error", err)
	}
	p.Title = http.StatusText(p.Status)
	return ImportLineResult{Line: n, Status: p.Status, Problem: p}
}
