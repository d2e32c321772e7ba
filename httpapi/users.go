// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"sync"

	"github.com/rosterhq/roster"
)

func (s *server) createUser(w http.ResponseWriter, r *http.Request) {
	var in roster.UserInput
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	in.SettingsFromXML = isXML(mediaType(r))
	u, err := s.Service.CreateUser(r.Context(), state(r).caller, &in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/users/"+u.ID)
	s.sendVersioned(w, r, http.StatusCreated, u.Version, "user", userResource(u))
}

func (s *server) listUsers(w http.ResponseWriter, r *http.Request) {
	q := &query{r: r}
	f := roster.UserFilter{
		Query:              q.str("q", 255),
		Status:             q.oneOf("status", roster.StatusEnabled, roster.StatusDisabled),
		OrganizationID:     q.str("organization_id", 64),
		IncludeDescendants: q.boolean("include_descendants"),
		Tag:                q.str("tag", 255),
		Role:               q.oneOf("role", roster.Roles...),
		CreatedAfter:       q.time("created_after"),
		CreatedBefore:      q.time("created_before"),
		UpdatedAfter:       q.time("updated_after"),
		Sort:               q.oneOf("sort", roster.UserSorts...),
		Limit:              q.limit(),
	}
	if f.Sort == "" {
		f.Sort = "created_at"
	}
	f.Cursor = q.cursor(f.Sort)
	if err := q.err(); err != nil {
		s.writeError(w, r, err)
		return
	}
	users, next, err := s.Service.Users(r.Context(), state(r).caller, f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// The page is assembled from each user's cached JSON: encoding fifty
	// users anew is most of a search's cost.
	// The buffer is sized once: growing it page by page was an eighth of
	// a search's CPU.
	nc, _ := json.Marshal(nextCursor(next))
	docs, err := s.encoded.documents(users)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	size := len(`{"items":[],"next_cursor":}`) + len(nc) + len(users)*(userResourceSize+1)
	for _, b := range docs {
		size += len(b)
	}
	buf := pageBuffers.Get().(*bytes.Buffer)
	defer putPageBuffer(buf)
	buf.Grow(size)
	page := append(buf.AvailableBuffer(), `{"items":[`...)
	for i, u := range users {
		if i > 0 {
			page = append(page, ',')
		}
		if page, err = appendUserResource(page, docs[i], u); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	buf.Write(page)
	buf.WriteString(`],"next_cursor":`)
	buf.Write(nc)
	buf.WriteByte('}')
	s.write(w, r, http.StatusOK, "list", "", buf.Bytes())
}

// pageBuffers keeps the buffers that list pages are assembled in: a page
// of fifty users is tens of kilobytes, and allocating it anew for every
// search was two fifths of the bytes a search allocated (garbage
// collection was a sixth of a search's CPU).
var pageBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func putPageBuffer(b *bytes.Buffer) {
	if b.Cap() <= 1<<20 { // do not keep the rare huge page
		b.Reset()
		pageBuffers.Put(b)
	}
}

func (s *server) getUser(w http.ResponseWriter, r *http.Request) {
	u, err := s.Service.User(r.Context(), state(r).caller, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.sendVersioned(w, r, http.StatusOK, u.Version, "user", encodedUser{s, u})
}

func (s *server) replaceUser(w http.ResponseWriter, r *http.Request) {
	var in roster.UserInput
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	in.SettingsFromXML = isXML(mediaType(r))
	u, err := s.Service.ReplaceUser(r.Context(), state(r).caller, r.PathValue("id"), &in, precondition(r))
	s.userWritten(w, r, u, err)
}

func (s *server) patchUser(w http.ResponseWriter, r *http.Request) {
	format, patch, err := decodePatch(w, r, &roster.UserInput{})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if isXML(mediaType(r)) {
		format = roster.XMLMergePatch // settings get their types (service/xmlsettings.go)
	}
	u, err := s.Service.PatchUser(r.Context(), state(r).caller, r.PathValue("id"), format, patch, precondition(r))
	s.userWritten(w, r, u, err)
}

func (s *server) userWritten(w http.ResponseWriter, r *http.Request, u *roster.User, err error) {
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.sendVersioned(w, r, http.StatusOK, u.Version, "user", userResource(u))
}

func (s *server) deleteUser(w http.ResponseWriter, r *http.Request) {
	if err := s.Service.DeleteUser(r.Context(), state(r).caller, r.PathValue("id"), precondition(r)); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// TagsInput is the body of the add-tags call.
type TagsInput struct {
	Tags []roster.Tag `json:"tags" required:"true" minItems:"1" maxItems:"100"`
}

func (s *server) addTags(w http.ResponseWriter, r *http.Request) {
	var in TagsInput
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	u, err := s.Service.AddTags(r.Context(), state(r).caller, r.PathValue("id"), in.Tags, precondition(r))
	s.userWritten(w, r, u, err)
}

func (s *server) removeTag(w http.ResponseWriter, r *http.Request) {
	_, err := s.Service.RemoveTag(r.Context(), state(r).caller, r.PathValue("id"), r.PathValue("tag_id"), precondition(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func splitTags(h string) []string {
	parts := strings.Split(h, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}
