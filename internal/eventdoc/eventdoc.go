// SPDX-License-Identifier: Apache-2.0

// Package eventdoc is how both stores keep an event's document: the
// event's JSON without what can be derived (a creation's patch, which is
// its document added at the root), compressed with zstd against a
// dictionary of the fields every event and user repeats. An update's
// previous document follows its data in the same frame, so it costs
// little more than its differences. Documents written before this form
// (plain JSON) are still read.
package eventdoc

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/klauspost/compress/zstd"

	"github.com/rosterhq/roster"
)

// compactV1 starts a document in the compact form: zstd against dictV1.
// A plain JSON document starts with '{'. The byte and the dictionary
// together name the form for good: a new dictionary needs a new byte,
// since the rows written with this one are read with it.
const compactV1 = 0x01

// dictV1 holds what most events repeat (zstd finds its strings as if they
// preceded every document). Never change it: see compactV1.
const dictV1 = `{"id":"evt_01","type":"user.updated","occurred_at":"2026-01-01T00:00:00.000000Z","actor":{"user_id":"usr_01","key_id":"key_01","client_id":"cli_01"},` +
	`"request_id":"","resource":{"type":"user","id":"usr_01"},"organization_id":"org_01",` +
	`"data":{"id":"usr_01","organization_id":"org_01","username":"","email":"@example.com","email_verified":false,"first_name":"","last_name":"","display_name":"",` +
	`"status":"enabled","availability":"available","preferences":{},"notifications":{},"settings":{},"tags":[],"roles":["member"],` +
	`"memberships":[{"organization_id":"org_01","roles":["member"]}],"mfa_enabled":false,"created_at":"2026-01-01T00:00:00.000000Z","updated_at":"2026-01-01T00:00:00.000000Z","version":1},` +
	`"previous":{"id":"usr_01","organization_id":"org_01","external_id":"","manager_id":"","phone":"","e164":"","title":"","locale":"","time_zone":"","status":"disabled","roles":["admin"]},` +
	`"patch":[{"value":"","op":"replace","path":"/first_name"},{"op":"add","path":"/"},{"op":"remove","path":"/"},{"value":2,"op":"replace","path":"/version"},{"op":"replace","path":"/updated_at","value":"2026-01-01T00:00:00.000000Z"}],` +
	`"reason":"","client_ip":"127.0.0.1","derived_patch":true}`

var (
	encoder = mustEncoder()
	decoder = mustDecoder()
)

func mustEncoder() *zstd.Encoder {
	e, err := zstd.NewWriter(nil, zstd.WithEncoderDictRaw(compactV1, []byte(dictV1)), zstd.WithEncoderLevel(zstd.SpeedFastest),
		zstd.WithEncoderCRC(false), zstd.WithLowerEncoderMem(true))
	if err != nil {
		panic(err)
	}
	return e
}

func mustDecoder() *zstd.Decoder {
	d, err := zstd.NewReader(nil, zstd.WithDecoderDictRaw(compactV1, []byte(dictV1)), zstd.WithDecoderConcurrency(0),
		zstd.WithDecoderMaxMemory(maxDocument))
	if err != nil {
		panic(err)
	}
	return d
}

// maxDocument bounds a decompressed document. An event holds two
// documents of at most 1 MiB each (the request body cap) and their patch.
const maxDocument = 64 << 20

// doc is an event as stored: the API form plus the client address, which
// only the audit log shows, and whether the patch was left out because
// it is the creation's.
type doc struct {
	*roster.Event
	ClientIP     string `json:"client_ip,omitempty"`
	DerivedPatch bool   `json:"derived_patch,omitempty"`
}

// Encode returns e's stored document in the compact form.
func Encode(e *roster.Event) ([]byte, error) {
	c := *e
	d := doc{Event: &c, ClientIP: e.ClientIP}
	if e.Previous == nil && e.Data != nil && bytes.Equal(e.Patch, roster.CreationPatch(e.Data)) {
		c.Patch, d.DerivedPatch = nil, true
	}
	js, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	return encoder.EncodeAll(js, []byte{compactV1}), nil
}

// Decode fills e from a stored document, compact or plain JSON.
func Decode(stored []byte, e *roster.Event) error {
	js := stored
	if len(stored) > 0 && stored[0] == compactV1 {
		var err error
		if js, err = decoder.DecodeAll(stored[1:], nil); err != nil {
			return fmt.Errorf("event document: %w", err)
		}
	}
	d := doc{Event: e}
	if err := json.Unmarshal(js, &d); err != nil {
		return fmt.Errorf("event document: %w", err)
	}
	e.ClientIP = d.ClientIP
	if d.DerivedPatch {
		e.Patch = roster.CreationPatch(e.Data)
	}
	return nil
}
