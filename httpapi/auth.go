// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/service"
)

// The OAuth 2.0 token endpoint (RFC 6749) and token revocation (RFC 7009).
// Both take form bodies and answer in OAuth's own JSON error format
// (RFC 6749 section 5.2), not problem documents.

// TokenForm documents the token endpoint's form fields.
type TokenForm struct {
	GrantType    string `json:"grant_type" required:"true" enum:"authorization_code,password,refresh_token,client_credentials"`
	Username     string `json:"username,omitempty" doc:"password grant: the username (by default the email)."`
	Password     string `json:"password,omitempty" writeOnly:"true" doc:"password grant."`
	TOTP         string `json:"totp,omitempty" writeOnly:"true" doc:"password grant, when two-factor sign-in is on: a code from the authenticator app or a recovery code."`
	RefreshToken string `json:"refresh_token,omitempty" writeOnly:"true" doc:"refresh_token grant; every use returns a new refresh token, and reusing an old one revokes the sign-in."`
	Scope        string `json:"scope,omitempty" doc:"Space-separated scopes to limit the token to."`
	ClientID     string `json:"client_id,omitempty" doc:"The client, unless sent with HTTP Basic: client_credentials and authorization_code grants, and refreshes of an app's tokens (a public client sends client_id alone)."`
	ClientSecret string `json:"client_secret,omitempty" writeOnly:"true" doc:"A confidential client's secret, unless sent with HTTP Basic."`
	Code         string `json:"code,omitempty" writeOnly:"true" doc:"authorization_code grant: the code from the authorization endpoint's redirect."`
	RedirectURI  string `json:"redirect_uri,omitempty" doc:"authorization_code grant: the redirect_uri of the authorization request."`
	CodeVerifier string `json:"code_verifier,omitempty" writeOnly:"true" doc:"authorization_code grant: the PKCE verifier of the request's code_challenge."`
}

// RevokeForm documents the revocation endpoint's form fields.
type RevokeForm struct {
	Token         string `json:"token" required:"true" writeOnly:"true" doc:"An access or refresh token; the whole sign-in it belongs to is revoked."`
	TokenTypeHint string `json:"token_type_hint,omitempty" enum:"access_token,refresh_token"`
}

// OAuthErrorBody is an error answer of RFC 6749 section 5.2.
type OAuthErrorBody struct {
	Error            string `json:"error" enum:"invalid_request,invalid_client,invalid_grant,unauthorized_client,unsupported_grant_type,invalid_scope,temporarily_unavailable"`
	ErrorDescription string `json:"error_description,omitempty"`
}

// maxFormBytes bounds a token request's body.
const maxFormBytes = 64 << 10

// parseForm reads an application/x-www-form-urlencoded body strictly:
// parameters may not repeat (RFC 6749 section 3.2), and empty values
// count as absent.
func parseForm(body []byte) (map[string]string, error) {
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, errors.New("the body is not valid application/x-www-form-urlencoded")
	}
	out := make(map[string]string, len(vals))
	for k, vs := range vals {
		if len(vs) > 1 {
			return nil, errors.New("parameter " + strconv.Quote(k) + " is repeated")
		}
		if hasControl(k) || hasControl(vs[0]) {
			return nil, errors.New("parameter " + strconv.QuoteToASCII(k) + " holds a control character or bytes that are not UTF-8")
		}
		if vs[0] != "" {
			out[k] = vs[0]
		}
	}
	return out, nil
}

// readForm checks the content type and reads the form body.
func readForm(w http.ResponseWriter, r *http.Request) (map[string]string, *service.OAuthError) {
	if mediaType(r) != "application/x-www-form-urlencoded" {
		return nil, &service.OAuthError{Code: "invalid_request", Description: "send the parameters as application/x-www-form-urlencoded", Status: 400}
	}
	if r.URL.RawQuery != "" && !isFormatQuery(r.URL.Query()) {
		return nil, &service.OAuthError{Code: "invalid_request", Description: "send the parameters in the body, never in the query string", Status: 400}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxFormBytes))
	if err != nil {
		return nil, &service.OAuthError{Code: "invalid_request", Description: "the body could not be read or is over 64 KiB", Status: 400}
	}
	form, err := parseForm(body)
	if err != nil {
		return nil, &service.OAuthError{Code: "invalid_request", Description: err.Error(), Status: 400}
	}
	return form, nil
}

// isFormatQuery reports whether a query holds only format selection.
func isFormatQuery(q url.Values) bool {
	for k := range q {
		if k != "format" {
			return false
		}
	}
	return true
}

// writeOAuth writes a JSON answer that no cache may keep (RFC 6749
// section 5.1).
func writeOAuth(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	if v != nil { // an empty answer (revoke's 200) is not JSON
		h.Set("Content-Type", "application/json;charset=UTF-8")
	}
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	if v != nil {
		_ = json.NewEncoder(w).Encode(v)
	}
}

