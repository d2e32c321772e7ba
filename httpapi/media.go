// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"strings"
	"sync"

	"github.com/rosterhq/roster/openapi"
)

// mediaPatterns maps the path patterns of the routes that answer in a
// media type of their own (Operation.MediaType) to it, so that the
// declaration in the route table is the only list of them.
var mediaPatterns = sync.OnceValue(func() map[string]openapi.MediaType {
	out := map[string]openapi.MediaType{}
	// The table's operations do not depend on the server's configuration:
	// a zero server gives the same declarations as a running one.
	for _, rt := range (&server{}).routeTable() {
		if rt.op.MediaType != openapi.Negotiated {
			out[rt.op.Path] = rt.op.MediaType
		}
	}
	return out
})

// RouteMediaType says how the route serving path answers, whatever the
// method; Negotiated for paths no such route serves. path is a request's
// path or a route's (an OpenAPI path such as /console/{asset}).
func RouteMediaType(path string) openapi.MediaType {
	patterns := mediaPatterns()
	if mt, ok := patterns[path]; ok {
		return mt
	}
	for pattern, mt := range patterns {
		if patternMatches(pattern, path) {
			return mt
		}
	}
	return openapi.Negotiated
}

// patternMatches reports whether a ServeMux path pattern matches path:
// {name} takes one segment, a final {name...} the rest of the path.
func patternMatches(pattern, path string) bool {
	pat, segs := strings.Split(pattern, "/"), strings.Split(path, "/")
	for i, p := range pat {
		if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "...}") {
			return len(segs) > i // the rest, even empty
		}
		if i >= len(segs) || (p != segs[i] && !(strings.HasPrefix(p, "{") && segs[i] != "")) {
			return false
		}
	}
	return len(segs) == len(pat)
}

// declaredScopes maps "METHOD path" to the scopes its route declares.
var declaredScopes = sync.OnceValue(func() map[string][]string {
	out := map[string][]string{}
	for _, rt := range (&server{}).routeTable() {
		out[rt.op.Method+" "+rt.op.Path] = rt.op.Scopes
	}
	return out
})

// DeclaredScopes returns the scopes the route of method and path (a
// pattern of the route table, such as /v1/users/{id}) declares, any one
// of which a token needs; nil when it declares none. ok is false when
// there is no such route.
func DeclaredScopes(method, path string) (scopes []string, ok bool) {
	scopes, ok = declaredScopes()[method+" "+path]
	return scopes, ok
}
