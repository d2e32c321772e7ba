// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"bufio"
	"encoding/json"
	"net/http"
	"time"

	"github.com/rosterhq/roster"
)

// NDJSONContentType is the media type of the export's answer.
const NDJSONContentType = "application/x-ndjson"

// exportFlushEvery and exportFlushAfter bound how long an exported line
// may wait in buffers before it is sent: every so many users, or after so
// long, whichever comes first.
const (
	exportFlushEvery = 256
	exportFlushAfter = 500 * time.Millisecond
)

// exportUsers streams every user the caller may see, one JSON document (the
// API's form, without _links) per line, read from one snapshot of the
// store. An error before the first line is an ordinary problem answer;
// one after it cuts the connection, so that a client never takes a
// truncated export for a whole one (the body's chunked encoding is left
// unterminated).
func (s *server) exportUsers(w http.ResponseWriter, r *http.Request) {
	q := &query{r: r}
	orgID := q.str("organization_id", 64)
	if err := q.err(); err != nil {
		s.writeError(w, r, err)
		return
	}
	rc := http.NewResponseController(w)
	bw := bufio.NewWriterSize(w, 32<<10)
	started := false
	start := func() {
		h := w.Header()
		h.Set("Content-Type", NDJSONContentType)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		started = true
	}
	n := 0
	last := time.Now()
	err := s.Service.ExportUsers(r.Context(), state(r).caller, orgID, func(u *roster.User) error {
		if !started {
			start()
		}
		b, err := json.Marshal(u.Document())
		if err != nil {
			return err
		}
		bw.Write(b)
		if err := bw.WriteByte('\n'); err != nil {
			return err // the client went away
		}
		n++
		if n%exportFlushEvery == 0 || time.Since(last) >= exportFlushAfter {
			last = time.Now()
			if err := bw.Flush(); err != nil {
				return err
			}
			_ = rc.Flush()
		}
		return nil
	})
	if err == nil {
		if !started {
			start()
		}
		if err = bw.Flush(); err == nil {
			return
		}
	}
	if !started {
		s.writeError(w, r, err)
		return
	}
	if r.Context().Err() == nil {
		s.Log.ErrorContext(r.Context(), "export failed half-way", "request_id", state(r).id, "users_sent", n, "error", err)
	}
	panic(http.ErrAbortHandler)
}