// oauthFail answers an error: OAuth errors in their format, anything
// else (a store failure) as a problem document.
func (s *server) oauthFail(w http.ResponseWriter, r *http.Request, err error) {
	var oe *service.OAuthError
	if !errors.As(err, &oe) {
		s.writeError(w, r, err)
		return
	}
	if oe.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(oe.RetryAfter))
	}
	if oe.Basic {
		w.Header().Set("WWW-Authenticate", `Basic realm="roster"`)
	}
	writeOAuth(w, oe.Status, OAuthErrorBody{Error: oe.Code, ErrorDescription: oe.Description})
}

func (s *server) token(w http.ResponseWriter, r *http.Request) {
	form, oe := readForm(w, r)
	if oe != nil {
		s.oauthFail(w, r, oe)
		return
	}
	req := &service.TokenRequest{GrantType: form["grant_type"], Username: form["username"], Password: form["password"], TOTP: form["totp"],
		RefreshToken: form["refresh_token"], Scope: form["scope"], ClientID: form["client_id"], ClientSecret: form["client_secret"],
		Code: form["code"], RedirectURI: form["redirect_uri"], CodeVerifier: form["code_verifier"]}
	if id, secret, ok := r.BasicAuth(); ok && req.GrantType != "password" {
		if req.ClientSecret != "" {
			s.oauthFail(w, r, &service.OAuthError{Code: "invalid_request", Description: "authenticate the client one way only: HTTP Basic or form fields", Status: 400})
			return
		}
		// RFC 6749 section 2.3.1: both are form-encoded before Basic.
		id, err1 := url.QueryUnescape(id)
		secret, err2 := url.QueryUnescape(secret)
		if err1 != nil || err2 != nil {
			s.oauthFail(w, r, &service.OAuthError{Code: "invalid_client", Description: "the Basic credentials are not form-encoded", Status: 401, Basic: true})
			return
		}
		req.ClientID, req.ClientSecret, req.ClientBasic = id, secret, true
	}
	res, err := s.Service.Token(r.Context(), req)
	s.metrics.token(req.GrantType, err)
	if err != nil {
		s.oauthFail(w, r, err)
		return
	}
	writeOAuth(w, http.StatusOK, res)
}

func (s *server) revoke(w http.ResponseWriter, r *http.Request) {
	form, oe := readForm(w, r)
	if oe != nil {
		s.oauthFail(w, r, oe)
		return
	}
	if err := s.Service.Revoke(r.Context(), form["token"]); err != nil {
		s.oauthFail(w, r, err)
		return
	}
	writeOAuth(w, http.StatusOK, nil)
}

