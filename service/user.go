// SPDX-License-Identifier: Apache-2.0

package service

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/rosterhq/roster"
)

// findVisibleUser resolves ref and hides users the caller may not see.
func (s *Service) findVisibleUser(ctx context.Context, r roster.Reader, c *roster.Caller, ref string) (*roster.User, error) {
	u, err := findUser(ctx, r, c, ref)
	if err != nil {
		return nil, err
	}
	ok, err := s.canSeeUser(ctx, r, c, u)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, notFound("user")
	}
	return u, nil
}

// findUser resolves a user reference: an id, "me", "username:{username}"
// or "external:{organization_id}:{external_id}".
func findUser(ctx context.Context, r roster.Reader, c *roster.Caller, ref string) (*roster.User, error) {
	var u *roster.User
	var err error
	switch {
	case ref == "me":
		u, err = r.FindUser(ctx, c.User.ID)
	case strings.HasPrefix(ref, "username:"):
		name := strings.TrimPrefix(ref, "username:")
		if name == "" || len(name) > 255 {
			return nil, notFound("user")
		}
		u, err = r.FindUserByUsername(ctx, name)
	case strings.HasPrefix(ref, "external:"):
		org, ext, ok := strings.Cut(strings.TrimPrefix(ref, "external:"), ":")
		if !ok || !roster.ValidID(roster.PrefixOrg, org) || ext == "" || len(ext) > 255 {
			return nil, notFound("user")
		}
		u, err = r.FindUserByExternalID(ctx, org, ext)
	case roster.ValidID(roster.PrefixUser, ref):
		u, err = r.FindUser(ctx, ref)
	default:
		return nil, notFound("user")
	}
	return u, asNotFound(err, "user")
}

// User returns the user that ref names.
// The user may be the store's own copy (userViewer): do not modify it.
func (s *Service) User(ctx context.Context, c *roster.Caller, ref string) (*roster.User, error) {
	var r roster.Reader = s.store
	if v, ok := s.store.(userViewer); ok {
		r = viewingReader{s.store, v}
	}
	u, err := s.findVisibleUser(ctx, r, c, ref)
	if err != nil {
		return nil, err
	}
	if u.ID == c.User.ID {
		err = needScope(c, roster.ScopeUsersRead, roster.ScopeUsersWriteSelf)
	} else {
		err = needScope(c, roster.ScopeUsersRead)
	}
	if err != nil {
		return nil, err
	}
	return u, nil
}

// userViewer is a store that can hand out a user without copying it
// (sqlite.DB.ViewUser, from its read cache), for reads that only look.
type userViewer interface {
	ViewUser(ctx context.Context, id string) (*roster.User, error)
}

// viewingReader finds users by id through the store's ViewUser: the users
// it returns must not be modified.
type viewingReader struct {
	roster.Reader
	v userViewer
}

func (r viewingReader) FindUser(ctx context.Context, id string) (*roster.User, error) {
	return r.v.ViewUser(ctx, id)
}

// Users returns one page of users.
func (s *Service) Users(ctx context.Context, c *roster.Caller, f roster.UserFilter) ([]*roster.User, *roster.Cursor, error) {
	if err := needScope(c, roster.ScopeUsersRead); err != nil {
		return nil, nil, err
	}
	f.Visible = s.visibility(ctx, s.store, c)
	return s.store.FindUsers(ctx, f)
}

// QueryUsers returns one page of the users a caller may see that meet a
// query's condition, and their total (SCIM's lists).
func (s *Service) QueryUsers(ctx context.Context, c *roster.Caller, q roster.UserQuery) (*roster.UserPage, error) {
	if err := needScope(c, roster.ScopeUsersRead); err != nil {
		return nil, err
	}
	v := s.visibility(ctx, s.store, c)
	covered, err := s.withinSubtrees(ctx, v, q.OrganizationID)
	if err != nil {
		return nil, err
	}
	if !covered {
		q.Visible = v
	}
	return s.store.QueryUsers(ctx, q)
}

// withinSubtrees reports whether an organisation lies in one of the
// subtrees a visibility covers (nil covers all). Then every user at home
// below it is visible, because every user has a membership, with a role,
// in its home organisation (setHomeMembership), and a query need not
// check each user's memberships: that check made SQLite read every
// member's row twice per page of a SCIM list.
func (s *Service) withinSubtrees(ctx context.Context, v *roster.Visibility, orgID string) (bool, error) {
	if v == nil || slices.Contains(v.Subtrees, orgID) {
		return true, nil // no read: a SCIM list asks about its own organisation
	}
	up, err := s.store.OrgAncestors(ctx, orgID)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(append(up, orgID), func(id string) bool { return slices.Contains(v.Subtrees, id) }), nil
}

