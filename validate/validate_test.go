// SPDX-License-Identifier: Apache-2.0

package validate

import (
	"errors"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/text/currency"
)

// checkMessage fails the test unless err is an *Error whose message follows
// the package rules: lower-case start, no trailing period. TestNoEcho checks
// that messages do not repeat the value.
func checkMessage(tb testing.TB, err error) {
	tb.Helper()
	var e *Error
	if !errors.As(err, &e) {
		tb.Fatalf("error %v is a %T, want *Error", err, err)
	}
	msg := e.Message
	if msg == "" || !unicode.IsLower(rune(msg[0])) || strings.HasSuffix(msg, ".") {
		tb.Errorf("message %q must start in lower case and have no trailing period", msg)
	}
}

func TestEmail(t *testing.T) {
	ok := []string{
		"name@example.com",
		"Name.Surname+tag@Mail.Example.co.uk",
		"!#$%&'*+-/=?^_`{|}~@example.com",
		"a@b",
		"test@org", // single-label domain: package policy
		"user@xn--bcher-kva.example",
		"user@123.example",
		strings.Repeat("l", 64) + "@example.com",
		"a@" + strings.Repeat(strings.Repeat("d", 63)+".", 3) + strings.Repeat("d", 60),                          // 252-character domain, 254 in all
		strings.Repeat("l", 64) + "@" + strings.Repeat(strings.Repeat("d", 63)+".", 2) + strings.Repeat("d", 61), // 254 characters
	}
	for _, s := range ok {
		if err := Email(s); err != nil {
			t.Errorf("Email(%q) = %v, want nil", s, err)
		}
	}

	bad := []struct{ in, msg string }{
		{"", "must be an email address"},
		{"plainaddress", "must be an email address"},
		{"@example.com", "name before the @"},
		{"name@", "domain after the @"},
		{"name@@example.com", `must not contain "@" before the @`},
		{"na(me)@example.com", `must not contain "(" before the @`},
		{`"john doe"@example.com`, "quoted name"},
		{`"john"@example.com`, "quoted name"},
		{"user@[192.0.2.1]", "not an address in brackets"},
		{"user@[IPv6:2001:db8::1]", "not an address in brackets"},
		{"test@iana.123", "numeric top-level domain"},
		{"test@255.255.255.255", "numeric top-level domain"},
		{"jöhn@example.com", "ASCII"},
		{"user@bücher.example", "xn-- form"},
		{" name@example.com", "spaces"},
		{"name@example.com\n", "control characters"},
		{"name@example.com.", "dot at the start or end"},
		{".name@example.com", "dot at the start or end"},
		{"first..last@example.com", "two dots in a row"},
		{"name@-example.com", "starts or ends with a hyphen"},
		{"name@example-.com", "starts or ends with a hyphen"},
		{"name@exa_mple.com", `must not contain "_" in the domain`},
		{strings.Repeat("l", 65) + "@example.com", "at most 64 characters before the @"},
		{"name@" + strings.Repeat("d", 64) + ".com", "at most 63 characters between two dots"},
		{"a@" + strings.Repeat(strings.Repeat("d", 63)+".", 3) + strings.Repeat("d", 61), "at most 254 characters"},
		{strings.Repeat("l", 64) + "@" + strings.Repeat(strings.Repeat("d", 63)+".", 2) + strings.Repeat("d", 62), "at most 254 characters"},
	}
	for _, c := range bad {
		err := Email(c.in)
		if err == nil {
			t.Errorf("Email(%q) = nil, want an error", c.in)
			continue
		}
		if !strings.Contains(err.Error(), c.msg) {
			t.Errorf("Email(%q) = %q, want a message containing %q", c.in, err, c.msg)
		}
		checkMessage(t, err)
	}
}

