// SPDX-License-Identifier: Apache-2.0

// Package openapi builds Roster's OpenAPI 3.1 document from the route table
// that the HTTP layer also registers its handlers from, so the document
// cannot drift from the server. Request and response bodies are Go types
// described by reflection (see schema.go for the struct tags honoured).
package openapi

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Operation describes one route.
type Operation struct {
	Method       string // "GET", "POST", ...
	Path         string // "/v1/users/{id}": the ServeMux pattern's path
	ID           string // operationId, unique, e.g. "getUser"
	Summary      string
	Description  string
	Tag          string // users, organizations, auth, api-keys, oauth-clients, webhooks, events, audit or system
	Params       []Param
	Body         []Media // request body alternatives; empty means no body
	BodyRequired bool
	Responses    []Response
	Public       bool     // true means no bearer authentication
	Scopes       []string // scopes the token needs, any one of them (they nest); may be empty
	// JSONOnly says that the operation answers JSON whatever the format
	// parameter asks for (an OAuth 2.0 endpoint, the document itself): it
	// gets no format parameter.
	JSONOnly bool
	// MediaType says whether the route answers in a media type of its
	// own rather than the negotiated JSON or XML; the server reads it, the
	// document does not.
	MediaType MediaType
}

// MediaType is how a route answers (Operation.MediaType).
type MediaType int

const (
	// Negotiated: JSON or XML, as the request asks (Accept, format, suffix).
	Negotiated MediaType = iota
	// OwnMedia: one media type of its own (Prometheus text, the HTML
	// reference, the OpenID documents), served whatever Accept says.
	OwnMedia
	// Stream: NDJSON written line by line as the work is done (an export,
	// an import's results), served whatever Accept says.
	Stream
	// Page: a hosted page for people (HTML or a redirect), whose errors
	// are pages too, served whatever Accept says.
	Page
)

// Param describes one path, query or header parameter.
type Param struct {
	Name, In, Description string // In is "path", "query" or "header"
	Required              bool   // forced to true for path parameters
	Type                  reflect.Type
	Enum                  []string
	Min, Max              *float64
	Default               any
}

// Media is one content type a request body may be sent as, with its Go type.
// With MergePatch the body is a JSON Merge Patch (RFC 7396) of Type: its
// schema is Type's patch form (see schema.go), not Type's own.
type Media struct {
	ContentType string
	Type        reflect.Type
	MergePatch  bool
}

// Response describes one status an operation answers with. A 1xx–3xx
// response with a Type is described as application/json; a 4xx or 5xx
// response carries the Problem schema as application/problem+json, unless
// it has a Type: then it is that type as application/json (for protocols
// with error formats of their own, such as OAuth 2.0's), or a problem for
// what is refused before the operation runs. Each other response has one
// media type, so that generators that handle one per response work: the
// XML form of the same answers is asked for with the format parameter
// (components/parameters/format) or a .xml suffix, and described there.
type Response struct {
	Status      int
	Description string       // defaults to the status text
	Type        reflect.Type // nil means no body
	Headers     []string     // e.g. "ETag", "Location", "Retry-After", "Idempotency-Replayed"
	// ContentType, when set, is the body's one media type (e.g.
	// application/x-ndjson: one Type a line) instead of JSON and XML.
	ContentType string
}

// Info is the document's info object, and what the document says about
// authentication: with a TokenURL, the scopes are described by an oauth2
// security scheme whose password and client credentials flows get tokens
// there (operations list their scopes against it), beside the bearer
// scheme for API keys.
type Info struct {
	Title, Version, Description string
	TokenURL                    string
	Scopes                      []Scope
	// XML describes the XML form of every answer, in the format
	// parameter; empty means the answers are JSON only.
	XML string
	// Webhooks are the requests the server sends (OpenAPI 3.1 webhooks):
	// Path is the webhook's name, Body what is sent, Params its headers
	// and Responses what the receiver answers. They get no default
	// response, no format parameter and no security requirement.
	Webhooks []Operation
}

