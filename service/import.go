// SPDX-License-Identifier: Apache-2.0

package service

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/passhash"
)

// Importing users (PRODUCT.md section 12): one line of an NDJSON file at a
// time, each a user in the API's JSON form plus an optional write-only
// password_hash. A line is matched to an existing user by its email,
// external_id or id (the request says which) and then:
//
//   - no match: the user is created as by POST /v1/users (with the line's
//     id, its tags' ids and its created_at when it has them, so that an
//     export imported into an empty Roster keeps its ids), and its
//     password hash is stored in the same transaction;
//   - a match: the line is applied as a JSON merge patch to the user, as
//     by PATCH /v1/users/{id}: the fields it gives replace the user's,
//     the fields it leaves out are KEPT (what people migrating users
//     expect: a file of names and emails does not wipe everyone's
//     preferences), and null resets one. Read-only fields follow PATCH's
//     rule (email and username may be echoed, not changed).
//
// The fields an export carries that only the server sets (version,
// updated_at, email_verified, mfa_enabled, memberships and _links) are
// ignored, so that an export imports anywhere; created_at too, except
// that a line that creates its user keeps it (not a time to come): a
// migrated user keeps its age, and an export imported elsewhere lists in
// the same order. Every rule of a
// create or a PATCH holds per line (validation, references, the rank
// rule, scopes): they are the same code. A password_hash for an existing
// user is an administrator setting its password (actOnUser: an owner's
// call for admins and owners), checked before anything of the line is
// written; it is stored in a transaction of its own after the user's
// change, with a user.password_changed event, when the user has no
// password or an imported one that differs: an argon2id password (set in
// Roster, or an imported hash upgraded at sign-in) is never replaced by a
// file, so running a file again cannot undo a password change. A line that changes nothing
// answers "unchanged" and writes nothing: no version, no event.

// Import match modes.
const (
	MatchEmail      = "email"
	MatchExternalID = "external_id"
	MatchID         = "id"
)

// ImportOutcome says what an import line did.
type ImportOutcome string

// Import outcomes.
const (
	ImportCreated   ImportOutcome = "created"
	ImportUpdated   ImportOutcome = "updated"
	ImportUnchanged ImportOutcome = "unchanged"
)

// importIgnored are the fields of a user's API form that only the server
// sets: an import line may carry them (an export does) and they are
// ignored.
var importIgnored = []string{"version", "created_at", "updated_at", "email_verified", "mfa_enabled", "memberships", "_links"}

// CanImport refuses a caller whose token lacks users:write:all, before
// any line is read.
func (s *Service) CanImport(c *roster.Caller) error {
	return needScope(c, roster.ScopeUsersWriteAll)
}