// buildUser validates in against cur (nil for a creation) and checks the
// references it makes to other records.
func (s *Service) buildUser(ctx context.Context, r roster.Reader, cur *roster.User, in *roster.UserInput, defaultOrg string) (*roster.User, error) {
	orgID := defaultOrg
	if cur != nil {
		orgID = cur.OrganizationID
	}
	if in.OrganizationID != nil && *in.OrganizationID != "" {
		orgID = *in.OrganizationID
	}
	org, err := r.FindOrg(ctx, orgID)
	if roster.ErrorCode(err) == roster.CodeNotFound || !roster.ValidID(roster.PrefixOrg, orgID) {
		return nil, roster.Invalid(roster.FieldError{Location: "body.organization_id", Message: "organization_id does not name an organisation", Value: orgID})
	} else if err != nil {
		return nil, err
	}
	if in.SettingsFromXML && in.Settings != nil {
		var stored json.RawMessage
		if cur != nil {
			stored = cur.Settings
		}
		typed := *in
		if typed.Settings, err = s.typeXMLSettings(ctx, r, orgID, stored, in.Settings); err != nil {
			return nil, err
		}
		in = &typed
	}
	u, err := roster.BuildUser(cur, in, org)
	if err != nil {
		return nil, err
	}
	if u.ManagerID != "" && (cur == nil || u.ManagerID != cur.ManagerID) {
		if _, err := r.FindUser(ctx, u.ManagerID); roster.ErrorCode(err) == roster.CodeNotFound {
			return nil, roster.Invalid(roster.FieldError{Location: "body.manager_id", Message: "manager_id does not name a user", Value: u.ManagerID})
		} else if err != nil {
			return nil, err
		}
	}
	if cur == nil || string(u.Settings) != string(cur.Settings) || u.OrganizationID != cur.OrganizationID {
		if err := s.checkSettings(ctx, r, u); err != nil {
			return nil, err
		}
	}
	setHomeMembership(u, cur)
	return u, nil
}

// setHomeMembership keeps the membership of the home organisation in step
// with the user's organisation and roles.
func setHomeMembership(u, cur *roster.User) {
	ms := []roster.Membership{{OrganizationID: u.OrganizationID, Roles: u.Roles}}
	if cur != nil {
		for _, m := range cur.Memberships {
			if m.OrganizationID != cur.OrganizationID && m.OrganizationID != u.OrganizationID {
				ms = append(ms, m)
			}
		}
	}
	u.Memberships = ms
}

// CreateUser creates a user from in.
func (s *Service) CreateUser(ctx context.Context, c *roster.Caller, in *roster.UserInput) (*roster.User, error) {
	return s.createUser(ctx, c, in, importedUser{})
}

// importedUser is what an import line brings beside the user's fields:
// its id, its creation time, its password hash and its tags' ids by
// lower-case name (each may be empty).
type importedUser struct {
	id, passwordHash string
	createdAt        time.Time
	tagIDs           map[string]string
}

