// SPDX-License-Identifier: Apache-2.0

// Package seal encrypts small secrets at rest with AES-256-GCM under a key
// derived from the server's configured secret key.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"hash"
)

// Box seals and opens with one key.
type Box struct {
	aead   cipher.AEAD
	macKey []byte
}

// New returns a Box for a secret key of at least 32 characters; the AES
// key is its SHA-256, so any string of enough entropy will do.
func New(secretKey string) (*Box, error) {
	if len(secretKey) < 32 {
		return nil, errors.New("the secret key must be at least 32 characters")
	}
	k := sha256.Sum256([]byte("roster seal v1\x00" + secretKey))
	block, err := aes.NewCipher(k[:])
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	m := sha256.Sum256([]byte("roster mac v1\x00" + secretKey))
	return &Box{aead: aead, macKey: m[:]}, nil
}

// MAC returns an HMAC-SHA256 under a key derived from the secret key
// (another one than the sealing key's): a fingerprint of data that may
// hold a guessable secret, which a reader of the database cannot test
// guesses against.
func (b *Box) MAC() hash.Hash { return hmac.New(sha256.New, b.macKey) }

// Seal encrypts plain; aad binds the result to its owner (such as a
// webhook id), so a sealed value copied to another owner does not open.
func (b *Box) Seal(plain, aad []byte) []byte {
	nonce := make([]byte, b.aead.NonceSize(), b.aead.NonceSize()+len(plain)+b.aead.Overhead())
	_, _ = rand.Read(nonce)
	return b.aead.Seal(nonce, nonce, plain, aad)
}

// ErrOpen is returned for a sealed value that does not open with this key.
var ErrOpen = errors.New("sealed value does not open: wrong secret key or corrupted data")

// Open decrypts what Seal made with the same key and aad.
func (b *Box) Open(sealed, aad []byte) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(sealed) < n+b.aead.Overhead() {
		return nil, ErrOpen
	}
	plain, err := b.aead.Open(nil, sealed[:n], sealed[n:], aad)
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}
