// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/service"
)

// OpenID Connect provider endpoints outside /v1: discovery, the signing
// keys, userinfo and token introspection. They answer JSON whatever the
// format asked for, as their RFCs define.

// JWKSet describes, for the OpenAPI document, the JWK Set (RFC 7517) of
// the signing keys.
type JWKSet struct {
	Keys []JWK `json:"keys"`
}

// JWK is one public key of the JWK Set.
type JWK struct {
	Kty string `json:"kty" enum:"RSA,EC"`
	Kid string `json:"kid" doc:"The key id: the RFC 7638 thumbprint, named in the kid header of the tokens it signed."`
	Use string `json:"use" enum:"sig"`
	Alg string `json:"alg" enum:"RS256,ES256"`
	N   string `json:"n,omitempty" doc:"RSA modulus."`
	E   string `json:"e,omitempty" doc:"RSA exponent."`
	Crv string `json:"crv,omitempty" enum:"P-256"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
}

// Cache lifetimes of the public metadata. A relying party that meets a
// kid it does not know fetches the JWKS again, so a rotation does not
// wait for the cache; retired keys stay listed while their tokens live.
const (
	discoveryCache = "public, max-age=3600"
	jwksCache      = "public, max-age=300"
)

func (s *server) discovery(w http.ResponseWriter, r *http.Request) {
	body, err := json.Marshal(s.Service.Discovery())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writePublicJSON(w, "application/json", discoveryCache, body)
}

func (s *server) jwks(w http.ResponseWriter, r *http.Request) {
	body, err := s.Service.JWKS(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writePublicJSON(w, "application/jwk-set+json", jwksCache, body)
}

// writePublicJSON answers a public, cacheable JSON document (which any
// origin may read: cors.go).
func writePublicJSON(w http.ResponseWriter, contentType, cache string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", cache)
	w.Write(body)
}

// IntrospectForm is an introspection request (RFC 7662 section 2.1).
type IntrospectForm struct {
	Token         string `json:"token" required:"true" writeOnly:"true" doc:"The access or refresh token to look up."`
	TokenTypeHint string `json:"token_type_hint,omitempty" enum:"access_token,refresh_token" doc:"Accepted and not needed: Roster finds either kind."`
	ClientID      string `json:"client_id,omitempty" doc:"client_secret_post: the confidential client asking, unless it uses HTTP Basic or a bearer token."`
	ClientSecret  string `json:"client_secret,omitempty" writeOnly:"true" doc:"client_secret_post."`
}

// UserInfoForm is a userinfo request sent as a form (RFC 6750 section 2.2).
type UserInfoForm struct {
	AccessToken string `json:"access_token,omitempty" writeOnly:"true" doc:"The access token, when not sent as Authorization: Bearer."`
}

// BearerErrorBody is the error answer of userinfo and introspection: RFC
// 6750's codes for a bearer token, RFC 6749's for client authentication.
type BearerErrorBody struct {
	Error            string `json:"error" enum:"invalid_request,invalid_token,insufficient_scope,invalid_client,unauthorized_client,temporarily_unavailable"`
	ErrorDescription string `json:"error_description,omitempty"`
}

// bearerToken returns the token of an Authorization: Bearer header, or
// of a form's access_token field (RFC 6750 sections 2.1 and 2.2), never
// both.
func bearerToken(w http.ResponseWriter, r *http.Request) (string, error) {
	token := ""
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, rest, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") {
			return "", &service.BearerError{Code: "invalid_request", Description: `the Authorization header must be "Bearer <access token>"`, Status: 400}
		}
		token = strings.TrimSpace(rest)
	}
	if r.Method != http.MethodPost || (r.ContentLength == 0 && mediaType(r) == "") {
		return token, nil
	}
	form, oe := readForm(w, r)
	if oe != nil {
		return "", &service.BearerError{Code: "invalid_request", Description: oe.Description, Status: 400}
	}
	if v := form["access_token"]; v != "" {
		if token != "" {
			return "", &service.BearerError{Code: "invalid_request", Description: "send the access token one way only: the Authorization header or the access_token field", Status: 400}
		}
		token = v
	}
	return token, nil
}

func (s *server) userinfo(w http.ResponseWriter, r *http.Request) {
	token, err := bearerToken(w, r)
	if err == nil {
		var claims map[string]any
		if claims, err = s.Service.UserInfo(r.Context(), token); err == nil {
			writeOAuth(w, http.StatusOK, claims)
			return
		}
	}
	s.bearerFail(w, r, err)
}

func (s *server) introspect(w http.ResponseWriter, r *http.Request) {
	form, oe := readForm(w, r)
	if oe != nil {
		s.oauthFail(w, r, oe)
		return
	}
	res, err := s.introspection(r, form)
	if err != nil {
		s.bearerFail(w, r, err)
		return
	}
	writeOAuth(w, http.StatusOK, res)
}

// introspection authenticates the caller of an introspection request —
// a confidential client by HTTP Basic or form fields, or an API key or
// access token — and answers it.
func (s *server) introspection(r *http.Request, form map[string]string) (*service.Introspection, error) {
	id, secret := form["client_id"], form["client_secret"]
	h := r.Header.Get("Authorization")
	scheme, rest, _ := strings.Cut(h, " ")
	switch {
	case h != "" && secret != "":
		return nil, &service.OAuthError{Code: "invalid_request", Description: "authenticate one way only: the Authorization header or form fields", Status: 400}
	case strings.EqualFold(scheme, "Bearer"):
		c, err := s.Service.Authenticate(r.Context(), strings.TrimSpace(rest))
		if err != nil {
			if roster.ErrorCode(err) == roster.CodeUnauthorized {
				return nil, &service.BearerError{Code: "invalid_token", Description: err.Error(), Status: 401}
			}
			return nil, err
		}
		return s.Service.Introspect(r.Context(), c, form["token"])
	case h != "":
		bid, bsecret, ok := r.BasicAuth()
		if !ok {
			return nil, &service.OAuthError{Code: "invalid_client", Description: "the Authorization header must be Basic (client_secret_basic) or Bearer (an API key or access token)", Status: 401, Basic: true}
		}
		// RFC 6749 section 2.3.1: both are form-encoded before Basic.
		var err1, err2 error
		id, err1 = url.QueryUnescape(bid)
		secret, err2 = url.QueryUnescape(bsecret)
		if err1 != nil || err2 != nil {
			return nil, &service.OAuthError{Code: "invalid_client", Description: "the Basic credentials are not form-encoded", Status: 401, Basic: true}
		}
		return s.Service.IntrospectAsClient(r.Context(), id, secret, true, form["token"])
	}
	return s.Service.IntrospectAsClient(r.Context(), id, secret, false, form["token"])
}

// bearerFail answers an error of userinfo or introspection: a bearer
// refusal with WWW-Authenticate (RFC 6750 section 3), OAuth errors in
// their format, anything else as a problem document.
func (s *server) bearerFail(w http.ResponseWriter, r *http.Request, err error) {
	var be *service.BearerError
	if !errors.As(err, &be) {
		s.oauthFail(w, r, err)
		return
	}
	challenge := `Bearer realm="roster"`
	if be.Code != "" {
		challenge += fmt.Sprintf(`, error=%q, error_description=%q`, be.Code, be.Description)
	}
	if be.Scope != "" {
		challenge += fmt.Sprintf(`, scope=%q`, be.Scope)
	}
	w.Header().Set("WWW-Authenticate", challenge)
	code := be.Code
	if code == "" {
		code = "invalid_request"
	}
	writeOAuth(w, be.Status, BearerErrorBody{Error: code, ErrorDescription: be.Description})
}
