// SPDX-License-Identifier: Apache-2.0

package passhash

// Password hashes made by other systems, accepted when users are imported
// (PRODUCT.md section 12) and verified at sign-in until the first
// successful sign-in replaces them with argon2id:
//
//	bcrypt    $2a$10$…, $2b$…, $2y$… (60 characters)
//	argon2    $argon2i$v=19$m=…,t=…,p=…$<salt>$<hash>, and $argon2id$…
//	PBKDF2    $pbkdf2-sha256$i=<iterations>[,l=<length>]$<salt>$<hash> (PHC,
//	          standard base64 without padding; also -sha1 and -sha512),
//	          passlib's $pbkdf2-sha256$<rounds>$<salt>$<hash> (its "ab64"
//	          alphabet: . for +; $pbkdf2$ is passlib's PBKDF2-SHA1), and
//	          Keycloak's credential form (ImportKeycloak)
//	scrypt    $scrypt$ln=…,r=…,p=…$<salt>$<hash> (passlib's form; the
//	          salt is the bytes its base64 decodes to)
//
// Import turns each into the one form that is stored (the PHC form, base64
// without padding; bcrypt as it is), so that verification reads one format
// per family. Every cost parameter is bounded (the Max… constants) both at
// import and at verification: an imported hash cannot make a sign-in burn
// seconds of CPU or hundreds of MiB. The primitives are golang.org/x/crypto's
// (bcrypt, argon2, scrypt) and the standard library's crypto/pbkdf2.

import (
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/scrypt"
)

// Bounds on the cost of an imported hash. Each keeps one verification
// at about half a second of one current server core at most (measured:
// TestImportedCostBounds) and its memory at most 64 MiB; what the systems
// people leave use by default is inside them (bcrypt 10–12, Keycloak's
// PBKDF2 27,500 or 210,000 iterations, Django's 1,000,000 of SHA-256,
// passlib's scrypt ln=16,r=8,p=1, argon2 as OWASP and RFC 9106 recommend,
// up to 64 MiB with 3 passes).
const (
	MaxBcryptCost = 13
	// PBKDF2's work is its iterations times the blocks of the derived
	// key (a key longer than the hash runs the iterations once more
	// per block).
	MaxPBKDF2SHA1Work   = 1_300_000 // OWASP's recommendation for SHA-1
	MaxPBKDF2SHA256Work = 1_000_000
	MaxPBKDF2SHA512Work = 500_000
	// scrypt uses 128·N·r bytes and time in proportion to N·r·p.
	MaxScryptNr  = 1 << 19 // 64 MiB
	MaxScryptNrp = 1 << 19
	// Imported argon2 hashes (the ones Roster makes are bounded by
	// Params): memory, passes, lanes, and memory × passes.
	MaxArgon2Memory  = 64 << 10 // KiB: 64 MiB
	MaxArgon2Time    = 10
	MaxArgon2Threads = 16
	MaxArgon2Work    = 3 * MaxArgon2Memory // KiB × passes
)

// Families of the hashes accepted.
const (
	FamilyArgon2id = "argon2id"
	FamilyArgon2i  = "argon2i"
	FamilyBcrypt   = "bcrypt"
	FamilyPBKDF2   = "pbkdf2"
	FamilyScrypt   = "scrypt"
)

// ErrUnknownFormat is Import's answer for a string in none of the
// accepted forms.
var ErrUnknownFormat = errors.New("password_hash is in no accepted form: use bcrypt ($2a$, $2b$, $2y$), argon2 ($argon2i$ or $argon2id$ PHC strings), PBKDF2 ($pbkdf2-sha1$, $pbkdf2-sha256$, $pbkdf2-sha512$ PHC or passlib strings, or Keycloak's credential) or scrypt ($scrypt$ln=…,r=…,p=…$salt$hash)")

