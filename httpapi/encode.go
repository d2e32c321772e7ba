// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/xmljson"
	"github.com/rosterhq/roster/openapi"
	"github.com/rosterhq/roster/service"
)

var callbackRE = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$.]{0,63}$`)

// negotiate picks the response format: a .json or .xml suffix on the path,
// then ?format=, then Accept. It strips the suffix so routing sees the
// plain path.
func (s *server) negotiate(r *http.Request, st *reqState) error {
	path := r.URL.Path
	suffix := ""
	for _, ext := range []string{".json", ".xml"} {
		if strings.HasPrefix(path, "/v1/") && strings.HasSuffix(path, ext) {
			suffix = strings.TrimPrefix(ext, ".")
			r.URL.Path = strings.TrimSuffix(path, ext)
			r.URL.RawPath = ""
		}
	}
	q := r.URL.Query()
	switch f := q.Get("format"); {
	case f == "json" || f == "xml":
		st.format = f
	case f != "":
		return roster.Errorf(roster.CodeMalformed, "format must be json or xml")
	case suffix != "":
		st.format = suffix
	default:
		f, ok := fromAccept(r.Header.Get("Accept"))
		if !ok && RouteMediaType(path) != openapi.Negotiated {
			// Its answer is its own media type whatever Accept says (a
			// Prometheus server asks /metrics for text/plain or OpenMetrics);
			// a problem is JSON.
			f, ok = "json", true
		}
		if !ok {
			return roster.Errorf(roster.CodeNotAcceptable, "no acceptable format: this API answers application/json or application/xml")
		}
		st.format = f
	}
	if cb := q.Get("callback"); q.Has("callback") {
		switch {
		case !s.JSONP:
			return roster.Errorf(roster.CodeMalformed, "JSONP is turned off on this server: remove the callback parameter")
		case r.Method != http.MethodGet:
			return roster.Errorf(roster.CodeMalformed, "JSONP (callback) works only with GET")
		case !callbackRE.MatchString(cb):
			return roster.Errorf(roster.CodeMalformed, "callback must be a JavaScript identifier such as myCallback")
		}
		st.callback, st.format = cb, "json"
	}
	return nil
}

// fromAccept returns the format the Accept header prefers.
func fromAccept(accept string) (string, bool) {
	if strings.TrimSpace(accept) == "" {
		return "json", true
	}
	best, bestQ := "", -1.0
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		qv := 1.0
		if v, ok := params["q"]; ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				qv = f
			}
		}
		var f string
		switch mt {
		case "application/json", "application/problem+json", "text/json", "application/*", "*/*", "application/javascript":
			f = "json"
		case "application/xml", "text/xml", "application/problem+xml":
			f = "xml"
		default:
			continue
		}
		if qv > bestQ && qv > 0 {
			best, bestQ = f, qv
		}
	}
	return best, best != ""
}

// respond writes v with status in the negotiated format. root names the
// XML root element.
func (s *server) respond(w http.ResponseWriter, r *http.Request, status int, root string, v any) {
	var body []byte
	var err error
	if e, ok := v.(encodedUser); ok {
		// Assembled from the cached document: json.Marshal would only
		// copy and re-validate it (a seventh of a GET's CPU).
		buf := pageBuffers.Get().(*bytes.Buffer)
		defer putPageBuffer(buf)
		body, err = e.s.encoded.appendUser(buf.AvailableBuffer(), e.u)
		buf.Write(body) // keeps the grown array for the next answer
	} else {
		body, err = json.Marshal(v)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.write(w, r, status, root, "", body)
}

// write sends a JSON document as the negotiated format. problemNS is set
// for problem documents.
func (s *server) write(w http.ResponseWriter, r *http.Request, status int, root, problemNS string, body []byte) {
	st := state(r)
	h := w.Header()
	switch {
	case st.callback != "":
		h.Set("Content-Type", "application/javascript; charset=utf-8")
		h.Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusOK) // a script tag cannot see statuses
		w.Write([]byte("/**/" + st.callback + "("))
		w.Write(body)
		w.Write([]byte(");"))
	case st.format == "xml":
		var buf bytes.Buffer
		err := xmljson.Encode(&buf, root, problemNS, body)
		if errors.Is(err, xmljson.ErrInvalidChar) {
			// Stored text that XML cannot carry (a control character
			// written before input refused them): answer anyway, with
			// U+FFFD in its place, rather than fail every list holding it.
			s.Log.WarnContext(r.Context(), "xml encode: characters replaced", "request_id", st.id, "error", err)
			buf.Reset()
			err = xmljson.EncodeReplacing(&buf, root, problemNS, body)
		}
		if err != nil {
			s.Log.ErrorContext(r.Context(), "xml encode", "request_id", st.id, "error", err)
			buf.Reset()
			status, problemNS = http.StatusNotAcceptable, "urn:ietf:rfc:7807"
			p, _ := json.Marshal(problem{Type: "about:blank", Title: "Not Acceptable", Status: status, Detail: "this resource holds text that XML cannot carry: ask for application/json", RequestID: st.id})
			xmljson.Encode(&buf, "problem", problemNS, p)
		}
		ct := "application/xml"
		if problemNS != "" {
			ct = "application/problem+xml"
		}
		h.Set("Content-Type", ct+"; charset=utf-8")
		w.WriteHeader(status)
		w.Write(buf.Bytes())
	default:
		ct := "application/json"
		if problemNS != "" {
			ct = "application/problem+json"
		}
		h.Set("Content-Type", ct)
		if len(body) > 0 {
			// A length lets the connection skip chunked encoding for
			// bodies larger than its buffer (a page of users).
			h.Set("Content-Length", strconv.Itoa(len(body)))
		}
		w.WriteHeader(status)
		w.Write(body)
	}
}

// problem is an RFC 9457 problem document.
type problem struct {
	Type      string              `json:"type"`
	Title     string              `json:"title"`
	Status    int                 `json:"status"`
	Detail    string              `json:"detail"`
	Instance  string              `json:"instance,omitempty"`
	RequestID string              `json:"request_id,omitempty"`
	Errors    []roster.FieldError `json:"errors,omitempty"`
}

// statusFor is the one place that maps error codes to HTTP statuses.
func statusFor(c roster.Code) int {
	switch c {
	case roster.CodeInvalid:
		return http.StatusUnprocessableEntity
	case roster.CodeMalformed:
		return http.StatusBadRequest
	case roster.CodeNotFound:
		return http.StatusNotFound
	case roster.CodeConflict, roster.CodePatchConflict:
		return http.StatusConflict
	case roster.CodeForbidden:
		return http.StatusForbidden
	case roster.CodeUnauthorized:
		return http.StatusUnauthorized
	case roster.CodePreconditionFailed:
		return http.StatusPreconditionFailed
	case roster.CodePreconditionRequired:
		return http.StatusPreconditionRequired
	case roster.CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case roster.CodeRequestTimeout:
		return http.StatusRequestTimeout
	case roster.CodeUnsupportedMedia:
		return http.StatusUnsupportedMediaType
	case roster.CodeNotAcceptable:
		return http.StatusNotAcceptable
	case roster.CodeRateLimited:
		return http.StatusTooManyRequests
	case roster.CodeGone:
		return http.StatusGone
	case roster.CodeUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// maxProblemErrors is the most field errors a problem lists.
const maxProblemErrors = 100

// problemTypeBase prefixes the problem type URIs; each code's page
// describes the problem.
const problemTypeBase = "https://roster.dev/problems/"

// writeError is where every failure ends: it maps err to a problem
// document in the negotiated format. Internal errors are logged and
// answered with a generic message.
func (s *server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	st := state(r)
	if clientClosed(r, err) {
		// Nobody is there to read an answer: send none, and log it as
		// the client's doing, not as an internal error.
		st.clientGone = true
		s.Log.DebugContext(r.Context(), "client closed request", "request_id", st.id, "method", r.Method, "path", r.URL.Path, "error", err)
		return
	}
	p := problem{RequestID: st.id}
	// A refusal that says when to come back (a limit, a busy server)
	// says it on every route, in seconds.
	var rl *service.RateLimitError
	if errors.As(err, &rl) {
		w.Header().Set("Retry-After", strconv.Itoa(rl.RetryAfterSeconds()))
	}
	var me *methodError
	if errors.As(err, &me) {
		w.Header().Set("Allow", me.allow)
		p.Status, p.Type, p.Detail = http.StatusMethodNotAllowed, problemTypeBase+"method_not_allowed", me.Error()
	} else {
		code := roster.ErrorCode(err)
		var opErr *net.OpError
		if code == roster.CodeInternal && errors.As(err, &opErr) {
			// The database (or another dependency) cannot be reached:
			// say so, and when to try again, rather than "internal error".
			s.Log.ErrorContext(r.Context(), "dependency unreachable", "request_id", st.id, "error", err)
			err, code = roster.Errorf(roster.CodeUnavailable, "the database cannot be reached right now: retry in a few seconds"), roster.CodeUnavailable
			w.Header().Set("Retry-After", "5")
		}
		p.Status = statusFor(code)
		p.Type = problemTypeBase + string(code)
		p.Detail = roster.ErrorMessage(err)
		var e *roster.Error
		if errors.As(err, &e) {
			p.Errors = e.Fields
			if n := len(p.Errors); n > maxProblemErrors {
				// 100,000 bad array entries in a 300 KB body made a
				// 10 MB answer: the first ones say what to fix.
				p.Errors = p.Errors[:maxProblemErrors]
				p.Detail += fmt.Sprintf(" (%d invalid fields; the first %d are listed)", n, maxProblemErrors)
			}
		}
		if code == roster.CodeInternal {
			s.Log.ErrorContext(r.Context(), "internal error", "request_id", st.id, "method", r.Method, "path", r.URL.Path, "error", err)
		}
		if code == roster.CodeUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="roster"`)
		}
	}
	p.Title = http.StatusText(p.Status)
	body, _ := json.Marshal(p)
	st.callback = "" // errors are never wrapped as JSONP
	s.write(w, r, p.Status, "problem", "urn:ietf:rfc:7807", body)
}
