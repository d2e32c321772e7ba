// SPDX-License-Identifier: Apache-2.0

package service

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/lru"
)

// maxCachedSchemas bounds the compiled settings schemas kept: one per
// organisation with a schema in use (and every schema ever set, were it
// not bounded).
const maxCachedSchemas = 128

// schemaCache keeps compiled settings schemas by the hash of their text,
// the most recently used maxCachedSchemas of them.
type schemaCache struct {
	once sync.Once
	m    *lru.Cache[[32]byte, *jsonschema.Schema]
}

// noLoader refuses every external reference: a settings schema must be
// self-contained, and a $ref must never make the server read a file or
// fetch a URL.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("external references are not allowed (%s): inline the schema", url)
}

func (c *schemaCache) compile(doc []byte) (*jsonschema.Schema, error) {
	key := sha256.Sum256(doc)
	c.once.Do(func() { c.m = &lru.Cache[[32]byte, *jsonschema.Schema]{Max: maxCachedSchemas} })
	if s, ok := c.m.Get(key); ok {
		return s, nil
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return nil, err
	}
	comp := jsonschema.NewCompiler()
	comp.DefaultDraft(jsonschema.Draft2020)
	comp.UseLoader(noLoader{})
	comp.AssertFormat() // "format": "email" or "uri" is checked, not just noted
	const loc = "roster:settings-schema.json"
	if err := comp.AddResource(loc, v); err != nil {
		return nil, err
	}
	s, err := comp.Compile(loc)
	if err != nil {
		return nil, err
	}
	c.m.Add(key, s)
	return s, nil
}

// nearestSchema returns the settings schema that applies in an
// organisation: its own, or its nearest ancestor's; nil when none does.
func nearestSchema(ctx context.Context, r roster.Reader, orgID string) ([]byte, error) {
	doc, err := r.FindSettingsSchema(ctx, orgID)
	if roster.ErrorCode(err) == roster.CodeNotFound {
		return nil, nil
	}
	return doc, err
}

// checkSettings validates a user's settings against the schema that
// applies in its organisation.
func (s *Service) checkSettings(ctx context.Context, r roster.Reader, u *roster.User) error {
	doc, err := nearestSchema(ctx, r, u.OrganizationID)
	if err != nil || doc == nil {
		return err
	}
	sch, err := s.schemas.compile(doc)
	if err != nil {
		return err // it compiled when it was stored
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(u.Settings))
	if err != nil {
		return err
	}
	err = sch.Validate(v)
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	var fe []roster.FieldError
	for _, unit := range leafErrors(ve.BasicOutput()) {
		loc, value := settingsLocation(v, unit.InstanceLocation)
		fe = append(fe, roster.FieldError{Location: loc, Message: unit.Error.String() + " (schema " + unit.KeywordLocation + ")", Value: value})
		if len(fe) == 20 {
			break
		}
	}
	if len(fe) == 0 {
		fe = append(fe, roster.FieldError{Location: "body.settings", Message: "settings do not match the organisation's settings schema"})
	}
	return roster.Invalid(fe...)
}

