// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"github.com/rosterhq/roster/openapi"
	"github.com/rosterhq/roster/service"
)

// accountSecurityRoutes are account security (PRODUCT.md section 6): auth.go. The token and
// revocation endpoints, passwords, two-factor sign-in, email and username changes, lockouts.
func (s *server) accountSecurityRoutes() []route {
	user := typeOf[UserResource]()
	return []route{
		{Operation{Method: "POST", Path: "/v1/auth/token", ID: "token", Tag: "auth", Summary: "Get an access token (OAuth 2.0)", Public: true, JSONOnly: true,
			Description: "RFC 6749 token endpoint. authorization_code (code, redirect_uri, code_verifier for PKCE) takes the app's client_id and, for a confidential client, client_secret by HTTP Basic or form fields, and answers an id_token for the openid scope and a refresh token for offline_access; a code works once, and a second use revokes what the first gave. password grant (username or email, password, totp when two-factor sign-in is on) needs no client authentication, nor a refresh of its tokens; an app's refresh token refreshes only with that app's client authentication. client_credentials takes client_id and client_secret by HTTP Basic or form fields. Access tokens are short-lived bearer tokens for every /v1 route; refresh tokens rotate on use, and reusing one revokes the whole sign-in. Failed sign-ins are limited per account and per client address (429 with Retry-After). " + webOriginsDoc,
			Body:        []openapi.Media{{ContentType: "application/x-www-form-urlencoded", Type: typeOf[TokenForm]()}}, BodyRequired: true,
			Responses: []openapi.Response{ok(200, typeOf[service.TokenResponse]()),
				{Status: 400, Type: typeOf[OAuthErrorBody](), Description: "invalid_request, invalid_grant, invalid_scope, unsupported_grant_type or unauthorized_client (RFC 6749 section 5.2)"},
				{Status: 401, Type: typeOf[OAuthErrorBody](), Description: "invalid_client"},
				{Status: 429, Type: typeOf[OAuthErrorBody](), Description: "Too many failed sign-ins for the account or from the address", Headers: []string{"Retry-After"}},
				{Status: 503, Type: typeOf[OAuthErrorBody](), Description: "temporarily_unavailable: too many passwords are being checked right now", Headers: []string{"Retry-After"}}}}, s.token},
		{Operation{Method: "POST", Path: "/v1/auth/revoke", ID: "revokeToken", Tag: "auth", Summary: "Revoke a token (RFC 7009)", Public: true,
			Description: "Revokes the sign-in an access or refresh token belongs to: all its tokens stop working at once. An unknown token is not an error. " + webOriginsDoc,
			Body:        []openapi.Media{{ContentType: "application/x-www-form-urlencoded", Type: typeOf[RevokeForm]()}}, BodyRequired: true,
			Responses: []openapi.Response{{Status: 200, Description: "Revoked (or unknown)"}, {Status: 400, Type: typeOf[OAuthErrorBody](), Description: "invalid_request"}}}, s.revoke},
		{Operation{Method: "POST", Path: "/v1/users/{id}/password", ID: "changePassword", Tag: "users", Summary: "Change a user's password",
			Description: "Users changing their own password send current_password; an admin of the user sends none (only an owner sets an admin's or owner's). The user's other access and refresh tokens are revoked unless revoke_other_tokens is false. Writes a user.password_changed event; the password is never stored, shown or logged.",
			Params:      []openapi.Param{userRef}, Body: jsonAndXML(typeOf[service.PasswordInput]()), BodyRequired: true,
			Responses: append([]openapi.Response{{Status: 204, Description: "Changed"}, {Status: 429, Description: "Too many wrong current passwords", Headers: []string{"Retry-After"}}}, errs(400, 403, 404, 413, 415, 422)...),
			Scopes:    []string{"users:write:self", "users:write:members", "users:write:all"}}, s.changePassword},
		{Operation{Method: "POST", Path: "/v1/users/{id}/mfa/totp", ID: "enrolTOTP", Tag: "users", Summary: "Start a TOTP enrolment",
			Description: "Users enrol their own authenticator app: the answer holds the secret, an otpauth:// URI and a QR code PNG. Two-factor sign-in is on only once a code confirms it.",
			Params:      []openapi.Param{userRef},
			Responses:   append([]openapi.Response{ok(201, typeOf[TOTPEnrolmentResource]())}, errs(403, 404, 409)...),
			Scopes:      []string{"users:write:self", "users:write:members", "users:write:all"}}, s.enrolTOTP},
		{Operation{Method: "POST", Path: "/v1/users/{id}/mfa/totp/confirm", ID: "confirmTOTP", Tag: "users", Summary: "Turn two-factor sign-in on",
			Description: "A current code from the app confirms the enrolment: mfa_enabled becomes true (event user.mfa_changed) and the answer holds ten one-time recovery codes, shown only this once.",
			Params:      []openapi.Param{userRef}, Body: jsonAndXML(typeOf[service.CodeInput]()), BodyRequired: true,
			Responses: append([]openapi.Response{ok(200, typeOf[RecoveryCodesResource]())}, errs(400, 403, 404, 409, 413, 415, 422)...),
			Scopes:    []string{"users:write:self", "users:write:members", "users:write:all"}}, s.confirmTOTP},
		{Operation{Method: "DELETE", Path: "/v1/users/{id}/mfa/totp", ID: "disableTOTP", Tag: "users", Summary: "Turn two-factor sign-in off",
			Description: "Users turning off their own send a current code or a recovery code; an admin of the user sends none (only an owner does it for an admin or owner). mfa_enabled becomes false (event user.mfa_changed).",
			Params:      []openapi.Param{userRef}, Body: jsonAndXML(typeOf[service.CodeInput]()),
			Responses: append([]openapi.Response{{Status: 204, Description: "Off"}, {Status: 429, Description: "Too many wrong codes", Headers: []string{"Retry-After"}}}, errs(400, 403, 404, 413, 415, 422)...),
			Scopes:    []string{"users:write:self", "users:write:members", "users:write:all"}}, s.disableTOTP},
		{Operation{Method: "POST", Path: "/v1/users/{id}/email-change", ID: "requestEmailChange", Tag: "users", Summary: "Change a user's email",
			Description: "Users changing their own: a 6-digit code and a link go to the NEW address and the answer (202) is the pending change; nothing changes until it is confirmed, and a new request replaces the pending one. An admin of another user sends a reason and the change happens at once (200, the user; email_verified becomes false). Either way the username follows where it equalled the email, the old address is told, and a user.email_changed event is written (with the reason).",
			Params:      []openapi.Param{userRef}, Body: jsonAndXML(typeOf[service.EmailChangeInput]()), BodyRequired: true,
			Responses: append([]openapi.Response{ok(202, typeOf[PendingEmailChangeResource]()), ok(200, user, "ETag"),
				{Status: 429, Description: "Too many email changes asked for by this user within the hour (5 by default)", Headers: []string{"Retry-After"}}}, errs(400, 403, 404, 409, 413, 415, 422)...),
			Scopes: []string{"users:write:self", "users:write:members", "users:write:all"}}, s.requestEmailChange},
		{Operation{Method: "POST", Path: "/v1/users/{id}/email-change/confirm", ID: "confirmEmailChange", Tag: "users", Summary: "Confirm an email change",
			Description: "The code (or the link's token) from the mail applies the pending change: email, username where it equalled the email, and email_verified. Five wrong codes cancel the change; it also expires (24 h by default).",
			Params:      []openapi.Param{userRef}, Body: jsonAndXML(typeOf[service.EmailConfirmInput]()), BodyRequired: true,
			Responses: append([]openapi.Response{ok(200, user, "ETag")}, errs(400, 403, 404, 409, 413, 415, 422)...),
			Scopes:    []string{"users:write:self", "users:write:members", "users:write:all"}}, s.confirmEmailChange},
		{Operation{Method: "POST", Path: "/v1/users/{id}/username", ID: "changeUsername", Tag: "users", Summary: "Change a user's username",
			Description: "For admins of the user (owners for admins and owners); writes user.updated with the reason.",
			Params:      []openapi.Param{userRef}, Body: jsonAndXML(typeOf[service.UsernameInput]()), BodyRequired: true,
			Responses: append([]openapi.Response{ok(200, user, "ETag")}, errs(400, 403, 404, 409, 413, 415, 422)...),
			Scopes:    []string{"users:write:all"}}, s.changeUsername},
		{Operation{Method: "POST", Path: "/v1/auth/set-password", ID: "setPasswordWithInvite", Tag: "auth", Summary: "Choose a password with an invitation link", Public: true,
			Description: "The token of the link mailed by POST /v1/users with send_invite: true. It works once and expires (7 days by default); using it also marks the email verified.",
			Body:        jsonAndXML(typeOf[service.SetPasswordInput]()), BodyRequired: true,
			Responses: append([]openapi.Response{{Status: 204, Description: "Password set"}}, errs(400, 413, 415, 422)...)}, s.setPassword},
		{Operation{Method: "DELETE", Path: "/v1/users/{id}/lockout", ID: "liftLockout", Tag: "users", Summary: "Lift a sign-in lockout",
			Description: "Forgets the user's failed sign-ins, which ends a lockout at once. For admins of the user.",
			Params:      []openapi.Param{userRef},
			Responses:   append([]openapi.Response{{Status: 204, Description: "Lifted"}}, errs(403, 404)...), Scopes: []string{"users:write:all"}}, s.liftLockout},
	}
}
