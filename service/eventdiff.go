// SPDX-License-Identifier: Apache-2.0

package service

import (
	"bytes"
	"strings"

	"github.com/wI2L/jsondiff"
)

// diffDocuments is the JSON Patch from one JSON object to another, as
// jsondiff.CompareJSON computes it (numbers as written), but jsondiff
// reads only the members whose encoding differs: a change of one field
// otherwise decoded both whole documents into maps (7 % of the server's
// CPU under PATCH). jsondiff compares an object's members one by one, in
// sorted order, without moves or copies between them, so the members
// left out add no operation. Documents that are not objects of distinct
// members go to jsondiff whole.
func diffDocuments(prev, data []byte) (jsondiff.Patch, error) {
	if before, after, ok := changedMembers(prev, data); ok {
		prev, data = before, after
	}
	return jsondiff.CompareJSON(prev, data, jsondiff.UnmarshalFunc(unmarshalNumbers))
}

// member is an object member as written: its quoted name and its value.
type member struct{ name, value []byte }

// changedMembers returns prev and data reduced to the members that one
// lacks or that are written differently in each. Documents of one type
// list the same names in the same order, which is compared pair by pair;
// otherwise members are matched by name.
func changedMembers(prev, data []byte) (before, after []byte, ok bool) {
	pm, ok1 := splitObject(prev)
	dm, ok2 := splitObject(data)
	if !ok1 || !ok2 {
		return nil, nil, false
	}
	if sameNames(pm, dm) {
		return pairsThatDiffer(pm, dm), pairsThatDiffer(dm, pm), true
	}
	pv, ok1 := byName(pm)
	dv, ok2 := byName(dm)
	if !ok1 || !ok2 {
		return nil, nil, false
	}
	return membersThatDiffer(pm, dv), membersThatDiffer(dm, pv), true
}

// sameNames reports whether a and b name the same members in the same
// order, each name once.
func sameNames(a, b []member) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i].name, b[i].name) {
			return false
		}
		for j := range i {
			if bytes.Equal(a[j].name, a[i].name) {
				return false
			}
		}
	}
	return true
}

// pairsThatDiffer writes the members of ms whose value differs from the
// one at the same place in other as an object.
func pairsThatDiffer(ms, other []member) []byte {
	out := []byte{'{'}
	for i, x := range ms {
		if !bytes.Equal(x.value, other[i].value) {
			out = appendMember(out, x)
		}
	}
	return append(out, '}')
}

// byName indexes members by name; false when a name repeats.
func byName(ms []member) (map[string][]byte, bool) {
	m := make(map[string][]byte, len(ms))
	for _, x := range ms {
		if _, dup := m[string(x.name)]; dup {
			return nil, false
		}
		m[string(x.name)] = x.value
	}
	return m, true
}

// membersThatDiffer writes the members of ms whose name other lacks or
// holds with another value as an object.
func membersThatDiffer(ms []member, other map[string][]byte) []byte {
	out := []byte{'{'}
	for _, x := range ms {
		if v, in := other[string(x.name)]; !in || !bytes.Equal(v, x.value) {
			out = appendMember(out, x)
		}
	}
	return append(out, '}')
}

func appendMember(out []byte, x member) []byte {
	if len(out) > 1 {
		out = append(out, ',')
	}
	return append(append(append(out, x.name...), ':'), x.value...)
}

// splitObject splits a JSON object into its members, in order. It trusts
// the values to be valid JSON (they come from json.Marshal; jsondiff
// decodes the ones that differ) and finds only where each ends; false
// when doc is not an object.
func splitObject(doc []byte) ([]member, bool) {
	i := skipSpace(doc, 0)
	if i >= len(doc) || doc[i] != '{' {
		return nil, false
	}
	ms := make([]member, 0, 32)
	if i = skipSpace(doc, i+1); i < len(doc) && doc[i] == '}' {
		return ms, skipSpace(doc, i+1) == len(doc)
	}
	for i < len(doc) && doc[i] == '"' {
		end, ok := endOfString(doc, i)
		if !ok {
			return nil, false
		}
		name := doc[i:end]
		if i = skipSpace(doc, end); i >= len(doc) || doc[i] != ':' {
			return nil, false
		}
		i = skipSpace(doc, i+1)
		if end, ok = endOfValue(doc, i); !ok {
			return nil, false
		}
		ms = append(ms, member{name, doc[i:end]})
		switch i = skipSpace(doc, end); {
		case i < len(doc) && doc[i] == '}':
			return ms, skipSpace(doc, i+1) == len(doc)
		case i < len(doc) && doc[i] == ',':
			i = skipSpace(doc, i+1)
		default:
			return nil, false
		}
	}
	return nil, false
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// endOfString returns the index after the string that starts at b[i].
func endOfString(b []byte, i int) (int, bool) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, true
		}
	}
	return 0, false
}

// endOfValue returns the index after the value that starts at b[i].
func endOfValue(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch b[i] {
	case '"':
		return endOfString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, ok := endOfString(b, j)
				if !ok {
					return 0, false
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1, true
				}
			}
		}
		return 0, false
	}
	j := i
	for j < len(b) && strings.IndexByte(",}] \t\r\n", b[j]) < 0 {
		j++
	}
	return j, j > i
}