// ImportUser imports one line. The error is the line's problem.
func (s *Service) ImportUser(ctx context.Context, c *roster.Caller, match string, line []byte) (ImportOutcome, *roster.User, error) {
	if err := needScope(c, roster.ScopeUsersWriteAll); err != nil {
		return "", nil, err
	}
	if err := roster.CheckJSON(line); err != nil {
		return "", nil, err
	}
	var fields map[string]json.RawMessage
	if err := roster.DecodeStrict(line, &fields); err != nil {
		return "", nil, err
	}
	if fields == nil {
		return "", nil, roster.Errorf(roster.CodeMalformed, "the line is not valid JSON: each line must be a JSON object (a user)")
	}
	hash, err := importedHash(fields["password_hash"])
	if err != nil {
		return "", nil, err
	}
	created, err := importedCreatedAt(fields["created_at"], time.Now())
	if err != nil {
		return "", nil, err
	}
	delete(fields, "password_hash")
	for _, k := range importIgnored {
		delete(fields, k)
	}
	patch, err := json.Marshal(fields)
	if err != nil {
		return "", nil, err
	}
	var in roster.UserInput
	if err := roster.DecodeStrict(patch, &in); err != nil {
		return "", nil, err
	}
	cur, err := s.matchUser(ctx, c, match, &in)
	if err != nil {
		return "", nil, err
	}
	if cur == nil {
		u, err := s.importCreate(ctx, c, in, hash, created)
		if roster.ErrorCode(err) != roster.CodeConflict {
			if err != nil {
				return "", nil, err
			}
			return ImportCreated, u, nil
		}
		// Created since it was matched: by this same line in an import
		// still running (a client interrupted and run again at once), or
		// by anyone. Matched again, the line updates it; a conflict with
		// another user stands.
		if cur, _ = s.matchUser(ctx, c, match, &in); cur == nil {
			return "", nil, err
		}
	}
	if hash != "" {
		// Checked before the user's change, so that a line refused for
		// its password changes nothing.
		if err := s.actOnUser(ctx, s.store, c, cur, "set this user's password"); err != nil {
			return "", nil, err
		}
	}
	u, err := s.PatchUser(ctx, c, cur.ID, roster.MergePatch, patch, nil)
	if err != nil {
		return "", nil, err
	}
	out := ImportUnchanged
	if u.Version != cur.Version {
		out = ImportUpdated
	}
	if hash != "" {
		changed, err := s.importPassword(ctx, c, u, hash)
		if err != nil {
			return "", nil, err
		}
		if changed {
			out = ImportUpdated
		}
	}
	return out, u, nil
}

// importCreate creates the user of a line that matched none, with the
// line's id (when it has one and it is free), creation time, tags' ids
// and password hash.
func (s *Service) importCreate(ctx context.Context, c *roster.Caller, in roster.UserInput, hash string, created time.Time) (*roster.User, error) {
	id := ""
	if in.ID != nil && *in.ID != "" {
		if !roster.ValidID(roster.PrefixUser, *in.ID) {
			return nil, roster.Invalid(roster.FieldError{Location: "body.id", Message: "id must be a user id (usr_…)", Value: *in.ID})
		}
		if _, err := s.store.FindUser(ctx, *in.ID); err == nil {
			return nil, roster.Errorf(roster.CodeConflict, "id %s is taken: match by id (?match=id) to update that user", *in.ID)
		} else if roster.ErrorCode(err) != roster.CodeNotFound {
			return nil, err
		}
		id = *in.ID
	}
	in.ID = nil
	return s.createUser(ctx, c, &in, importedUser{id: id, passwordHash: hash, createdAt: created, tagIDs: importedTagIDs(&in)})
}

// importedTagIDs takes the tag ids off a line that creates its user
// (tag ids are otherwise the server's to assign), so that an export
// imported elsewhere keeps them; an id that is not a tag id stays, for
// BuildUser to refuse.
func importedTagIDs(in *roster.UserInput) map[string]string {
	ids := map[string]string{}
	in.Tags = slices.Clone(in.Tags) // the caller's line keeps its ids
	for i, t := range in.Tags {
		if roster.ValidID(roster.PrefixTag, t.ID) {
			ids[strings.ToLower(strings.TrimSpace(t.Name))] = t.ID
			in.Tags[i].ID = ""
		}
	}
	return ids
}

// importedCreatedAt reads a line's created_at: an RFC 3339 time, not
// after now (the zero time when there is none).
func importedCreatedAt(raw json.RawMessage, now time.Time) (time.Time, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return time.Time{}, nil
	}
	var t time.Time
	if err := json.Unmarshal(raw, &t); err != nil || t.After(now) {
		return time.Time{}, roster.Invalid(roster.FieldError{Location: "body.created_at", Message: "created_at must be an RFC 3339 time, not after now", Value: string(raw)})
	}
	// The stores keep microseconds.
	return t.UTC().Truncate(time.Microsecond), nil
}