// createUser creates a user from in, with the id and creation time given
// (an import's) or new ones, and with a password hash (an import's)
// stored in the same transaction.
func (s *Service) createUser(ctx context.Context, c *roster.Caller, in *roster.UserInput, imp importedUser) (*roster.User, error) {
	// Validation runs outside the write transaction; the store's unique
	// indexes and foreign keys settle what may have changed meanwhile.
	if err := needScope(c, roster.ScopeUsersWriteAll); err != nil {
		return nil, err
	}
	if in.OrganizationID != nil && *in.OrganizationID != "" && roster.ValidID(roster.PrefixOrg, *in.OrganizationID) {
		if ok, err := s.canSeeOrg(ctx, s.store, c, *in.OrganizationID); err != nil {
			return nil, err
		} else if !ok {
			return nil, roster.Invalid(roster.FieldError{Location: "body.organization_id", Message: "organization_id does not name an organisation", Value: *in.OrganizationID})
		}
	}
	u, err := s.buildUser(ctx, s.store, nil, in, c.User.OrganizationID)
	if err != nil {
		return nil, err
	}
	for i, t := range u.Tags {
		if id := imp.tagIDs[strings.ToLower(t.Name)]; id != "" {
			u.Tags[i].ID = id
		}
	}
	if err := s.checkUserChange(ctx, s.store, c, nil, u); err != nil {
		return nil, err
	}
	var out *roster.User
	err = s.update(ctx, func(tx roster.Tx) error {
		now := tx.Now()
		u.ID, u.CreatedAt, u.UpdatedAt, u.Version = imp.id, now, now, 1
		if imp.id == "" {
			u.ID = roster.NewID(roster.PrefixUser)
		}
		if !imp.createdAt.IsZero() {
			u.CreatedAt = imp.createdAt
		}
		if err := tx.CreateUser(u); err != nil {
			return err
		}
		if imp.passwordHash != "" {
			if err := tx.PutPasswordHash(u.ID, imp.passwordHash); err != nil {
				return err
			}
		}
		out = u
		if err := s.recordUser(ctx, tx, c, EventUserCreated, nil, u); err != nil {
			return err
		}
		if in.SendInvite != nil && *in.SendInvite {
			return s.queueInvite(ctx, tx, u) // invite.go
		}
		return nil
	})
	return out, err
}

// userChange computes the new state of a user from its current state,
// reading what it needs through r.
type userChange func(r roster.Reader, cur *roster.User) (*roster.User, error)

// updateUser applies change to the user ref names. The change is computed
// first from a snapshot outside the write transaction (so validation does
// not hold up the writer) and again inside it only if the user changed
// meanwhile. A change that changes nothing writes nothing and returns the
// user as it is.
func (s *Service) updateUser(ctx context.Context, c *roster.Caller, ref string, pre Precondition, change userChange) (*roster.User, error) {
	typ := EventUserUpdated
	return s.updateUserAs(ctx, c, ref, pre, &typ, change)
}

// updateUserAs is updateUser recording an event of the given type.
// The change may set *typ.
func (s *Service) updateUserAs(ctx context.Context, c *roster.Caller, ref string, pre Precondition, typ *string, change userChange) (*roster.User, error) {
	snap, err := s.findVisibleUser(ctx, s.store, c, ref)
	if err != nil {
		return nil, err
	}
	if err := pre.check(snap.Version); err != nil {
		return nil, err
	}
	next, err := change(s.store, snap)
	if err != nil {
		return nil, err
	}
	if err := s.checkUserChange(ctx, s.store, c, snap, next); err != nil {
		return nil, err
	}
	same := roster.SameContent(next, snap)
	// The event's previous form and patch are computed here, outside the
	// writer; inside, only updated_at is filled in (unless the user
	// changed meanwhile and everything is computed again).
	var draft *roster.Event
	if !same {
		d := *next // userEvent only reads it: no deep copy
		d.Version, d.UpdatedAt = snap.Version+1, snap.UpdatedAt
		if draft, err = userEvent(ctx, c, *typ, snap, &d); err != nil {
			return nil, err
		}
	}
	var out *roster.User
	err = s.update(ctx, func(tx roster.Tx) error {
		cur, err := lockUser(ctx, tx, snap.ID)
		if err != nil {
			return err
		}
		if err := pre.check(cur.Version); err != nil {
			return err
		}
		next, same, draft := next, same, draft
		if cur.Version != snap.Version {
			draft = nil
			if next, err = change(tx, cur); err != nil {
				return err
			}
			if err := s.checkUserChange(ctx, tx, c, cur, next); err != nil {
				return err
			}
			same = roster.SameContent(next, cur)
		}
		if same {
			out = cur
			return nil
		}
		next.Version, next.UpdatedAt = cur.Version+1, tx.Now()
		if err := tx.UpdateUser(next); err != nil {
			return err
		}
		out = next
		if draft == nil {
			return s.recordUser(ctx, tx, c, *typ, cur, next)
		}
		e, err := finishDraft(draft, next)
		if err != nil {
			return err
		}
		return s.appendEvent(tx, e)
	})
	return out, err
}

// lockUser reads a user in tx, which locks its row on engines with row
// locks. A transaction that writes a user event calls it before any other
// write: on PostgreSQL an event's place in the feed comes from its
// transaction's id, handed out at the first write or lock, so a
// transaction that wrote something else first could be placed before a
// change of the same user that committed while it waited for the row
// (and the store then has to run it again; see postgres/event.go).
func lockUser(ctx context.Context, tx roster.Tx, id string) (*roster.User, error) {
	u, err := tx.FindUser(ctx, id)
	return u, asNotFound(err, "user")
}

