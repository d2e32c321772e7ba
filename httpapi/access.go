// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/service"
)

// APIKeyResource is an API key as the API shows it; Key (the secret) is
// present only in the answer to its creation.
type APIKeyResource struct {
	XMLName   struct{}        `json:"-" xml:"api_key"`
	ID        string          `json:"id" readOnly:"true"`
	UserID    string          `json:"user_id"`
	Name      string          `json:"name"`
	Scopes    []string        `json:"scopes"`
	ExpiresAt *time.Time      `json:"expires_at,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
	Key       string          `json:"key,omitempty" readOnly:"true" doc:"The secret, shown only once, in the answer to the creation."`
	Links     map[string]Link `json:"_links" readOnly:"true"`
}

// APIKeyList is the list of API keys.
type APIKeyList struct {
	XMLName    struct{}         `json:"-" xml:"list"`
	Items      []APIKeyResource `json:"items"`
	NextCursor *string          `json:"next_cursor" nullable:"true" doc:"Pass as cursor to get the next page; null on the last page."`
}

func keyResource(k *roster.APIKey, secret string) APIKeyResource {
	return APIKeyResource{ID: k.ID, UserID: k.UserID, Name: k.Name, Scopes: k.Scopes, ExpiresAt: k.ExpiresAt, CreatedAt: k.CreatedAt, Key: secret,
		Links: map[string]Link{"self": {Href: "/v1/api-keys/" + k.ID}, "user": {Href: "/v1/users/" + k.UserID}}}
}

func (s *server) createAPIKey(w http.ResponseWriter, r *http.Request) {
	var in service.APIKeyInput
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	k, secret, err := s.Service.CreateAPIKey(r.Context(), state(r).caller, &in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/api-keys/"+k.ID)
	w.Header().Set("Cache-Control", "no-store")
	s.respond(w, r, http.StatusCreated, "api_key", keyResource(k, secret))
}

func (s *server) listAPIKeys(w http.ResponseWriter, r *http.Request) {
	p, err := pageQuery(r, roster.SortAPIKeys)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	keys, next, err := s.Service.APIKeys(r.Context(), state(r).caller, p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list := APIKeyList{Items: make([]APIKeyResource, 0, len(keys)), NextCursor: nextCursor(next)}
	for _, k := range keys {
		list.Items = append(list.Items, keyResource(k, ""))
	}
	s.respond(w, r, http.StatusOK, "list", list)
}

func (s *server) deleteAPIKey(w http.ResponseWriter, r *http.Request) {
	if err := s.Service.DeleteAPIKey(r.Context(), state(r).caller, r.PathValue("id")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// MemberResource is one membership of an organisation.
type MemberResource struct {
	XMLName        struct{}        `json:"-" xml:"member"`
	UserID         string          `json:"user_id"`
	OrganizationID string          `json:"organization_id"`
	Roles          []string        `json:"roles"`
	Home           bool            `json:"home" doc:"Whether this is the user's home organisation."`
	User           UserResource    `json:"user"`
	Links          map[string]Link `json:"_links" readOnly:"true"`
}

// MemberList is a page of memberships.
type MemberList struct {
	XMLName    struct{}         `json:"-" xml:"list"`
	Items      []MemberResource `json:"items"`
	NextCursor *string          `json:"next_cursor" nullable:"true"`
}

// MemberInput is the body of a membership change.
type MemberInput struct {
	Roles []string `json:"roles" required:"true" minItems:"1" doc:"Any of owner, admin, manager, member."`
}

func memberResource(u *roster.User, orgID string) MemberResource {
	return MemberResource{UserID: u.ID, OrganizationID: orgID, Roles: u.RolesIn(orgID), Home: u.OrganizationID == orgID, User: userResource(u),
		Links: map[string]Link{"self": {Href: "/v1/orgs/" + orgID + "/members/" + u.ID}}}
}

func (s *server) listMembers(w http.ResponseWriter, r *http.Request) {
	q := &query{r: r}
	f := roster.UserFilter{Limit: q.limit(), Sort: "created_at"}
	f.Cursor = q.cursor(f.Sort)
	if err := q.err(); err != nil {
		s.writeError(w, r, err)
		return
	}
	orgID := r.PathValue("id")
	users, next, err := s.Service.Members(r.Context(), state(r).caller, orgID, f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list := MemberList{Items: make([]MemberResource, 0, len(users)), NextCursor: nextCursor(next)}
	for _, u := range users {
		list.Items = append(list.Items, memberResource(u, orgID))
	}
	s.respond(w, r, http.StatusOK, "list", list)
}

func (s *server) putMember(w http.ResponseWriter, r *http.Request) {
	var in MemberInput
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	orgID := r.PathValue("id")
	// If-Match is checked against the user's ETag, which the answer
	// carries: a membership is part of its user.
	u, err := s.Service.PutMember(r.Context(), state(r).caller, orgID, r.PathValue("user_id"), in.Roles, precondition(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(u.Version))
	s.respond(w, r, http.StatusOK, "member", memberResource(u, orgID))
}

func (s *server) deleteMember(w http.ResponseWriter, r *http.Request) {
	if err := s.Service.DeleteMember(r.Context(), state(r).caller, r.PathValue("id"), r.PathValue("user_id"), precondition(r)); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// SettingsSchema is a JSON Schema (draft 2020-12) document.
type SettingsSchema map[string]any

func (s *server) getSettingsSchema(w http.ResponseWriter, r *http.Request) {
	orgID := r.PathValue("id")
	sch, err := s.Service.SettingsSchema(r.Context(), state(r).caller, orgID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.sendSettingsSchema(w, r, orgID, sch)
}

// sendSettingsSchema answers with the schema document and its ETag (304
// for a GET whose If-None-Match has it).
func (s *server) sendSettingsSchema(w http.ResponseWriter, r *http.Request, orgID string, sch *roster.SettingsSchema) {
	tag := sch.ETag(orgID)
	w.Header().Set("ETag", tag)
	if inm := r.Header.Get("If-None-Match"); r.Method == http.MethodGet && inm != "" && matchWeak(inm, tag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	s.write(w, r, http.StatusOK, "settings_schema", "", sch.Doc)
}

// tagPrecondition is If-Match compared with a whole ETag (strong
// comparison; * matches any current schema).
func tagPrecondition(r *http.Request) service.TagPrecondition {
	h := r.Header.Get("If-Match")
	if h == "" {
		return nil
	}
	return func(tag string) bool {
		for _, t := range strings.Split(h, ",") {
			if t = strings.TrimSpace(t); t == "*" || t == tag {
				return true
			}
		}
		return false
	}
}

func (s *server) putSettingsSchema(w http.ResponseWriter, r *http.Request) {
	if mt := mediaType(r); mt != "application/json" && mt != "application/schema+json" {
		s.writeError(w, r, unsupported(mt, "application/json or application/schema+json"))
		return
	}
	body, err := readBody(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var doc map[string]any
	if err := roster.CheckJSON(body); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := roster.DecodeStrict(body, &doc); err != nil {
		s.writeError(w, r, err)
		return
	}
	orgID := r.PathValue("id")
	sch, err := s.Service.PutSettingsSchema(r.Context(), state(r).caller, orgID, body, tagPrecondition(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.sendSettingsSchema(w, r, orgID, sch)
}
