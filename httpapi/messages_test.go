// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"regexp"
	"strings"
	"testing"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/service"
)

// TestScopesInWords: the consent page says every scope a client may ask
// for in words of its own.
func TestScopesInWords(t *testing.T) {
	for _, sc := range append(append([]string{}, service.OpenIDScopes...), roster.AllScopes...) {
		if got := scopeText("en", sc); strings.HasPrefix(got, msg("en", "scope.other")) {
			t.Errorf("scope %s has no words: %q", sc, got)
		}
	}
	if got := scopeText("en", "made:up"); got != "Use the permission made:up" {
		t.Errorf("an unknown scope: %q", got)
	}
}

// TestEveryMessageIDExists: the templates name only ids the English
// catalogue holds.
func TestEveryMessageIDExists(t *testing.T) {
	n := 0
	for _, tmpl := range pageTemplates.Templates() {
		if tmpl.Tree == nil {
			continue
		}
		for _, id := range messageIDs.FindAllStringSubmatch(tmpl.Tree.Root.String(), -1) {
			n++
			if _, ok := messages["en"][id[1]]; !ok {
				t.Errorf("template %s uses message %q, which the catalogue lacks", tmpl.Name(), id[1])
			}
		}
	}
	if n < 20 {
		t.Errorf("found %d message ids in the templates: the pattern no longer matches them", n)
	}
}

var messageIDs = regexp.MustCompile(`msg \$?\.Lang "([^"]+)"`)
