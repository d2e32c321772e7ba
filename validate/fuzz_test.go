// SPDX-License-Identifier: Apache-2.0

package validate

import (
	"net/mail"
	"strings"
	"testing"
)

// FuzzEmail checks that Email never panics and that what it accepts is
// sound: at most MaxEmailLength ASCII characters with one @, still accepted
// in lower and upper case (addresses are compared case-insensitively), and
// read by net/mail as exactly the same address.
func FuzzEmail(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		if Email(s) != nil {
			return
		}
		if len(s) > MaxEmailLength || strings.Count(s, "@") != 1 {
			t.Fatalf("Email accepted %q: %d characters, %d @", s, len(s), strings.Count(s, "@"))
		}
		for i := 0; i < len(s); i++ {
			if s[i] <= ' ' || s[i] >= 0x7f {
				t.Fatalf("Email accepted %q with byte %#x", s, s[i])
			}
		}
		for _, other := range []string{strings.ToLower(s), strings.ToUpper(s)} {
			if err := Email(other); err != nil {
				t.Fatalf("Email accepted %q but refused %q: %v", s, other, err)
			}
		}
		addr, err := mail.ParseAddress(s)
		if err != nil || addr.Address != s {
			t.Fatalf("Email accepted %q, net/mail read it as %v, %v", s, addr, err)
		}
	})
}

// FuzzPhone checks that Phone never panics and that what it accepts is an
// E.164 number (+, then 2 to 15 digits, the first not 0) that Phone accepts
// again unchanged, with or without the country.
func FuzzPhone(f *testing.F) {
	f.Fuzz(func(t *testing.T, country, number string) {
		e164, err := Phone(country, number)
		if err != nil {
			if e164 != "" {
				t.Fatalf("Phone(%q, %q) = %q with error %v", country, number, e164, err)
			}
			return
		}
		if len(e164) < 3 || len(e164) > 16 || e164[0] != '+' || e164[1] == '0' || strings.Trim(e164[1:], "0123456789") != "" {
			t.Fatalf("Phone(%q, %q) = %q, not an E.164 number", country, number, e164)
		}
		for _, c := range []string{"", country} {
			if again, err := Phone(c, e164); err != nil || again != e164 {
				t.Fatalf("Phone(%q, %q) = %q, but Phone(%q, %q) = %q, %v", country, number, e164, c, e164, again, err)
			}
		}
	})
}