func TestPhone(t *testing.T) {
	ok := []struct{ country, number, want string }{
		{"NL", "010 123 4567", "+31101234567"},
		{"NL", "06 12345678", "+31612345678"},
		{"NL", "0612345678", "+31612345678"},
		{"NL", "+31 6 1234 5678", "+31612345678"},
		{"NL", "0031 6 12345678", "+31612345678"},
		{"", "+31612345678", "+31612345678"},
		{"US", "(201) 555-0123", "+12015550123"},
		{"US", "201.555.0123 ext. 45", "+12015550123"},
		{"CA", "+1 204 555 0123", "+12045550123"},
		{"GB", "07400 123456", "+447400123456"},
		{"BE", "0450 00 12 34", "+32450001234"},
		{"ES", "612 34 56 78", "+34612345678"},
		{"SE", "070-123 45 67", "+46701234567"},
		{"JP", "090-1234-5678", "+819012345678"},
		{"AC", "62889", "+24762889"},
		{"XK", "+383 43 201 234", "+38343201234"},
		{"AR", "011 15-2345-6789", "+5491123456789"},
	}
	for _, c := range ok {
		got, err := Phone(c.country, c.number)
		if err != nil || got != c.want {
			t.Errorf("Phone(%q, %q) = %q, %v; want %q", c.country, c.number, got, err, c.want)
		}
	}

	bad := []struct{ country, number, field, msg string }{
		{"", "06 12345678", "country", "is required unless the number starts with +"},
		{"", "", "country", "is required"},
		{"nl", "06 12345678", "country", "ISO 3166-1 alpha-2"},
		{"XX", "06 12345678", "country", "ISO 3166-1 alpha-2"},
		{"NLD", "06 12345678", "country", "ISO 3166-1 alpha-2"},
		{"AQ", "+672 1 23456", "country", "with phone numbers"},
		{"NL", "", "number", "is required"},
		{"NL", "not a number", "number", "must be a phone number"},
		{"NL", "+1 201 555 0123", "number", "must start with +31, the calling code of NL"},
		{"CA", "+44 7400 123456", "number", "must start with +1"},
		{"NL", "06 12", "number", "too few digits"},
		{"", "+31 1", "number", "too few digits"},
		{"NL", "06 1234", "number", "not a valid phone number in NL"},
		{"NL", "06 12345678901234", "number", "too many digits"},
		{"", "+999 1234 5678", "number", "calling code that exists"},
		{"NL", "01 2345 6789", "number", "not a valid phone number in NL"},
		{"CA", "(201) 555-0123", "number", "not a valid phone number in CA"}, // a US area code
	}
	for _, c := range bad {
		got, err := Phone(c.country, c.number)
		if err == nil {
			t.Errorf("Phone(%q, %q) = %q, nil; want an error", c.country, c.number, got)
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Field != c.field || !strings.Contains(e.Message, c.msg) {
			t.Errorf("Phone(%q, %q) error = %#v, want field %q and a message containing %q", c.country, c.number, err, c.field, c.msg)
		}
		checkMessage(t, err)
	}
}

func TestTimeZone(t *testing.T) {
	for _, s := range []string{"Europe/Amsterdam", "America/Argentina/Buenos_Aires", "UTC", "Etc/GMT+5", "EST5EDT", "Asia/Kolkata", "Asia/Calcutta"} {
		if err := TimeZone(s); err != nil {
			t.Errorf("TimeZone(%q) = %v, want nil", s, err)
		}
	}
	bad := []string{
		"", "Local", "europe/amsterdam", "EUROPE/AMSTERDAM", "Europe/amsterdam", "utc",
		"../etc/passwd", "/etc/passwd", "Europe/../UTC", "Mars/Base", "Europe", "Europe/",
		"posixrules", "posix/Europe/Amsterdam", "right/Europe/Amsterdam", "localtime",
		"zone.tab", "+VERSION", "Europe/Amsterdam ", "Europe\\Amsterdam",
	}
	for _, s := range bad {
		err := TimeZone(s)
		if err == nil {
			t.Errorf("TimeZone(%q) = nil, want an error", s)
			continue
		}
		if want := "must be an IANA time zone name such as Europe/Amsterdam"; err.Error() != want {
			t.Errorf("TimeZone(%q) = %q, want %q", s, err, want)
		}
	}
	// Twice, so the second answer comes from the cache.
	for range 2 {
		if err := TimeZone("Pacific/Auckland"); err != nil {
			t.Errorf("TimeZone(Pacific/Auckland) = %v, want nil", err)
		}
	}
}

func TestLanguageTag(t *testing.T) {
	ok := []struct{ in, want string }{
		{"en", "en"},
		{"nl", "nl"},
		{"EN-us", "en-US"},
		{"en_US", "en-US"},
		{"pt-BR", "pt-BR"},
		{"zh-hant-tw", "zh-Hant-TW"},
		{"iw", "he"},
		{"sv-SE", "sv-SE"},
		{"es-419", "es-419"},
		{"de-CH-1996", "de-CH-1996"},
	}
	for _, c := range ok {
		got, err := LanguageTag(c.in)
		if err != nil || got != c.want {
			t.Errorf("LanguageTag(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	for _, s := range []string{"", "und", "und-US", "x-private", "zz", "english", "en-", "en--US", "123", "en US", strings.Repeat("en-", 30) + "en"} {
		if got, err := LanguageTag(s); err == nil {
			t.Errorf("LanguageTag(%q) = %q, nil; want an error", s, got)
		} else {
			checkMessage(t, err)
		}
	}
}

func TestCountry(t *testing.T) {
	for _, s := range []string{"US", "NL", "BE", "ES", "SE", "GB", "JP", "XK", "AQ"} {
		if err := Country(s); err != nil {
			t.Errorf("Country(%q) = %v, want nil", s, err)
		}
	}
	for _, s := range []string{"us", "Nl", "XX", "EU", "UN", "UK", "AC", "SU", "123", "", "NLD", " NL"} {
		if err := Country(s); err == nil {
			t.Errorf("Country(%q) = nil, want an error", s)
		} else {
			checkMessage(t, err)
		}
	}
}

func TestCurrency(t *testing.T) {
	for _, s := range []string{"USD", "CAD", "EUR", "GBP", "JPY", "CHF", "XOF", "VES", "SLE", "ZWG", "XCG"} {
		if err := Currency(s); err != nil {
			t.Errorf("Currency(%q) = %v, want nil", s, err)
		}
	}
	for _, s := range []string{"usd", "Usd", "XXX", "XTS", "XAU", "XDR", "USN", "BOV", "ABC", "DEM", "HRK", "BGN", "ANG", "ZWL", "", "US", "USDT"} {
		if err := Currency(s); err == nil {
			t.Errorf("Currency(%q) = nil, want an error", s)
		} else {
			checkMessage(t, err)
		}
	}
}

// TestCurrencyTable guards the hand-written currency list against typos: each
// code must be one CLDR knows, apart from those introduced after CLDR 32.
func TestCurrencyTable(t *testing.T) {
	newer := map[string]bool{"MRU": true, "SLE": true, "VED": true, "VES": true, "XCG": true, "ZWG": true}
	for code := range currencySet {
		if _, err := currency.ParseISO(code); err != nil && !newer[code] {
			t.Errorf("%s is not an ISO 4217 code known to golang.org/x/text/currency", code)
		}
	}
	if len(currencySet) != 155 {
		t.Errorf("currency list has %d codes, want 155", len(currencySet))
	}
}

func TestColor(t *testing.T) {
	for _, s := range []string{"#1a2b3c", "#ABCDEF", "#000000", "#aBcDeF"} {
		if err := Color(s); err != nil {
			t.Errorf("Color(%q) = %v, want nil", s, err)
		}
	}
	for _, s := range []string{"", "1a2b3c", "#abc", "#12345g", "#1234567", "＃12345", "#12 345", "rgb(0,0,0)"} {
		if err := Color(s); err == nil {
			t.Errorf("Color(%q) = nil, want an error", s)
		} else {
			checkMessage(t, err)
		}
	}
}

func TestURL(t *testing.T) {
	long := "https://example.com/" + strings.Repeat("a", MaxURLLength-len("https://example.com/"))
	for _, s := range []string{
		"https://example.com/logo.png",
		"http://example.com",
		"HTTPS://Example.COM/Logo.png",
		"https://cdn.example.com:8443/a/b.svg?v=2#top",
		"https://[2001:db8::1]/logo.png",
		"https://example.com/a%20b.png",
		long,
	} {
		if err := URL(s); err != nil {
			t.Errorf("URL(%q) = %v, want nil", s, err)
		}
	}
	bad := []struct{ in, msg string }{
		{"", "absolute http or https URL"},
		{"example.com/logo.png", "absolute http or https URL"},
		{"/logo.png", "absolute http or https URL"},
		{"ftp://example.com/logo.png", "absolute http or https URL"},
		{"javascript:alert(1)", "absolute http or https URL"},
		{"data:image/png;base64,AAAA", "absolute http or https URL"},
		{"https:example.com", "host name"},
		{"https://", "host name"},
		{"https:///logo.png", "host name"},
		{"https://user:s3cret-token@example.com/logo.png", "user name or password"},
		{"https://example.com/a b.png", "spaces"},
		{"https://example.com/\tlogo.png", "control characters"},
		{"https://exa%zzmple.com/", "absolute http or https URL"},
		{long + "a", "at most 2048 characters"},
	}
	for _, c := range bad {
		err := URL(c.in)
		if err == nil {
			t.Errorf("URL(%q) = nil, want an error", c.in)
			continue
		}
		if !strings.Contains(err.Error(), c.msg) {
			t.Errorf("URL(%q) = %q, want a message containing %q", c.in, err, c.msg)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("URL(%q) = %q repeats the password", c.in, err)
		}
		checkMessage(t, err)
	}
}

// TestNoEcho checks that no message repeats the value it refuses, which may
// be a secret pasted into the wrong field.
func TestNoEcho(t *testing.T) {
	const secret = "s3cret"
	checks := map[string]func() error{
		"Email/plain":     func() error { return Email(secret) },
		"Email/local":     func() error { return Email(secret + "(@example.com") },
		"Email/quoted":    func() error { return Email(`"` + secret + `"@example.com`) },
		"Email/domain":    func() error { return Email("a@" + secret + "_.com") },
		"Email/literal":   func() error { return Email("a@[" + secret + "]") },
		"Email/numeric":   func() error { return Email(secret + "@" + secret + ".123") },
		"Email/ascii":     func() error { return Email(secret + "é@example.com") },
		"Phone/country":   func() error { _, err := Phone(secret, "0612345678"); return err },
		"Phone/number":    func() error { _, err := Phone("NL", secret); return err },
		"TimeZone":        func() error { return TimeZone("Europe/" + secret) },
		"LanguageTag":     func() error { _, err := LanguageTag("en-" + secret + "-" + secret); return err },
		"Country":         func() error { return Country(secret) },
		"Currency":        func() error { return Currency(secret) },
		"Color":           func() error { return Color("#" + secret) },
		"URL/userinfo":    func() error { return URL("https://admin:" + secret + "@example.com/") },
		"URL/scheme":      func() error { return URL(secret + "://example.com/") },
		"URL/unparseable": func() error { return URL("https://" + secret + "%zz/") },
	}
	for name, check := range checks {
		err := check()
		if err == nil {
			t.Errorf("%s: got nil, want an error", name)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("%s: message %q repeats the value", name, err)
		}
		checkMessage(t, err)
	}
}