// Scope is an OAuth 2.0 scope with its description.
type Scope struct{ Name, Description string }

// PlainText is a marker type: a Response whose Type is PlainText answers
// text/plain (e.g. /metrics) instead of JSON and XML.
type PlainText string

// NDJSON is a marker type: a Response whose Type is NDJSON answers
// application/x-ndjson, one JSON document per line (the user export).
type NDJSON string

// HTML is a marker type: a Response whose Type is HTML answers text/html
// (e.g. /docs) instead of JSON and XML.
type HTML string

// tagDocs describes Roster's operation tags, in the order the document lists
// them. An operation may use another tag; it gets a generic description.
var tagDocs = []struct{ Name, Description string }{
	{"users", "Users: profiles, preferences, notifications, tags, passwords, email changes and second factors."},
	{"organizations", "Organisations and reseller trees: members and their roles, credit and the settings schema."},
	{"auth", "OAuth 2.0 token issue and revocation."},
	{"openid", "OpenID Connect: discovery, the signing keys (JWKS), userinfo and token introspection."},
	{"api-keys", "API keys for users; the secret is shown once."},
	{"oauth-clients", "The product's apps: service clients (client_credentials) and apps users sign in to (authorization_code); a confidential client's secret is shown once."},
	{"webhooks", "Change subscriptions, their delivery log, redelivery and signing secrets."},
	{"events", "The change feed: every change as an event, with a cursor and long polling."},
	{"audit", "The audit log: who changed what, from where, with which patch."},
	{"system", "Liveness, readiness, metrics and this document."},
}

// headerDocs describes the response headers operations may name.
var headerDocs = map[string]struct {
	desc   string
	schema *obj
}{
	"ETag":                 {`The resource's version as a strong validator: "<version>", quoted.`, newObj("type", "string")},
	"Location":             {"The URL of the created resource.", newObj("type", "string", "format", "uri-reference")},
	"Retry-After":          {"Seconds to wait before trying again.", newObj("type", "integer", "minimum", 0)},
	"Idempotency-Replayed": {"true when this answer replays the first answer to the same Idempotency-Key.", newObj("type", "boolean")},
}

var (
	methods     = []string{"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"}
	pathParamRE = regexp.MustCompile(`\{([^{}]*)\}`)
	idRE        = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
)

