// SPDX-License-Identifier: Apache-2.0

package httpapi

import "strings"

// The hosted pages' text, by message id and language. English is the one
// language so far; a translation adds a map under its BCP 47 tag, and
// pageLang picks it from the user's or the browser's preference.
var messages = map[string]map[string]string{
	"en": {
		"brand.default":             "Sign in",
		"signin.title":              "Sign in",
		"signin.heading":            "Sign in",
		"signin.to":                 "to continue to",
		"signin.submit":             "Sign in",
		"field.username":            "Username or email",
		"field.password":            "Password",
		"field.totp":                "Authentication code",
		"totp.title":                "Two-factor sign-in",
		"totp.heading":              "Enter your authentication code",
		"totp.hint":                 "Enter the 6-digit code from your authenticator app, or one of your recovery codes.",
		"totp.submit":               "Verify",
		"consent.title":             "Allow access",
		"consent.heading":           "Allow access?",
		"consent.asks":              "asks to:",
		"consent.allow":             "Allow",
		"consent.deny":              "Deny",
		"logout.title":              "Sign out",
		"logout.heading":            "Sign out",
		"logout.question":           "Do you want to sign out?",
		"logout.submit":             "Sign out",
		"signedout.title":           "Signed out",
		"signedout.heading":         "You are signed out",
		"signedout.text":            "You can close this window.",
		"error.title":               "Something went wrong",
		"error.hint":                "Go back to the application and try again. If it keeps happening, tell the application's support.",
		"error.credentials":         "The username or password is wrong.",
		"error.code":                "The code is wrong or was already used. Enter a new code from your authenticator app or a recovery code.",
		"error.rate_limited":        "Too many failed sign-ins. Wait a while and try again.",
		"error.busy":                "The server is busy. Try again in a moment.",
		"error.csrf":                "This form has expired or did not come from this site. Go back to the application and start again.",
		"error.expired":             "This sign-in page has expired or was opened in another browser. Go back to the application and start again.",
		"error.bad_request":         "The request is not valid.",
		"error.internal":            "An unexpected error happened on our side.",
		"error.sso_unknown":         "This sign-in link is not valid. Check that it was copied whole, or ask for a new one.",
		"error.sso_used":            "This sign-in link was already used. Each link works once: ask for a new one.",
		"error.sso_expired":         "This sign-in link has expired. Links work for a few minutes: ask for a new one.",
		"error.sso_refused":         "This sign-in link can no longer sign anyone in: the account, its organisation or the person who made the link may no longer do so.",
		"scope.openid":              "Know who you are (your account id)",
		"scope.profile":             "See your name, username, language, time zone, organisation and roles",
		"scope.email":               "See your email address",
		"scope.phone":               "See your phone number",
		"scope.offline_access":      "Stay signed in when you are not using it",
		"scope.users:read":          "See the users you can see",
		"scope.users:write:self":    "Change your own profile",
		"scope.users:write:members": "Change the members of your organisations, as you can",
		"scope.users:write:all":     "Create, change and delete users, as you can",
		"scope.orgs:read":           "See your organisations",
		"scope.orgs:write":          "Change your organisations, as you can",
		"scope.webhooks:read":       "See your organisations' webhooks",
		"scope.webhooks:write":      "Change your organisations' webhooks",
		"scope.events:read":         "Read the change feed you can see",
		"scope.audit:read":          "Read the audit log you can see",
		"scope.keys:write":          "Manage your API keys and OAuth clients",
		"scope.other":               "Use the permission",
	},
}

// msg returns a message's text in a language (English when it has none).
func msg(lang, id string) string {
	if t, ok := messages[lang][id]; ok {
		return t
	}
	if t, ok := messages["en"][id]; ok {
		return t
	}
	return id
}

// scopeText describes a scope in words (TestScopesInWords: every scope
// has its own).
func scopeText(lang, scope string) string {
	if t := msg(lang, "scope."+scope); t != "scope."+scope {
		return t
	}
	return msg(lang, "scope.other") + " " + scope
}

// pageLang is the language of the pages for an Accept-Language header.
func pageLang(accept string) string {
	for _, part := range strings.Split(accept, ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		base, _, _ := strings.Cut(strings.ToLower(tag), "-")
		if _, ok := messages[base]; ok {
			return base
		}
	}
	return "en"
}
