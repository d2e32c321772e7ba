// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"bytes"
	"context"
	"io"
	"net/http"

	"github.com/rosterhq/roster"
)

// replayedHeaders are the response headers kept with an idempotent answer
// (in clear: none of them holds a secret; the body is sealed).
var replayedHeaders = []string{"Content-Type", "Location", "ETag", "Preference-Applied", "Cache-Control"}

// idempotent runs a POST that carries an Idempotency-Key at most once per
// key and caller: the first answer is recorded and replayed for 24 hours.
// The key is reserved before the handler runs, so a concurrent retry gets
// 409 instead of running twice; a request that fails with 5xx frees the
// key again. The service seals the recorded body (it may show a secret
// once) and fingerprints the request with a MAC.
func (s *server) idempotent(w http.ResponseWriter, r *http.Request, next http.HandlerFunc) {
	key := r.Header.Get("Idempotency-Key")
	if len(key) > 255 {
		s.writeError(w, r, roster.Errorf(roster.CodeMalformed, "Idempotency-Key must be at most 255 characters"))
		return
	}
	body, err := readAll(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	head := r.Method + " " + r.URL.Path + "\n" + r.Header.Get("Content-Type") + "\n"
	scope := state(r).caller.KeyID
	old, err := s.Service.BeginIdempotent(r.Context(), scope, key, head, body)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if old != nil {
		for k, v := range old.Header {
			w.Header().Set(k, v)
		}
		w.Header().Set("Idempotency-Replayed", "true")
		w.WriteHeader(old.Status)
		w.Write(old.Body)
		return
	}

	cw := &captureWriter{ResponseWriter: w, status: http.StatusOK}
	next(cw, r)
	// The record is finished even if the client has gone: use a fresh context.
	bg := context.Background()
	if cw.status >= 500 || state(r).clientGone { // a client that hung up got no answer to replay
		if err := s.Service.ReleaseIdempotent(bg, scope, key); err != nil {
			s.Log.ErrorContext(r.Context(), "idempotency release", "request_id", state(r).id, "error", err)
		}
		return
	}
	header := map[string]string{}
	for _, k := range replayedHeaders {
		if v := w.Header().Get(k); v != "" {
			header[k] = v
		}
	}
	if err := s.Service.FinishIdempotent(bg, scope, key, cw.status, header, cw.buf.Bytes()); err != nil {
		s.Log.ErrorContext(r.Context(), "idempotency record", "request_id", state(r).id, "error", err)
	}
}

// captureWriter passes a response through and keeps a copy.
type captureWriter struct {
	http.ResponseWriter
	status int
	buf    bytes.Buffer
}

func (w *captureWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *captureWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *captureWriter) Write(b []byte) (int, error) {
	w.buf.Write(b)
	return w.ResponseWriter.Write(b)
}