// Build returns the OpenAPI 3.1 document for ops as indented JSON. The same
// input always gives the same bytes. Besides what ops declare, every
// operation gets a "default" problem response and every authenticated
// operation a 401 unless it lists one. Build fails on an invalid route
// table: missing fields, path parameters that do not match the path,
// duplicate operation ids or duplicate method and path.
func Build(info Info, ops []Operation) ([]byte, error) {
	if info.Title == "" || info.Version == "" {
		return nil, fmt.Errorf("openapi: info needs a title and a version")
	}
	reg := newRegistry()
	problemRef := reg.response(reflect.TypeFor[problem]())
	b := &builder{info: info, reg: reg, problemRef: problemRef, usedHeaders: map[string]bool{}}
	paths := newObj()
	seen := map[string]string{} // "id getUser", "route GET /v1/users", "shape /v1/users/{}"
	var tags []string
	for _, op := range ops {
		where := op.Method + " " + op.Path
		if err := check(op, seen); err != nil {
			return nil, fmt.Errorf("openapi: %s: %w", where, err)
		}
		path := strings.ReplaceAll(strings.TrimSuffix(op.Path, "{$}"), "...}", "}")
		item, _ := paths.get(path).(*obj)
		if item == nil {
			item = newObj()
			paths.set(path, item)
		}
		o, err := b.operation(op)
		if err != nil {
			return nil, fmt.Errorf("openapi: %s: %w", where, err)
		}
		item.set(strings.ToLower(op.Method), o)
		if !slices.Contains(tags, op.Tag) {
			tags = append(tags, op.Tag)
		}
	}
	for _, item := range paths.vals {
		slices.SortFunc(item.(*obj).keys, func(a, b string) int {
			return slices.Index(methods, strings.ToUpper(a)) - slices.Index(methods, strings.ToUpper(b))
		})
	}
	var webhooks *obj
	for _, op := range info.Webhooks {
		if op.Path == "" || op.ID == "" || op.Summary == "" || len(op.Responses) == 0 {
			return nil, fmt.Errorf("openapi: webhook %q needs a name (Path), an id, a summary and responses", op.Path)
		}
		op.Public, op.JSONOnly = true, true
		o, err := b.operation(op)
		if err != nil {
			return nil, fmt.Errorf("openapi: webhook %s: %w", op.Path, err)
		}
		o.del("security")
		o.get("responses").(*obj).del("default")
		if webhooks == nil {
			webhooks = newObj()
		}
		webhooks.set(op.Path, newObj(strings.ToLower(op.Method), o))
		if !slices.Contains(tags, op.Tag) {
			tags = append(tags, op.Tag)
		}
	}
	schemas, err := reg.components()
	if err != nil {
		return nil, err
	}
	headers := newObj()
	for _, name := range sortedKeys(b.usedHeaders) {
		h, ok := headerDocs[name]
		if !ok {
			h.desc, h.schema = "The "+name+" response header.", newObj("type", "string")
		}
		headers.set(name, newObj("description", h.desc, "schema", h.schema))
	}
	var parameters *obj
	if b.usedFormat {
		parameters = newObj("format", formatParam(info.XML))
	}
	security := []any{newObj("bearer", []string{})}
	if info.TokenURL != "" {
		security = append(security, newObj("oauth2", []string{}))
	}
	doc := newObj(
		"openapi", "3.1.0",
		"info", newObj("title", info.Title, "version", info.Version, "description", info.Description,
			"license", newObj("name", "Apache-2.0", "identifier", "Apache-2.0")),
		"servers", []any{newObj("url", "/")},
		"security", security,
		"tags", tagList(tags),
		"paths", paths,
		"webhooks", webhooks,
		"components", newObj(
			"schemas", schemas,
			"parameters", parameters,
			"headers", headers,
			"securitySchemes", securitySchemes(info, ops),
		),
	)
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	return out.Bytes(), nil
}

// check validates one operation against the rest of the route table, whose
// operation ids, routes and path shapes it records in seen.
func check(op Operation, seen map[string]string) error {
	switch {
	case !slices.Contains(methods, op.Method):
		return fmt.Errorf("unknown method %q", op.Method)
	case !strings.HasPrefix(op.Path, "/"):
		return fmt.Errorf("path must start with /")
	case !idRE.MatchString(op.ID):
		return fmt.Errorf("operation id %q must be a letter followed by letters, digits or _", op.ID)
	case op.Summary == "" || op.Tag == "":
		return fmt.Errorf("operation %s needs a summary and a tag", op.ID)
	case len(op.Responses) == 0:
		return fmt.Errorf("operation %s has no responses", op.ID)
	case op.BodyRequired && len(op.Body) == 0:
		return fmt.Errorf("operation %s requires a body but declares none", op.ID)
	}
	if other, ok := seen["id "+op.ID]; ok {
		return fmt.Errorf("duplicate operation id %q (also %s)", op.ID, other)
	}
	seen["id "+op.ID] = op.Method + " " + op.Path
	if other, ok := seen["route "+op.Method+" "+op.Path]; ok {
		return fmt.Errorf("duplicate method and path (also %s)", other)
	}
	seen["route "+op.Method+" "+op.Path] = op.ID
	// OpenAPI, like ServeMux, treats paths that differ only in parameter
	// names as the same path, so they must use the same names.
	shape := "shape " + pathParamRE.ReplaceAllString(op.Path, "{}")
	if other, ok := seen[shape]; ok && other != op.Path {
		return fmt.Errorf("path differs from %s only in parameter names", other)
	}
	seen[shape] = op.Path
	inPath := map[string]bool{}
	for _, m := range pathParamRE.FindAllStringSubmatch(op.Path, -1) {
		if name := strings.TrimSuffix(m[1], "..."); name != "$" {
			inPath[name] = true
		}
	}
	declared := map[string]bool{}
	for _, p := range op.Params {
		switch {
		case p.In != "path" && p.In != "query" && p.In != "header":
			return fmt.Errorf("parameter %q: unknown location %q", p.Name, p.In)
		case declared[p.In+" "+p.Name]:
			return fmt.Errorf("duplicate %s parameter %q", p.In, p.Name)
		case p.In == "path" && !inPath[p.Name]:
			return fmt.Errorf("path parameter %q is not in the path", p.Name)
		case p.In == "header" && slices.Contains([]string{"accept", "content-type", "authorization"}, strings.ToLower(p.Name)):
			return fmt.Errorf("header parameter %q is described by the document itself", p.Name)
		}
		declared[p.In+" "+p.Name] = true
	}
	for name := range inPath {
		if !declared["path "+name] {
			return fmt.Errorf("path parameter {%s} is not declared", name)
		}
	}
	return nil
}

