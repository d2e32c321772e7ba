// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/xmljson"
	"github.com/rosterhq/roster/service"
)

// readAll reads the request body up to MaxBodyBytes: a larger body is
// CodeTooLarge, one that does not arrive in time (the read deadline that
// ServeHTTP sets) CodeRequestTimeout.
func readAll(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var mbe *http.MaxBytesError
	switch {
	case err == nil:
		// The body is in: lift the deadline, which would otherwise end
		// the request's context (net/http's background read fails when
		// it passes) while the handler still works.
		_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
		return body, nil
	case errors.As(err, &mbe):
		return nil, roster.Errorf(roster.CodeTooLarge, "the body is larger than 1 MiB")
	case isTimeout(err):
		w.Header().Set("Connection", "close")
		return nil, roster.Errorf(roster.CodeRequestTimeout, "the body did not arrive in time: send the whole body (Content-Length bytes) without pausing")
	}
	return nil, roster.Errorf(roster.CodeMalformed, "the body could not be read: %v", err)
}

// readBody reads the request body up to MaxBodyBytes and refuses an empty
// one.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := readAll(w, r)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, roster.Errorf(roster.CodeMalformed, "the body is empty: send a JSON object")
	}
	return body, nil
}

// mediaType returns the request's media type, lower-cased, without
// parameters.
func mediaType(r *http.Request) string {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return ""
	}
	return mt
}

func isXML(mt string) bool { return mt == "application/xml" || mt == "text/xml" }

func unsupported(mt string, want string) error {
	if mt == "" {
		return roster.Errorf(roster.CodeUnsupportedMedia, "Content-Type is missing: send %s", want)
	}
	return roster.Errorf(roster.CodeUnsupportedMedia, "Content-Type %s is not accepted here: send %s", mt, want)
}

// decode reads a JSON or XML body into v, refusing unknown fields.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	mt := mediaType(r)
	if mt != "application/json" && !isXML(mt) {
		return unsupported(mt, "application/json or application/xml")
	}
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	if isXML(mt) {
		if body, err = xmlToJSON(body, reflect.TypeOf(v)); err != nil {
			return err
		}
	}
	if err := roster.CheckJSON(body); err != nil {
		return err
	}
	return roster.DecodeStrict(body, v)
}

func xmlToJSON(body []byte, t reflect.Type) ([]byte, error) {
	out, err := xmljson.Decode(bytes.NewReader(body), t)
	if err != nil {
		return nil, roster.Errorf(roster.CodeMalformed, "the body is not valid XML: %v", err)
	}
	return out, nil
}

// decodePatch reads a PATCH body and says which format it is in. An XML
// body is read as a merge patch shaped like input.
func decodePatch(w http.ResponseWriter, r *http.Request, input any) (format string, patch []byte, err error) {
	mt := mediaType(r)
	switch {
	case mt == "application/merge-patch+json" || mt == "application/json":
		format = roster.MergePatch
	case mt == "application/json-patch+json":
		format = roster.JSONPatch
	case isXML(mt):
		format = roster.MergePatch
	default:
		return "", nil, unsupported(mt, "application/merge-patch+json, application/json-patch+json, application/json or application/xml")
	}
	if patch, err = readBody(w, r); err != nil {
		return "", nil, err
	}
	if isXML(mt) {
		if patch, err = xmlToJSON(patch, reflect.TypeOf(input)); err != nil {
			return "", nil, err
		}
	}
	// Refused here, before the service does any work: too deep, numbers
	// beyond float64, control characters.
	if err := roster.CheckJSON(patch); err != nil {
		return "", nil, err
	}
	return format, patch, nil
}

// etag is the strong validator of a version.
func etag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// precondition turns If-Match into a check on the current version. "*"
// matches any existing resource; weak tags never match (RFC 9110 asks for
// strong comparison).
func precondition(r *http.Request) service.Precondition {
	h := r.Header.Get("If-Match")
	if h == "" {
		return nil
	}
	return func(version int64) bool { return matchETag(h, version) }
}

func matchETag(header string, version int64) bool {
	want := etag(version)
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || t == want {
			return true
		}
	}
	return false
}

// query parses and checks a list's query parameters, collecting one
// error per bad parameter.
type query struct {
	r    *http.Request
	errs []roster.FieldError
}

func (q *query) bad(name, msg, value string) {
	q.errs = append(q.errs, roster.FieldError{Location: "query." + name, Message: msg, Value: value})
}

func (q *query) str(name string, max int) string {
	v := q.r.URL.Query().Get(name)
	if len(v) > max {
		q.bad(name, name+" must be at most "+strconv.Itoa(max)+" characters", v[:max])
		return ""
	}
	return v
}

func (q *query) oneOf(name string, allowed ...string) string {
	v := q.r.URL.Query().Get(name)
	if v == "" {
		return ""
	}
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	q.bad(name, name+" must be one of "+strings.Join(allowed, ", "), v)
	return ""
}

func (q *query) time(name string) *time.Time {
	v := q.r.URL.Query().Get(name)
	if v == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		q.bad(name, name+" must be an RFC 3339 timestamp such as 2026-01-02T15:04:05Z", v)
		return nil
	}
	t = t.UTC()
	return &t
}

func (q *query) boolean(name string) bool {
	v := q.r.URL.Query().Get(name)
	switch v {
	case "", "false", "0":
		return false
	case "true", "1":
		return true
	}
	q.bad(name, name+" must be true or false", v)
	return false
}

func (q *query) limit() int {
	v := q.r.URL.Query().Get("limit")
	if v == "" {
		return 50
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 200 {
		q.bad("limit", "limit must be a whole number from 1 to 200", v)
		return 50
	}
	return n
}

func (q *query) cursor(sort string) *roster.Cursor {
	v := q.r.URL.Query().Get("cursor")
	if v == "" {
		return nil
	}
	c, err := roster.DecodeCursor(v, sort)
	if err != nil {
		q.bad("cursor", roster.ErrorMessage(err), v)
	}
	return c
}

func (q *query) err() error {
	if len(q.errs) == 0 {
		return nil
	}
	return &roster.Error{Code: roster.CodeMalformed, Message: "the query has invalid parameters", Fields: q.errs}
}

// isTimeout reports whether reading a body failed on its read deadline.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}
