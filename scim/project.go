// SPDX-License-Identifier: Apache-2.0

package scim

import (
	"net/http"
	"net/url"
	"strings"

	filter "github.com/scim2/filter-parser/v2"
)

// projection is the attributes or excludedAttributes of a request
// (RFC 7643 section 7: id and schemas are always returned).
type projection struct {
	paths   []filter.AttributePath
	exclude bool
}

func parseProjection(q url.Values) (projection, error) {
	raw, exclude := q.Get("attributes"), false
	if raw == "" {
		raw, exclude = q.Get("excludedAttributes"), true
	}
	p := projection{exclude: exclude}
	for _, s := range strings.Split(raw, ",") {
		s = strings.TrimSpace(s)
		if i := strings.IndexByte(s, '['); i >= 0 {
			s = s[:i] // a value filter selects no less than the attribute
		}
		if s == "" {
			continue
		}
		if strings.EqualFold(s, URNEnterprise) {
			urn := URNEnterprise
			p.paths = append(p.paths, filter.AttributePath{URIPrefix: &urn})
			continue
		}
		ap, err := filter.ParseAttrPath([]byte(s))
		if err != nil {
			return p, scimErr(400, "invalidValue", "attributes and excludedAttributes list attribute names, not "+quote(s))
		}
		p.paths = append(p.paths, ap)
	}
	return p, nil
}

func projectQuery(d doc, r *http.Request, top []Attribute) (doc, error) {
	p, err := parseProjection(r.URL.Query())
	return p.apply(d, top), err
}

// apply returns d with only the attributes asked for, or without those
// excluded.
func (p projection) apply(d doc, top []Attribute) doc {
	if len(p.paths) == 0 {
		return d
	}
	out := doc{"schemas": d["schemas"], "id": d["id"]}
	if p.exclude {
		for k, v := range d {
			out[k] = v
		}
	}
	for _, ap := range p.paths {
		src, dst, ext := d, out, false
		if ap.URIPrefix != nil && strings.EqualFold(*ap.URIPrefix, URNEnterprise) {
			if ap.AttributeName == "" {
				copyOrDrop(d, out, URNEnterprise, p.exclude)
				continue
			}
			ext = true
			src, _ = d[URNEnterprise].(doc)
			if p.exclude {
				dst, _ = out[URNEnterprise].(doc)
			} else {
				dst = enterpriseObject(out)
			}
		}
		if src == nil || dst == nil {
			continue
		}
		a, ok := find(top, ap.AttributeName)
		if ext {
			a, ok = find(enterpriseSchema.Attributes, ap.AttributeName)
		}
		if !ok || a.Name == "id" {
			continue
		}
		if ap.SubAttribute == nil || a.MultiValued {
			copyOrDrop(src, dst, a.Name, p.exclude)
			continue
		}
		s, ok := find(a.SubAttributes, *ap.SubAttribute)
		inner, _ := src[a.Name].(doc)
		if !ok || inner == nil {
			continue
		}
		if p.exclude {
			trimmed := doc{}
			for k, v := range inner {
				if k != s.Name {
					trimmed[k] = v
				}
			}
			dst[a.Name] = trimmed
			continue
		}
		part, _ := dst[a.Name].(doc)
		if part == nil {
			part = doc{}
			dst[a.Name] = part
		}
		if v, ok := inner[s.Name]; ok {
			part[s.Name] = v
		}
	}
	return out
}

func copyOrDrop(src, dst doc, key string, drop bool) {
	if drop {
		delete(dst, key)
	} else if v, ok := src[key]; ok {
		dst[key] = v
	}
}
