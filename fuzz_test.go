// SPDX-License-Identifier: Apache-2.0

package roster_test

import (
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rosterhq/roster"
)

// fuzzUserID is the id of the current user in the fuzz targets.
const fuzzUserID = "usr_01JD3M5B8Q6T9V2W4X7Y0Z1A2B"

// fuzzCurrentUser returns a fully populated stored user, the "current"
// user that replacements and patches apply to.
func fuzzCurrentUser(t testing.TB) *roster.User {
	t.Helper()
	in := roster.UserInput{}
	body := `{
		"organization_id": "org_01JD3M5B8Q6T9V2W4X7Y0Z1A2C",
		"email": "ann.smith@example.com",
		"username": "ann",
		"first_name": "Ann",
		"last_name": "Smith",
		"phone": {"country": "NL", "number": "020 123 4567"},
		"mobile": {"number": "+16699990000"},
		"status": "enabled",
		"availability": "available",
		"preferences": {"language": "en-GB", "time_zone": "Europe/Amsterdam", "default_country": "NL",
			"color_mode": "dark", "date_format": "DD-MM-YYYY", "number_format": "dot_comma",
			"default_outbound_number": "+31201234567"},
		"notifications": {"events": {"missed_call": {"enabled": true, "channels": ["email", "app"]}},
			"email_addresses": ["ann@example.org"], "sms_numbers": ["+16699990000"],
			"blocked_user_ids": ["usr_01JD3M5B8Q6T9V2W4X7Y0Z1A2D"]},
		"settings": {"theme": {"accent": "#00ff00"}, "beta": true, "widgets": ["clock", "weather"]},
		"tags": [{"name": "vip", "color": "#FF0000"}, {"name": "sales"}],
		"roles": ["admin", "member"],
		"manager_id": "usr_01JD3M5B8Q6T9V2W4X7Y0Z1A2E",
		"external_id": "ext-42"
	}`
	if err := roster.DecodeStrict([]byte(body), &in); err != nil {
		t.Fatalf("fixture: %v", err)
	}
	u, err := roster.BuildUser(nil, &in, nil)
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	u.ID = fuzzUserID
	for i := range u.Tags {
		u.Tags[i].ID = "tag_01JD3M5B8Q6T9V2W4X7Y0Z1A3" + string("AB"[i])
	}
	u.Memberships = []roster.Membership{{OrganizationID: u.OrganizationID, Roles: u.Roles}}
	u.CreatedAt = time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	u.UpdatedAt = u.CreatedAt.Add(time.Hour)
	u.Version = 3
	return u
}

// wantCode fails the test unless err is a *roster.Error with one of codes.
func wantCode(t *testing.T, what string, err error, codes ...roster.Code) {
	t.Helper()
	var e *roster.Error
	if !errors.As(err, &e) {
		t.Fatalf("%s: error %T %v is not a *roster.Error", what, err, err)
	}
	if !slices.Contains(codes, e.Code) {
		t.Fatalf("%s: error code %q (%v), want one of %v", what, e.Code, err, codes)
	}
}

// echo returns u's API form read back as a UserInput: what a client that
// sends a GET's body back unchanged in a PUT, or an empty merge patch,
// makes the server read.
func echo(t *testing.T, u *roster.User) *roster.UserInput {
	t.Helper()
	doc, err := json.Marshal(u.Document())
	if err != nil {
		t.Fatalf("marshal %+v: %v", u, err)
	}
	var in roster.UserInput
	if err := roster.DecodeStrict(doc, &in); err != nil {
		t.Fatalf("the API form %s does not decode as a UserInput: %v", doc, err)
	}
	return &in
}

// FuzzDecodeUserInput decodes a request body as a user create or replace
// and builds the user from it, both as a creation and as a replacement of
// a stored user. Nothing may panic; every refusal is a *roster.Error with
// code invalid or malformed. A user that is accepted must be accepted
// again, unchanged, when its API form is sent back as a replacement: a
// write that changes nothing changes nothing.
func FuzzDecodeUserInput(f *testing.F) {
	stored := fuzzCurrentUser(f)
	storedJSON, err := json.Marshal(stored)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var in roster.UserInput
		if err := roster.DecodeStrict(data, &in); err != nil {
			wantCode(t, "DecodeStrict", err, roster.CodeInvalid, roster.CodeMalformed)
			return
		}
		cur := stored.Clone()
		for _, c := range []struct {
			name string
			cur  *roster.User
		}{{"create", nil}, {"replace", cur}} {
			u, err := roster.BuildUser(c.cur, &in, nil)
			if after, _ := json.Marshal(cur); string(after) != string(storedJSON) {
				t.Fatalf("%s: BuildUser changed the current user:\n%s\n%s", c.name, storedJSON, after)
			}
			if err != nil {
				wantCode(t, c.name, err, roster.CodeInvalid, roster.CodeMalformed)
				continue
			}
			if c.cur != nil && (u.ID != cur.ID || u.Email != cur.Email || u.Username != cur.Username || u.Version != cur.Version) {
				t.Fatalf("replace changed a read-only field: %+v", u)
			}
			var settings any
			if err := json.Unmarshal(u.Settings, &settings); err != nil {
				t.Fatalf("%s: settings %s are not valid JSON: %v", c.name, u.Settings, err)
			}
			if _, ok := settings.(map[string]any); !ok {
				t.Fatalf("%s: settings %s are not an object", c.name, u.Settings)
			}
			again, err := roster.BuildUser(u, echo(t, u), nil)
			if err != nil {
				t.Fatalf("%s: the API form of an accepted user is refused: %v", c.name, err)
			}
			if !roster.SameContent(u, again) {
				a, _ := json.Marshal(u)
				b, _ := json.Marshal(again)
				t.Fatalf("%s: sending the API form back changes the user:\n%s\n%s", c.name, a, b)
			}
		}
	})
}

