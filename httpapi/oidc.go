// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"encoding/json"
	"net/http"
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

// writePublicJSON answers a public, cacheable JSON document.
func writePublicJSON(w http.ResponseWriter, contentType, cache string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", cache)
	h.Set("Access-Control-Allow-Origin", "*") // single-page apps read them from the browser
	w.Write(body)
}