// settingsLocation turns a JSON Pointer into the settings into Roster's
// location form (body.settings.a.b[2]) and returns the value found there.
func settingsLocation(root any, pointer string) (string, any) {
	var b strings.Builder
	b.WriteString("body.settings")
	v := root
	if pointer == "" {
		return b.String(), nil // the whole object: too large to echo
	}
	for _, tok := range strings.Split(strings.TrimPrefix(pointer, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch c := v.(type) {
		case []any:
			b.WriteString("[" + tok + "]")
			if i, err := strconv.Atoi(tok); err == nil && i >= 0 && i < len(c) {
				v = c[i]
			} else {
				v = nil
			}
		case map[string]any:
			b.WriteString("." + tok)
			v = c[tok]
		default:
			b.WriteString("." + tok)
			v = nil
		}
	}
	switch v.(type) {
	case map[string]any, []any:
		return b.String(), nil // containers are not echoed
	}
	return b.String(), v
}

func leafErrors(out *jsonschema.OutputUnit) []jsonschema.OutputUnit {
	var leaves []jsonschema.OutputUnit
	for _, u := range out.Errors {
		if u.Error != nil && len(u.Errors) == 0 {
			leaves = append(leaves, u)
		}
	}
	return leaves
}

// SettingsSchema returns the settings schema that applies in an
// organisation (its own or inherited), with its version; its ETag is
// SettingsSchema.ETag(orgID).
func (s *Service) SettingsSchema(ctx context.Context, c *roster.Caller, orgID string) (*roster.SettingsSchema, error) {
	if _, err := s.findVisibleOrg(ctx, s.store, c, orgID); err != nil {
		return nil, err
	}
	if err := needScope(c, roster.ScopeOrgsRead); err != nil {
		return nil, err
	}
	sch, err := s.store.FindSettingsSchemaVersion(ctx, orgID)
	if roster.ErrorCode(err) == roster.CodeNotFound {
		return nil, roster.Errorf(roster.CodeNotFound, "no settings schema applies to this organisation")
	}
	return sch, err
}

// TagPrecondition is If-Match for a resource whose ETag is not
// "<version>": it reports whether the header accepts the current ETag
// (quoted). nil accepts anything.
type TagPrecondition func(etag string) bool

// checkSchemaPrecondition checks If-Match against the settings schema that
// applies in orgID now (nil: none does, and only no If-Match at all
// passes).
func checkSchemaPrecondition(pre TagPrecondition, cur *roster.SettingsSchema, orgID string) error {
	if pre == nil {
		return nil
	}
	if cur == nil {
		return roster.Errorf(roster.CodePreconditionFailed, "If-Match does not match: no settings schema applies to this organisation yet")
	}
	if tag := cur.ETag(orgID); !pre(tag) {
		return roster.Errorf(roster.CodePreconditionFailed, "If-Match does not match the current settings schema (ETag %s): fetch it again and retry", tag)
	}
	return nil
}

// MaxSettingsSchemaBytes is the largest settings schema accepted: the
// settings it describes are at most roster.MaxSettingsBytes.
const MaxSettingsSchemaBytes = 64 << 10

// PutSettingsSchema registers an organisation's settings schema, when
// pre accepts the ETag of the schema that applies there now, and returns
// it with its new version. A schema equal to the organisation's own
// changes nothing (no new version, no event). Existing users are not
// revalidated: the schema applies to their next write.
func (s *Service) PutSettingsSchema(ctx context.Context, c *roster.Caller, orgID string, doc []byte, pre TagPrecondition) (*roster.SettingsSchema, error) {
	if _, err := s.adminOf(ctx, s.store, c, orgID, "set the settings schema"); err != nil {
		return nil, err
	}
	trimmed := bytes.TrimSpace(doc)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, roster.Invalid(roster.FieldError{Location: "body", Message: "the settings schema must be a JSON Schema object (draft 2020-12)"})
	}
	if len(trimmed) > MaxSettingsSchemaBytes {
		// Compiling is not linear in the schema (a "type" array of
		// 100,000 entries, 570 KB, took over 2 s).
		return nil, roster.Invalid(roster.FieldError{Location: "body", Message: fmt.Sprintf("the settings schema must be at most %d KiB (it is %d bytes)", MaxSettingsSchemaBytes>>10, len(trimmed))})
	}
	if _, err := s.schemas.compile(trimmed); err != nil {
		return nil, roster.Invalid(roster.FieldError{Location: "body", Message: "not a valid JSON Schema (draft 2020-12): " + firstLine(err.Error())})
	}
	var out *roster.SettingsSchema
	err := s.update(ctx, func(tx roster.Tx) error {
		// The organisation's row first, as for every event of it (lockUser).
		if _, err := findOrg(ctx, tx, orgID); err != nil {
			return err
		}
		cur, err := tx.FindSettingsSchemaVersion(ctx, orgID)
		if roster.ErrorCode(err) == roster.CodeNotFound {
			cur, err = nil, nil
		}
		if err != nil {
			return err
		}
		if err := checkSchemaPrecondition(pre, cur, orgID); err != nil {
			return err
		}
		if cur != nil && cur.OrgID == orgID && bytes.Equal(cur.Doc, trimmed) {
			out = cur // a write that changes nothing changes nothing
			return nil
		}
		if err := tx.PutSettingsSchema(orgID, trimmed); err != nil {
			return err
		}
		e, err := newEvent(ctx, c, EventOrgSettingsUpdated, "organization", orgID, orgID, nil, json.RawMessage(trimmed))
		if err != nil {
			return err
		}
		if err := s.appendEvent(tx, e); err != nil {
			return err
		}
		out, err = tx.FindSettingsSchemaVersion(ctx, orgID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
