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
	"runtime"
	"slices"
	"strings"
	"sync"
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
// as soon as it and the lines before it are done, on its own line, in the
// order of the input (up to importWindow lines run at once, so their
// events may commit in another order; lines naming the same user run in
// theirs):
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
	ctx := r.Context()
	queue := make(chan *importJob, importWindow)
	answered := make(chan bool)
	go func() { answered <- s.answerImport(w, r, rc, queue) }()
	// Lines run importWindow at a time, so that their writes share the
	// store's commits; a line waits for the lines before it that name
	// the same user (importKeys).
	held := &importHolds{by: map[string]*importJob{}}
	preparing := make(chan struct{}, runtime.GOMAXPROCS(0))
	for n := 1; ; n++ {
		_ = rc.SetReadDeadline(time.Now().Add(s.BodyReadTimeout))
		line, tooLong, err := ReadLine(in, MaxImportLineBytes)
		if len(bytes.TrimSpace(line)) > 0 || tooLong {
			if n > MaxImportLines {
				e := roster.Errorf(roster.CodeTooLarge, "an import holds at most %d lines: send the rest in another request, from this line on", MaxImportLines)
				queue <- finalJob(s.lineProblem(r, n, e), e)
				break
			}
			job := &importJob{n: n, done: make(chan struct{})}
			if tooLong {
				job.res = s.lineProblem(r, n, roster.Errorf(roster.CodeTooLarge, "the line is longer than 1 MiB"))
				close(job.done)
			} else {
				after := held.take(job, importKeys(line))
				go func() {
					for _, a := range after {
						<-a.done
					}
					job.res = s.importLine(r, caller, match, n, line, preparing)
					close(job.done)
				}()
			}
			queue <- job
			if ctx.Err() != nil {
				break // the client has gone
			}
		}
		if err == io.EOF {
			queue <- &importJob{final: roster.Errorf(roster.CodeMalformed, "the body is empty: send one JSON user a line"), ifFirst: true}
			break
		}
		if err != nil {
			if isTimeout(err) {
				e := roster.Errorf(roster.CodeRequestTimeout, "the body stopped arriving: line %d and those after it were not read (send each line within the body read timeout of the one before)", n)
				job := finalJob(s.lineProblem(r, n, e), e)
				job.closeConn = true
				queue <- job
			} else if ctx.Err() == nil {
				e := roster.Errorf(roster.CodeMalformed, "the body could not be read from line %d on: %v", n, err)
				queue <- finalJob(s.lineProblem(r, n, e), e)
			}
			break
		}
	}
	close(queue)
	<-answered
}

// importWindow is how many lines of one import are in flight at once.
// The store's writer commits every write waiting for it in one
// transaction (up to 256), so the window is what lets a commit carry
// hundreds of lines rather than 64: fewer fsyncs and less of the
// writer's time per line, which is where an import waits.
const importWindow = 512

// importJob is a line on its way: its answer is ready when done is
// closed. A final job ends the answer with a failure of the request
// (final), answered as a line once the answer has started, else as the
// request's problem document; with ifFirst only in the latter case.
type importJob struct {
	n         int
	res       ImportLineResult
	done      chan struct{}
	final     error
	ifFirst   bool
	closeConn bool // the body stalled: the connection is not reused
}

func finalJob(res ImportLineResult, err error) *importJob {
	return &importJob{res: res, final: err}
}

// answerImport writes the answers in the order of the lines, flushing
// whenever it would wait, and reports whether the client took them all.
// The answer starts with the first line's: until then a failure (a body
// with no line, a body that never comes) is the request's own problem
// document. After a failed write it only waits for the lines in flight.
func (s *server) answerImport(w http.ResponseWriter, r *http.Request, rc *http.ResponseController, queue <-chan *importJob) bool {
	enc := json.NewEncoder(w)
	started, unflushed, ok := false, false, true
	for {
		var job *importJob
		select {
		case job = <-queue:
		default:
			if unflushed && ok {
				ok = rc.Flush() == nil
			}
			unflushed = false
			job = <-queue
		}
		if job == nil {
			if unflushed && ok {
				ok = rc.Flush() == nil
			}
			return ok
		}
		if job.final != nil && !started {
			if job.closeConn {
				w.Header().Set("Connection", "close")
			}
			s.writeError(w, r, job.final)
			started = true
			continue
		}
		if job.ifFirst {
			continue
		}
		if job.done != nil {
			select {
			case <-job.done:
			default:
				if unflushed && ok {
					ok = rc.Flush() == nil
				}
				unflushed = false
				<-job.done
			}
		}
		if !ok {
			continue
		}
		if !started {
			started = true
			w.Header().Set("Content-Type", "application/x-ndjson")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusOK)
		}
		ok = enc.Encode(job.res) == nil
		unflushed = true
	}
}

// importHolds are the users that lines in flight name, by key.
type importHolds struct {
	mu sync.Mutex
	by map[string]*importJob
}

// take records that job names keys and returns the lines in flight
// that named one of them before it (at most one a key: each waits for
// the one before it). Keys of finished lines are dropped on the way.
func (h *importHolds) take(job *importJob, keys []string) []*importJob {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.by) > 16*importWindow {
		for k, j := range h.by {
			select {
			case <-j.done:
				delete(h.by, k)
			default:
			}
		}
	}
	var after []*importJob
	for _, k := range keys {
		if j := h.by[k]; j != nil && j != job && !slices.Contains(after, j) {
			after = append(after, j)
		}
		h.by[k] = job
	}
	return after
}

// importKeys are the users a line names: by id, email, username,
// external_id, and the manager it refers to. Two lines that share one run
// in their order, as if the file were read a line at a time (a user
// created by one line and updated, or named as a manager, by a later
// one). A line that does not parse names none: it fails on its own.
func importKeys(line []byte) []string {
	var k struct {
		ID         string `json:"id"`
		Email      string `json:"email"`
		Username   string `json:"username"`
		ExternalID string `json:"external_id"`
		ManagerID  string `json:"manager_id"`
	}
	if json.Unmarshal(line, &k) != nil {
		return nil
	}
	var keys []string
	add := func(kind, v string) {
		if v = strings.ToLower(strings.TrimSpace(v)); v != "" {
			keys = append(keys, kind+v)
		}
	}
	add("i:", k.ID)
	add("i:", k.ManagerID)
	add("e:", k.Email)
	add("u:", k.Email) // the username defaults to the email
	add("u:", k.Username)
	add("x:", k.ExternalID)
	return keys
}

// ReadLine reads one line (without its line break) of at most max bytes;
// a longer one is read to its end and dropped (tooLong). err is io.EOF
// after the last line.
func ReadLine(in *bufio.Reader, max int) (line []byte, tooLong bool, err error) {
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

// importLine imports line n. Of the many lines in flight, only as many
// as preparing holds places (one a processor) parse, match and validate
// at once; a line gives its place up as it queues its write. Otherwise
// hundreds of them would be runnable at once and the store's one writer,
// whose commits every line waits for, would queue behind them for a
// processor each time it was preempted or came back from an fsync.
func (s *server) importLine(r *http.Request, caller *roster.Caller, match string, n int, line []byte, preparing chan struct{}) ImportLineResult {
	preparing <- struct{}{}
	ctx, done := service.WhilePreparing(r.Context(), func() { <-preparing })
	defer done()
	out, u, err := s.Service.ImportUser(ctx, caller, match, line)
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
