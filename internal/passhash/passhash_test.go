// SPDX-License-Identifier: Apache-2.0

package passhash

import (
	"strings"
	"testing"
)

var small = Params{Memory: 64, Time: 1, Threads: 1}

func TestHashVerify(t *testing.T) {
	h, err := Hash("correct horse battery staple", small)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q is not an argon2id PHC string with the parameters", h)
	}
	if strings.Contains(h, "correct horse") {
		t.Fatal("the hash contains the password")
	}
	for pw, want := range map[string]bool{"correct horse battery staple": true, "correct horse battery stapl": false, "": false} {
		ok, err := Verify(pw, h)
		if err != nil || ok != want {
			t.Errorf("Verify(%q) = %v, %v; want %v", pw, ok, err, want)
		}
	}
	h2, _ := Hash("correct horse battery staple", small)
	if h2 == h {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
}

func TestParseRefuses(t *testing.T) {
	good, _ := Hash("x", small)
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=16$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=99999999999,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=64,t=0,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=64,t=1,p=1$!!$a2V5a2V5a2V5a2V5a2V5",
		good + "$", strings.Replace(good, "m=64", "x=64", 1)} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) succeeded", bad)
		}
		if ok, err := Verify("x", bad); ok || err == nil {
			t.Errorf("Verify against %q = %v, %v", bad, ok, err)
		}
	}
}

func TestValidate(t *testing.T) {
	if err := DefaultParams.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []Params{{Memory: 4, Time: 1, Threads: 1}, {Memory: 64, Time: 0, Threads: 1}, {Memory: 64, Time: 1, Threads: 0}} {
		if p.Validate() == nil {
			t.Errorf("%+v validated", p)
		}
	}
}

// FuzzParse checks that no string makes Parse panic or accept what Verify
// cannot use.
func FuzzParse(f *testing.F) {
	good, _ := Hash("x", small)
	f.Add(good)
	f.Add("$argon2id$v=19$m=64,t=1,p=1$$")
	f.Add("$argon2id$v=19$m=,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Parse(s)
		if err != nil {
			return
		}
		if d.Params.Validate() != nil || len(d.Salt) < 8 || len(d.Key) < 16 {
			t.Fatalf("Parse(%q) accepted unusable parameters %+v", s, d.Params)
		}
	})
}