// builder holds what building the operations collects.
type builder struct {
	info        Info
	reg         *registry
	problemRef  *obj
	usedHeaders map[string]bool
	usedFormat  bool
}

// operation builds the operation object for op.
func (b *builder) operation(op Operation) (*obj, error) {
	reg, problemRef, usedHeaders := b.reg, b.problemRef, b.usedHeaders
	desc := op.Description
	switch {
	case len(op.Scopes) == 1:
		desc = strings.TrimSpace(desc + "\n\nRequired scope: `" + op.Scopes[0] + "`.")
	case len(op.Scopes) > 1:
		desc = strings.TrimSpace(desc + "\n\nRequired scope: one of `" + strings.Join(op.Scopes, "`, `") + "`.")
	}
	o := newObj("tags", []string{op.Tag}, "summary", op.Summary, "description", desc, "operationId", op.ID)
	var params []any
	for _, p := range op.Params {
		s, err := paramSchema(p)
		if err != nil {
			return nil, fmt.Errorf("parameter %q: %w", p.Name, err)
		}
		params = append(params, newObj("name", p.Name, "in", p.In, "description", p.Description,
			"required", ifTrue(p.Required || p.In == "path"), "schema", s))
	}
	if b.info.XML != "" && !op.JSONOnly && answersJSON(op) &&
		!slices.ContainsFunc(op.Params, func(p Param) bool { return p.In == "query" && p.Name == "format" }) {
		params = append(params, newObj("$ref", "#/components/parameters/format"))
		b.usedFormat = true
	}
	o.set("parameters", params)
	if len(op.Body) > 0 {
		content := newObj()
		for _, m := range op.Body {
			if m.ContentType == "" || m.Type == nil || content.get(m.ContentType) != nil {
				return nil, fmt.Errorf("request body %q: missing type or duplicate content type", m.ContentType)
			}
			content.set(m.ContentType, newObj("schema", reg.request(m.Type, m.MergePatch)))
		}
		o.set("requestBody", newObj("required", ifTrue(op.BodyRequired), "content", content))
	}
	responses := newObj()
	resps := slices.Clone(op.Responses)
	if !op.Public && !slices.ContainsFunc(resps, func(r Response) bool { return r.Status == 401 }) {
		resps = append(resps, Response{Status: 401, Description: "The bearer token is missing, invalid or expired."})
	}
	slices.SortStableFunc(resps, func(a, b Response) int { return a.Status - b.Status })
	for _, r := range resps {
		key := strconv.Itoa(r.Status)
		if r.Status < 100 || r.Status > 599 || responses.get(key) != nil {
			return nil, fmt.Errorf("invalid or duplicate response status %d", r.Status)
		}
		if r.Description == "" {
			r.Description = cmp.Or(http.StatusText(r.Status), "Status "+key+".")
		}
		resp := newObj("description", r.Description)
		if len(r.Headers) > 0 {
			hs := newObj()
			for _, h := range r.Headers {
				usedHeaders[h] = true
				hs.set(h, newObj("$ref", "#/components/headers/"+h))
			}
			resp.set("headers", hs)
		}
		switch {
		case r.Status >= 400 && r.Type == reflect.TypeFor[HTML]():
			// A hosted page's error page (a browser is reading).
			resp.set("content", newObj("text/html", newObj("schema", newObj("type", "string"))))
		case r.Status >= 400 && r.Type != nil:
			// An error in a protocol's own format (the OAuth 2.0 token
			// endpoint's RFC 6749 section 5.2 answers); what is refused
			// before the operation runs (a bad query, format or callback)
			// is still a problem document.
			resp.set("content", newObj("application/json", newObj("schema", reg.response(r.Type)),
				"application/problem+json", newObj("schema", problemRef)))
		case r.Status >= 400:
			resp.set("content", problemContent(problemRef))
		case r.Type == reflect.TypeFor[PlainText]():
			resp.set("content", newObj("text/plain", newObj("schema", newObj("type", "string"))))
		case r.Type == reflect.TypeFor[NDJSON]():
			resp.set("content", newObj("application/x-ndjson", newObj("schema", newObj("type", "string"))))
		case r.Type == reflect.TypeFor[HTML]():
			resp.set("content", newObj("text/html", newObj("schema", newObj("type", "string"))))
		case r.Type != nil && r.ContentType != "":
			resp.set("content", newObj(r.ContentType, newObj("schema", reg.response(r.Type))))
		case r.Type != nil:
			resp.set("content", newObj("application/json", newObj("schema", reg.response(r.Type))))
		}
		responses.set(key, resp)
	}
	responses.set("default", newObj("description", "An unexpected error.", "content", problemContent(problemRef)))
	o.set("responses", responses)
	switch {
	case op.Public:
		o.set("security", []any{})
	case len(op.Scopes) > 0 && b.info.TokenURL != "":
		// An API key is a bearer token (its scopes are its own); an OAuth
		// 2.0 token needs one of the scopes: each is an alternative.
		sec := []any{newObj("bearer", []string{})}
		for _, sc := range op.Scopes {
			sec = append(sec, newObj("oauth2", []string{sc}))
		}
		o.set("security", sec)
	}
	return o, nil
}