// importedHash reads a line's password_hash: a string in one of the forms
// passhash.Import accepts, or a Keycloak credential object.
func importedHash(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var text string
	switch raw[0] {
	case '"':
		if err := json.Unmarshal(raw, &text); err != nil {
			return "", err
		}
	case '{':
		text = string(raw)
	default:
		return "", roster.Invalid(roster.FieldError{Location: "body.password_hash", Message: "password_hash must be a string (a bcrypt, argon2, PBKDF2 or scrypt hash) or a Keycloak credential object"})
	}
	stored, err := passhash.Import(text)
	if err != nil {
		// The message never repeats the hash, and no value is shown.
		return "", roster.Invalid(roster.FieldError{Location: "body.password_hash", Message: err.Error()})
	}
	return stored, nil
}

// matchUser finds the user a line names by the match field, among those
// the caller may see (nil when there is none: the line creates one).
func (s *Service) matchUser(ctx context.Context, c *roster.Caller, match string, in *roster.UserInput) (*roster.User, error) {
	var u *roster.User
	var err error
	switch match {
	case MatchEmail, "":
		if in.Email == nil || *in.Email == "" {
			return nil, roster.Invalid(roster.FieldError{Location: "body.email", Message: "email is required: lines are matched by email (?match=email)"})
		}
		u, err = s.store.FindUserByEmail(ctx, *in.Email)
	case MatchExternalID:
		if in.ExternalID == nil || strings.TrimSpace(*in.ExternalID) == "" {
			return nil, roster.Invalid(roster.FieldError{Location: "body.external_id", Message: "external_id is required: lines are matched by external_id (?match=external_id)"})
		}
		org := c.User.OrganizationID
		if in.OrganizationID != nil && *in.OrganizationID != "" {
			org = *in.OrganizationID
		}
		if !roster.ValidID(roster.PrefixOrg, org) {
			return nil, nil // BuildUser names the field
		}
		u, err = s.store.FindUserByExternalID(ctx, org, strings.TrimSpace(*in.ExternalID))
	case MatchID:
		if in.ID == nil || *in.ID == "" {
			return nil, roster.Invalid(roster.FieldError{Location: "body.id", Message: "id is required: lines are matched by id (?match=id)"})
		}
		if !roster.ValidID(roster.PrefixUser, *in.ID) {
			return nil, roster.Invalid(roster.FieldError{Location: "body.id", Message: "id must be a user id (usr_…)", Value: *in.ID})
		}
		u, err = s.store.FindUser(ctx, *in.ID)
	default:
		return nil, roster.Errorf(roster.CodeMalformed, "match must be email, external_id or id")
	}
	if roster.ErrorCode(err) == roster.CodeNotFound {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	// A user the caller may not see is no match: the line is a creation,
	// which the store's unique keys refuse as POST /v1/users would.
	if ok, err := s.canSeeUser(ctx, s.store, c, u); err != nil || !ok {
		return nil, err
	}
	return u, nil
}

// importPassword stores an imported hash for an existing user that has
// no password yet or an imported one that differs, with a
// user.password_changed event. It reports whether it changed anything.
func (s *Service) importPassword(ctx context.Context, c *roster.Caller, u *roster.User, hash string) (bool, error) {
	changed := false
	err := s.update(ctx, func(tx roster.Tx) error {
		changed = false
		cur, err := lockUser(ctx, tx, u.ID)
		if err != nil {
			return err
		}
		if err := s.recheckUser(ctx, tx, c, u, cur, "set this user's password"); err != nil {
			return err
		}
		old, err := tx.FindPasswordHash(ctx, cur.ID)
		if err != nil && roster.ErrorCode(err) != roster.CodeNotFound {
			return err
		}
		// A password set in Roster, or upgraded to argon2id at a sign-in,
		// is newer than any file: it is kept, so that running a file
		// again never puts back a password its user has since changed.
		if old == hash || strings.HasPrefix(old, "$argon2id$") {
			return nil
		}
		if err := tx.PutPasswordHash(cur.ID, hash); err != nil {
			return err
		}
		changed = true
		return s.recordUser(ctx, tx, c, EventUserPasswordChanged, cur, cur)
	})
	return changed, err
}