func (s *server) changePassword(w http.ResponseWriter, r *http.Request) {
	var in service.PasswordInput
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.Service.ChangePassword(r.Context(), state(r).caller, r.PathValue("id"), &in); err != nil {
		s.writeError(w, r, err) // writeError adds Retry-After to a rate limit
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) liftLockout(w http.ResponseWriter, r *http.Request) {
	if err := s.Service.LiftLockout(r.Context(), state(r).caller, r.PathValue("id")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// OAuthClientResource is an OAuth client as the API shows it; the secret
// is present only in the answers that made it: the creation, a rotation,
// a change that made a public client confidential.
type OAuthClientResource struct {
	XMLName struct{} `json:"-" xml:"oauth_client"`
	roster.OAuthClient
	ClientSecret string          `json:"client_secret,omitempty" readOnly:"true" doc:"The secret, shown only in the answer that made it."`
	Links        map[string]Link `json:"_links" readOnly:"true"`
}

// OAuthClientList is the list of OAuth clients.
type OAuthClientList struct {
	XMLName    struct{}              `json:"-" xml:"list"`
	Items      []OAuthClientResource `json:"items"`
	NextCursor *string               `json:"next_cursor" nullable:"true" doc:"Pass as cursor to get the next page; null on the last page."`
}

func clientResource(c *roster.OAuthClient, secret string) OAuthClientResource {
	self := "/v1/oauth-clients/" + c.ID
	links := map[string]Link{"self": {Href: self}, "organization": {Href: "/v1/orgs/" + c.OrganizationID}, "token": {Href: "/v1/auth/token"}}
	if c.Type == roster.ClientConfidential {
		links["rotate_secret"] = Link{Href: self + "/rotate-secret", Method: "POST"}
	}
	out := OAuthClientResource{OAuthClient: *c, ClientSecret: secret, Links: links}
	out.Hash = nil
	return out
}

func (s *server) createOAuthClient(w http.ResponseWriter, r *http.Request) {
	var in roster.OAuthClientInput
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	c, secret, err := s.Service.CreateOAuthClient(r.Context(), state(r).caller, &in)
	if err == nil {
		w.Header().Set("Location", "/v1/oauth-clients/"+c.ID)
	}
	s.clientWritten(w, r, http.StatusCreated, c, secret, err)
}

func (s *server) listOAuthClients(w http.ResponseWriter, r *http.Request) {
	p, err := pageQuery(r, roster.SortOAuthClients)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list, next, err := s.Service.OAuthClients(r.Context(), state(r).caller, p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := OAuthClientList{Items: make([]OAuthClientResource, 0, len(list)), NextCursor: nextCursor(next)}
	for _, c := range list {
		out.Items = append(out.Items, clientResource(c, ""))
	}
	s.respond(w, r, http.StatusOK, "list", out)
}

func (s *server) getOAuthClient(w http.ResponseWriter, r *http.Request) {
	c, err := s.Service.OAuthClient(r.Context(), state(r).caller, r.PathValue("id"))
	s.clientWritten(w, r, http.StatusOK, c, "", err)
}

func (s *server) replaceOAuthClient(w http.ResponseWriter, r *http.Request) {
	var in roster.OAuthClientInput
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	c, secret, err := s.Service.ReplaceOAuthClient(r.Context(), state(r).caller, r.PathValue("id"), &in, precondition(r))
	s.clientWritten(w, r, http.StatusOK, c, secret, err)
}

func (s *server) patchOAuthClient(w http.ResponseWriter, r *http.Request) {
	format, patch, err := decodePatch(w, r, &roster.OAuthClientInput{})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c, secret, err := s.Service.PatchOAuthClient(r.Context(), state(r).caller, r.PathValue("id"), format, patch, precondition(r))
	s.clientWritten(w, r, http.StatusOK, c, secret, err)
}

func (s *server) rotateOAuthClientSecret(w http.ResponseWriter, r *http.Request) {
	c, secret, err := s.Service.RotateOAuthClientSecret(r.Context(), state(r).caller, r.PathValue("id"), precondition(r))
	s.clientWritten(w, r, http.StatusOK, c, secret, err)
}

// clientWritten answers with a client, or the error. An answer that shows
// a new secret is not to be stored by caches, and is sent whatever Prefer
// says: the secret is shown only there.
func (s *server) clientWritten(w http.ResponseWriter, r *http.Request, status int, c *roster.OAuthClient, secret string, err error) {
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if secret != "" {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("ETag", etag(c.Version))
		s.respond(w, r, status, "oauth_client", clientResource(c, secret))
		return
	}
	s.sendVersioned(w, r, status, c.Version, "oauth_client", clientResource(c, secret))
}

func (s *server) deleteOAuthClient(w http.ResponseWriter, r *http.Request) {
	if err := s.Service.DeleteOAuthClient(r.Context(), state(r).caller, r.PathValue("id"), precondition(r)); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) enrolTOTP(w http.ResponseWriter, r *http.Request) {
	out, err := s.Service.EnrolTOTP(r.Context(), state(r).caller, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	s.respond(w, r, http.StatusCreated, "totp_enrolment", TOTPEnrolmentResource{Secret: out.Secret, OTPAuthURI: out.OTPAuthURI, QRCodePNG: out.QRCodePNG,
		Links: map[string]Link{"confirm": {Href: "/v1/users/" + r.PathValue("id") + "/mfa/totp/confirm", Method: "POST"}}})
}

// TOTPEnrolmentResource is the answer to an enrolment.
type TOTPEnrolmentResource struct {
	XMLName    struct{}        `json:"-" xml:"totp_enrolment"`
	Secret     string          `json:"secret" doc:"The shared secret, base32, for typing into an authenticator app; shown only here."`
	OTPAuthURI string          `json:"otpauth_uri" doc:"otpauth://totp/… URI with the secret, issuer and account."`
	QRCodePNG  string          `json:"qr_code_png" doc:"The URI as a QR code: a PNG image, base64-encoded."`
	Links      map[string]Link `json:"_links" readOnly:"true"`
}

// RecoveryCodesResource is the answer to a confirmation.
type RecoveryCodesResource struct {
	XMLName       struct{} `json:"-" xml:"recovery_codes"`
	RecoveryCodes []string `json:"recovery_codes" doc:"Ten one-time codes that stand in for the app at sign-in (totp field) or to turn the second factor off; shown only this once."`
}

func (s *server) confirmTOTP(w http.ResponseWriter, r *http.Request) {
	var in service.CodeInput
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	out, err := s.Service.ConfirmTOTP(r.Context(), state(r).caller, r.PathValue("id"), in.Code)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	s.respond(w, r, http.StatusOK, "recovery_codes", RecoveryCodesResource{RecoveryCodes: out.RecoveryCodes})
}

func (s *server) disableTOTP(w http.ResponseWriter, r *http.Request) {
	var in service.CodeInput
	if r.ContentLength != 0 || r.Header.Get("Content-Type") != "" {
		if err := decode(w, r, &in); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if err := s.Service.DisableTOTP(r.Context(), state(r).caller, r.PathValue("id"), in.Code); err != nil {
		s.writeError(w, r, err) // writeError adds Retry-After to a rate limit
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
