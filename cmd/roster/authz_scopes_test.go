// SPDX-License-Identifier: Apache-2.0

package main

import (
	"slices"
	"strings"
	"testing"
)

// The route table declares the scopes of each route (httpapi routes_*.go,
// which the OpenAPI document lists); the service checks them (needScope).
// azCheckDeclaredScopes holds the two together, so that neither changes
// without the other: it runs a row's cells once more as the root owner,
// whose roles allow everything, with keys of other scope lists, and
// requires that
//   - a key holding exactly one declared scope is not refused for scope
//     on some target (it may be for others: users:write:self changes
//     only oneself),
//   - a key holding every scope but the declared ones (and those that
//     include them) succeeds on none, and is refused 403 naming one.

// azScopes are the scopes a key may hold (roster.Scope*; scim is SCIM's).
var azScopes = []string{"users:read", "users:write:self", "users:write:members", "users:write:all",
	"orgs:read", "orgs:write", "webhooks:read", "webhooks:write", "events:read", "audit:read", "keys:write"}

// azIncludes lists the scopes that include another (they nest).
var azIncludes = map[string][]string{
	"users:write:self":    {"users:write:members", "users:write:all"},
	"users:write:members": {"users:write:all"},
}

// azScopeVariants returns, for a row's declared scopes, one key holding
// each alone and the key holding none of them.
func azScopeVariants(row *azRow) (alone []azVariant, none azVariant) {
	for _, sc := range row.Scopes {
		alone = append(alone, azVariant{Name: "only " + sc, Scopes: []string{sc}, MinRank: azOwner})
	}
	excluded := slices.Clone(row.Scopes)
	for _, sc := range excluded {
		excluded = append(excluded, azIncludes[sc]...)
	}
	others := slices.DeleteFunc(slices.Clone(azScopes), func(sc string) bool { return slices.Contains(excluded, sc) })
	return alone, azVariant{Name: "all but the declared", Scopes: others, MinRank: azOwner}
}

func azCheckDeclaredScopes(t *testing.T, f *azFixture, row *azRow) {
	if len(row.Scopes) == 0 {
		return
	}
	alone, none := azScopeVariants(row)
	probe := *row
	probe.Variants = append(slices.Clone(alone), none)
	root := f.user("root-owner")
	for _, v := range probe.Variants {
		root.Keys[v.Name], _ = f.newKey(t, root, v)
	}
	passed := map[string]bool{} // by variant name: not refused for scope somewhere
	var refusal []string        // the none key's 403s that name a declared scope
	for _, c := range row.Cells(t, f, &probe) {
		if !strings.HasPrefix(c.Name, "root-owner[") {
			continue
		}
		t.Run("declared scopes/"+c.Name, func(t *testing.T) {
			cs := c.Setup(t)
			res := f.send(t, cs.Key, cs.Req)
			if res.Status != 403 || !strings.Contains(string(res.Body), "lacks the scope") {
				passed[cs.Variant.Name] = true
			}
			if cs.Variant.Name != none.Name {
				return
			}
			if res.Status < 400 {
				t.Errorf("%s %s with a key lacking every declared scope (%s) answered %d: the service accepts a scope the route does not declare",
					cs.Req.Method, cs.Req.Path, strings.Join(row.Scopes, ", "), res.Status)
			}
			if res.Status == 403 && slices.ContainsFunc(row.Scopes, func(sc string) bool { return strings.Contains(string(res.Body), sc) }) {
				refusal = append(refusal, c.Name)
			}
		})
	}
	for _, v := range alone {
		if !passed[v.Name] {
			t.Errorf("a key holding only %s, a scope the route declares, was refused for scope on every target", v.Scopes[0])
		}
	}
	if len(refusal) == 0 {
		t.Errorf("a key lacking every declared scope (%s) was never refused 403 naming one", strings.Join(row.Scopes, ", "))
	}
}