// imported is a parsed hash of any family.
type imported struct {
	family  string
	variant string // pbkdf2: sha1, sha256, sha512; bcrypt: the whole string
	// argon2: m, t, p; pbkdf2: iterations; scrypt: ln, r, p.
	a, b, c uint64
	salt    []byte
	key     []byte
}

func bad(format string, args ...any) error {
	return fmt.Errorf("password_hash: "+format, args...)
}

// Import reads a password hash made by another system and returns the
// string to store, or an error whose message says what is wrong (for the
// import line's problem: it never repeats the hash). A string that starts
// with "{" is read as a Keycloak credential (ImportKeycloak).
func Import(s string) (string, error) {
	if strings.HasPrefix(strings.TrimSpace(s), "{") {
		var cred KeycloakCredential
		if err := json.Unmarshal([]byte(s), &cred); err != nil {
			return "", bad("a Keycloak credential must be a JSON object with secretData and credentialData strings")
		}
		return ImportKeycloak(cred)
	}
	h, err := parseImported(s)
	if err != nil {
		return "", err
	}
	return h.encode(), nil
}

// Family returns the family of a stored hash ("" when it is none).
func Family(stored string) string {
	h, err := parseImported(stored)
	if err != nil {
		return ""
	}
	return h.family
}

// Check reports whether password matches a stored hash of any accepted
// family, and whether the hash should be replaced by a new argon2id one
// (rehash: it is of another family). Its time does not depend on where
// the password and the hash differ.
func Check(password, stored string) (ok, rehash bool, err error) {
	if strings.HasPrefix(stored, "$argon2id$") {
		if ok, err := Verify(password, stored); err == nil { // Verify's only error is Parse's
			return ok, false, nil
		}
	}
	h, err := parseImported(stored)
	if err != nil {
		return false, false, err
	}
	ok, err = h.verify(password)
	return ok, h.family != FamilyArgon2id, err
}

func (h *imported) verify(password string) (bool, error) {
	var key []byte
	switch h.family {
	case FamilyBcrypt:
		err := bcrypt.CompareHashAndPassword([]byte(h.variant), []byte(password))
		if errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
			return false, nil
		}
		return err == nil, err
	case FamilyArgon2i:
		key = argon2.Key([]byte(password), h.salt, uint32(h.b), uint32(h.a), uint8(h.c), uint32(len(h.key)))
	case FamilyArgon2id:
		key = argon2.IDKey([]byte(password), h.salt, uint32(h.b), uint32(h.a), uint8(h.c), uint32(len(h.key)))
	case FamilyPBKDF2:
		var err error
		if key, err = pbkdf2.Key(pbkdf2Hashes[h.variant].new, password, h.salt, int(h.a), len(h.key)); err != nil {
			return false, err
		}
	case FamilyScrypt:
		var err error
		if key, err = scrypt.Key([]byte(password), h.salt, 1<<h.a, int(h.b), int(h.c), len(h.key)); err != nil {
			return false, err
		}
	default:
		return false, ErrUnknownFormat
	}
	return subtle.ConstantTimeCompare(key, h.key) == 1, nil
}

// encode is the stored form: PHC strings with standard base64 without
// padding; bcrypt as it came.
func (h *imported) encode() string {
	b64 := base64.RawStdEncoding
	salt, key := b64.EncodeToString(h.salt), b64.EncodeToString(h.key)
	switch h.family {
	case FamilyBcrypt:
		return h.variant
	case FamilyArgon2i, FamilyArgon2id:
		return fmt.Sprintf("$%s$v=19$m=%d,t=%d,p=%d$%s$%s", h.family, h.a, h.b, h.c, salt, key)
	case FamilyPBKDF2:
		return fmt.Sprintf("$pbkdf2-%s$i=%d,l=%d$%s$%s", h.variant, h.a, len(h.key), salt, key)
	case FamilyScrypt:
		return fmt.Sprintf("$scrypt$ln=%d,r=%d,p=%d$%s$%s", h.a, h.b, h.c, salt, key)
	}
	return ""
}