// answersJSON reports whether op answers a JSON document on success.
func answersJSON(op Operation) bool {
	return slices.ContainsFunc(op.Responses, func(r Response) bool {
		return r.Status < 400 && r.Type != nil && r.Type != reflect.TypeFor[PlainText]() && r.Type != reflect.TypeFor[HTML]()
	})
}

// formatParam is the format query parameter, which asks for the XML form
// of an answer; xml describes that form.
func formatParam(xml string) *obj {
	return newObj("name", "format", "in", "query",
		"description", "`json` (the default) or `xml`. The responses are described as JSON; "+xml,
		"schema", newObj("type", "string", "enum", []string{"json", "xml"}, "default", "json"))
}

// securitySchemes describes bearer tokens and, with a token URL, the
// OAuth 2.0 flows and the scopes the operations use.
func securitySchemes(info Info, ops []Operation) *obj {
	out := newObj("bearer", newObj("type", "http", "scheme", "bearer",
		"description", "An API key, or an access token from POST /v1/auth/token, sent as `Authorization: Bearer <token>`."))
	if info.TokenURL == "" {
		return out
	}
	scopes := newObj()
	for _, sc := range info.Scopes {
		scopes.set(sc.Name, cmp.Or(sc.Description, "The "+sc.Name+" scope."))
	}
	for _, op := range ops {
		for _, sc := range op.Scopes {
			if scopes.get(sc) == nil {
				scopes.set(sc, "The "+sc+" scope.")
			}
		}
	}
	flow := newObj("tokenUrl", info.TokenURL, "scopes", scopes)
	return out.set("oauth2", newObj("type", "oauth2",
		"description", "Access tokens from the token endpoint; an operation needs one of the scopes it lists. API keys (the bearer scheme) carry scopes of their own, checked the same way.",
		"flows", newObj("password", flow, "clientCredentials", flow)))
}

