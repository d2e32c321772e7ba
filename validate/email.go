// SPDX-License-Identifier: Apache-2.0

package validate

import "strings"

// Length limits of an email address, in bytes (the address is ASCII). The
// domain needs no limit of its own: with the @ and a local part it has at most
// 252 characters, within the 253 of RFC 1035.
const (
	MaxEmailLength = 254 // RFC 5321 section 4.5.3.1.3: a 256-octet path less its angle brackets
	maxLocalLength = 64  // RFC 5321 section 4.5.3.1.1
	maxLabelLength = 63  // RFC 1035 section 2.3.4
)

const emailExample = "must be an email address such as name@example.com"

// Email checks that s is an email address that Roster accepts: an RFC 5322
// addr-spec with a dot-atom local part and a host-name domain, at most
// MaxEmailLength characters. The package documentation gives the full
// policy. Email does not change case or trim white space; the caller stores
// the address as given.
func Email(s string) error {
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return invalid(emailExample)
	}
	if s[0] == '"' {
		return invalid(`must not have a quoted name before the @, as in "john doe"@example.com`)
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 0x80:
			return invalid("must contain only ASCII characters; write an international domain in its xn-- form")
		case c <= ' ' || c == 0x7f:
			return invalid("must not contain spaces or control characters")
		}
	}
	if len(s) > MaxEmailLength {
		return invalid("must be at most 254 characters")
	}
	if err := emailLocal(s[:at]); err != nil {
		return err
	}
	return emailDomain(s[at+1:])
}

// emailLocal checks the part before the @: an RFC 5322 dot-atom.
func emailLocal(local string) error {
	switch {
	case local == "":
		return invalid("must have a name before the @, as in name@example.com")
	case len(local) > maxLocalLength:
		return invalid("must have at most 64 characters before the @")
	}
	if err := dotted(local, "before the @"); err != nil {
		return err
	}
	for i := 0; i < len(local); i++ {
		if c := local[i]; c != '.' && !isAtext(c) {
			return invalid("must not contain " + quoteChar(c) + " before the @; allowed are letters, digits, dots and !#$%&'*+-/=?^_`{|}~")
		}
	}
	return nil
}

// emailDomain checks the part after the @: a host name.
func emailDomain(domain string) error {
	switch {
	case domain == "":
		return invalid("must have a domain after the @, as in name@example.com")
	case domain[0] == '[':
		return invalid("must have a domain name after the @, not an address in brackets such as [192.0.2.1]")
	}
	if err := dotted(domain, "in the domain"); err != nil {
		return err
	}
	labels := strings.Split(domain, ".")
	for _, label := range labels {
		if len(label) > maxLabelLength {
			return invalid("must have at most 63 characters between two dots in the domain")
		}
		for i := 0; i < len(label); i++ {
			if c := label[i]; c != '-' && !isAlnum(c) {
				return invalid("must not contain " + quoteChar(c) + " in the domain; allowed are letters, digits, hyphens and dots")
			}
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return invalid("must not have a domain part that starts or ends with a hyphen")
		}
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return invalid("must not end in a numeric top-level domain; an IP address is not allowed")
	}
	return nil
}

// dotted checks the dot placement that a dot-atom and a host name share: no
// dot at either end and no two dots in a row.
func dotted(s, where string) error {
	if s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return invalid("must not have a dot at the start or end or two dots in a row " + where)
	}
	return nil
}

// isAtext reports whether c is an RFC 5322 atext character.
func isAtext(c byte) bool {
	return isAlnum(c) || strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

func isAlnum(c byte) bool { return isLetter(c) || '0' <= c && c <= '9' }

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// quoteChar names a printable ASCII character for a message.
func quoteChar(c byte) string {
	if c == '"' {
		return "'\"'"
	}
	return `"` + string(c) + `"`
}
