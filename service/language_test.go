// SPDX-License-Identifier: Apache-2.0

package service

import (
	"testing"
	"time"
)

func TestLanguage(t *testing.T) {
	for _, c := range []struct{ pref, accept, want string }{
		{"", "nl", "nl"},
		{"", "nl-BE,en;q=0.5", "nl"},
		{"", "en;q=0.5, nl", "nl"}, // q-values, not order
		{"", "de, nl;q=0.5", "nl"}, // the best the pages speak
		{"", "nl;q=0, en", "en"},   // q=0: not wanted
		{"", "en-GB,nl;q=0.9", "en"},
		{"", "fr", "en"},
		{"", "", "en"},
		{"", "*", "en"},
		{"", "garbage;;,", "en"},
		{"nl", "en", "nl"}, // the user's preference first
		{"en-US", "nl", "en"},
		{"de", "nl", "nl"}, // a preference the pages lack
		{"not a tag", "nl", "nl"},
	} {
		if got := Language(c.pref, c.accept); got != c.want {
			t.Errorf("Language(%q, %q) = %s, want %s", c.pref, c.accept, got, c.want)
		}
	}
}

func TestExpiresTextIn(t *testing.T) {
	at := time.Date(2026, time.March, 7, 14, 5, 0, 0, time.FixedZone("CET", 3600))
	if got := expiresTextIn("nl", at); got != "7 maart 2026 13:05 UTC" {
		t.Errorf("nl: %q", got)
	}
	if got := expiresTextIn("en", at); got != "7 March 2026 13:05 UTC" {
		t.Errorf("en: %q", got)
	}
}
