// SPDX-License-Identifier: Apache-2.0

package openapi

import (
	"bytes"
	"cmp"
	"encoding"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// The struct tags below refine a field's schema, next to its json tag:
//
//	doc:"…"                      description
//	enum:"a,b,c"                 allowed values (of the items, for a list)
//	format:"email"               format (of the items, for a list)
//	pattern:"^…$"                pattern (of the items, for a list)
//	minLength, maxLength         string length (of the items, for a list)
//	minimum, maximum             number range (of the items, for a list)
//	minItems, maxItems           list length
//	readOnly, writeOnly:"true"   response-only or request-only field
//	required:"true"              listed in the parent object's required list
//	nullable:"true"              null is allowed too
//	example:"…"                  an example (text for strings, JSON otherwise)
//	schema:"object"              the value is a JSON object, whatever its Go type
//	                             (json.RawMessage, any); "json-patch" an RFC 6902
//	                             JSON Patch document; "any" any JSON value
//
// Named struct types become components named after the type (capitalised;
// a generic type's arguments are appended, so List[User] is ListUser);
// anonymous structs are inlined. A type described as a JSON Merge Patch
// (Media.MergePatch) becomes a component of its own, named after the type
// with "Input" replaced by "Patch" (UserInput is UserPatch): it has no
// required properties, its nested objects are patches too, and a property
// may be null (which removes it, resetting the field) unless the type
// requires it. A struct type that only responses use lists every property
// that encoding/json always writes (no omitempty) as required. A named struct's XML root element is its
// snake_case name, or the name in the xml tag of an XMLName field.

// SchemaProvider is implemented by types whose JSON form reflection cannot
// see, such as types with their own MarshalJSON. Other types that marshal
// themselves are strings when they implement encoding.TextMarshaler and
// unconstrained ({}) otherwise.
type SchemaProvider interface {
	OpenAPISchema() map[string]any
}

var (
	timeType     = reflect.TypeFor[time.Time]()
	rawType      = reflect.TypeFor[json.RawMessage]()
	providerType = reflect.TypeFor[SchemaProvider]()
	textType     = reflect.TypeFor[encoding.TextMarshaler]()
	jsonType     = reflect.TypeFor[json.Marshaler]()
	unsafeName   = regexp.MustCompile(`[^A-Za-z0-9]+`)
)

// registry collects the component schemas of the named struct types that
// the route table uses. Component names are chosen only once every type is
// known, so that a name clash qualifies both types, whatever their order.
type registry struct {
	schemas map[key]*obj
	names   map[key]string
	// req and resp hold the named struct types that request bodies and
	// responses use, directly or nested.
	req, resp map[reflect.Type]bool
	err       error
}

// key names a component: a type, described as itself or as a merge patch.
type key struct {
	t     reflect.Type
	patch bool
}

func newRegistry() *registry {
	return &registry{schemas: map[key]*obj{}, names: map[key]string{},
		req: map[reflect.Type]bool{}, resp: map[reflect.Type]bool{}}
}

// schemaRef marshals as the reference to a component, once names exist.
type schemaRef struct {
	r *registry
	k key
}

func (s schemaRef) MarshalJSON() ([]byte, error) {
	return json.Marshal("#/components/schemas/" + s.r.names[s.k])
}

// schema returns a new schema object describing values of type t.
func (r *registry) schema(t reflect.Type) *obj { return r.describe(t, false) }

// request and response describe a body's type and record the struct types
// it uses, so that components can tell response-only types.
func (r *registry) request(t reflect.Type, patch bool) *obj {
	reach(t, r.req)
	return r.describe(t, patch)
}

func (r *registry) response(t reflect.Type) *obj {
	reach(t, r.resp)
	return r.describe(t, false)
}

// reach adds to set the named struct types that values of t hold.
func reach(t reflect.Type, set map[reflect.Type]bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == timeType || t == rawType || set[t] {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if t.Name() != "" {
			set[t] = true
		}
		if selfDescribed(t) {
			return
		}
		for _, f := range fields(t) {
			reach(f.Type, set)
		}
	case reflect.Slice, reflect.Array, reflect.Map:
		if !selfDescribed(t) {
			reach(t.Elem(), set)
		}
	}
}

// selfDescribed reports whether t's schema does not come from its fields.
func selfDescribed(t reflect.Type) bool {
	for _, i := range []reflect.Type{providerType, textType, jsonType} {
		if t.Implements(i) || reflect.PointerTo(t).Implements(i) {
			return true
		}
	}
	return false
}

// describe returns a new schema object describing values of type t, or
// with patch a JSON Merge Patch of them.
func (r *registry) describe(t reflect.Type, patch bool) *obj {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType || t == rawType:
		s, _ := scalar(t)
		return s
	case t.Implements(providerType) || reflect.PointerTo(t).Implements(providerType):
		v := reflect.New(t)
		if t.Implements(providerType) {
			v = v.Elem()
		}
		m := v.Interface().(SchemaProvider).OpenAPISchema()
		s := newObj()
		for _, k := range slices.Sorted(maps.Keys(m)) {
			s.set(k, m[k])
		}
		if t.Kind() == reflect.Struct && t.Name() != "" {
			// A named struct that describes itself is a component too.
			k := key{t, false}
			r.schemas[k] = s
			return newObj("$ref", schemaRef{r, k})
		}
		return s
	case t.Implements(textType) || reflect.PointerTo(t).Implements(textType):
		return newObj("type", "string")
	case t.Implements(jsonType) || reflect.PointerTo(t).Implements(jsonType):
		return newObj()
	}
	switch t.Kind() {
	case reflect.Struct:
		if t.Name() == "" {
			return r.object(t, patch)
		}
		k := key{t, patch}
		if _, ok := r.schemas[k]; !ok {
			r.schemas[k] = nil // recursion guard: the reference is all a cycle needs
			r.schemas[k] = r.object(t, patch)
		}
		return newObj("$ref", schemaRef{r, k})
	case reflect.Slice, reflect.Array:
		if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
			return newObj("type", "string", "contentEncoding", "base64")
		}
		// Roster's XML writes each element as <item> inside the list's
		// element. A merge patch replaces an array whole: its items are
		// complete values, not patches.
		s := newObj("type", "array", "items", r.schema(t.Elem()).set("xml", newObj("name", "item")),
			"xml", newObj("wrapped", true))
		if t.Kind() == reflect.Array {
			s.set("minItems", t.Len(), "maxItems", t.Len())
		}
		return s
	case reflect.Map:
		s := newObj("type", "object")
		if v := r.describe(t.Elem(), patch); len(v.keys) > 0 {
			if patch {
				v = nullable(v) // null removes the entry
			}
			s.set("additionalProperties", v)
		}
		return s
	case reflect.Interface:
		return newObj()
	}
	s, ok := scalar(t)
	if !ok && r.err == nil {
		r.err = fmt.Errorf("openapi: cannot describe %s values", t)
	}
	return s
}

