// SPDX-License-Identifier: Apache-2.0

// Package validate checks the format of the values that Roster's resources
// carry: email addresses, phone numbers, time zones, language tags, country
// and currency codes, colours and URLs. Every function is pure apart from a
// cache, has no dependency on the rest of Roster, and returns nil or an
// *Error whose message a person can act on. Messages are written to follow a
// field name ("email must be …"), start in lower case, have no trailing
// period and never repeat the value that was checked.
//
// # Email policy
//
// Email accepts an RFC 5322 addr-spec made of a dot-atom local part and a
// dot-atom domain that is also a host name in the sense of RFC 1123: labels of
// letters, digits and hyphens, 1 to 63 characters each, not starting or ending
// with a hyphen. The local part is at most 64 characters and the whole address
// at most 254 (the RFC 5321 path limit, which keeps it within the 255
// characters the API allows, and the domain within the 253 of RFC 1035). The address must be ASCII:
// an internationalised domain is given in its xn-- form.
//
// Of the forms that RFC 5321 allows but that rarely survive outside it (the
// ISEMAIL_RFC5321 category of the is_email test set), Email decides:
//
//   - A domain of a single label, such as user@localhost or test@org, is
//     accepted: it cannot be told apart from a real single-label mail domain
//     such as test@io without a DNS query.
//   - A domain whose last label is all digits, such as test@iana.123 or
//     test@255.255.255.255, is refused: no top-level domain is numeric, and
//     the second form is an IP address without brackets.
//   - A quoted local part, such as "john doe"@example.com, is refused: HTML
//     forms (the WHATWG "valid e-mail address") and most mail providers do
//     not accept it, and its escapes make case-insensitive comparison
//     ambiguous.
//   - An address literal, such as user@[192.0.2.1] or user@[IPv6:…], is
//     refused: an account address names a mail domain, not a host.
//
// Everything RFC 5322 allows only for obsolete or folded syntax (comments,
// folding white space, obs-local-part, quoted pairs, general domain literals)
// is refused as well.
package validate

import "net/url"

// Error is the error that every function in this package returns.
type Error struct {
	// Field names the part of a compound value that is wrong: "country" or
	// "number" for Phone. It is empty for single values.
	Field string
	// Message says what is wrong, in words meant for the person who typed the
	// value.
	Message string
}

// Error returns the message, prefixed by the field when there is one.
func (e *Error) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + " " + e.Message
}

func invalid(msg string) error { return &Error{Message: msg} }

// Color checks that s is a colour written as #rrggbb, in hexadecimal digits
// of either case.
func Color(s string) error {
	if len(s) != 7 || s[0] != '#' {
		return invalid("must be a colour written as #rrggbb, such as #1a2b3c")
	}
	for i := 1; i < len(s); i++ {
		if !isHex(s[i]) {
			return invalid("must be a colour written as #rrggbb, such as #1a2b3c")
		}
	}
	return nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// MaxURLLength is the longest URL that URL accepts.
const MaxURLLength = 2048

// URL checks that s is an absolute http or https URL with a host, such as a
// logo address, of at most MaxURLLength characters. It refuses user
// information (https://user:password@host/), which would put a credential in
// a publicly shown address, and white space or control characters anywhere.
func URL(s string) error {
	const want = "must be an absolute http or https URL such as https://example.com/logo.png"
	if s == "" {
		return invalid(want)
	}
	if len(s) > MaxURLLength {
		return invalid("must be at most 2048 characters")
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] == 0x7f {
			return invalid("must not contain spaces or control characters; encode a space as %20")
		}
	}
	u, err := url.Parse(s)
	if err != nil {
		return invalid(want)
	}
	if u.Scheme != "http" && u.Scheme != "https" { // url.Parse lowers the scheme
		return invalid(want)
	}
	if u.User != nil {
		return invalid("must not contain a user name or password")
	}
	if u.Hostname() == "" {
		return invalid("must include a host name, as in https://example.com/logo.png")
	}
	return nil
}
