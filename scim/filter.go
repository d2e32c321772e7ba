// SPDX-License-Identifier: Apache-2.0

package scim

import (
	"regexp"
	"strings"
	"time"

	filter "github.com/scim2/filter-parser/v2"
)

// simpleEq is the filter an identity provider sends before every
// creation, `userName eq "…"`: one attribute name, eq, and a string
// without escapes. filter-parser, which backtracks by panicking, spent
// more CPU on it than the rest of the request; this form is read
// directly into the expression the parser makes of it.
var simpleEq = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9_-]*) (?i:eq) "([^"\\\x00-\x1f]*)"$`)

// parseFilter parses a filter and checks that every attribute it names
// exists (RFC 7644: an unknown attribute is 400 invalidFilter).
func parseFilter(s string, top []Attribute) (filter.Expression, error) {
	if m := simpleEq.FindStringSubmatch(s); m != nil {
		e := &filter.AttributeExpression{AttributePath: filter.AttributePath{AttributeName: m[1]}, Operator: filter.EQ, CompareValue: m[2]}
		return e, checkFilter(e, top)
	}
	e, err := filter.ParseFilter([]byte(s))
	if err != nil {
		return nil, scimErr(400, "invalidFilter", "the filter is not valid SCIM filter syntax (RFC 7644 section 3.4.2.2): "+err.Error())
	}
	return e, checkFilter(e, top)
}

// checkFilter checks the attributes of e; within are the attributes in
// scope: the resource's top-level ones, or inside a value path's brackets
// its sub-attributes.
func checkFilter(e filter.Expression, within []Attribute) error {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		if err := checkFilter(e.Left, within); err != nil {
			return err
		}
		return checkFilter(e.Right, within)
	case *filter.NotExpression:
		return checkFilter(e.Expression, within)
	case *filter.ValuePath:
		a, _, err := resolve(e.AttributePath, within)
		if err != nil {
			return err
		}
		return checkFilter(e.ValueFilter, a.SubAttributes)
	case *filter.AttributeExpression:
		_, _, err := resolve(e.AttributePath, within)
		return err
	}
	return scimErr(400, "invalidFilter", "the filter has an expression Roster does not know")
}

// resolve finds the attribute a path names among attrs: its definition,
// and the sub-attribute's when the path has one. The path's URN, if any,
// picks the schema instead.
func resolve(p filter.AttributePath, attrs []Attribute) (Attribute, *Attribute, error) {
	if p.URIPrefix != nil {
		if attrs = schemaAttributes(*p.URIPrefix); attrs == nil {
			return Attribute{}, nil, scimErr(400, "invalidFilter", "unknown schema "+*p.URIPrefix)
		}
	}
	a, ok := find(attrs, p.AttributeName)
	if !ok {
		return a, nil, scimErr(400, "invalidFilter", "unknown attribute "+p.String()+" in the filter")
	}
	if p.SubAttribute == nil {
		return a, nil, nil
	}
	s, ok := find(a.SubAttributes, *p.SubAttribute)
	if !ok {
		return a, nil, scimErr(400, "invalidFilter", "unknown attribute "+p.String()+" in the filter")
	}
	return a, &s, nil
}

// container returns the object of d that holds a path's attribute: d
// itself, or its enterprise extension's object.
func container(d doc, p filter.AttributePath) doc {
	if p.URIPrefix != nil && strings.EqualFold(*p.URIPrefix, URNEnterprise) {
		m, _ := d[URNEnterprise].(doc)
		return m
	}
	return d
}

// match reports whether d matches e (which parseFilter has checked);
// within as for checkFilter.
func match(e filter.Expression, d doc, within []Attribute) bool {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		if e.Operator == filter.AND {
			return match(e.Left, d, within) && match(e.Right, d, within)
		}
		return match(e.Left, d, within) || match(e.Right, d, within)
	case *filter.NotExpression:
		return !match(e.Expression, d, within)
	case *filter.ValuePath:
		a, _, _ := resolve(e.AttributePath, within)
		for _, el := range asList(container(d, e.AttributePath)[a.Name]) {
			if m, ok := el.(doc); ok && match(e.ValueFilter, m, a.SubAttributes) {
				return true
			}
		}
		return false
	case *filter.AttributeExpression:
		return matchAttr(e, d, within)
	}
	return false
}

// matchAttr compares the values an attribute path reaches: a
// multi-valued attribute matches when any of its values does, and one of
// complex values is compared by its value sub-attribute.
func matchAttr(e *filter.AttributeExpression, d doc, within []Attribute) bool {
	a, sub, _ := resolve(e.AttributePath, within)
	vals := asList(container(d, e.AttributePath)[a.Name])
	def := a
	if sub == nil && a.Type == "complex" {
		if s, ok := find(a.SubAttributes, "value"); ok {
			sub = &s
		}
	}
	if sub != nil {
		def = *sub
		var inner []any
		for _, v := range vals {
			if m, ok := v.(doc); ok && m[sub.Name] != nil {
				inner = append(inner, m[sub.Name])
			}
		}
		vals = inner
	}
	return matchValues(e.Operator, vals, e.CompareValue, def)
}

// matchValues applies a comparison to the values an attribute path
// reaches (none when the attribute is absent), defined by def.
func matchValues(op filter.CompareOperator, vals []any, want any, def Attribute) bool {
	if op == filter.PR {
		for _, v := range vals {
			if s, ok := v.(string); !ok || s != "" {
				return true
			}
		}
		return false
	}
	if op == filter.NE {
		for _, v := range vals {
			if compare(filter.EQ, v, want, def) {
				return false
			}
		}
		return true
	}
	for _, v := range vals {
		if compare(op, v, want, def) {
			return true
		}
	}
	return false
}

// compare applies op to one value; types that do not fit never match.
func compare(op filter.CompareOperator, v, want any, a Attribute) bool {
	switch v := v.(type) {
	case bool:
		w, ok := want.(bool)
		return ok && op == filter.EQ && v == w
	case float64:
		w, ok := toFloat(want)
		return ok && order(op, cmpFloat(v, w))
	case string:
		w, ok := want.(string)
		if !ok {
			return false
		}
		if a.Type == "dateTime" {
			if tv, err1 := time.Parse(time.RFC3339Nano, v); err1 == nil {
				if tw, err2 := time.Parse(time.RFC3339Nano, w); err2 == nil {
					return order(op, tv.Compare(tw))
				}
			}
		}
		if !a.CaseExact {
			v, w = strings.ToLower(v), strings.ToLower(w)
		}
		switch op {
		case filter.CO:
			return strings.Contains(v, w)
		case filter.SW:
			return strings.HasPrefix(v, w)
		case filter.EW:
			return strings.HasSuffix(v, w)
		}
		return order(op, strings.Compare(v, w))
	}
	return false
}

func toFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case int:
		return float64(v), true
	}
	return 0, false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// order applies an equality or ordering operator to a comparison's result.
func order(op filter.CompareOperator, c int) bool {
	switch op {
	case filter.EQ:
		return c == 0
	case filter.GT:
		return c > 0
	case filter.GE:
		return c >= 0
	case filter.LT:
		return c < 0
	case filter.LE:
		return c <= 0
	}
	return false
}
