// SPDX-License-Identifier: Apache-2.0

package scim

import "strings"

// normalize returns a client's User document under the schema's
// canonical names: SCIM attribute names are case-insensitive, an
// attribute may come qualified by its schema URN, "True"/"False" strings
// stand for booleans (Entra sends them), and attributes no schema
// defines, and nulls, are dropped (RFC 7644 section 3.3: the server
// ignores what it does not support).
func normalize(in doc, urn string) doc {
	out := doc{}
	core := schemaAttributes(urn)
	for k, v := range in {
		switch {
		case strings.EqualFold(k, "schemas"):
			out["schemas"] = v
		case strings.EqualFold(k, URNEnterprise):
			if m, ok := v.(doc); ok {
				mergeInto(out, URNEnterprise, normalizeObject(m, enterpriseSchema.Attributes))
			}
		case hasPrefixFold(k, URNEnterprise+":"):
			setNormalized(enterpriseObject(out), enterpriseSchema.Attributes, k[len(URNEnterprise)+1:], v)
		case hasPrefixFold(k, urn+":"):
			setNormalized(out, core, k[len(urn)+1:], v)
		default:
			setNormalized(out, core, k, v)
		}
	}
	return out
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// enterpriseObject returns the enterprise extension's object of d,
// making it when d has none.
func enterpriseObject(d doc) doc {
	ext, ok := d[URNEnterprise].(doc)
	if !ok {
		ext = doc{}
		d[URNEnterprise] = ext
	}
	return ext
}

func mergeInto(d doc, key string, m doc) {
	cur, ok := d[key].(doc)
	if !ok {
		d[key] = m
		return
	}
	for k, v := range m {
		cur[k] = v
	}
}

// setNormalized sets the attribute name (possibly "parent.sub", as Entra
// writes name.givenName in a PATCH without path) of container to v.
func setNormalized(container doc, attrs []Attribute, name string, v any) {
	parent, sub, dotted := strings.Cut(name, ".")
	a, ok := find(attrs, parent)
	if !ok || v == nil {
		return
	}
	if dotted {
		s, ok := find(a.SubAttributes, sub)
		if !ok || a.MultiValued {
			return
		}
		obj, _ := container[a.Name].(doc)
		if obj == nil {
			obj = doc{}
			container[a.Name] = obj
		}
		if nv := normalizeValue(s, v); nv != nil {
			obj[s.Name] = nv
		}
		return
	}
	if nv := normalizeValue(a, v); nv != nil {
		if m, ok := nv.(doc); ok && !a.MultiValued {
			mergeInto(container, a.Name, m)
			return
		}
		container[a.Name] = nv
	}
}

func normalizeObject(m doc, attrs []Attribute) doc {
	out := doc{}
	for k, v := range m {
		setNormalized(out, attrs, k, v)
	}
	return out
}

// normalizeValue types v as attribute a wants it; nil drops it.
func normalizeValue(a Attribute, v any) any {
	if a.MultiValued {
		var out []any
		for _, e := range asList(v) {
			single := a
			single.MultiValued = false
			if nv := normalizeValue(single, e); nv != nil {
				out = append(out, nv)
			}
		}
		return out
	}
	switch a.Type {
	case "complex":
		m, ok := v.(doc)
		if !ok {
			if s, ok := v.(string); ok && len(a.SubAttributes) > 0 && a.SubAttributes[0].Name == "value" {
				return doc{"value": s} // a bare value for {value: …}
			}
			return nil
		}
		return normalizeObject(m, a.SubAttributes)
	case "boolean":
		if s, ok := v.(string); ok {
			switch strings.ToLower(strings.TrimSpace(s)) {
			case "true":
				return true
			case "false":
				return false
			}
		}
	}
	return v
}