type pbkdf2Hash struct {
	new     func() hash.Hash
	size    int
	maxWork uint64
}

var pbkdf2Hashes = map[string]pbkdf2Hash{
	"sha1":   {sha1.New, sha1.Size, MaxPBKDF2SHA1Work},
	"sha256": {sha256.New, sha256.Size, MaxPBKDF2SHA256Work},
	"sha512": {sha512.New, sha512.Size, MaxPBKDF2SHA512Work},
}

// parseImported reads a hash in any accepted modular-crypt form.
func parseImported(s string) (*imported, error) {
	if len(s) > 1024 {
		return nil, bad("the hash is longer than 1024 characters")
	}
	parts := strings.Split(s, "$")
	if len(parts) < 3 || parts[0] != "" {
		return nil, ErrUnknownFormat
	}
	switch id := parts[1]; {
	case id == "2a" || id == "2b" || id == "2y":
		return parseBcrypt(s)
	case id == "argon2i" || id == "argon2id":
		return parseArgon2(id, parts)
	case id == "argon2d":
		return nil, bad("argon2d hashes are not accepted (only argon2i and argon2id)")
	case id == "pbkdf2" || strings.HasPrefix(id, "pbkdf2-"):
		return parsePBKDF2(id, parts)
	case id == "scrypt":
		return parseScrypt(parts)
	}
	return nil, ErrUnknownFormat
}

// bcryptAlphabet is bcrypt's base64 alphabet.
const bcryptAlphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func parseBcrypt(s string) (*imported, error) {
	// $2b$NN$ + 22 characters of salt + 31 of hash.
	if len(s) != 60 || s[3] != '$' || s[6] != '$' {
		return nil, bad("a bcrypt hash is 60 characters: $2b$<cost>$<53 characters>")
	}
	cost, err := strconv.Atoi(s[4:6])
	if err != nil || s[4] == '-' || s[4] == '+' {
		return nil, bad("the bcrypt cost must be two digits")
	}
	if cost < bcrypt.MinCost || cost > MaxBcryptCost {
		return nil, bad("the bcrypt cost is %d: at most %d is accepted (each step doubles the time of every sign-in), and at least %d", cost, MaxBcryptCost, bcrypt.MinCost)
	}
	for i := 7; i < 60; i++ {
		if !strings.ContainsRune(bcryptAlphabet, rune(s[i])) {
			return nil, bad("the bcrypt salt and hash hold a character outside bcrypt's base64 alphabet")
		}
	}
	// The last character of the salt (22 characters: 128 bits in 132)
	// and of the hash (31: 184 in 186) carry unused low bits, which must
	// be zero for the string to be canonical.
	if strings.IndexByte(bcryptAlphabet, s[28])&0xF != 0 || strings.IndexByte(bcryptAlphabet, s[59])&0x3 != 0 {
		return nil, bad("the bcrypt salt or hash is not canonical (its last character has bits set that encode nothing)")
	}
	if c, err := bcrypt.Cost([]byte(s)); err != nil || c != cost {
		return nil, bad("not a bcrypt hash")
	}
	return &imported{family: FamilyBcrypt, variant: s}, nil
}

// params reads "k=v,k=v" whole numbers; every key of want must appear
// once, and only those (optional ones may be missing).
func params(field string, want []string, optional ...string) (map[string]uint64, bool) {
	out := map[string]uint64{}
	for _, kv := range strings.Split(field, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || v == "" || len(v) > 10 || (v[0] == '0' && len(v) > 1) {
			return nil, false
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return nil, false
		}
		if _, dup := out[k]; dup || (!slices.Contains(want, k) && !slices.Contains(optional, k)) {
			return nil, false
		}
		out[k] = n
	}
	for _, k := range want {
		if _, ok := out[k]; !ok {
			return nil, false
		}
	}
	return out, true
}

