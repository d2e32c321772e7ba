// SPDX-License-Identifier: Apache-2.0

package scim

import (
	"slices"
	"strings"

	filter "github.com/scim2/filter-parser/v2"
)

// patchOp is one operation of a PatchOp request (RFC 7644 section
// 3.5.2). encoding/json matches field names case-insensitively, so
// "Operations", "Op" and "Value" work as Entra writes them.
type patchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value"`
}

type patchRequest struct {
	Schemas    []string  `json:"schemas"`
	Operations []patchOp `json:"Operations"`
}

// applyPatch applies ops to d, a normalised document whose top-level
// attributes are top.
func applyPatch(d doc, ops []patchOp, top []Attribute) error {
	if len(ops) == 0 {
		return scimErr(400, "invalidValue", "a PatchOp needs at least one operation in Operations")
	}
	for i, op := range ops {
		name := strings.ToLower(op.Op) // Entra writes Add, Replace, Remove
		if name != "add" && name != "replace" && name != "remove" {
			return scimErr(400, "invalidSyntax", "Operations["+itoa(i)+"].op must be add, replace or remove, not "+quote(op.Op))
		}
		var err error
		if op.Path == "" {
			err = patchWhole(d, name, op.Value, top)
		} else {
			err = patchPath(d, name, op.Path, op.Value, top)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// patchWhole applies an operation without a path: its value is an object
// of attributes (Entra's "replace" of several at once).
func patchWhole(d doc, op string, value any, top []Attribute) error {
	if op == "remove" {
		return scimErr(400, "noTarget", "a remove operation needs a path")
	}
	m, ok := value.(doc)
	if !ok {
		return scimErr(400, "invalidValue", "an operation without a path needs an object of attributes as its value")
	}
	for k, v := range m {
		if strings.EqualFold(k, URNEnterprise) {
			ext, ok := v.(doc)
			if !ok {
				return scimErr(400, "invalidValue", "the enterprise extension's value must be an object")
			}
			for ek, ev := range ext {
				if err := patchPath(d, op, URNEnterprise+":"+ek, ev, top); err != nil {
					return err
				}
			}
			continue
		}
		if err := patchPath(d, op, k, v, top); err != nil {
			return err
		}
	}
	return nil
}

// patchPath applies one operation at a path such as userName,
// name.givenName, emails[type eq "work"].value or an enterprise
// attribute qualified by its URN. Attributes Roster does not define are
// ignored, as in a POST or PUT.
func patchPath(d doc, op, raw string, value any, top []Attribute) error {
	p, err := filter.ParsePath([]byte(raw))
	if err != nil {
		return scimErr(400, "invalidPath", "the path "+quote(raw)+" is not a valid SCIM path: "+err.Error())
	}
	attrs := top
	obj := d
	if p.AttributePath.URIPrefix != nil {
		if attrs = schemaAttributes(*p.AttributePath.URIPrefix); attrs == nil {
			return scimErr(400, "invalidPath", "unknown schema in the path "+quote(raw))
		}
		if strings.EqualFold(*p.AttributePath.URIPrefix, URNEnterprise) {
			obj = enterpriseObject(d)
		}
	}
	a, ok := find(attrs, p.AttributePath.AttributeName)
	if !ok {
		return nil
	}
	if a.Mutability == "readOnly" {
		return scimErr(400, "mutability", a.Name+" is read-only")
	}
	subName := p.AttributePath.SubAttributeName()
	if subName == "" {
		subName = p.SubAttributeName()
	}
	var sub *Attribute
	if subName != "" {
		s, ok := find(a.SubAttributes, subName)
		if !ok {
			return nil
		}
		sub = &s
	}
	if p.ValueExpression != nil {
		if !a.MultiValued {
			return scimErr(400, "invalidPath", "a value filter needs a multi-valued attribute: "+quote(raw))
		}
		if err := checkFilter(p.ValueExpression, a.SubAttributes); err != nil {
			return scimErr(400, "invalidPath", "the path "+quote(raw)+" filters on an unknown attribute")
		}
		return patchFiltered(obj, op, a, sub, p.ValueExpression, value)
	}
	if sub != nil {
		return patchSub(obj, op, a, *sub, value)
	}
	return patchAttr(obj, op, a, value)
}

// patchAttr adds, replaces or removes a whole attribute.
func patchAttr(obj doc, op string, a Attribute, value any) error {
	if op == "remove" && a.MultiValued && value != nil {
		return removeValues(obj, a, value) // Entra removes members so
	}
	if op == "remove" || value == nil { // a null value clears, as Entra clears a manager

		delete(obj, a.Name)
		return nil
	}
	nv := normalizeValue(a, value)
	switch {
	case nv == nil:
		return scimErr(400, "invalidValue", "the value for "+a.Name+" is missing or of the wrong type")
	case a.MultiValued && op == "add":
		obj[a.Name] = append(asList(obj[a.Name]), nv.([]any)...)
	case a.Type == "complex" && !a.MultiValued:
		mergeInto(obj, a.Name, nv.(doc)) // sub-attributes not given stay
	default:
		obj[a.Name] = nv
	}
	return nil
}

// patchSub changes one sub-attribute: of a complex attribute, or of
// every value of a multi-valued one.
func patchSub(obj doc, op string, a, sub Attribute, value any) error {
	if !a.MultiValued {
		m, _ := obj[a.Name].(doc)
		if m == nil {
			m = doc{}
			obj[a.Name] = m
		}
		return setSub(m, op, sub, value)
	}
	for _, el := range asList(obj[a.Name]) {
		if m, ok := el.(doc); ok {
			if err := setSub(m, op, sub, value); err != nil {
				return err
			}
		}
	}
	return nil
}

func setSub(m doc, op string, sub Attribute, value any) error {
	if op == "remove" || value == nil {
		delete(m, sub.Name)
		return nil
	}
	nv := normalizeValue(sub, value)
	if nv == nil {
		return scimErr(400, "invalidValue", "the value for "+sub.Name+" is missing or of the wrong type")
	}
	m[sub.Name] = nv
	return nil
}

// patchFiltered changes the values of a multi-valued attribute that a
// value filter selects. An add or replace that selects none adds a value
// made from the filter's equalities (Entra replaces
// emails[type eq "work"].value on a user that has no work email).
func patchFiltered(obj doc, op string, a Attribute, sub *Attribute, f filter.Expression, value any) error {
	var kept []any
	matched := false
	for _, el := range asList(obj[a.Name]) {
		m, ok := el.(doc)
		if !ok || !match(f, m, a.SubAttributes) {
			kept = append(kept, el)
			continue
		}
		matched = true
		switch {
		case op == "remove" && sub == nil:
			continue // drop the value
		case sub != nil:
			if err := setSub(m, op, *sub, value); err != nil {
				return err
			}
		default:
			nv, ok := normalizeValue(singular(a), value).(doc)
			if !ok {
				return scimErr(400, "invalidValue", "the value for "+a.Name+"[…] must be an object")
			}
			for k, v := range nv {
				m[k] = v
			}
		}
		kept = append(kept, m)
	}
	if !matched && op != "remove" {
		el, ok := equalities(f)
		if !ok {
			return scimErr(400, "noTarget", "no value of "+a.Name+" matches the path's filter")
		}
		el = normalizeObject(el, a.SubAttributes)
		if sub != nil {
			if err := setSub(el, op, *sub, value); err != nil {
				return err
			}
		} else if nv, ok := normalizeValue(singular(a), value).(doc); ok {
			for k, v := range nv {
				el[k] = v
			}
		}
		kept = append(kept, el)
	}
	obj[a.Name] = kept
	return nil
}

func singular(a Attribute) Attribute {
	a.MultiValued = false
	return a
}

// equalities returns the attribute values a filter made only of eq and
// "and" pins down, and false for any other filter.
func equalities(f filter.Expression) (doc, bool) {
	switch f := f.(type) {
	case *filter.AttributeExpression:
		if f.Operator != filter.EQ || f.AttributePath.SubAttribute != nil {
			return nil, false
		}
		return doc{f.AttributePath.AttributeName: f.CompareValue}, true
	case *filter.LogicalExpression:
		if f.Operator != filter.AND {
			return nil, false
		}
		l, ok1 := equalities(f.Left)
		r, ok2 := equalities(f.Right)
		for k, v := range r {
			l[k] = v
		}
		return l, ok1 && ok2
	}
	return nil, false
}

// removeValues removes from a multi-valued attribute the values whose
// value sub-attribute a remove operation's value lists.
func removeValues(obj doc, a Attribute, value any) error {
	var gone []any
	for _, v := range asList(normalizeValue(a, value)) {
		m, _ := v.(doc)
		gone = append(gone, m["value"])
	}
	var kept []any
	for _, el := range asList(obj[a.Name]) {
		m, _ := el.(doc)
		if m == nil || !slices.Contains(gone, m["value"]) {
			kept = append(kept, el)
		}
	}
	obj[a.Name] = kept
	return nil
}
