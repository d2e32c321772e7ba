// SPDX-License-Identifier: Apache-2.0

package scim

import (
	"net/http"
	"strings"
)

// maxResults is the most users one list answer holds (count is capped
// to it), and what ServiceProviderConfig announces.
const maxResults = 1000

type supported struct {
	Supported bool `json:"supported"`
}

type filterSupport struct {
	Supported  bool `json:"supported"`
	MaxResults int  `json:"maxResults"`
}

type bulkSupport struct {
	Supported      bool `json:"supported"`
	MaxOperations  int  `json:"maxOperations"`
	MaxPayloadSize int  `json:"maxPayloadSize"`
}

type authScheme struct {
	Type        string `json:"type"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Primary     bool   `json:"primary"`
}

type serviceProviderConfig struct {
	Schemas               []string      `json:"schemas"`
	DocumentationURI      string        `json:"documentationUri,omitempty"`
	Patch                 supported     `json:"patch"`
	Bulk                  bulkSupport   `json:"bulk"`
	Filter                filterSupport `json:"filter"`
	ChangePassword        supported     `json:"changePassword"`
	Sort                  supported     `json:"sort"`
	ETag                  supported     `json:"etag"`
	AuthenticationSchemes []authScheme  `json:"authenticationSchemes"`
	Meta                  Meta          `json:"meta"`
}

func (h *Handler) serviceProviderConfig(w http.ResponseWriter, r *http.Request) {
	write(w, 200, serviceProviderConfig{
		Schemas: []string{URNSPConfig},
		Patch:   supported{true},
		Bulk:    bulkSupport{true, maxBulkOperations, maxBody},
		Filter:  filterSupport{true, maxResults},
		Sort:    supported{true},
		ETag:    supported{true},
		AuthenticationSchemes: []authScheme{{Type: "oauthbearertoken", Name: "OAuth Bearer Token", Primary: true,
			Description: "A Roster API key, or a client_credentials access token, holding the scim scope."}},
		Meta: Meta{ResourceType: "ServiceProviderConfig", Location: baseURL(r) + "/ServiceProviderConfig"},
	})
}

type schemaExtension struct {
	Schema   string `json:"schema"`
	Required bool   `json:"required"`
}

type resourceType struct {
	Schemas          []string          `json:"schemas"`
	ID               string            `json:"id"`
	Name             string            `json:"name"`
	Endpoint         string            `json:"endpoint"`
	Description      string            `json:"description"`
	Schema           string            `json:"schema"`
	SchemaExtensions []schemaExtension `json:"schemaExtensions"`
	Meta             Meta              `json:"meta"`
}

func userResourceType(r *http.Request) resourceType {
	return resourceType{Schemas: []string{URNResource}, ID: "User", Name: "User", Endpoint: "/Users",
		Description: "Roster users", Schema: URNUser,
		SchemaExtensions: []schemaExtension{{Schema: URNEnterprise}},
		Meta:             Meta{ResourceType: "ResourceType", Location: baseURL(r) + "/ResourceTypes/User"}}
}

// listOf answers a fixed list of resources as a ListResponse.
func listOf[T any](w http.ResponseWriter, items []T) {
	res := make([]any, len(items))
	for i, it := range items {
		res[i] = it
	}
	write(w, 200, listResponse{Schemas: []string{URNList}, TotalResults: len(res), StartIndex: 1, ItemsPerPage: len(res), Resources: res})
}

func groupResourceType(r *http.Request) resourceType {
	return resourceType{Schemas: []string{URNResource}, ID: "Group", Name: "Group", Endpoint: "/Groups",
		Description: "Organisations below the token's organisation", Schema: URNGroup, SchemaExtensions: []schemaExtension{},
		Meta: Meta{ResourceType: "ResourceType", Location: baseURL(r) + "/ResourceTypes/Group"}}
}

func (h *Handler) resourceTypes(w http.ResponseWriter, r *http.Request) {
	listOf(w, []resourceType{userResourceType(r), groupResourceType(r)})
}

func (h *Handler) resourceType(w http.ResponseWriter, r *http.Request) {
	for _, rt := range []resourceType{userResourceType(r), groupResourceType(r)} {
		if strings.EqualFold(r.PathValue("id"), rt.ID) {
			write(w, 200, rt)
			return
		}
	}
	h.writeErr(w, r, scimErr(404, "", "no resource type "+quote(r.PathValue("id"))+": Roster serves User and Group"))
}

// allSchemas are the schemas /Schemas shows: the very definitions the
// Users endpoints read, with their meta filled in.
func allSchemas(r *http.Request) []Schema {
	out := []Schema{userSchema, enterpriseSchema, groupSchema}
	for i := range out {
		out[i].Meta = &Meta{ResourceType: "Schema", Location: baseURL(r) + "/Schemas/" + out[i].ID}
	}
	return out
}

func (h *Handler) schemas(w http.ResponseWriter, r *http.Request) {
	listOf(w, allSchemas(r))
}

func (h *Handler) schema(w http.ResponseWriter, r *http.Request) {
	for _, s := range allSchemas(r) {
		if strings.EqualFold(s.ID, r.PathValue("id")) {
			write(w, 200, s)
			return
		}
	}
	h.writeErr(w, r, scimErr(404, "", "no schema "+quote(r.PathValue("id"))))
}