// scalar describes the types a parameter may have: the basic kinds and times.
func scalar(t reflect.Type) (*obj, bool) {
	switch {
	case t == timeType:
		return newObj("type", "string", "format", "date-time"), true
	case t == rawType:
		return newObj(), true
	}
	switch k := t.Kind(); {
	case k == reflect.String:
		return newObj("type", "string"), true
	case k == reflect.Bool:
		return newObj("type", "boolean"), true
	case k >= reflect.Int && k <= reflect.Uintptr:
		s := newObj("type", "integer", "format", fmt.Sprintf("int%d", max(32, t.Bits())))
		if k >= reflect.Uint {
			s.set("minimum", 0)
		}
		return s, true
	case k == reflect.Float32:
		return newObj("type", "number", "format", "float"), true
	case k == reflect.Float64:
		return newObj("type", "number", "format", "double"), true
	}
	return newObj(), false
}

// field is one JSON property of a struct, found the way encoding/json does.
type field struct {
	reflect.StructField
	name     string
	tagged   bool // named by its json tag
	depth    int  // embedding depth
	asString bool // the ",string" option
}

// fields lists t's JSON properties in encoding/json's order, flattening
// embedded structs and applying its rules for names that clash: the
// shallowest field wins, then the one named by a tag; otherwise none does.
func fields(t reflect.Type) []field {
	var all []field
	visiting := map[reflect.Type]bool{}
	var walk func(t reflect.Type, depth int)
	walk = func(t reflect.Type, depth int) {
		visiting[t] = true
		defer delete(visiting, t)
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
				if !visiting[ft] {
					walk(ft, depth+1)
				}
				continue
			}
			if !f.IsExported() {
				continue
			}
			all = append(all, field{f, cmp.Or(name, f.Name), name != "", depth, strings.Contains(","+opts+",", ",string,")})
		}
	}
	walk(t, 0)
	var out []field
	for i, f := range all {
		dominant := true
		for j, g := range all {
			if j != i && g.name == f.name && (g.depth < f.depth || g.depth == f.depth && (g.tagged || !f.tagged)) {
				dominant = false
			}
		}
		if dominant {
			out = append(out, f)
		}
	}
	return out
}