// ifTrue is true or, to leave the key out, nil.
func ifTrue(b bool) any {
	if b {
		return true
	}
	return nil
}

// problemContent is the content of every error response.
func problemContent(ref *obj) *obj {
	return newObj("application/problem+json", newObj("schema", ref))
}

// paramSchema is the schema of a parameter: a scalar, a time or a list.
func paramSchema(p Param) (*obj, error) {
	t := p.Type
	if t == nil {
		t = reflect.TypeFor[string]()
	}
	s, item := newObj(), newObj()
	if t.Kind() == reflect.Slice {
		s.set("type", "array", "items", item)
		t = t.Elem()
	} else {
		item = s
	}
	base, ok := scalar(t)
	if !ok {
		return nil, fmt.Errorf("unsupported type %s", t)
	}
	item.merge(base)
	if len(p.Enum) > 0 {
		vals := make([]any, len(p.Enum))
		for i, e := range p.Enum {
			vals[i] = parseValue(base, e)
		}
		item.set("enum", vals)
	}
	if p.Min != nil {
		item.set("minimum", *p.Min)
	}
	if p.Max != nil {
		item.set("maximum", *p.Max)
	}
	if p.Default != nil {
		s.set("default", p.Default)
	}
	return s, nil
}

// tagList is the top-level tags list: Roster's known tags in their order,
// then any other tag in order of first use.
func tagList(used []string) []any {
	var out []any
	for _, t := range tagDocs {
		if slices.Contains(used, t.Name) {
			out = append(out, newObj("name", t.Name, "description", t.Description))
		}
	}
	for _, name := range used {
		if !slices.ContainsFunc(tagDocs, func(t struct{ Name, Description string }) bool { return t.Name == name }) {
			out = append(out, newObj("name", name, "description", "Operations on "+name+"."))
		}
	}
	return out
}

// problem is the RFC 9457 problem details body of every error answer.
type problem struct {
	XMLName   struct{}       `json:"-" xml:"urn:ietf:rfc:7807 problem"` // RFC 9457 keeps 7807's namespace
	Type      string         `json:"type,omitempty" format:"uri" doc:"A URI reference that identifies the problem type." example:"about:blank"`
	Title     string         `json:"title,omitempty" doc:"A short, human-readable summary of the problem type." example:"Unprocessable Entity"`
	Status    int            `json:"status,omitempty" minimum:"100" maximum:"599" doc:"The HTTP status code." example:"422"`
	Detail    string         `json:"detail,omitempty" doc:"An explanation specific to this occurrence of the problem."`
	Instance  string         `json:"instance,omitempty" format:"uri-reference" doc:"A URI reference that identifies this occurrence of the problem."`
	RequestID string         `json:"request_id,omitempty" doc:"The id of the request, as written in the server's logs."`
	Errors    []problemError `json:"errors,omitempty" doc:"One entry per invalid field."`
}

// problemError names one invalid field of a request.
type problemError struct {
	Location string `json:"location" required:"true" doc:"Where the value was found, e.g. body.preferences.language or query.limit." example:"body.first_name"`
	Message  string `json:"message" required:"true" doc:"What is wrong, in words a person can act on."`
	Value    any    `json:"value,omitempty" doc:"The rejected value; never shown for secrets."`
}