// FuzzApplyPatch applies the input as a merge patch and as a JSON Patch to
// a stored user's API form, then reads the result as PATCH /v1/users/{id}
// does. Nothing may panic; refusals are *roster.Error with code malformed,
// invalid, patch_conflict or too_large; a patched document is valid JSON.
func FuzzApplyPatch(f *testing.F) {
	stored := fuzzCurrentUser(f)
	doc, err := json.Marshal(stored.Document())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, patch []byte) {
		cur := stored.Clone()
		allowed := []roster.Code{roster.CodeMalformed, roster.CodeInvalid, roster.CodePatchConflict, roster.CodeTooLarge}
		for _, format := range []string{roster.MergePatch, roster.JSONPatch} {
			out, err := roster.ApplyPatch(format, doc, patch)
			if err != nil {
				wantCode(t, format+" ApplyPatch", err, allowed...)
				continue
			}
			if !json.Valid(out) {
				t.Fatalf("%s ApplyPatch(%q) = %q, not valid JSON", format, patch, out)
			}
			var in roster.UserInput
			if err := roster.DecodeStrict(out, &in); err != nil {
				wantCode(t, format+" DecodeStrict", err, allowed...)
				continue
			}
			if _, err := roster.BuildUser(cur, &in, nil); err != nil {
				wantCode(t, format+" BuildUser", err, allowed...)
			}
		}
	})
}

// FuzzDecodeCursor checks that DecodeCursor never panics, refuses only
// with code malformed, and accepts only cursors of the list's sort, which
// encode and decode back to themselves. It also builds the cursor the
// server makes for a page that ends with a user whose last name is the
// input (at most 255 characters, the limit on last_name), which must
// decode back unchanged: a client passes next_cursor back as it is.
func FuzzDecodeCursor(f *testing.F) {
	f.Fuzz(func(t *testing.T, s, lastName string) {
		for _, sort := range roster.UserSorts {
			c, err := roster.DecodeCursor(s, sort)
			if err != nil {
				if c != nil {
					t.Fatalf("DecodeCursor(%q, %q) = %+v with error %v", s, sort, c, err)
				}
				wantCode(t, "DecodeCursor", err, roster.CodeMalformed)
				continue
			}
			if c.Sort != sort || c.ID == "" {
				t.Fatalf("DecodeCursor(%q, %q) = %+v", s, sort, c)
			}
			// Encoding may lengthen a cursor (it escapes <, > and &), past
			// the length DecodeCursor accepts: only shorter ones must decode.
			enc := c.Encode()
			again, err := roster.DecodeCursor(enc, sort)
			if err != nil && len(enc) <= len(s) {
				t.Fatalf("DecodeCursor(%q) = %+v, which encodes as %q, which does not decode: %v", s, c, enc, err)
			}
			if err == nil && *again != *c {
				t.Fatalf("DecodeCursor(%q) = %+v, encoded and decoded again %+v", s, c, again)
			}
		}
		if !utf8.ValidString(lastName) || utf8.RuneCountInString(lastName) > 255 {
			return
		}
		for _, sort := range []string{"last_name", "-last_name"} {
			c := roster.Cursor{Sort: sort, Key: strings.ToLower(lastName), ID: fuzzUserID}
			enc := c.Encode()
			got, err := roster.DecodeCursor(enc, sort)
			if err != nil {
				t.Fatalf("the next_cursor for a page ending with last name %q (%d characters) is %d characters long and refused: %v",
					lastName, utf8.RuneCountInString(lastName), len(enc), err)
			}
			if *got != c {
				t.Fatalf("cursor %+v encoded and decoded is %+v", c, got)
			}
		}
	})
}

// validIDPattern is an independent statement of what ValidID accepts: the
// prefix, an underscore, and 26 Crockford base32 digits (upper case, no I,
// L, O or U) whose value fits in 128 bits, so the first is 0 to 7.
func validIDPattern(prefix string) *regexp.Regexp {
	return regexp.MustCompile(`^` + regexp.QuoteMeta(prefix) + `_[0-7][0-9A-HJKMNP-TV-Z]{25}$`)
}

// FuzzValidID compares ValidID with validIDPattern for every id prefix,
// and checks that NewID's ids are valid for their own prefix only.
func FuzzValidID(f *testing.F) {
	prefixes := []string{roster.PrefixUser, roster.PrefixOrg, roster.PrefixKey, roster.PrefixTag, roster.PrefixWebhook, roster.PrefixEvent}
	patterns := make([]*regexp.Regexp, len(prefixes))
	for i, p := range prefixes {
		patterns[i] = validIDPattern(p)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for i, p := range prefixes {
			if got, want := roster.ValidID(p, s), patterns[i].MatchString(s); got != want {
				t.Fatalf("ValidID(%q, %q) = %v, want %v", p, s, got, want)
			}
			id := roster.NewID(p)
			for j, q := range prefixes {
				if got := roster.ValidID(q, id); got != (i == j) {
					t.Fatalf("ValidID(%q, NewID(%q) = %q) = %v", q, p, id, got)
				}
			}
		}
	})
}
