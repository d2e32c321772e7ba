// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"net/url"
	"testing"
)

// FuzzParseForm checks that the token endpoint's form parser never
// panics, never returns an empty value or a repeated parameter, and reads
// back exactly what url.Values encodes.
func FuzzParseForm(f *testing.F) {
	f.Add("grant_type=password&username=a%40b.c&password=p%26w")
	f.Add("grant_type=refresh_token&refresh_token=rrt_x&scope=users%3Aread+orgs%3Aread")
	f.Add("a=1&a=2")
	f.Add("%zz=1")
	f.Add("x=&y")
	f.Fuzz(func(t *testing.T, body string) {
		form, err := parseForm([]byte(body))
		if err != nil {
			return
		}
		vals := url.Values{}
		for k, v := range form {
			if v == "" {
				t.Fatalf("parseForm(%q) kept the empty value of %q", body, k)
			}
			vals.Set(k, v)
		}
		again, err := parseForm([]byte(vals.Encode()))
		if err != nil || len(again) != len(form) {
			t.Fatalf("parseForm of the re-encoded %q: %v, %v", body, again, err)
		}
		for k, v := range form {
			if again[k] != v {
				t.Fatalf("parameter %q: %q, then %q", k, v, again[k])
			}
		}
	})
}

func TestParseForm(t *testing.T) {
	form, err := parseForm([]byte("grant_type=password&username=a%40b.c&password=&scope=users%3Aread"))
	if err != nil || form["username"] != "a@b.c" || form["scope"] != "users:read" {
		t.Fatalf("parseForm: %v, %v", form, err)
	}
	if _, has := form["password"]; has {
		t.Error("an empty parameter counts as present")
	}
	for _, bad := range []string{"a=1&a=2", "%zz=1", "a=%"} {
		if _, err := parseForm([]byte(bad)); err == nil {
			t.Errorf("parseForm(%q) succeeded", bad)
		}
	}
}
