// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"net/http"

	"github.com/rosterhq/roster"
)

// Link is a hypermedia link in a resource's _links.
type Link struct {
	Href   string `json:"href"`
	Method string `json:"method,omitempty"`
}

// UserResource is a user as the API returns it.
type UserResource struct {
	XMLName struct{} `json:"-" xml:"user"`
	*roster.User
	Links map[string]Link `json:"_links" readOnly:"true"`
}

// OrgResource is an organisation as the API returns it.
type OrgResource struct {
	XMLName struct{} `json:"-" xml:"organization"`
	*roster.Organization
	Links map[string]Link `json:"_links" readOnly:"true"`
}

// UserList is a page of users.
type UserList struct {
	XMLName    struct{}       `json:"-" xml:"list"`
	Items      []UserResource `json:"items"`
	NextCursor *string        `json:"next_cursor" nullable:"true" doc:"Pass as cursor to get the next page; null on the last page."`
}

// OrgList is a page of organisations.
type OrgList struct {
	XMLName    struct{}      `json:"-" xml:"list"`
	Items      []OrgResource `json:"items"`
	NextCursor *string       `json:"next_cursor" nullable:"true"`
}

func userResource(u *roster.User) UserResource {
	return UserResource{User: u.Document(), Links: userLinks(u)}
}

// userLinks are a user's _links. appendUserLinks writes the same JSON
// without the map: change both together (TestAppendUserLinks).
func userLinks(u *roster.User) map[string]Link {
	self := "/v1/users/" + u.ID
	return map[string]Link{
		"self":         {Href: self},
		"organization": {Href: "/v1/orgs/" + u.OrganizationID},
		"tags":         {Href: self + "/tags", Method: "POST"},
		"password":     {Href: self + "/password", Method: "POST"},
		"email_change": {Href: self + "/email-change", Method: "POST"},
		"mfa":          {Href: self + "/mfa/totp", Method: "POST"},
	}
}

func orgResource(o *roster.Organization) OrgResource {
	self := "/v1/orgs/" + o.ID
	links := map[string]Link{
		"self":            {Href: self},
		"members":         {Href: self + "/members"},
		"users":           {Href: "/v1/users?organization_id=" + o.ID},
		"settings_schema": {Href: self + "/settings-schema"},
		"credit":          {Href: self + "/credit", Method: "POST"},
		"children":        {Href: "/v1/orgs?parent_id=" + o.ID},
	}
	if o.ParentID != "" {
		links["parent"] = Link{Href: "/v1/orgs/" + o.ParentID}
	}
	return OrgResource{Organization: o, Links: links}
}

func nextCursor(c *roster.Cursor) *string {
	if c == nil {
		return nil
	}
	s := c.Encode()
	return &s
}

// sendVersioned answers a single-resource read or write: the ETag, 304
// for a matching If-None-Match on GET, 204 for Prefer: return=minimal on
// writes, else the resource.
func (s *server) sendVersioned(w http.ResponseWriter, r *http.Request, status int, version int64, root string, v any) {
	tag := etag(version)
	w.Header().Set("ETag", tag)
	if r.Method == http.MethodGet {
		if inm := r.Header.Get("If-None-Match"); inm != "" && matchWeak(inm, tag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	} else if preferMinimal(r) {
		w.Header().Set("Preference-Applied", "return=minimal")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	s.respond(w, r, status, root, v)
}

// matchWeak is If-None-Match's weak comparison.
func matchWeak(header, tag string) bool {
	for _, t := range splitTags(header) {
		if t == "*" || t == tag || t == "W/"+tag {
			return true
		}
	}
	return false
}

func preferMinimal(r *http.Request) bool {
	for _, v := range r.Header.Values("Prefer") {
		for _, p := range splitTags(v) {
			if p == "return=minimal" {
				return true
			}
		}
	}
	return false
}
