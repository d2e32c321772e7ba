// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"net/http"
	"time"

	"github.com/rosterhq/roster"
)

// replayedHeaders are the response headers kept with an idempotent answer.
var replayedHeaders = []string{"Content-Type", "Location", "ETag", "Preference-Applied"}

// idempotent runs a POST that carries an Idempotency-Key at most once per
// key and caller: the first answer is recorded and replayed for 24 hours.
// The key is reserved before the handler runs, so a concurrent retry gets
// 409 instead of running twice; a request that fails with 5xx frees the
// key again.
func (s *server) idempotent(w http.ResponseWriter, r *http.Request, next http.HandlerFunc) {
	key := r.Header.Get("Idempotency-Key")
	if len(key) > 255 {
		s.writeError(w, r, roster.Errorf(roster.CodeMalformed, "Idempotency-Key must be at most 255 characters"))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		s.writeError(w, r, roster.Errorf(roster.CodeTooLarge, "the body is larger than 1 MiB"))
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	h := sha256.New()
	io.WriteString(h, r.Method+" "+r.URL.Path+"\n"+r.Header.Get("Content-Type")+"\n")
	h.Write(body)
	sum := h.Sum(nil)

	ctx := r.Context()
	scope := state(r).caller.KeyID
	store := s.Service.Store()
	rec := &roster.IdempotentResponse{Scope: scope, Key: key, RequestHash: sum, CreatedAt: time.Now().UTC()}
	err = store.Update(ctx, func(tx roster.Tx) error { return tx.PutIdempotent(rec) })
	if roster.ErrorCode(err) == roster.CodeConflict {
		old, ferr := store.FindIdempotent(ctx, scope, key)
		switch {
		case ferr != nil:
			s.writeError(w, r, ferr)
		case !bytes.Equal(old.RequestHash, sum):
			s.writeError(w, r, roster.Errorf(roster.CodeInvalid, "this Idempotency-Key was already used with a different request: use a new key for a new request"))
		case !old.Done:
			s.writeError(w, r, roster.Errorf(roster.CodeConflict, "a request with this Idempotency-Key is still in progress: retry later"))
		default:
			for k, v := range old.Header {
				w.Header().Set(k, v)
			}
			w.Header().Set("Idempotency-Replayed", "true")
			w.WriteHeader(old.Status)
			w.Write(old.Body)
		}
		return
	} else if err != nil {
		s.writeError(w, r, err)
		return
	}

	cw := &captureWriter{ResponseWriter: w, status: http.StatusOK}
	next(cw, r)
	// The record is finished even if the client has gone: use a fresh context.
	bg := context.Background()
	if cw.status >= 500 {
		if err := store.Update(bg, func(tx roster.Tx) error { return tx.DeleteIdempotent(scope, key) }); err != nil {
			s.Log.Error("idempotency release", "request_id", state(r).id, "error", err)
		}
		return
	}
	rec.Done, rec.Status, rec.Body, rec.Header = true, cw.status, cw.buf.Bytes(), map[string]string{}
	for _, k := range replayedHeaders {
		if v := w.Header().Get(k); v != "" {
			rec.Header[k] = v
		}
	}
	if err := store.Update(bg, func(tx roster.Tx) error { return tx.PutIdempotent(rec) }); err != nil {
		s.Log.Error("idempotency record", "request_id", state(r).id, "error", err)
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

func (w *captureWriter) Write(b []byte) (int, error) {
	w.buf.Write(b)
	return w.ResponseWriter.Write(b)
}
