// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"github.com/rosterhq/roster/openapi"
	"github.com/rosterhq/roster/service"
)

// signInRoutes are OpenID Connect and the sign-in pages for apps (PRODUCT.md section 9):
// discovery and keys (oidc.go), the hosted pages (signin.go, forgot.go), userinfo and introspection.
func (s *server) signInRoutes() []route {
	return []route{
		{Operation{Method: "GET", Path: "/.well-known/openid-configuration", MediaType: openapi.OwnMedia, ID: "openidConfiguration", Tag: "openid", Summary: "OpenID Provider Metadata (discovery)", Public: true, JSONOnly: true,
			Description: "OpenID Connect Discovery 1.0: the issuer (the public URL, --public-url) and where its endpoints are. Cacheable for an hour; any origin may read it (CORS).",
			Responses:   append([]openapi.Response{ok(200, typeOf[service.Discovery]())}, errs(400)...)}, s.discovery},
		{Operation{Method: "GET", Path: "/oauth2/jwks", MediaType: openapi.OwnMedia, ID: "jwks", Tag: "openid", Summary: "The keys that sign ID tokens (JWK Set)", Public: true, JSONOnly: true,
			Description: "The current RS256 and ES256 keys and, after a rotation (roster keys rotate), the retired ones until every token they signed has expired. Cacheable for five minutes; refetch it when a token names a kid it does not hold. Any origin may read it (CORS).",
			Responses:   append([]openapi.Response{{Status: 200, Type: typeOf[JWKSet](), ContentType: "application/jwk-set+json", Description: "The JWK Set"}}, errs(400)...)}, s.jwks},
		{Operation{Method: "GET", Path: "/oauth2/authorize", MediaType: openapi.Page, ID: "authorize", Tag: "auth", Summary: "Authorization endpoint (OAuth 2.0, OpenID Connect)", Public: true,
			Description: "Starts a sign-in of a user into an app: the authorization code flow with PKCE (S256; required for public clients). A known client and one of its redirect_uris exactly, or an error page and nothing is redirected; then the hosted pages (sign in with username or email and password, the second factor, consent for third-party clients) and a redirect back with code and state, or with error, error_description and state. prompt=none answers login_required or consent_required instead of a page; prompt=login and max_age ask for the password again.",
			Params:      authorizeParams,
			Responses:   pageResponses(302, 400, 429)}, s.authorizeGet},
		{Operation{Method: "POST", Path: "/oauth2/authorize", MediaType: openapi.Page, ID: "authorizeForm", Tag: "auth", Summary: "The sign-in pages' forms", Public: true,
			Description: "What the hosted pages post: the password, the second factor's code or the consent, with the page's CSRF token (tied to a cookie) and its sealed request. A wrong password or code shows the page again (400) and counts against the same per-account and per-address limits as the token endpoint (429 with Retry-After).",
			Body:        []openapi.Media{{ContentType: "application/x-www-form-urlencoded", Type: typeOf[AuthorizeForm]()}}, BodyRequired: true,
			Responses: pageResponses(303, 400, 403, 429)}, s.authorizePost},
		{Operation{Method: "GET", Path: "/oauth2/logout", MediaType: openapi.Page, ID: "logout", Tag: "auth", Summary: "Sign out (OpenID Connect RP-Initiated Logout)", Public: true,
			Description: "Ends the browser's session and revokes the tokens issued in it. Without an id_token_hint of the signed-in user it asks first. post_logout_redirect_uri must be registered for the client (named by client_id or the hint's audience); state is passed back. Without one, a signed-out page.",
			Params:      logoutParams,
			Responses:   pageResponses(302, 400)}, s.logout},
		{Operation{Method: "GET", Path: "/oauth2/sso", MediaType: openapi.Page, ID: "openSSOLink", Tag: "auth", Summary: "Open an SSO link", Public: true,
			Description: "The url of POST /v1/users/{id}/sso-links: a browser session as the user (cookie), then a redirect to the link's redirect_uri. A link used before or expired answers an error page (410), an unknown one 400, one whose user, organisation or maker may no longer sign in 403; never a redirect.",
			Params:      []openapi.Param{queryParam("link", "The link's secret.", tString)},
			Responses:   []openapi.Response{{Status: 302, Description: "Signed in: on to the app", Headers: []string{"Location"}}, {Status: 400, Type: typeOf[openapi.HTML]()}, {Status: 403, Type: typeOf[openapi.HTML]()}, {Status: 410, Type: typeOf[openapi.HTML]()}}}, s.openSSOLink},
		{Operation{Method: "POST", Path: "/oauth2/logout", MediaType: openapi.Page, ID: "logoutForm", Tag: "auth", Summary: "Sign out (form)", Public: true,
			Description: "The logout parameters as a form: an RP's, or the confirmation page's (with its CSRF token and confirm=yes).",
			Body:        []openapi.Media{{ContentType: "application/x-www-form-urlencoded", Type: typeOf[LogoutForm]()}}, BodyRequired: true,
			Responses: pageResponses(303, 400, 403)}, s.logout},
		{Operation{Method: "GET", Path: "/oauth2/password/forgot", MediaType: openapi.Page, ID: "forgotPassword", Tag: "auth", Summary: "Forgot password page", Public: true,
			Description: "A form for a username or email that mails a reset link. request is the sign-in page's sealed pending authorization, which the reset continues.",
			Params:      []openapi.Param{queryParam("request", "The sign-in page's sealed authorization request (optional).", tString)},
			Responses:   pageResponses(0, 400)}, s.forgotGet},
		{Operation{Method: "POST", Path: "/oauth2/password/forgot", MediaType: openapi.Page, ID: "forgotPasswordForm", Tag: "auth", Summary: "Mail a password reset link", Public: true,
			Description: "Mails a link that works once, for an hour, to the address of the account named, if there is one that may sign in; the answer is the same page either way. At most as many mails an account as email changes (--email-change-limit per --email-change-window; beyond, none, silently); an address counts like failed sign-ins (429 with Retry-After).",
			Body:        []openapi.Media{{ContentType: "application/x-www-form-urlencoded", Type: typeOf[ForgotForm]()}}, BodyRequired: true,
			Responses: pageResponses(0, 400, 403, 429)}, s.forgotPost},
		{Operation{Method: "GET", Path: "/oauth2/password/reset", MediaType: openapi.Page, ID: "resetPassword", Tag: "auth", Summary: "New password page of a reset link", Public: true,
			Description: "The mailed link's page: a form for the new password, or an error page when the link was used, expired or was mistyped.",
			Params:      []openapi.Param{queryParam("reset", "The reset link's secret.", tString)},
			Responses:   pageResponses(0, 400)}, s.resetGet},
		{Operation{Method: "POST", Path: "/oauth2/password/reset", MediaType: openapi.Page, ID: "resetPasswordForm", Tag: "auth", Summary: "Set a new password with a reset link", Public: true,
			Description: "Sets the password (the policy of PUT /v1/users/{id}/password; a broken rule shows the form again, 400), uses the link, ends every browser session and token of the user and writes user.password_changed; then the sign-in page of the pending authorization, or a done page.",
			Body:        []openapi.Media{{ContentType: "application/x-www-form-urlencoded", Type: typeOf[ResetForm]()}}, BodyRequired: true,
			Responses: pageResponses(0, 400, 403, 503)}, s.resetPost},
		{Operation{Method: "GET", Path: "/oauth2/userinfo", MediaType: openapi.OwnMedia, ID: "userinfo", Tag: "openid", Summary: "The signed-in user's claims (OpenID Connect userinfo)", Public: true, JSONOnly: true,
			Description: userinfoDoc,
			Responses:   userinfoAnswers}, s.userinfo},
		{Operation{Method: "POST", Path: "/oauth2/userinfo", MediaType: openapi.OwnMedia, ID: "userinfoPost", Tag: "openid", Summary: "The signed-in user's claims (OpenID Connect userinfo, POST)", Public: true, JSONOnly: true,
			Description: userinfoDoc,
			Body:        []openapi.Media{{ContentType: "application/x-www-form-urlencoded", Type: typeOf[UserInfoForm]()}},
			Responses:   userinfoAnswers}, s.userinfo},
		{Operation{Method: "POST", Path: "/oauth2/introspect", MediaType: openapi.OwnMedia, ID: "introspectToken", Tag: "openid", Summary: "Look up an access or refresh token (RFC 7662)", Public: true, JSONOnly: true,
			Description: "The caller authenticates as a confidential OAuth client (client_secret_basic or client_secret_post), which learns about the tokens of its organisation and those below it, or with an API key or access token having keys:write, which learns about its own tokens and those of the organisations it administers. Anything unknown, expired, revoked (a reused refresh token revokes its whole sign-in), of a disabled user or organisation, or beyond what the caller may learn about is {\"active\": false}.",
			Body:        []openapi.Media{{ContentType: "application/x-www-form-urlencoded", Type: typeOf[IntrospectForm]()}}, BodyRequired: true,
			Responses: []openapi.Response{ok(200, typeOf[service.Introspection]()),
				{Status: 400, Type: typeOf[BearerErrorBody](), Description: "invalid_request, or unauthorized_client (the client's organisation is disabled)"},
				{Status: 401, Type: typeOf[BearerErrorBody](), Description: "invalid_client or invalid_token: the caller did not authenticate", Headers: []string{"WWW-Authenticate"}},
				{Status: 403, Type: typeOf[BearerErrorBody](), Description: "insufficient_scope: the bearer token lacks keys:write", Headers: []string{"WWW-Authenticate"}},
				{Status: 429, Type: typeOf[BearerErrorBody](), Description: "Too many failed client authentications from the address", Headers: []string{"Retry-After"}}}}, s.introspect},
	}
}

// userinfo's description and answers, for GET and POST.
const userinfoDoc = "OpenID Connect Core section 5.3: the claims of the access token's user that the token's scopes cover (openid: sub; profile: name, given_name, family_name, preferred_username, locale, zoneinfo, updated_at, org_id, roles; email: email, email_verified; phone: phone_number, phone_number_verified). The token must have been granted openid. Errors carry WWW-Authenticate: Bearer with error=\"invalid_token\" (401) or \"insufficient_scope\" (403). " + webOriginsDoc

var userinfoAnswers = []openapi.Response{ok(200, typeOf[map[string]any]()),
	{Status: 400, Type: typeOf[BearerErrorBody](), Description: "invalid_request"},
	{Status: 401, Type: typeOf[BearerErrorBody](), Description: "No token, or invalid_token: unknown, expired or revoked", Headers: []string{"WWW-Authenticate"}},
	{Status: 403, Type: typeOf[BearerErrorBody](), Description: "insufficient_scope: the token was not granted openid", Headers: []string{"WWW-Authenticate"}}}