// object describes a struct type's fields, or with patch a merge patch of
// them.
func (r *registry) object(t reflect.Type, patch bool) *obj {
	props := newObj()
	var required []string
	for _, f := range fields(t) {
		props.set(f.name, r.field(f, patch))
		if f.Tag.Get("required") == "true" && !patch {
			required = append(required, f.name)
		}
	}
	s := newObj("type", "object")
	if len(props.keys) > 0 {
		s.set("properties", props)
	}
	s.set("required", required)
	if t.Name() != "" {
		base, _, _ := strings.Cut(t.Name(), "[")
		root, space := snake(base), ""
		if f, ok := t.FieldByName("XMLName"); ok {
			if tag, _, _ := strings.Cut(f.Tag.Get("xml"), ","); tag != "" {
				if space, root, ok = strings.Cut(tag, " "); !ok {
					space, root = "", tag
				}
			}
		}
		s.set("xml", newObj("name", root, "namespace", space))
	}
	return s
}

// field describes one struct field, refined by its struct tags; with
// patch, as a member of a merge patch.
func (r *registry) field(f field, patch bool) *obj {
	s := r.describe(f.Type, patch)
	if f.asString {
		s = newObj("type", "string")
	}
	switch v := f.Tag.Get("schema"); v {
	case "":
	case "object":
		s = newObj("type", "object")
	case "json-patch":
		s = r.schema(reflect.TypeFor[[]JSONPatchOperation]())
	case "any":
		s = anyValue()
	default:
		if r.err == nil {
			r.err = fmt.Errorf("openapi: field %s: unknown schema:%q", f.Name, v)
		}
	}
	// Value keywords apply to the items of a list of scalars.
	target := s
	if items, ok := s.get("items").(*obj); ok && items.get("$ref") == nil {
		target = items
	}
	tag := f.Tag
	for _, k := range []string{"format", "pattern"} {
		if v := tag.Get(k); v != "" {
			target.set(k, v)
		}
	}
	for _, k := range []string{"minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems"} {
		v := tag.Get(k)
		if v == "" {
			continue
		}
		n, err := strconv.ParseFloat(v, 64)
		if err != nil && r.err == nil {
			r.err = fmt.Errorf("openapi: field %s: %s:%q is not a number", f.Name, k, v)
		}
		if strings.HasSuffix(k, "Items") {
			s.set(k, n)
		} else {
			target.set(k, n)
		}
	}
	if v := tag.Get("enum"); v != "" {
		var vals []any
		for _, e := range strings.Split(v, ",") {
			vals = append(vals, parseValue(target, e))
		}
		target.set("enum", vals)
	}
	s.set("description", tag.Get("doc"))
	for _, k := range []string{"readOnly", "writeOnly"} {
		if tag.Get(k) == "true" {
			s.set(k, true)
		}
	}
	if v, ok := tag.Lookup("example"); ok {
		s.set("examples", []any{parseValue(s, v)})
	}
	if tag.Get("nullable") == "true" || patch && tag.Get("required") != "true" {
		// In a merge patch, null removes the member: the field is reset.
		// A field the type requires cannot be removed.
		s = nullable(s)
	}
	return s
}

// anyValue is the schema of any JSON value, spelled out (anyValueOneOf)
// so that generators type it as a JSON value rather than as nothing.
func anyValue() *obj {
	return newObj("oneOf", anyValueOneOf())
}

// nullable lets s also be null.
func nullable(s *obj) *obj {
	switch typ := s.get("type").(type) {
	case []string:
		if !slices.Contains(typ, "null") {
			s.set("type", append(slices.Clone(typ), "null"))
		}
	case string:
		s.set("type", []string{typ, "null"})
		if enum, ok := s.get("enum").([]any); ok {
			s.set("enum", append(enum, nil))
		}
	case nil:
		if ref := s.get("$ref"); ref != nil {
			out := newObj("anyOf", []any{newObj("$ref", ref), newObj("type", "null")})
			for _, k := range s.keys {
				if k != "$ref" {
					out.set(k, s.vals[k])
				}
			}
			return out
		}
	}
	return s
}

// parseValue turns a struct tag's text into a value that fits schema s,
// for enums and examples: the text itself for strings, comma-separated or
// JSON for arrays, and JSON (falling back to the text) for anything else.
func parseValue(s *obj, text string) any {
	switch s.get("type") {
	case "string":
		return text
	case "array":
		if items, ok := s.get("items").(*obj); ok && !strings.HasPrefix(text, "[") {
			var list []any
			for _, e := range strings.Split(text, ",") {
				list = append(list, parseValue(items, e))
			}
			return list
		}
	}
	var v any
	if json.Unmarshal([]byte(text), &v) != nil {
		return text
	}
	return v
}

