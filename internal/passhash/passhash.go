// SPDX-License-Identifier: Apache-2.0

// Package passhash hashes and verifies passwords with argon2id (RFC 9106),
// encoded in the PHC string format that other tools read:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
//
// The parameters travel in each hash, so raising them in the
// configuration affects new hashes only and old ones keep verifying.
package passhash

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
}

// DefaultParams are OWASP's recommendation for argon2id (19 MiB, 2
// passes, 1 thread), about 50 ms on one core of a current server.
var DefaultParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
	// Limits on what a stored hash may ask for, so that a corrupt or
	// hostile row cannot make verification allocate without bound.
	maxMemory  = 4 << 20 // KiB: 4 GiB
	maxTime    = 100
	maxThreads = 64
)

// Validate reports whether p can be used.
func (p Params) Validate() error {
	switch {
	case p.Threads < 1 || p.Threads > maxThreads:
		return fmt.Errorf("argon2 threads must be 1 to %d", maxThreads)
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("argon2 time must be 1 to %d", maxTime)
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemory:
		return fmt.Errorf("argon2 memory must be %d to %d KiB (8 KiB per thread at least)", 8*uint32(p.Threads), maxMemory)
	}
	return nil
}

// Hash returns the PHC string of password with a new random salt.
func Hash(password string, p Params) (string, error) {
	if err := p.Validate(); err != nil {
		return "", err
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// ErrMalformed is returned for a string that is not an argon2id PHC hash.
var ErrMalformed = errors.New("passhash: not an argon2id hash")

// Decoded is a parsed PHC string.
type Decoded struct {
	Params Params
	Salt   []byte
	Key    []byte
}

// Parse reads a PHC string made by Hash.
func Parse(encoded string) (*Decoded, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return nil, ErrMalformed
	}
	var d Decoded
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, ErrMalformed
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return nil, ErrMalformed
		}
		switch k {
		case "m":
			d.Params.Memory = uint32(n)
		case "t":
			d.Params.Time = uint32(n)
		case "p":
			if n > 255 {
				return nil, ErrMalformed
			}
			d.Params.Threads = uint8(n)
		default:
			return nil, ErrMalformed
		}
	}
	if d.Params.Validate() != nil {
		return nil, ErrMalformed
	}
	b64 := base64.RawStdEncoding
	var err error
	if d.Salt, err = b64.DecodeString(parts[4]); err != nil || len(d.Salt) < 8 || len(d.Salt) > 64 {
		return nil, ErrMalformed
	}
	if d.Key, err = b64.DecodeString(parts[5]); err != nil || len(d.Key) < 16 || len(d.Key) > 64 {
		return nil, ErrMalformed
	}
	return &d, nil
}

// Verify reports whether password matches the PHC string encoded, in time
// that does not depend on where the two differ.
func Verify(password, encoded string) (bool, error) {
	d, err := Parse(encoded)
	if err != nil {
		return false, err
	}
	key := argon2.IDKey([]byte(password), d.Salt, d.Params.Time, d.Params.Memory, d.Params.Threads, uint32(len(d.Key)))
	return subtle.ConstantTimeCompare(key, d.Key) == 1, nil
}
