// SPDX-License-Identifier: Apache-2.0

package validate

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/testdata"
)

// readJSON decodes the corpus file at path into v.
func readJSON(tb testing.TB, path string, v any) {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
}

// readLines returns the non-empty lines of path that are not # comments.
func readLines(tb testing.TB, path string) []string {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") {
			lines = append(lines, line)
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return lines
}

// isemailCase is one record of isemail/tests.json.
type isemailCase struct {
	ID        string `json:"id"`
	Address   string `json:"address"`
	Category  string `json:"category"`
	Diagnosis string `json:"diagnosis"`
}

// rfc5321Accepted lists the ISEMAIL_RFC5321 diagnoses that the package
// policy accepts; the other RFC 5321 forms are refused (see the package
// documentation).
var rfc5321Accepted = map[string]bool{
	"ISEMAIL_RFC5321_TLD": true, // single-label domain: test@org
}

// TestEmailCorpus checks Email against Dominic Sayers' is_email test set:
// valid addresses and those that only fail a DNS lookup are accepted,
// everything with comments, folding white space, deprecated or RFC 5322-only
// syntax is refused, and the RFC 5321 category follows the package policy.
func TestEmailCorpus(t *testing.T) {
	var cases []isemailCase
	readJSON(t, filepath.Join(testdata.Dir(t, "isemail"), "tests.json"), &cases)
	if len(cases) != 164 {
		t.Errorf("got %d cases, want the 164 of is_email v3.05", len(cases))
	}
	passed := 0
	for _, c := range cases {
		var want bool
		switch c.Category {
		case "ISEMAIL_VALID_CATEGORY", "ISEMAIL_DNSWARN":
			want = true
		case "ISEMAIL_RFC5321":
			want = rfc5321Accepted[c.Diagnosis]
		case "ISEMAIL_ERR", "ISEMAIL_CFWS", "ISEMAIL_DEPREC", "ISEMAIL_RFC5322":
			want = false
		default:
			t.Errorf("case %s: unknown category %s", c.ID, c.Category)
			continue
		}
		err := Email(c.Address)
		if got := err == nil; got != want {
			t.Errorf("case %s (%s) Email(%q) = %v, want accepted=%v", c.ID, c.Diagnosis, c.Address, err, want)
			continue
		}
		if err != nil && len(c.Address) > 3 && strings.Contains(err.Error(), c.Address) {
			t.Errorf("case %s: message %q repeats the address", c.ID, err)
		}
		passed++
	}
	t.Logf("isemail: %d of %d cases passed", passed, len(cases))
}

// phoneCorpus is phonenumbers/e164-example-numbers.json.
type phoneCorpus struct {
	Cases []struct {
		Region             string `json:"region"`
		Type               string `json:"type"`
		InputNational      string `json:"input_national"`
		InputInternational string `json:"input_international"`
		ExpectedE164       string `json:"expected_e164"`
	} `json:"cases"`
	Regions           int `json:"regions"`
	RoundtripFailures int `json:"roundtrip_failures"`
}

// phoneRoundtripFailures lists the corpus inputs that libphonenumber itself
// does not read back (the corpus counts them in roundtrip_failures), keyed by
// region, type and input, with the input a person would really type.
//
// Argentina's mobile numbers: the library formats +54 9 11 2345-6789 in
// national form as "09 15-2345-6789", but its parser reads that as area code 9
// and gets +5491523456789, which is not a valid number. Phone refuses it
// rather than return the wrong number. Dialled in Argentina the number is
// 011 15-2345-6789 (area code 11, then the 15 that marks a mobile), which
// Phone normalises correctly.
var phoneRoundtripFailures = map[[3]string]string{
	{"AR", "MOBILE", "09 15-2345-6789"}: "011 15-2345-6789",
}

// TestPhoneCorpus checks that every libphonenumber example number, typed in
// national form with its region, in international form with its region, and
// in international form without a region, normalises to its E.164 form.
func TestPhoneCorpus(t *testing.T) {
	var corpus phoneCorpus
	readJSON(t, filepath.Join(testdata.Dir(t, "phonenumbers"), "e164-example-numbers.json"), &corpus)
	if len(corpus.Cases) != 1132 {
		t.Errorf("got %d cases, want 1132", len(corpus.Cases))
	}
	if len(phoneRoundtripFailures) != corpus.RoundtripFailures {
		t.Errorf("phoneRoundtripFailures has %d entries, the corpus counts %d", len(phoneRoundtripFailures), corpus.RoundtripFailures)
	}
	checked, passed := 0, 0
	for _, c := range corpus.Cases {
		inputs := [][2]string{
			{c.Region, c.InputNational},
			{c.Region, c.InputInternational},
			{"", c.InputInternational},
		}
		for _, in := range inputs {
			checked++
			if typed, ok := phoneRoundtripFailures[[3]string{c.Region, c.Type, in[1]}]; ok {
				if got, err := Phone(in[0], in[1]); err == nil {
					t.Errorf("%s %s: Phone(%q, %q) = %q, want an error", c.Region, c.Type, in[0], in[1], got)
					continue
				}
				in[1] = typed
			}
			got, err := Phone(in[0], in[1])
			if err != nil || got != c.ExpectedE164 {
				t.Errorf("%s %s: Phone(%q, %q) = %q, %v; want %q", c.Region, c.Type, in[0], in[1], got, err, c.ExpectedE164)
				continue
			}
			passed++
		}
	}
	t.Logf("phonenumbers: %d of %d inputs (%d cases) passed", passed, checked, len(corpus.Cases))
}

// TestTimeZoneCorpus checks that TimeZone accepts every name of the IANA
// database, zones and links alike, and refuses each in lower and upper case.
func TestTimeZoneCorpus(t *testing.T) {
	names := readLines(t, filepath.Join(testdata.Dir(t, "iana-tz"), "all-names.txt"))
	if len(names) != 598 {
		t.Errorf("got %d names, want 598", len(names))
	}
	accepted, refused := 0, 0
	for _, name := range names {
		if err := TimeZone(name); err != nil {
			t.Errorf("TimeZone(%q) = %v, want nil", name, err)
		} else {
			accepted++
		}
		for _, other := range []string{strings.ToLower(name), strings.ToUpper(name)} {
			if other == name {
				continue
			}
			if err := TimeZone(other); err == nil {
				t.Errorf("TimeZone(%q) = nil, want an error", other)
			} else {
				refused++
			}
		}
	}
	t.Logf("iana-tz: %d of %d names accepted, %d wrong-case variants refused", accepted, len(names), refused)
}

// TestCountryCorpus checks that Country accepts exactly the codes of the
// IANA database's iso3166.tab, plus XK.
func TestCountryCorpus(t *testing.T) {
	lines := readLines(t, filepath.Join(testdata.Dir(t, "iana-tz"), "iso3166.tab"))
	want := map[string]bool{"XK": true}
	for _, line := range lines {
		want[strings.Fields(line)[0]] = true
	}
	if len(want) != 250 {
		t.Errorf("got %d codes, want 249 plus XK", len(want))
	}
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			code := string([]rune{a, b})
			if got := Country(code) == nil; got != want[code] {
				t.Errorf("Country(%q) accepted=%v, want %v", code, got, want[code])
			}
		}
	}
}
