// SPDX-License-Identifier: Apache-2.0

package httpapi

import "strings"

// The hosted pages' text, by message id and language: one map per
// language of service.Languages (English first, the fallback), each with
// every id (TestMessagesTranslated). service.Language picks the language
// from the user's or the browser's preference.
var messages = map[string]map[string]string{
	"en": {
		"brand.default":           "Sign in",
		"signin.title":            "Sign in",
		"signin.heading":          "Sign in",
		"signin.to":               "to continue to",
		"signin.submit":           "Sign in",
		"field.username":          "Username or email",
		"field.password":          "Password",
		"field.totp":              "Authentication code",
		"totp.title":              "Two-factor sign-in",
		"totp.heading":            "Enter your authentication code",
		"totp.hint":               "Enter the 6-digit code from your authenticator app, or one of your recovery codes.",
		"totp.submit":             "Verify",
		"consent.title":           "Allow access",
		"consent.heading":         "Allow access?",
		"consent.asks":            "asks to:",
		"consent.allow":           "Allow",
		"consent.deny":            "Deny",
		"logout.title":            "Sign out",
		"logout.heading":          "Sign out",
		"logout.question":         "Do you want to sign out?",
		"logout.submit":           "Sign out",
		"signedout.title":         "Signed out",
		"signedout.heading":       "You are signed out",
		"signedout.text":          "You can close this window.",
		"error.title":             "Something went wrong",
		"error.hint":              "Go back to the application and try again. If it keeps happening, tell the application's support.",
		"error.credentials":       "The username or password is wrong.",
		"error.code":              "The code is wrong or was already used. Enter a new code from your authenticator app or a recovery code.",
		"error.rate_limited":      "Too many failed sign-ins. Wait a while and try again.",
		"error.busy":              "The server is busy. Try again in a moment.",
		"error.csrf":              "This form has expired or did not come from this site. Go back to the application and start again.",
		"error.expired":           "This sign-in page has expired or was opened in another browser. Go back to the application and start again.",
		"error.bad_request":       "The request is not valid.",
		"error.internal":          "An unexpected error happened on our side.",
		"scope.openid":            "Know who you are (your account id)",
		"scope.profile":           "See your name, username, language, time zone, organisation and roles",
		"scope.email":             "See your email address",
		"scope.phone":             "See your phone number",
		"scope.offline_access":    "Stay signed in when you are not using it",
		"scope.users":             "Read and change users on your behalf",
		"scope.orgs":              "Read and change organisations on your behalf",
		"scope.other":             "Use the permission",
		"brand.logo":              "%s logo",
		"signin.forgot":           "Forgot your password?",
		"forgot.title":            "Forgot password",
		"forgot.heading":          "Reset your password",
		"forgot.hint":             "Enter your username or email. If an account matches, we mail a link to choose a new password to its email address.",
		"forgot.submit":           "Send link",
		"forgot.required":         "Enter your username or email.",
		"forgot.back":             "Back to sign in",
		"forgot_sent.title":       "Check your mail",
		"forgot_sent.heading":     "Check your mail",
		"forgot_sent.text":        "If the account exists, we sent a link to its email address. The link works once, for one hour.",
		"reset.title":             "Choose a new password",
		"reset.heading":           "Choose a new password",
		"reset.account":           "Account:",
		"reset.hint":              "Use %d to %d characters; not your username or email address, nor a common password.",
		"reset.submit":            "Set password",
		"field.new_password":      "New password",
		"reset_done.title":        "Password changed",
		"reset_done.heading":      "Your password is changed",
		"reset_done.text":         "You are signed out everywhere. Go back to the application and sign in with your new password.",
		"notice.password_changed": "Your password is changed. Sign in with your new password.",
		"error.reset_link":        "This link does not work: it was used already, has expired or was mistyped. Ask for a new one on the sign-in page.",
		"error.too_many":          "Too many requests from your network. Wait a while and try again.",
		"password.not_utf8":       "The password has characters that cannot be read: type it again.",
		"password.too_short":      "Too short: use at least %d characters.",
		"password.too_long":       "Too long: use at most %d characters.",
		"password.is_account":     "Do not use your username or email address as your password.",
		"password.common":         "This is one of the most common passwords, which are guessed first: choose another.",
	},
	"nl": {
		"brand.default":           "Inloggen",
		"brand.logo":              "Logo van %s",
		"signin.title":            "Inloggen",
		"signin.heading":          "Inloggen",
		"signin.to":               "om verder te gaan naar",
		"signin.submit":           "Inloggen",
		"signin.forgot":           "Wachtwoord vergeten?",
		"field.username":          "Gebruikersnaam of e-mailadres",
		"field.password":          "Wachtwoord",
		"field.totp":              "Verificatiecode",
		"field.new_password":      "Nieuw wachtwoord",
		"totp.title":              "Inloggen in twee stappen",
		"totp.heading":            "Voer je verificatiecode in",
		"totp.hint":               "Voer de 6-cijferige code uit je authenticator-app in, of een van je herstelcodes.",
		"totp.submit":             "Controleren",
		"consent.title":           "Toegang geven",
		"consent.heading":         "Toegang geven?",
		"consent.asks":            "vraagt om:",
		"consent.allow":           "Toestaan",
		"consent.deny":            "Weigeren",
		"logout.title":            "Afmelden",
		"logout.heading":          "Afmelden",
		"logout.question":         "Wil je je afmelden?",
		"logout.submit":           "Afmelden",
		"signedout.title":         "Afgemeld",
		"signedout.heading":       "Je bent afgemeld",
		"signedout.text":          "Je kunt dit venster sluiten.",
		"forgot.title":            "Wachtwoord vergeten",
		"forgot.heading":          "Stel je wachtwoord opnieuw in",
		"forgot.hint":             "Voer je gebruikersnaam of e-mailadres in. Als er een account bij hoort, mailen we een link om een nieuw wachtwoord te kiezen naar het e-mailadres van dat account.",
		"forgot.submit":           "Link versturen",
		"forgot.required":         "Voer je gebruikersnaam of e-mailadres in.",
		"forgot.back":             "Terug naar inloggen",
		"forgot_sent.title":       "Kijk in je mail",
		"forgot_sent.heading":     "Kijk in je mail",
		"forgot_sent.text":        "Als het account bestaat, hebben we een link naar het e-mailadres ervan gestuurd. De link werkt één keer, een uur lang.",
		"reset.title":             "Kies een nieuw wachtwoord",
		"reset.heading":           "Kies een nieuw wachtwoord",
		"reset.account":           "Account:",
		"reset.hint":              "Gebruik %d tot %d tekens; niet je gebruikersnaam of e-mailadres, en geen veelgebruikt wachtwoord.",
		"reset.submit":            "Wachtwoord instellen",
		"reset_done.title":        "Wachtwoord gewijzigd",
		"reset_done.heading":      "Je wachtwoord is gewijzigd",
		"reset_done.text":         "Je bent overal afgemeld. Ga terug naar de applicatie en log in met je nieuwe wachtwoord.",
		"notice.password_changed": "Je wachtwoord is gewijzigd. Log in met je nieuwe wachtwoord.",
		"error.title":             "Er ging iets mis",
		"error.hint":              "Ga terug naar de applicatie en probeer het opnieuw. Blijft het gebeuren, neem dan contact op met de support van de applicatie.",
		"error.credentials":       "De gebruikersnaam of het wachtwoord is onjuist.",
		"error.code":              "De code is onjuist of al gebruikt. Voer een nieuwe code uit je authenticator-app of een herstelcode in.",
		"error.rate_limited":      "Te veel mislukte inlogpogingen. Wacht even en probeer het opnieuw.",
		"error.busy":              "De server heeft het druk. Probeer het zo opnieuw.",
		"error.csrf":              "Dit formulier is verlopen of kwam niet van deze site. Ga terug naar de applicatie en begin opnieuw.",
		"error.expired":           "Deze inlogpagina is verlopen of werd in een andere browser geopend. Ga terug naar de applicatie en begin opnieuw.",
		"error.bad_request":       "Het verzoek is niet geldig.",
		"error.internal":          "Er ging aan onze kant onverwacht iets mis.",
		"error.reset_link":        "Deze link werkt niet: hij is al gebruikt, verlopen of verkeerd overgenomen. Vraag een nieuwe aan op de inlogpagina.",
		"error.too_many":          "Te veel verzoeken vanaf je netwerk. Wacht even en probeer het opnieuw.",
		"password.not_utf8":       "Het wachtwoord bevat tekens die niet te lezen zijn: typ het opnieuw.",
		"password.too_short":      "Te kort: gebruik minstens %d tekens.",
		"password.too_long":       "Te lang: gebruik hoogstens %d tekens.",
		"password.is_account":     "Gebruik je gebruikersnaam of e-mailadres niet als wachtwoord.",
		"password.common":         "Dit is een van de meest gebruikte wachtwoorden, die als eerste worden geraden: kies een ander.",
		"scope.openid":            "Weten wie je bent (je account-id)",
		"scope.profile":           "Je naam, gebruikersnaam, taal, tijdzone, organisatie en rollen zien",
		"scope.email":             "Je e-mailadres zien",
		"scope.phone":             "Je telefoonnummer zien",
		"scope.offline_access":    "Ingelogd blijven als je de applicatie niet gebruikt",
		"scope.users":             "Namens jou gebruikers bekijken en wijzigen",
		"scope.orgs":              "Namens jou organisaties bekijken en wijzigen",
		"scope.other":             "De toestemming gebruiken",
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

// scopeText describes a scope in words: OpenID scopes each, Roster's API
// scopes by the resource they act on, with the scope's name.
func scopeText(lang, scope string) string {
	if t, ok := messages[lang]["scope."+scope]; ok {
		return t
	}
	resource, _, _ := strings.Cut(scope, ":")
	if t, ok := messages[lang]["scope."+resource]; ok {
		return t + " (" + scope + ")"
	}
	return msg(lang, "scope.other") + " " + scope
}
