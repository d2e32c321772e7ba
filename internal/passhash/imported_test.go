// SPDX-License-Identifier: Apache-2.0

package passhash

import (
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/scrypt"
)

// importVector is a hash with its password, and where it comes from.
type importVector struct {
	family, password, hash, source string
}

func unhex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

var raw = base64.RawStdEncoding

// publishedVectors are hashes made by other implementations: at least one
// per family, so that the formats are read as their makers write them.
var publishedVectors = []importVector{
	// Openwall crypt_blowfish's test vectors (wrapper.c), also in
	// passlib's and x/crypto's tests.
	{FamilyBcrypt, "U*U", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "crypt_blowfish wrapper.c"},
	{FamilyBcrypt, "U*U*", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.VGOzA784oUp/Z0DY336zx7pLYAy0lwK", "crypt_blowfish wrapper.c"},
	{FamilyBcrypt, "U*U*U", "$2a$05$XXXXXXXXXXXXXXXXXXXXXOAcXxm9kjPGEMsLznoKqmqw7tc8WCx4a", "crypt_blowfish wrapper.c"},
	{FamilyBcrypt, "", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.7uG0VCzI2bS7j6ymqJi9CdcdxiRTWNy", "crypt_blowfish wrapper.c"},
	{FamilyBcrypt, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789chars after 72 are ignored",
		"$2a$05$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui", "crypt_blowfish wrapper.c"},
	// $2b$ and $2y$ compute the same as $2a$ for these passwords.
	{FamilyBcrypt, "U*U", "$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "crypt_blowfish wrapper.c, as $2b$"},
	{FamilyBcrypt, "U*U", "$2y$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "crypt_blowfish wrapper.c, as $2y$"},
	// The Argon2 reference implementation's tests (phc-winner-argon2, test.c).
	{FamilyArgon2i, "password", "$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA", "phc-winner-argon2 test.c"},
	{FamilyArgon2id, "password", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc", "phc-winner-argon2 test.c"},
	// RFC 6070 (PBKDF2-HMAC-SHA1), written as PHC strings.
	{FamilyPBKDF2, "password", "$pbkdf2-sha1$i=4096,l=20$" + raw.EncodeToString([]byte("salt")) + "$" + raw.EncodeToString(unhex("4b007901b765489abead49d926f721d065a429c1")), "RFC 6070 test 3"},
	{FamilyPBKDF2, "password", "$pbkdf2-sha1$i=2$" + raw.EncodeToString([]byte("salt")) + "$" + raw.EncodeToString(unhex("ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957")), "RFC 6070 test 2"},
	{FamilyPBKDF2, "passwordPASSWORDpassword", "$pbkdf2-sha1$i=4096,l=25$" + raw.EncodeToString([]byte("saltSALTsaltSALTsaltSALTsaltSALTsalt")) + "$" +
		raw.EncodeToString(unhex("3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038")), "RFC 6070 test 5 (two blocks)"},
	// RFC 7914 section 11 (PBKDF2-HMAC-SHA256).
	{FamilyPBKDF2, "passwd", "$pbkdf2-sha256$i=1,l=64$" + raw.EncodeToString([]byte("salt")) + "$" + raw.EncodeToString(unhex(
		"55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783")), "RFC 7914 section 11"},
	{FamilyPBKDF2, "Password", "$pbkdf2-sha256$i=80000$" + raw.EncodeToString([]byte("NaCl")) + "$" + raw.EncodeToString(unhex(
		"4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d")), "RFC 7914 section 11"},
	// passlib's own test vectors (passlib/tests/test_handlers_pbkdf2.py).
	{FamilyPBKDF2, "password", "$pbkdf2-sha256$1212$4vjV83LKPjQzk31VI4E0Vw$hsYF68OiOUPdDZ1Fg.fJPeq1h/gXXY7acBp9/6c.tmQ", "passlib pbkdf2_sha256 tests"},
	{FamilyPBKDF2, "password", "$pbkdf2-sha512$1212$RHY0Fr3IDMSVO/RSZyb5ow$eNLfBK.eVozomMr.1gYa17k9B7KIK25NOEshvhrSX.esqY3s.FvWZViXz4KoLlQI.BzY/YTNJOiKc5gBYFYGww", "passlib pbkdf2_sha512 tests"},
	{FamilyPBKDF2, "password", "$pbkdf2$1212$OB.dtnSEXZK8U5cgxU/GYQ$y5LKPOplRmok7CZp/aqVDVg8zGI", "passlib pbkdf2_sha1 tests"},
	// RFC 7914 section 12 (scrypt), written as $scrypt$ strings.
	{FamilyScrypt, "password", "$scrypt$ln=10,r=8,p=16$" + raw.EncodeToString([]byte("NaCl")) + "$" + raw.EncodeToString(unhex(
		"fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640")), "RFC 7914 section 12"},
	{FamilyScrypt, "pleaseletmein", "$scrypt$ln=14,r=8,p=1$" + raw.EncodeToString([]byte("SodiumChloride")) + "$" + raw.EncodeToString(unhex(
		"7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887")), "RFC 7914 section 12"},
	// A libscrypt crypt() test ($scrypt$ with a standard base64 salt).
	{FamilyScrypt, "password", "$scrypt$ln=16,r=8,p=1$MTIzNDU2Nzg$NuB+vs2zc0fb2UzIRwwAV6ZWb3St8+X9IedYI1gQsoo", "libscrypt crypt() test"},
}

// keycloakVector is a credential of a user "admin" with the password
// "admin" posted to Keycloak 9.0.5's admin API (dev.to, "Import PBKDF2
// hashed user passwords into Keycloak").
const keycloakVector = `{"credentialData": "{\"hashIterations\": 27500,\"algorithm\": \"pbkdf2-sha256\"}",
 "secretData": "{\"salt\": \"x/bm4Y3DcuV9eU97ervkPA==\",\"value\": \"1u7BLvfSPxQFpwc5jpGSA+88EGl9pZYKhaZ8YPIu9N4=\"}",
 "type": "password"}`

// generatedVectors are made here with the libraries, for the forms no
// published vector covers.
func generatedVectors(t *testing.T) []importVector {
	salt := []byte("0123456789abcdef")
	pw := "correct horse battery staple"
	var out []importVector
	b, err := bcrypt.GenerateFromPassword([]byte(pw), 4)
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, importVector{FamilyBcrypt, pw, string(b), "x/crypto bcrypt"})
	out = append(out, importVector{FamilyBcrypt, pw, "$2y$" + string(b[4:]), "x/crypto bcrypt as $2y$"})
	k := argon2.Key([]byte(pw), salt, 3, 1024, 2, 32)
	out = append(out, importVector{FamilyArgon2i, pw, fmt.Sprintf("$argon2i$v=19$m=1024,t=3,p=2$%s$%s", raw.EncodeToString(salt), raw.EncodeToString(k)), "x/crypto argon2i"})
	k = argon2.IDKey([]byte(pw), salt, 1, 2048, 1, 16)
	out = append(out, importVector{FamilyArgon2id, pw, fmt.Sprintf("$argon2id$v=19$m=2048,t=1,p=1$%s$%s", raw.EncodeToString(salt), raw.EncodeToString(k)), "x/crypto argon2id"})
	k, _ = pbkdf2.Key(sha512.New, pw, salt, 1000, 64)
	out = append(out, importVector{FamilyPBKDF2, pw, fmt.Sprintf("$pbkdf2-sha512$i=1000,l=64$%s$%s", raw.EncodeToString(salt), raw.EncodeToString(k)), "crypto/pbkdf2 SHA-512 PHC"})
	k, _ = pbkdf2.Key(sha256.New, pw, salt, 1000, 32)
	out = append(out, importVector{FamilyPBKDF2, pw, fmt.Sprintf("$pbkdf2-sha256$i=1000$%s$%s", base64.StdEncoding.EncodeToString(salt), base64.StdEncoding.EncodeToString(k)), "crypto/pbkdf2 SHA-256 PHC, padded"})
	ab64 := strings.NewReplacer("+", ".")
	out = append(out, importVector{FamilyPBKDF2, pw, fmt.Sprintf("$pbkdf2-sha256$1000$%s$%s", ab64.Replace(raw.EncodeToString(salt)), ab64.Replace(raw.EncodeToString(k))), "crypto/pbkdf2 SHA-256 passlib"})
	k, _ = scrypt.Key([]byte(pw), salt, 1<<12, 8, 2, 32)
	out = append(out, importVector{FamilyScrypt, pw, fmt.Sprintf("$scrypt$ln=12,r=8,p=2$%s$%s", ab64.Replace(raw.EncodeToString(salt)), ab64.Replace(raw.EncodeToString(k))), "x/crypto scrypt, passlib alphabet"})
	for _, alg := range []string{"pbkdf2", "pbkdf2-sha256", "pbkdf2-sha512"} {
		var kk []byte
		switch alg {
		case "pbkdf2":
			kk, _ = pbkdf2.Key(sha1.New, pw, salt, 20000, 64)
		case "pbkdf2-sha256":
			kk, _ = pbkdf2.Key(sha256.New, pw, salt, 27500, 32)
		default:
			kk, _ = pbkdf2.Key(sha512.New, pw, salt, 210000, 64)
		}
		out = append(out, importVector{FamilyPBKDF2, pw, keycloak(alg, map[string]any{"hashIterations": map[string]int{"pbkdf2": 20000, "pbkdf2-sha256": 27500, "pbkdf2-sha512": 210000}[alg]}, salt, kk), "Keycloak " + alg})
	}
	k = argon2.IDKey([]byte(pw), salt, 3, 7168, 1, 32)
	out = append(out, importVector{FamilyArgon2id, pw, keycloak("argon2", map[string]any{"hashIterations": 3, "additionalParameters": map[string][]string{
		"hashLength": {"32"}, "memory": {"7168"}, "type": {"id"}, "version": {"1.3"}, "parallelism": {"1"}}}, salt, k), "Keycloak 24 argon2"})
	return out
}

func keycloak(alg string, cred map[string]any, salt, key []byte) string {
	cred["algorithm"] = alg
	cd, _ := json.Marshal(cred)
	sd, _ := json.Marshal(map[string]string{"value": base64.StdEncoding.EncodeToString(key), "salt": base64.StdEncoding.EncodeToString(salt)})
	out, _ := json.Marshal(map[string]string{"type": "password", "secretData": string(sd), "credentialData": string(cd)})
	return string(out)
}

// TestImportedHashes imports each vector, checks the stored form reads the
// same way again, and verifies the right and a wrong password against it.
func TestImportedHashes(t *testing.T) {
	vectors := append(publishedVectors, generatedVectors(t)...)
	vectors = append(vectors, importVector{FamilyPBKDF2, "admin", keycloakVector, "Keycloak 9.0.5 admin API (dev.to)"})
	seen := map[string]bool{}
	for _, v := range vectors {
		t.Run(v.source, func(t *testing.T) {
			stored, err := Import(v.hash)
			if err != nil {
				t.Fatalf("Import(%q): %v", v.hash, err)
			}
			if again, err := Import(stored); err != nil || again != stored {
				t.Fatalf("the stored form %q imports as %q, %v", stored, again, err)
			}
			if f := Family(stored); f != v.family {
				t.Fatalf("Family(%q) = %q, want %q", stored, f, v.family)
			}
			ok, rehash, err := Check(v.password, stored)
			if err != nil || !ok {
				t.Fatalf("Check(right password, %q) = %v, %v", stored, ok, err)
			}
			if rehash != (v.family != FamilyArgon2id) {
				t.Errorf("rehash = %v for a %s hash", rehash, v.family)
			}
			if ok, _, err := Check("x"+v.password, stored); err != nil || ok {
				t.Errorf("Check(wrong password) = %v, %v", ok, err)
			}
			seen[v.family] = true
		})
	}
	for _, f := range []string{FamilyArgon2id, FamilyArgon2i, FamilyBcrypt, FamilyPBKDF2, FamilyScrypt} {
		if !seen[f] {
			t.Errorf("no vector of family %s verified", f)
		}
	}
}

// TestRosterHashesStillCheck: argon2id hashes Roster makes verify through
// Check and need no rehash.
func TestRosterHashesStillCheck(t *testing.T) {
	h, err := Hash("pw-123456", small)
	if err != nil {
		t.Fatal(err)
	}
	if ok, rehash, err := Check("pw-123456", h); !ok || rehash || err != nil {
		t.Fatalf("Check = %v, %v, %v", ok, rehash, err)
	}
	if ok, _, _ := Check("pw-1234567", h); ok {
		t.Fatal("a wrong password matched")
	}
}

// TestImportRefuses: over-cost and malformed hashes are refused with a
// message that says what is wrong and never repeats the hash.
func TestImportRefuses(t *testing.T) {
	salt := raw.EncodeToString([]byte("0123456789abcdef"))
	key := raw.EncodeToString(make([]byte, 32))
	for _, c := range []struct{ hash, want string }{
		{"", "no accepted form"},
		{"plain text", "no accepted form"},
		{"$1$abc$def", "no accepted form"},
		{"$2a$14$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "bcrypt cost is 14: at most 13"},
		{"$2a$31$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "bcrypt cost is 31"},
		{"$2a$03$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "at least 4"},
		{"$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOe", "60 characters"},
		{"$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOe!", "alphabet"},
		{"$2x$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "no accepted form"},
		{"$argon2id$v=19$m=131072,t=2,p=1$" + salt + "$" + key, "m is 131072 KiB"},
		{"$argon2i$v=19$m=65536,t=11,p=1$" + salt + "$" + key, "t is 11"},
		{"$argon2i$v=19$m=65536,t=4,p=1$" + salt + "$" + key, "m × t must be at most 196608"},
		{"$argon2i$v=19$m=65536,t=1,p=17$" + salt + "$" + key, "p is 17"},
		{"$argon2i$v=16$m=65536,t=1,p=1$" + salt + "$" + key, "version 19"},
		{"$argon2i$m=65536,t=1,p=1$" + salt + "$" + key, "version 1.0"},
		{"$argon2d$v=19$m=65536,t=1,p=1$" + salt + "$" + key, "argon2d"},
		{"$argon2id$v=19$m=65536,t=1,p=1$c2FsdA$" + key, "salt must be 8 to 64 bytes"},
		{"$pbkdf2-sha256$i=1000001$" + salt + "$" + key, "iterations are 1000001: at most 1000000"},
		{"$pbkdf2-sha256$1000001$" + salt + "$" + key, "iterations are 1000001"},
		{"$pbkdf2$1300001$" + salt + "$" + key[:27], "PBKDF2-SHA1 iterations are 1300001"},
		{"$pbkdf2-sha256$i=600000,l=64$" + salt + "$" + raw.EncodeToString(make([]byte, 64)), "2 blocks"},
		{"$pbkdf2-sha256$i=1000,l=31$" + salt + "$" + key, "l=31 does not match"},
		{"$pbkdf2-md5$i=1000$" + salt + "$" + key, "not accepted"},
		{"$pbkdf2-sha256$i=0$" + salt + "$" + key, "at least 1"},
		{"$pbkdf2-sha256$i=1000$" + salt + "$AAAA", "16 to 256 bytes"},
		{"$pbkdf2-sha256$i=1000$" + salt + "$" + key + "!", "16 to 256 bytes"},
		{"$scrypt$ln=17,r=8,p=1$" + salt + "$" + key, "needs 128 MiB"},
		{"$scrypt$ln=16,r=8,p=2$" + salt + "$" + key, "N·r·p must be at most"},
		{"$scrypt$ln=0,r=8,p=1$" + salt + "$" + key, "ln must be 1 to 30"},
		{"$scrypt$ln=14,r=8$" + salt + "$" + key, "ln=<log2 N>"},
		{`{"secretData": "{\"value\":\"` + base64.StdEncoding.EncodeToString(make([]byte, 32)) + `\",\"salt\":\"c2FsdA==\"}", "credentialData": "{\"hashIterations\":2000000,\"algorithm\":\"pbkdf2-sha256\"}"}`, "iterations are 2000000"},
		{`{"secretData": "{\"value\":\"` + base64.StdEncoding.EncodeToString(make([]byte, 32)) + `\",\"salt\":\"c2FsdA==\"}", "credentialData": "{\"hashIterations\":1,\"algorithm\":\"md5\"}"}`, `algorithm "md5" is not accepted`},
		{`{"secretData": "x", "credentialData": "{}"}`, "secretData must be a JSON document"},
		{`{"type": "otp", "secretData": "x", "credentialData": "{}"}`, "holds no password"},
		{`{"secretData": `, "JSON object"},
	} {
		_, err := Import(c.hash)
		if err == nil {
			t.Errorf("Import(%q) succeeded", c.hash)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("Import(%q) = %q, want it to say %q", c.hash, err, c.want)
		}
		if len(c.hash) > 20 && strings.Contains(err.Error(), c.hash) {
			t.Errorf("the message repeats the hash: %q", err)
		}
		// Check refuses what Import refuses: a row written otherwise
		// cannot make a sign-in costly either.
		// (argon2id hashes are read as Roster's own first, whose bounds
		// are the configuration's.)
		if !strings.HasPrefix(c.hash, "{") && !strings.HasPrefix(c.hash, "$argon2id$") {
			if ok, _, err := Check("x", c.hash); ok || err == nil {
				t.Errorf("Check against %q = %v, %v", c.hash, ok, err)
			}
		}
	}
}

// TestImportedCostBounds: the costliest hashes of each family that Import
// accepts verify within 3 s (a generous bound for a slow, shared runner;
// each takes at most about half a second on a current core).
func TestImportedCostBounds(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	salt := raw.EncodeToString([]byte("0123456789abcdef"))
	for _, h := range []string{
		"$2b$13$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
		"$argon2i$v=19$m=65536,t=3,p=1$" + salt + "$" + raw.EncodeToString(make([]byte, 32)),
		"$argon2i$v=19$m=19660,t=10,p=1$" + salt + "$" + raw.EncodeToString(make([]byte, 32)),
		"$pbkdf2-sha1$i=1300000$" + salt + "$" + raw.EncodeToString(make([]byte, 20)),
		"$pbkdf2-sha256$i=1000000$" + salt + "$" + raw.EncodeToString(make([]byte, 32)),
		"$pbkdf2-sha512$i=500000$" + salt + "$" + raw.EncodeToString(make([]byte, 64)),
		"$scrypt$ln=12,r=8,p=16$" + salt + "$" + raw.EncodeToString(make([]byte, 32)),
		"$scrypt$ln=16,r=8,p=1$" + salt + "$" + raw.EncodeToString(make([]byte, 32)),
	} {
		stored, err := Import(h)
		if err != nil {
			t.Fatalf("Import(%q): %v", h, err)
		}
		start := time.Now()
		if _, _, err := Check("password", stored); err != nil {
			t.Fatal(err)
		}
		d := time.Since(start)
		t.Logf("%s: %v", strings.SplitN(stored, "$", 4)[1:3], d)
		if d > 3*time.Second {
			t.Errorf("checking %q took %v", stored, d)
		}
	}
}

// FuzzImport checks that no string makes Import panic, and that what it
// accepts is a stored form that imports as itself and that Check reads.
func FuzzImport(f *testing.F) {
	for _, v := range publishedVectors {
		f.Add(v.hash)
	}
	f.Add(keycloakVector)
	f.Add("$pbkdf2-sha256$i=1$$AAAAAAAAAAAAAAAAAAAAAA")
	f.Add("$scrypt$ln=1,r=1,p=1$$AAAAAAAAAAAAAAAAAAAAAA")
	f.Fuzz(func(t *testing.T, s string) {
		stored, err := Import(s)
		if err != nil {
			return
		}
		again, err := Import(stored)
		if err != nil || again != stored {
			t.Fatalf("Import(%q) = %q, which imports as %q, %v", s, stored, again, err)
		}
		h, err := parseImported(stored)
		if err != nil {
			t.Fatalf("the stored form %q does not parse: %v", stored, err)
		}
		if h.family == "" || Family(stored) != h.family {
			t.Fatalf("no family for %q", stored)
		}
	})
}