// components names every collected type and returns components/schemas.
func (r *registry) components() (*obj, error) {
	if r.err != nil {
		return nil, r.err
	}
	byName := map[string][]key{}
	for k := range r.schemas {
		byName[keyName(k)] = append(byName[keyName(k)], k)
	}
	taken := map[string]key{}
	for base, ks := range byName {
		for _, k := range ks {
			name := base
			if len(ks) > 1 && k.t != reflect.TypeFor[problem]() {
				// Qualify with the package name; the Problem schema keeps its name.
				pkg := k.t.PkgPath()[strings.LastIndex(k.t.PkgPath(), "/")+1:]
				name = capitalise(unsafeName.ReplaceAllString(pkg, "")) + base
			}
			if other, clash := taken[name]; clash {
				return nil, fmt.Errorf("openapi: types %s and %s would both be called %s", other.t, k.t, name)
			}
			taken[name], r.names[k] = k, name
		}
	}
	out := newObj()
	for _, name := range sortedKeys(taken) {
		k := taken[name]
		s := r.schemas[k]
		if !k.patch && r.resp[k.t] && !r.req[k.t] && !selfDescribed(k.t) {
			s = withResponseRequired(s, k.t)
		}
		out.set(name, s)
	}
	return out, nil
}

// withResponseRequired returns the schema s of a struct type t that only
// responses use, with every property that encoding/json always writes (no
// omitempty) in its required list: a client can rely on it being there.
func withResponseRequired(s *obj, t reflect.Type) *obj {
	required, _ := s.get("required").([]string)
	required = slices.Clone(required)
	for _, f := range fields(t) {
		_, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !strings.Contains(","+opts+",", ",omitempty,") && !slices.Contains(required, f.name) {
			required = append(required, f.name)
		}
	}
	out := newObj()
	for _, k := range s.keys {
		if k == "xml" {
			out.set("required", required)
		}
		if k != "required" {
			out.set(k, s.vals[k])
		}
	}
	return out.set("required", required)
}

// keyName is a component's name before any qualification.
func keyName(k key) string {
	if k.patch {
		return strings.TrimSuffix(typeName(k.t), "Input") + "Patch"
	}
	return typeName(k.t)
}

// typeName is t's component name before any qualification.
func typeName(t reflect.Type) string {
	if t == reflect.TypeFor[problem]() {
		return "Problem"
	}
	var b strings.Builder
	base, args, _ := strings.Cut(t.Name(), "[")
	b.WriteString(capitalise(base))
	// Each type argument contributes its last name: List[roster.User] is ListUser.
	for _, arg := range strings.Split(args, ",") {
		arg = arg[strings.LastIndex(arg, ".")+1:]
		b.WriteString(capitalise(unsafeName.ReplaceAllString(arg, "")))
	}
	return b.String()
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// snake turns a Go type name into snake_case: APIKey is api_key.
func snake(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i, c := range rs {
		if unicode.IsUpper(c) && i > 0 && (unicode.IsLower(rs[i-1]) || i+1 < len(rs) && unicode.IsLower(rs[i+1])) && rs[i-1] != '_' {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToLower(c))
	}
	return b.String()
}

// obj is a JSON object that keeps its keys in insertion order, so the
// document reads in the usual order and is the same bytes on every build.
// Setting a nil value, an empty string or a nil slice leaves the key out.
type obj struct {
	keys []string
	vals map[string]any
}

func newObj(kv ...any) *obj {
	return (&obj{vals: map[string]any{}}).set(kv...)
}

// set sets key–value pairs, keeping the position of existing keys.
func (o *obj) set(kv ...any) *obj {
	for i := 0; i+1 < len(kv); i += 2 {
		k, v := kv[i].(string), kv[i+1]
		if rv := reflect.ValueOf(v); v == nil || v == "" || rv.Kind() == reflect.Slice && rv.IsNil() || rv.Kind() == reflect.Pointer && rv.IsNil() {
			continue
		}
		if _, ok := o.vals[k]; !ok {
			o.keys = append(o.keys, k)
		}
		o.vals[k] = v
	}
	return o
}

func (o *obj) get(k string) any { return o.vals[k] }

// del removes a key.
func (o *obj) del(k string) {
	delete(o.vals, k)
	o.keys = slices.DeleteFunc(o.keys, func(x string) bool { return x == k })
}

// merge sets every key of other on o.
func (o *obj) merge(other *obj) *obj {
	for _, k := range other.keys {
		o.set(k, other.vals[k])
	}
	return o
}

func (o *obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := enc.Encode(k); err != nil {
			return nil, err
		}
		b.WriteByte(':')
		if err := enc.Encode(o.vals[k]); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