// b64 decodes standard base64, with or without padding, or passlib's
// "ab64" (. for +). The result decodes again to the same bytes whichever
// it was.
func b64(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	s = strings.ReplaceAll(s, ".", "+")
	return base64.RawStdEncoding.Strict().DecodeString(s)
}

func parseArgon2(id string, parts []string) (*imported, error) {
	if len(parts) == 5 && strings.HasPrefix(parts[2], "m=") {
		return nil, bad("argon2 hashes without v= are version 1.0 (16), which is not accepted: only v=19")
	}
	if len(parts) != 6 {
		return nil, bad("an argon2 hash is $%s$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>", id)
	}
	if parts[2] != "v=19" {
		return nil, bad("only argon2 version 19 (v=19) is accepted")
	}
	p, ok := params(parts[3], []string{"m", "t", "p"})
	if !ok {
		return nil, bad("argon2 parameters must be m=<KiB>,t=<passes>,p=<lanes> in whole numbers")
	}
	h := &imported{family: id, a: p["m"], b: p["t"], c: p["p"]}
	switch {
	case h.c < 1 || h.c > MaxArgon2Threads:
		return nil, bad("argon2 p is %d: 1 to %d is accepted", h.c, MaxArgon2Threads)
	case h.b < 1 || h.b > MaxArgon2Time:
		return nil, bad("argon2 t is %d: 1 to %d is accepted", h.b, MaxArgon2Time)
	case h.a < 8*h.c || h.a > MaxArgon2Memory:
		return nil, bad("argon2 m is %d KiB: %d to %d KiB (64 MiB) is accepted", h.a, 8*h.c, MaxArgon2Memory)
	case h.a*h.b > MaxArgon2Work:
		return nil, bad("argon2 with m=%d and t=%d is too costly to check at sign-in: m × t must be at most %d (64 MiB with 3 passes)", h.a, h.b, MaxArgon2Work)
	}
	var err error
	if h.salt, err = b64(parts[4]); err != nil || len(h.salt) < 8 || len(h.salt) > 64 {
		return nil, bad("the argon2 salt must be 8 to 64 bytes in base64")
	}
	if h.key, err = b64(parts[5]); err != nil || len(h.key) < 16 || len(h.key) > 64 {
		return nil, bad("the argon2 hash must be 16 to 64 bytes in base64")
	}
	return h, nil
}

func parsePBKDF2(id string, parts []string) (*imported, error) {
	variant := strings.TrimPrefix(id, "pbkdf2-")
	if id == "pbkdf2" {
		variant = "sha1" // passlib's pbkdf2_sha1
	}
	hf, ok := pbkdf2Hashes[variant]
	if !ok {
		return nil, bad("PBKDF2 with %q is not accepted: use pbkdf2-sha1, pbkdf2-sha256 or pbkdf2-sha512", variant)
	}
	if len(parts) != 5 {
		return nil, bad("a PBKDF2 hash is $%s$i=<iterations>[,l=<length>]$<salt>$<hash> (or passlib's $%s$<rounds>$<salt>$<hash>)", id, id)
	}
	h := &imported{family: FamilyPBKDF2, variant: variant}
	length := uint64(0)
	if strings.HasPrefix(parts[2], "i=") {
		p, ok := params(parts[2], []string{"i"}, "l")
		if !ok {
			return nil, bad("PBKDF2 parameters must be i=<iterations>[,l=<length>] in whole numbers")
		}
		h.a, length = p["i"], p["l"]
		if _, has := p["l"]; has && length == 0 {
			return nil, bad("PBKDF2 l must be the hash's length in bytes")
		}
	} else {
		n, err := strconv.ParseUint(parts[2], 10, 32)
		if err != nil || parts[2][0] == '0' || parts[2][0] == '+' {
			return nil, bad("passlib's PBKDF2 rounds must be a whole number")
		}
		h.a = n
	}
	var err error
	if h.salt, err = b64(parts[3]); err != nil || len(h.salt) > 256 {
		return nil, bad("the PBKDF2 salt must be at most 256 bytes in base64")
	}
	if h.key, err = b64(parts[4]); err != nil || len(h.key) < 16 || len(h.key) > 256 {
		return nil, bad("the PBKDF2 hash must be 16 to 256 bytes in base64")
	}
	if length != 0 && length != uint64(len(h.key)) {
		return nil, bad("PBKDF2 l=%d does not match the hash's %d bytes", length, len(h.key))
	}
	return h, h.checkPBKDF2(hf)
}

