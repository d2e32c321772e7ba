// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"image/png"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// rfc6238 is an independent TOTP (RFC 6238 with HMAC-SHA1, RFC 4226's
// dynamic truncation), written from the RFCs rather than taken from the
// library the server uses.
func rfc6238(key []byte, t time.Time, step int64, digits int) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(t.Unix()/step))
	mac := hmac.New(sha1.New, key)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := (uint32(sum[off])&0x7f)<<24 | uint32(sum[off+1])<<16 | uint32(sum[off+2])<<8 | uint32(sum[off+3])
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, bin%mod)
}

// TestRFC6238Vectors checks the test's own TOTP against the SHA-1 test
// vectors of RFC 6238 appendix B.
func TestRFC6238Vectors(t *testing.T) {
	key := []byte("12345678901234567890")
	for _, v := range []struct {
		unix int64
		want string
	}{{59, "94287082"}, {1111111109, "07081804"}, {1111111111, "14050471"}, {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"}} {
		if got := rfc6238(key, time.Unix(v.unix, 0), 30, 8); got != v.want {
			t.Errorf("T=%d: %s, want %s", v.unix, got, v.want)
		}
	}
}

// totpCode is the 6-digit code of a base32 secret at a time.
func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(strings.TrimRight(secret, "=")))
	if err != nil {
		t.Fatalf("secret %q is not base32: %v", secret, err)
	}
	return rfc6238(key, at, 30, 6)
}

// enrolTOTP turns two-factor sign-in on for the key's user and returns
// the secret and the recovery codes.
func (s *testServer) enrolTOTP(t *testing.T, key string) (string, []string) {
	t.Helper()
	e := s.doAs(key, "POST", "/v1/users/me/mfa/totp", nil).want(http.StatusCreated).obj()
	secret := e["secret"].(string)
	if !strings.HasPrefix(e["otpauth_uri"].(string), "otpauth://totp/") || !strings.Contains(e["otpauth_uri"].(string), "secret="+secret) {
		t.Fatalf("otpauth_uri: %v", e["otpauth_uri"])
	}
	raw, err := base64.StdEncoding.DecodeString(e["qr_code_png"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if img, err := png.Decode(bytes.NewReader(raw)); err != nil || img.Bounds().Dx() < 100 {
		t.Fatalf("qr_code_png is not a PNG image: %v", err)
	}
	s.doAs(key, "POST", "/v1/users/me/mfa/totp/confirm", map[string]any{"code": "abcdef"}).problem(422)
	res := s.doAs(key, "POST", "/v1/users/me/mfa/totp/confirm", map[string]any{"code": totpCode(t, secret, time.Now())}).want(200).obj()
	var codes []string
	for _, c := range res["recovery_codes"].([]any) {
		codes = append(codes, c.(string))
	}
	if len(codes) != 10 {
		t.Fatalf("recovery codes: %v", res)
	}
	return secret, codes
}

func TestTOTPFlow(t *testing.T) {
	s := startServer(t)
	u := s.userWithPassword(map[string]any{"email": "mfa@example.com"}, "mfa-Secret-42")
	id := u["id"].(string)
	key := s.do("POST", "/v1/api-keys", map[string]any{"name": "self", "user_id": id}).want(201).str("key")
	// Only the user itself enrols.
	s.do("POST", "/v1/users/"+id+"/mfa/totp", nil).problem(403)
	s.doAs(key, "POST", "/v1/users/me/mfa/totp/confirm", map[string]any{"code": "123456"}).problem(409)
	secret, recovery := s.enrolTOTP(t, key)
	// The TOTP secret is encrypted at rest.
	if !onPostgres() {
		for _, name := range []string{"roster.db", "roster.db-wal"} {
			if b, _ := os.ReadFile(filepath.Join(s.Main.Config.DataDir, name)); bytes.Contains(b, []byte(secret)) {
				t.Errorf("%s holds the TOTP secret in clear", name)
			}
		}
	}
	got := s.do("GET", "/v1/users/"+id, nil).want(200).obj()
	if got["mfa_enabled"] != true || got["version"].(float64) != u["version"].(float64)+1 {
		t.Fatalf("after confirming: mfa_enabled %v, version %v", got["mfa_enabled"], got["version"])
	}
	s.doAs(key, "POST", "/v1/users/me/mfa/totp", nil).problem(409)
	// mfa_enabled is read-only elsewhere.
	p := s.do("PATCH", "/v1/users/"+id, map[string]any{"mfa_enabled": false}).problem(422)
	if !strings.Contains(string(mustJSON(p)), "/mfa/totp") {
		t.Errorf("the refusal does not name the call that changes mfa_enabled: %v", p)
	}
	// Sign-in now needs a code: the next step's code (the current one
	// was used to confirm), once only; then a recovery code, once only.
	signIn := func(code string) *response {
		v := url.Values{"grant_type": {"password"}, "username": {"mfa@example.com"}, "password": {"mfa-Secret-42"}}
		if code != "" {
			v.Set("totp", code)
		}
		return s.form("/v1/auth/token", v)
	}
	if r := signIn(""); r.Status != 400 || r.obj()["error"] != "invalid_grant" || !strings.Contains(r.str("error_description"), "totp") {
		t.Fatalf("without a code: %d %s", r.Status, r.Body)
	}
	next := totpCode(t, secret, time.Now().Add(30*time.Second))
	signIn(next).want(200)
	if r := signIn(next); r.Status != 400 {
		t.Fatalf("a code used twice: %d %s", r.Status, r.Body)
	}
	signIn(strings.ToUpper(recovery[0])).want(200)
	signIn(recovery[0]).want(400)
	// Turning it off needs a code from the user itself…
	s.doAs(key, "DELETE", "/v1/users/me/mfa/totp", map[string]any{}).problem(422)
	s.doAs(key, "DELETE", "/v1/users/me/mfa/totp", map[string]any{"code": "not-a-code"}).problem(422)
	s.doAs(key, "DELETE", "/v1/users/me/mfa/totp", map[string]any{"code": recovery[1]}).want(204)
	if s.do("GET", "/v1/users/"+id, nil).want(200).obj()["mfa_enabled"] != false {
		t.Fatal("mfa_enabled is still true")
	}
	signIn("").want(200)
	// …and none from an admin of the user.
	s.enrolTOTP(t, key)
	s.do("DELETE", "/v1/users/"+id+"/mfa/totp", nil).want(204)
	signIn("").want(200)
	body := string(s.do("GET", "/v1/events?type=user.mfa_changed&limit=200", nil).want(200).Body)
	if n := strings.Count(body, `"type":"user.mfa_changed"`); n != 4 {
		t.Errorf("%d user.mfa_changed events, want 4", n)
	}
	if strings.Contains(body, secret) || strings.Contains(body, recovery[2]) {
		t.Error("an event holds the TOTP secret or a recovery code")
	}
}
