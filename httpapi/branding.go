// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"html/template"
	"math"
	"net/url"
	"strconv"

	"github.com/rosterhq/roster/validate"
)

// Branding of the hosted pages: an organisation's white label is what
// its admins typed, so nothing of it reaches a page unchecked. The colour
// must be #rrggbb (it goes into the page's nonce'd <style> as a CSS custom
// property, so the CSP stays without 'unsafe-inline'), the text on it is
// whichever of white and black contrasts more (one of them always reaches
// WCAG AA's 4.5:1: at worst both are about 4.58), and the logo is an
// http or https URL (never javascript: or data:).

// defaultAccent is the header colour of pages without a white label.
const defaultAccent = "#24292f"

// Text colours on the accent colour: pure black, since the page's usual
// near-black falls short of 4.5:1 on mid-grey accents.
const (
	lightText = "#ffffff"
	darkText  = "#000000"
)

// applyBranding fills in a page's checked colours, logo and logo text.
func applyBranding(p *page) {
	accent := p.Brand.Accent
	if validate.Color(accent) != nil {
		accent = defaultAccent
	}
	p.Accent, p.AccentText = template.CSS(accent), template.CSS(textOn(accent))
	p.Brand.LogoURL = webURL(p.Brand.LogoURL)
	if p.Brand.LogoURL != "" {
		name := p.Brand.OrgName
		if name == "" {
			name = p.Brand.ClientName
		}
		p.LogoAlt = msgf(p.Lang, "brand.logo", name)
	}
}

// webURL returns u when it is an absolute http or https URL, else "".
func webURL(u string) string {
	parsed, err := url.Parse(u)
	if err != nil || (parsed.Scheme != "https" && parsed.Scheme != "http") || parsed.Host == "" {
		return ""
	}
	return u
}

// textOn returns the text colour with the higher WCAG 2 contrast ratio
// against a #rrggbb background: white on dark colours, black on light
// ones.
func textOn(bg string) string {
	l := luminance(bg)
	onLight := contrast(l, luminance(darkText))
	onDark := contrast(l, luminance(lightText))
	if onLight > onDark {
		return darkText
	}
	return lightText
}

// luminance is the relative luminance of a #rrggbb colour (WCAG 2).
func luminance(hex string) float64 {
	var c [3]float64
	for i := range c {
		v, _ := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		s := float64(v) / 255
		if s <= 0.04045 {
			c[i] = s / 12.92
		} else {
			c[i] = math.Pow((s+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*c[0] + 0.7152*c[1] + 0.0722*c[2]
}

// contrast is the WCAG 2 contrast ratio of two luminances.
func contrast(a, b float64) float64 {
	return (max(a, b) + 0.05) / (min(a, b) + 0.05)
}
