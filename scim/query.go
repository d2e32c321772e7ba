// SPDX-License-Identifier: Apache-2.0

package scim

import (
	"strings"
	"time"

	filter "github.com/scim2/filter-parser/v2"

	"github.com/rosterhq/roster"
)

// A target is what a User's attribute (or sub-attribute) is in Roster: a
// user field; a value every user has alike (constant: emails' type
// "work"); Roster's status behind the boolean active; or, the zero
// target, nothing (an attribute Roster does not keep, absent from every
// user).
type target struct {
	field    roster.UserField
	constant any
	active   bool
	refused  bool // not something a filter can ask about
}

// element is one value of an attribute as userDoc writes it: when a user
// has it (nil: always) and the targets of its sub-attributes by their
// lower-cased names ("" for a simple attribute's own value, or a complex
// one without a value sub-attribute).
type element struct {
	present *roster.UserCond
	subs    map[string]target
}

func field(f roster.UserField) target { return target{field: f} }

func simple(t target) []element { return []element{{subs: map[string]target{"": t}}} }

func present(f roster.UserField) *roster.UserCond { return &roster.UserCond{Op: roster.OpPr, Field: f} }

// userElements maps each User attribute userDoc writes to its values, by
// lower-cased name (the enterprise extension's prefixed "enterprise:").
// An attribute not here is absent from every user.
var userElements = map[string][]element{
	"id":                simple(field(roster.UserID)),
	"externalid":        simple(field(roster.UserExternalID)),
	"username":          simple(field(roster.UserUsername)),
	"displayname":       simple(field(roster.UserDisplayName)),
	"active":            simple(target{active: true}),
	"preferredlanguage": simple(field(roster.UserLanguage)),
	"locale":            simple(field(roster.UserLanguage)),
	"timezone":          simple(field(roster.UserTimeZone)),
	"name": {{subs: map[string]target{"": {constant: doc{}}, "givenname": field(roster.UserFirstName),
		"familyname": field(roster.UserLastName), "formatted": field(roster.UserFullName)}}},
	"emails": {{subs: map[string]target{"value": field(roster.UserEmail), "type": {constant: "work"}, "primary": {constant: true}}}},
	"phonenumbers": {
		{present: present(roster.UserPhone), subs: map[string]target{"value": field(roster.UserPhone), "type": {constant: "work"}}},
		{present: present(roster.UserMobile), subs: map[string]target{"value": field(roster.UserMobile), "type": {constant: "mobile"}}},
	},
	"meta": {{subs: map[string]target{"": {constant: doc{}}, "created": field(roster.UserCreatedAt), "lastmodified": field(roster.UserUpdatedAt),
		"resourcetype": {constant: "User"}, "location": {refused: true}, "version": {refused: true}}}},
	"enterprise:manager": {{subs: map[string]target{"value": field(roster.UserManagerID), "$ref": {refused: true}}}},
}

// elementsOf returns the values of the attribute a path names.
func elementsOf(p filter.AttributePath, a Attribute) []element {
	key := strings.ToLower(a.Name)
	if p.URIPrefix != nil && strings.EqualFold(*p.URIPrefix, URNEnterprise) {
		key = "enterprise:" + key
	}
	return userElements[key]
}

// subKey returns the sub-attribute a path's comparison reads and its
// definition: the one it names, else a complex attribute's value, else
// the attribute itself.
func subKey(a Attribute, sub *Attribute) (string, Attribute) {
	if sub != nil {
		return strings.ToLower(sub.Name), *sub
	}
	if a.Type == "complex" {
		if s, ok := find(a.SubAttributes, "value"); ok {
			return "value", s
		}
	}
	return "", a
}

// userCond translates a User filter (which parseFilter has checked) into
// the store's condition, with the semantics match has on userDoc: a
// multi-valued attribute matches when one of its values does, ne when
// none equals. A filter Roster cannot run in the store is 400
// invalidFilter.
func userCond(e filter.Expression) (roster.UserCond, error) {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		l, err := userCond(e.Left)
		if err != nil {
			return l, err
		}
		r, err := userCond(e.Right)
		if e.Operator == filter.AND {
			return and(l, r), err
		}
		return or(l, r), err
	case *filter.NotExpression:
		c, err := userCond(e.Expression)
		return not(c), err
	case *filter.ValuePath:
		a, _, _ := resolve(e.AttributePath, userAttrs)
		var alts []roster.UserCond
		for _, el := range elementsOf(e.AttributePath, a) {
			c, err := elementCond(e.ValueFilter, el, a.SubAttributes)
			if err != nil {
				return c, err
			}
			alts = append(alts, within(el, c))
		}
		return or(alts...), nil
	case *filter.AttributeExpression:
		a, sub, _ := resolve(e.AttributePath, userAttrs)
		key, def := subKey(a, sub)
		op := e.Operator
		if op == filter.NE {
			op = filter.EQ // ne: no value equals
		}
		var alts []roster.UserCond
		for _, el := range elementsOf(e.AttributePath, a) {
			c, err := leaf(el.subs[key], op, e.CompareValue, def, e.AttributePath.String())
			if err != nil {
				return c, err
			}
			alts = append(alts, within(el, c))
		}
		if e.Operator == filter.NE {
			return not(or(alts...)), nil
		}
		return or(alts...), nil
	}
	return roster.UserCond{}, scimErr(400, "invalidFilter", "the filter has an expression Roster does not know")
}

