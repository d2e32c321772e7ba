// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rosterhq/roster/service"
)

func TestTextOnAccent(t *testing.T) {
	for _, c := range []struct{ bg, want string }{
		{"#000000", lightText}, {"#ffffff", darkText}, {"#24292f", lightText}, {"#0a7e3b", lightText},
		{"#f6f8fa", darkText}, {"#FFD700", darkText}, {"#0969da", lightText}, {"#777777", darkText}, {"#595959", lightText},
	} {
		got := textOn(c.bg)
		if got != c.want {
			t.Errorf("text on %s: %s, want %s", c.bg, got, c.want)
		}
		if r := contrast(luminance(c.bg), luminance(got)); r < 4.5 {
			t.Errorf("text %s on %s: contrast %.2f, under WCAG AA's 4.5", got, c.bg, r)
		}
	}
}

// TestTextOnEveryAccentContrasts sweeps the colour cube: the text chosen
// always reaches 4.5:1.
func TestTextOnEveryAccentContrasts(t *testing.T) {
	for r := 0; r < 256; r += 5 {
		for g := 0; g < 256; g += 5 {
			for b := 0; b < 256; b += 5 {
				bg := fmt.Sprintf("#%02x%02x%02x", r, g, b)
				if c := contrast(luminance(bg), luminance(textOn(bg))); c < 4.5 {
					t.Fatalf("text %s on %s: contrast %.2f", textOn(bg), bg, c)
				}
			}
		}
	}
}

func TestApplyBrandingRefusesWhatIsNotChecked(t *testing.T) {
	for _, c := range []struct{ logo, accent, wantLogo, wantAccent string }{
		{"https://cdn.example/l.png", "#0a7e3b", "https://cdn.example/l.png", "#0a7e3b"},
		{"http://cdn.example/l.png", "#ABCDEF", "http://cdn.example/l.png", "#ABCDEF"},
		{"javascript:alert(1)", "red", "", defaultAccent},
		{"data:image/png;base64,AAAA", "#12345", "", defaultAccent},
		{"//cdn.example/l.png", "#0a7e3b; } body { display:none", "", defaultAccent},
		{"https:///nohost", "", "", defaultAccent},
	} {
		p := &page{Lang: "en", Brand: service.Branding{OrgName: "Acme", LogoURL: c.logo, Accent: c.accent}}
		applyBranding(p)
		if p.Brand.LogoURL != c.wantLogo || string(p.Accent) != c.wantAccent {
			t.Errorf("%q %q: logo %q accent %q", c.logo, c.accent, p.Brand.LogoURL, p.Accent)
		}
		if (p.LogoAlt == "") != (c.wantLogo == "") || (p.LogoAlt != "" && p.LogoAlt != "Acme logo") {
			t.Errorf("%q: alt %q", c.logo, p.LogoAlt)
		}
	}
}

// TestMessagesTranslated: every language of the pages has every message,
// with the same %-verbs as the English one.
func TestMessagesTranslated(t *testing.T) {
	langs := service.Languages()
	if len(messages) != len(langs) {
		t.Errorf("the catalogue has %d languages, service.Languages %d", len(messages), len(langs))
	}
	for _, lang := range langs[1:] {
		for id, en := range messages["en"] {
			tr, ok := messages[lang][id]
			if !ok {
				t.Errorf("%s has no %s text", lang, id)
				continue
			}
			if strings.Count(tr, "%") != strings.Count(en, "%") {
				t.Errorf("%s %s: %q has other verbs than %q", lang, id, tr, en)
			}
		}
		for id := range messages[lang] {
			if _, ok := messages["en"][id]; !ok {
				t.Errorf("%s has %s, which English lacks", lang, id)
			}
		}
	}
}
