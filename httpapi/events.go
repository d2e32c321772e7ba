// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster"
)

// EventList is a page of the change feed.
type EventList struct {
	XMLName    struct{}        `json:"-" xml:"list"`
	Items      []*roster.Event `json:"items"`
	NextCursor *string         `json:"next_cursor" nullable:"true" doc:"The id to pass as after for the next page; null when this page was not full (keep polling with the last item's id)."`
}

// AuditEntry is one entry of the audit log.
type AuditEntry struct {
	ID         string             `json:"id"`
	OccurredAt time.Time          `json:"occurred_at"`
	Actor      roster.Actor       `json:"actor"`
	ClientIP   string             `json:"client_ip,omitempty"`
	RequestID  string             `json:"request_id,omitempty"`
	Action     string             `json:"action" example:"user.updated"`
	Target     roster.ResourceRef `json:"target"`
	Patch      any                `json:"patch" schema:"json-patch" doc:"The JSON Patch the change applied."`
	Reason     string             `json:"reason,omitempty" doc:"Why, when the call takes a reason (an admin's direct email change, a username change, a credit adjustment)."`
}

// AuditList is a page of the audit log.
type AuditList struct {
	XMLName    struct{}     `json:"-" xml:"list"`
	Items      []AuditEntry `json:"items"`
	NextCursor *string      `json:"next_cursor" nullable:"true"`
}

func (s *server) listEvents(w http.ResponseWriter, r *http.Request) {
	q := &query{r: r}
	after := q.str("after", 64)
	types := q.types()
	limit := q.limit()
	wait := q.seconds("wait", int(60))
	if err := q.err(); err != nil {
		s.writeError(w, r, err)
		return
	}
	events, err := s.Service.Events(r.Context(), state(r).caller, after, types, limit, wait)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list := EventList{Items: events}
	if len(events) == limit {
		id := events[len(events)-1].ID
		list.NextCursor = &id
	}
	s.respond(w, r, http.StatusOK, "list", list)
}

func (s *server) listAuditEvents(w http.ResponseWriter, r *http.Request) {
	q := &query{r: r}
	f := roster.EventFilter{
		Target:        q.str("target", 64),
		Actor:         q.str("actor", 64),
		OccurredAfter: q.time("after"),
		Before:        q.time("before"),
		Limit:         q.limit(),
	}
	if c := q.r.URL.Query().Get("cursor"); c != "" {
		n, err := strconv.ParseInt(c, 10, 64)
		if err != nil || n < 0 {
			q.bad("cursor", "cursor must be the next_cursor of a previous page", c)
		}
		f.After = n
	}
	if err := q.err(); err != nil {
		s.writeError(w, r, err)
		return
	}
	found, err := s.Service.AuditEvents(r.Context(), state(r).caller, f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list := AuditList{Items: make([]AuditEntry, 0, len(found))}
	for _, se := range found {
		e := se.Event
		list.Items = append(list.Items, AuditEntry{ID: e.ID, OccurredAt: e.OccurredAt, Actor: e.Actor, ClientIP: e.ClientIP,
			RequestID: e.RequestID, Action: e.Type, Target: e.Resource, Patch: e.Patch, Reason: e.Reason})
	}
	if len(found) == f.Limit {
		c := strconv.FormatInt(found[len(found)-1].Seq, 10)
		list.NextCursor = &c
	}
	s.respond(w, r, http.StatusOK, "list", list)
}

// types parses the type filter: a comma-separated list of event types, each
// possibly ending in ".*".
func (q *query) types() []string {
	v := q.r.URL.Query().Get("type")
	var out []string
	for _, t := range strings.Split(v, ",") {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		if len(t) > 64 || strings.ContainsAny(t, " %\\") {
			q.bad("type", "type must be event types such as user.updated or user.*, separated by commas", t)
			continue
		}
		out = append(out, t)
	}
	return out
}

// seconds parses a whole number of seconds from 0 to max.
func (q *query) seconds(name string, max int) time.Duration {
	v := q.r.URL.Query().Get(name)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > max {
		q.bad(name, name+" must be a whole number of seconds from 0 to "+strconv.Itoa(max), v)
		return 0
	}
	return time.Duration(n) * time.Second
}