func (h *imported) checkPBKDF2(hf pbkdf2Hash) error {
	blocks := uint64((len(h.key) + hf.size - 1) / hf.size)
	switch {
	case h.a < 1:
		return bad("PBKDF2 iterations must be at least 1")
	case h.a*blocks > hf.maxWork:
		if blocks > 1 {
			return bad("PBKDF2-%s with %d iterations and a %d-byte hash (%d blocks) is too costly to check at sign-in: at most %d iterations × blocks are accepted", strings.ToUpper(h.variant), h.a, len(h.key), blocks, hf.maxWork)
		}
		return bad("PBKDF2-%s iterations are %d: at most %d are accepted, so that a sign-in cannot take seconds", strings.ToUpper(h.variant), h.a, hf.maxWork)
	}
	return nil
}

func parseScrypt(parts []string) (*imported, error) {
	if len(parts) != 5 {
		return nil, bad("an scrypt hash is $scrypt$ln=<log2 N>,r=<block size>,p=<parallelism>$<salt>$<hash>")
	}
	p, ok := params(parts[2], []string{"ln", "r", "p"})
	if !ok {
		return nil, bad("scrypt parameters must be ln=<log2 N>,r=<block size>,p=<parallelism> in whole numbers")
	}
	h := &imported{family: FamilyScrypt, a: p["ln"], b: p["r"], c: p["p"]}
	switch {
	case h.a < 1 || h.a > 30 || h.b < 1 || h.c < 1:
		return nil, bad("scrypt ln must be 1 to 30, and r and p at least 1")
	case h.b > MaxScryptNr || (uint64(1)<<h.a)*h.b > MaxScryptNr:
		return nil, bad("scrypt with ln=%d, r=%d needs %d MiB: at most %d MiB (N·r ≤ %d) is accepted", h.a, h.b, ((uint64(1)<<h.a)*h.b*128)>>20, MaxScryptNr*128>>20, MaxScryptNr)
	case h.c > MaxScryptNrp || (uint64(1)<<h.a)*h.b*h.c > MaxScryptNrp:
		return nil, bad("scrypt with ln=%d, r=%d, p=%d is too costly to check at sign-in: N·r·p must be at most %d", h.a, h.b, h.c, MaxScryptNrp)
	}
	var err error
	if h.salt, err = b64(parts[3]); err != nil || len(h.salt) > 256 {
		return nil, bad("the scrypt salt must be at most 256 bytes in base64")
	}
	if h.key, err = b64(parts[4]); err != nil || len(h.key) < 16 || len(h.key) > 256 {
		return nil, bad("the scrypt hash must be 16 to 256 bytes in base64")
	}
	return h, nil
}

// KeycloakCredential is a password credential as Keycloak exports it (a
// user's "credentials" entry in a realm export or the admin API): its
// secretData and credentialData are JSON documents in strings.
type KeycloakCredential struct {
	Type           string `json:"type,omitempty"`
	SecretData     string `json:"secretData"`
	CredentialData string `json:"credentialData"`
}