// ReplaceUser replaces every writable field of a user (PUT).
func (s *Service) ReplaceUser(ctx context.Context, c *roster.Caller, ref string, in *roster.UserInput, pre Precondition) (*roster.User, error) {
	return s.updateUser(ctx, c, ref, pre, func(r roster.Reader, cur *roster.User) (*roster.User, error) {
		return s.buildUser(ctx, r, cur, in, "")
	})
}

// PatchUser applies a merge patch or JSON Patch to a user's API form and
// stores the result under the same rules as ReplaceUser.
func (s *Service) PatchUser(ctx context.Context, c *roster.Caller, ref, format string, patch []byte, pre Precondition) (*roster.User, error) {
	fromXML := format == roster.XMLMergePatch
	if fromXML {
		format = roster.MergePatch
	}
	return s.updateUser(ctx, c, ref, pre, func(r roster.Reader, cur *roster.User) (*roster.User, error) {
		in, err := patchedInput(format, cur, patch)
		if err != nil {
			return nil, err
		}
		in.SettingsFromXML = fromXML
		return s.buildUser(ctx, r, cur, in, "")
	})
}

// patchedInput applies patch to cur's API form and reads the result back
// strictly as a UserInput. A merge patch of top-level scalars (most
// PATCHes) is applied to the fields directly; roster.MergeUserPatch says
// which, and gives the same input.
func patchedInput(format string, cur *roster.User, patch []byte) (*roster.UserInput, error) {
	if format == roster.MergePatch {
		if in, ok := roster.MergeUserPatch(cur, patch); ok {
			return in, nil
		}
	}
	doc, err := roster.ApplyPatch(format, document(cur.Document()), patch)
	if err != nil {
		return nil, err
	}
	var in roster.UserInput
	if err := roster.DecodeStrict(doc, &in); err != nil {
		return nil, err
	}
	return &in, nil
}

// AddTags adds tags to a user; a name it already has is not added twice.
func (s *Service) AddTags(ctx context.Context, c *roster.Caller, ref string, tags []roster.Tag, pre Precondition) (*roster.User, error) {
	if len(tags) == 0 {
		return nil, roster.Invalid(roster.FieldError{Location: "body.tags", Message: "tags must list at least one tag"})
	}
	return s.updateUser(ctx, c, ref, pre, func(r roster.Reader, cur *roster.User) (*roster.User, error) {
		u := cur.Clone()
		return u, roster.AddTags(u, tags)
	})
}

// RemoveTag removes one tag from a user.
func (s *Service) RemoveTag(ctx context.Context, c *roster.Caller, ref, tagID string, pre Precondition) (*roster.User, error) {
	return s.updateUser(ctx, c, ref, pre, func(r roster.Reader, cur *roster.User) (*roster.User, error) {
		u := cur.Clone()
		i := slices.IndexFunc(u.Tags, func(t roster.Tag) bool { return t.ID == tagID })
		if i < 0 {
			return nil, notFound("tag")
		}
		u.Tags = slices.Delete(u.Tags, i, i+1)
		return u, nil
	})
}

// DeleteUser deletes a user.
func (s *Service) DeleteUser(ctx context.Context, c *roster.Caller, ref string, pre Precondition) error {
	snap, err := s.findVisibleUser(ctx, s.store, c, ref)
	if err != nil {
		return err
	}
	const what = "delete this user"
	if err := s.actOnUser(ctx, s.store, c, snap, what); err != nil {
		return err
	}
	if err := needScope(c, roster.ScopeUsersWriteAll); err != nil {
		return err
	}
	if snap.ID == c.User.ID {
		return roster.Errorf(roster.CodeConflict, "a user cannot delete itself: ask another administrator")
	}
	return s.update(ctx, func(tx roster.Tx) error {
		cur, err := lockUser(ctx, tx, snap.ID)
		if err != nil {
			return err
		}
		if err := pre.check(cur.Version); err != nil {
			return err
		}
		if err := s.recheckUser(ctx, tx, c, snap, cur, what); err != nil {
			return err
		}
		if err := tx.DeleteUser(cur.ID); err != nil {
			return err
		}
		return s.recordUser(ctx, tx, c, EventUserDeleted, cur, nil)
	})
}