// elementCond translates the filter inside a value path's brackets for
// one value of the attribute, whose sub-attributes are subs.
func elementCond(e filter.Expression, el element, subs []Attribute) (roster.UserCond, error) {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		l, err := elementCond(e.Left, el, subs)
		if err != nil {
			return l, err
		}
		r, err := elementCond(e.Right, el, subs)
		if e.Operator == filter.AND {
			return and(l, r), err
		}
		return or(l, r), err
	case *filter.NotExpression:
		c, err := elementCond(e.Expression, el, subs)
		return not(c), err
	case *filter.AttributeExpression:
		a, _, _ := resolve(e.AttributePath, subs)
		return leaf(el.subs[strings.ToLower(a.Name)], e.Operator, e.CompareValue, a, e.AttributePath.String())
	}
	return roster.UserCond{}, scimErr(400, "invalidFilter", "a value path's filter cannot hold another value path")
}

// within restricts c to the users that have the value el.
func within(el element, c roster.UserCond) roster.UserCond {
	if el.present == nil {
		return c
	}
	return and(*el.present, c)
}

// leaf is one comparison of one value, defined by def, with want.
func leaf(t target, op filter.CompareOperator, want any, def Attribute, name string) (roster.UserCond, error) {
	switch {
	case t.refused:
		return roster.UserCond{}, scimErr(400, "invalidFilter", "Roster cannot filter on "+name)
	case t.active:
		return activeCond(op, want, def), nil
	case t.field == "":
		var vals []any
		if t.constant != nil {
			vals = []any{t.constant}
		}
		return constant(matchValues(op, vals, want, def)), nil
	case op == filter.PR:
		return roster.UserCond{Op: roster.OpPr, Field: t.field}, nil
	}
	s, ok := want.(string)
	if !ok {
		return constant(op == filter.NE), nil // a value of another type equals nothing
	}
	c := roster.UserCond{Op: roster.CondOp(strings.ToLower(string(op))), Field: t.field, Value: s, Fold: !def.CaseExact}
	if t.field.IsTime() {
		at, err := time.Parse(time.RFC3339Nano, s)
		if err != nil || op == filter.CO || op == filter.SW || op == filter.EW {
			return c, scimErr(400, "invalidFilter", name+" takes eq, ne, gt, ge, lt, le or pr with a dateTime such as \"2026-01-02T15:04:05Z\"")
		}
		c.Value, c.Fold = at, false
	}
	return c, nil
}

// activeCond is a comparison of active, which is status "enabled".
func activeCond(op filter.CompareOperator, want any, def Attribute) roster.UserCond {
	w, ok := want.(bool)
	if op == filter.PR || !ok || (op != filter.EQ && op != filter.NE) {
		return constant(matchValues(op, []any{true}, want, def)) // present; ordering a boolean matches nothing
	}
	enabled := roster.UserCond{Op: roster.OpEq, Field: roster.UserStatus, Value: roster.StatusEnabled}
	if w == (op == filter.EQ) {
		return enabled
	}
	return not(enabled)
}

// userSort returns the field sortBy sorts by ("" when every user has the
// same value: creation order), as sortDocs on userDoc would: a
// multi-valued attribute by its first value.
func userSort(p filter.AttributePath) roster.UserField {
	a, sub, _ := resolve(p, userAttrs)
	key, _ := subKey(a, sub)
	if els := elementsOf(p, a); len(els) > 0 {
		return els[0].subs[key].field
	}
	return ""
}

func constant(b bool) roster.UserCond {
	if b {
		return roster.UserCond{Op: roster.OpTrue}
	}
	return roster.UserCond{Op: roster.OpFalse}
}

// and, or and not combine conditions, folding constants away, so that
// a filter on attributes every user has alike costs nothing in SQL.
func and(a, b roster.UserCond) roster.UserCond {
	switch {
	case a.Op == roster.OpFalse || b.Op == roster.OpTrue:
		return a
	case b.Op == roster.OpFalse || a.Op == roster.OpTrue:
		return b
	}
	return roster.UserCond{Op: roster.OpAnd, Conds: []roster.UserCond{a, b}}
}

func or(cs ...roster.UserCond) roster.UserCond {
	var keep []roster.UserCond
	for _, c := range cs {
		switch c.Op {
		case roster.OpTrue:
			return c
		case roster.OpFalse:
			continue
		}
		keep = append(keep, c)
	}
	switch len(keep) {
	case 0:
		return constant(false)
	case 1:
		return keep[0]
	}
	return roster.UserCond{Op: roster.OpOr, Conds: keep}
}

func not(c roster.UserCond) roster.UserCond {
	switch c.Op {
	case roster.OpTrue, roster.OpFalse:
		return constant(c.Op == roster.OpFalse)
	}
	return roster.UserCond{Op: roster.OpNot, Conds: []roster.UserCond{c}}
}
