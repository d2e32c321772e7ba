// SPDX-License-Identifier: Apache-2.0

package scim

import (
	"reflect"
	"testing"

	filter "github.com/scim2/filter-parser/v2"
)

// TestSimpleEq: the filters simpleEq reads give what the parser makes of
// them, and the others still go to the parser.
func TestSimpleEq(t *testing.T) {
	for _, s := range []string{`userName eq "ann@example.com"`, `UserName EQ "Ann Ö"`, `externalId Eq "e-1_2"`, `userName eq ""`} {
		if simpleEq.FindStringSubmatch(s) == nil {
			t.Errorf("%s: not read directly", s)
		}
		want, err := filter.ParseFilter([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := parseFilter(s, userAttrs); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %#v (%v), the parser %#v", s, got, err, want)
		}
	}
	for _, s := range []string{`userName eq "a\"b"`, `userName  eq "a"`, `name.givenName eq "a"`, `userName eq "a" and active eq true`, `userName eq 3`} {
		if simpleEq.FindStringSubmatch(s) != nil {
			t.Errorf("%s: read directly, want the parser", s)
		}
	}
	if _, err := parseFilter(`nosuch eq "x"`, userAttrs); err == nil {
		t.Error("an unknown attribute: no error")
	}
}
