// SPDX-License-Identifier: Apache-2.0

package service

import (
	"context"
	"slices"

	"golang.org/x/text/language"
)

// The languages of the hosted pages and of the mails they cause. The
// pages' message catalogue (httpapi/messages.go) has a text of every
// message in each of them.
var languages = []language.Tag{language.English, language.Dutch}

var languageMatcher = language.NewMatcher(languages)

// languageCodes are the base codes of languages, in their order.
var languageCodes = func() []string {
	out := make([]string, len(languages))
	for i, t := range languages {
		b, _ := t.Base()
		out[i] = b.String()
	}
	return out
}()

// Languages returns the base codes of the languages the pages speak,
// English (the fallback) first.
func Languages() []string { return slices.Clone(languageCodes) }

// Language picks the language for a person: their own preference (a
// known user's preferences.language) when the pages speak it, else the
// best the browser's Accept-Language offers (q-values weighed, nl-BE is
// Dutch), else English.
func Language(preference, acceptLanguage string) string {
	if t, err := language.Parse(preference); err == nil && preference != "" {
		if i, ok := matchLanguage(t); ok {
			return languageCodes[i]
		}
	}
	if tags, _, err := language.ParseAcceptLanguage(acceptLanguage); err == nil && len(tags) > 0 {
		if i, ok := matchLanguage(tags...); ok {
			return languageCodes[i]
		}
	}
	return languageCodes[0]
}

// matchLanguage returns the index of the supported language that best
// serves the wanted ones, if any serves them at all.
func matchLanguage(want ...language.Tag) (int, bool) {
	_, i, conf := languageMatcher.Match(want...)
	return i, conf >= language.High
}

// PreferredLanguage returns a user's preferences.language ("" when the
// user has none or is gone).
func (s *Service) PreferredLanguage(ctx context.Context, userID string) string {
	u, err := s.store.FindUser(ctx, userID)
	if err != nil {
		return ""
	}
	return u.Preferences.Language
}
