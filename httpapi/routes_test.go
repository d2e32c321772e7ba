// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/rosterhq/roster/openapi"
)

// TestDocumentMatchesRoutes fails when a route exists that the OpenAPI
// document lacks, or the other way round.
func TestDocumentMatchesRoutes(t *testing.T) {
	doc, err := Document("test")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(d.OpenAPI, "3.1") {
		t.Errorf("openapi %q, want 3.1.x", d.OpenAPI)
	}
	var inDoc []string
	for path, item := range d.Paths {
		for method := range item {
			if method == "parameters" {
				continue
			}
			inDoc = append(inDoc, strings.ToUpper(method)+" "+path)
		}
	}
	var inRoutes []string
	for _, rt := range (&server{}).routeTable() {
		// The document names a {rest...} wildcard {rest}, as OpenAPI does.
		inRoutes = append(inRoutes, rt.op.Method+" "+strings.ReplaceAll(rt.op.Path, "...}", "}"))
		if rt.handler == nil {
			t.Errorf("%s %s has no handler", rt.op.Method, rt.op.Path)
		}
	}
	slices.Sort(inDoc)
	slices.Sort(inRoutes)
	if !slices.Equal(inDoc, inRoutes) {
		t.Fatalf("document and routes differ:\ndocument: %v\nroutes:   %v", inDoc, inRoutes)
	}
}

// TestListsArePaged: every list answered with a next_cursor takes limit
// and cursor (the change feed pages with after instead), so that the
// document shows how to page it.
func TestListsArePaged(t *testing.T) {
	for _, rt := range (&server{}).routeTable() {
		if rt.op.Method != "GET" || rt.op.Path == "/v1/events" {
			continue
		}
		paged := false
		for _, res := range rt.op.Responses {
			if res.Status == 200 && res.Type != nil && res.Type.Kind() == reflect.Struct {
				_, paged = res.Type.FieldByName("NextCursor")
			}
		}
		if !paged {
			continue
		}
		var names []string
		for _, p := range rt.op.Params {
			if p.In == "query" {
				names = append(names, p.Name)
			}
		}
		if !slices.Contains(names, "limit") || !slices.Contains(names, "cursor") {
			t.Errorf("%s %s answers pages but documents the query parameters %v, not limit and cursor", rt.op.Method, rt.op.Path, names)
		}
	}
}

func TestRouteMediaType(t *testing.T) {
	for path, want := range map[string]openapi.MediaType{
		"/metrics": openapi.OwnMedia, "/docs": openapi.OwnMedia, "/.well-known/openid-configuration": openapi.OwnMedia,
		"/v1/users/export": openapi.Stream, "/v1/users/import": openapi.Stream,
		"/oauth2/authorize": openapi.Page, "/oauth2/password/reset": openapi.Page, "/console": openapi.Page,
		"/console/": openapi.Page, "/console/app.js": openapi.Page, "/console/{asset}": openapi.Page,
		"/v1/users": openapi.Negotiated, "/v1/users/u_1": openapi.Negotiated, "/consoles": openapi.Negotiated, "/healthz": openapi.Negotiated,
	} {
		if got := RouteMediaType(path); got != want {
			t.Errorf("RouteMediaType(%q) = %v, want %v", path, got, want)
		}
	}
}