// ImportKeycloak reads a Keycloak password credential: PBKDF2 (algorithm
// "pbkdf2" is SHA-1, "pbkdf2-sha256", "pbkdf2-sha512"), argon2 (Keycloak
// 24 and later) or bcrypt (the common community provider, whose value is
// the bcrypt string).
func ImportKeycloak(c KeycloakCredential) (string, error) {
	if c.Type != "" && c.Type != "password" {
		return "", bad("a Keycloak credential of type %q holds no password", c.Type)
	}
	var secret struct {
		Value string `json:"value"`
		Salt  string `json:"salt"`
	}
	var cred struct {
		HashIterations uint64              `json:"hashIterations"`
		Algorithm      string              `json:"algorithm"`
		Additional     map[string][]string `json:"additionalParameters"`
	}
	if json.Unmarshal([]byte(c.SecretData), &secret) != nil || secret.Value == "" {
		return "", bad("a Keycloak credential's secretData must be a JSON document with value and salt")
	}
	if json.Unmarshal([]byte(c.CredentialData), &cred) != nil || cred.Algorithm == "" {
		return "", bad("a Keycloak credential's credentialData must be a JSON document with hashIterations and algorithm")
	}
	var h *imported
	switch alg := cred.Algorithm; alg {
	case "bcrypt":
		var err error
		if h, err = parseBcrypt(secret.Value); err != nil {
			return "", err
		}
		return h.encode(), nil
	case "pbkdf2", "pbkdf2-sha1", "pbkdf2-sha256", "pbkdf2-sha512":
		variant := strings.TrimPrefix(alg, "pbkdf2-")
		if alg == "pbkdf2" {
			variant = "sha1"
		}
		h = &imported{family: FamilyPBKDF2, variant: variant, a: cred.HashIterations}
		if err := h.keycloakBytes(secret.Value, secret.Salt, 256); err != nil {
			return "", err
		}
		if len(h.key) < 16 {
			return "", bad("the PBKDF2 hash must be 16 to 256 bytes")
		}
		if err := h.checkPBKDF2(pbkdf2Hashes[variant]); err != nil {
			return "", err
		}
	case "argon2":
		one := func(k string) string {
			if v := cred.Additional[k]; len(v) == 1 {
				return v[0]
			}
			return ""
		}
		typ := map[string]string{"id": FamilyArgon2id, "i": FamilyArgon2i, "": FamilyArgon2id}[one("type")]
		if typ == "" {
			return "", bad("Keycloak argon2 type %q is not accepted: id or i", one("type"))
		}
		if v := one("version"); v != "" && v != "1.3" {
			return "", bad("Keycloak argon2 version %q is not accepted: only 1.3 (19)", v)
		}
		if err := (&imported{}).keycloakBytes(secret.Value, secret.Salt, 64); err != nil {
			return "", err
		}
		m, p := one("memory"), one("parallelism")
		if p == "" {
			p = "1"
		}
		phc := fmt.Sprintf("$%s$v=19$m=%s,t=%d,p=%s$%s$%s", typ, m, cred.HashIterations, p,
			strings.TrimRight(secret.Salt, "="), strings.TrimRight(secret.Value, "="))
		var err error
		if h, err = parseArgon2(typ, strings.Split(phc, "$")); err != nil {
			return "", err
		}
		if l := one("hashLength"); l != "" && l != strconv.Itoa(len(h.key)) {
			return "", bad("Keycloak argon2 hashLength %s does not match the hash's %d bytes", l, len(h.key))
		}
	default:
		return "", bad("Keycloak algorithm %q is not accepted: pbkdf2, pbkdf2-sha256, pbkdf2-sha512, argon2 or bcrypt", alg)
	}
	return h.encode(), nil
}

// keycloakBytes reads a Keycloak credential's base64 value and salt.
func (h *imported) keycloakBytes(value, salt string, maxLen int) error {
	var err error
	if h.key, err = base64.StdEncoding.DecodeString(value); err != nil || len(h.key) > maxLen {
		return bad("a Keycloak credential's value must be the hash in base64 (at most %d bytes)", maxLen)
	}
	if h.salt, err = base64.StdEncoding.DecodeString(salt); err != nil || len(h.salt) > 256 {
		return bad("a Keycloak credential's salt must be base64 (at most 256 bytes)")
	}
	return nil
}
