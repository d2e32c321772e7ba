// SPDX-License-Identifier: Apache-2.0

package service

import (
	"slices"

	"github.com/rosterhq/roster"
)

// Discovery is the OpenID Provider Metadata (OpenID Connect Discovery 1.0
// section 3, with RFC 8414's and RFC 7662's additions).
type Discovery struct {
	Issuer                                 string   `json:"issuer" doc:"The public URL (--public-url): the iss of every ID token."`
	AuthorizationEndpoint                  string   `json:"authorization_endpoint"`
	TokenEndpoint                          string   `json:"token_endpoint"`
	RevocationEndpoint                     string   `json:"revocation_endpoint"`
	UserinfoEndpoint                       string   `json:"userinfo_endpoint"`
	IntrospectionEndpoint                  string   `json:"introspection_endpoint"`
	EndSessionEndpoint                     string   `json:"end_session_endpoint"`
	JWKSURI                                string   `json:"jwks_uri"`
	ResponseTypesSupported                 []string `json:"response_types_supported"`
	ResponseModesSupported                 []string `json:"response_modes_supported"`
	GrantTypesSupported                    []string `json:"grant_types_supported"`
	CodeChallengeMethodsSupported          []string `json:"code_challenge_methods_supported"`
	SubjectTypesSupported                  []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported       []string `json:"id_token_signing_alg_values_supported"`
	TokenEndpointAuthMethodsSupported      []string `json:"token_endpoint_auth_methods_supported"`
	IntrospectionEndpointAuthMethods       []string `json:"introspection_endpoint_auth_methods_supported"`
	RevocationEndpointAuthMethodsSupported []string `json:"revocation_endpoint_auth_methods_supported"`
	ScopesSupported                        []string `json:"scopes_supported"`
	ClaimsSupported                        []string `json:"claims_supported"`
	UILocalesSupported                     []string `json:"ui_locales_supported"`
	ClaimsParameterSupported               bool     `json:"claims_parameter_supported"`
	RequestParameterSupported              bool     `json:"request_parameter_supported"`
	RequestURIParameterSupported           bool     `json:"request_uri_parameter_supported"`
	// RFC 9207: authorization responses carry iss.
	AuthorizationResponseISSParameterSupported bool `json:"authorization_response_iss_parameter_supported"`
}

// Discovery returns the provider metadata. Every endpoint is under the
// issuer, so a relying party reaches them where it reached discovery.
func (s *Service) Discovery() *Discovery {
	iss := s.Issuer()
	return &Discovery{
		Issuer:                                     iss,
		AuthorizationEndpoint:                      iss + "/oauth2/authorize",
		TokenEndpoint:                              iss + "/v1/auth/token",
		RevocationEndpoint:                         iss + "/v1/auth/revoke",
		UserinfoEndpoint:                           iss + "/oauth2/userinfo",
		IntrospectionEndpoint:                      iss + "/oauth2/introspect",
		EndSessionEndpoint:                         iss + "/oauth2/logout",
		JWKSURI:                                    iss + "/oauth2/jwks",
		ResponseTypesSupported:                     []string{"code"},
		ResponseModesSupported:                     []string{"query"},
		GrantTypesSupported:                        []string{"authorization_code", "refresh_token", "client_credentials", "password"},
		CodeChallengeMethodsSupported:              []string{"S256"},
		SubjectTypesSupported:                      []string{"public"},
		IDTokenSigningAlgValuesSupported:           slices.Clone(roster.SigningAlgs),
		TokenEndpointAuthMethodsSupported:          []string{"client_secret_basic", "client_secret_post", "none"},
		IntrospectionEndpointAuthMethods:           []string{"client_secret_basic", "client_secret_post"},
		RevocationEndpointAuthMethodsSupported:     []string{"none"},
		ScopesSupported:                            append(slices.Clone(OpenIDScopes), roster.AllScopes...),
		ClaimsSupported:                            slices.Clone(Claims),
		UILocalesSupported:                         Languages(),
		AuthorizationResponseISSParameterSupported: true,
	}
}
