// SPDX-License-Identifier: Apache-2.0

package service

import (
	"context"
	"slices"
	"strings"

	"github.com/rosterhq/roster"
)

func findOrg(ctx context.Context, r roster.Reader, ref string) (*roster.Organization, error) {
	if !roster.ValidID(roster.PrefixOrg, ref) {
		return nil, notFound("organization")
	}
	o, err := r.FindOrg(ctx, ref)
	return o, asNotFound(err, "organization")
}

// Org returns one organisation.
func (s *Service) Org(ctx context.Context, c *roster.Caller, id string) (*roster.Organization, error) {
	o, err := s.findVisibleOrg(ctx, s.store, c, id)
	if err != nil {
		return nil, err
	}
	return o, needScope(c, roster.ScopeOrgsRead)
}

// findVisibleOrg finds an organisation the caller may see.
func (s *Service) findVisibleOrg(ctx context.Context, r roster.Reader, c *roster.Caller, id string) (*roster.Organization, error) {
	o, err := findOrg(ctx, r, id)
	if err != nil {
		return nil, err
	}
	if ok, err := s.canSeeOrg(ctx, r, c, id); err != nil {
		return nil, err
	} else if !ok {
		return nil, notFound("organization")
	}
	return o, nil
}

// adminOf finds an organisation the caller administers, with the scope
// to change it.
func (s *Service) adminOf(ctx context.Context, r roster.Reader, c *roster.Caller, id, what string) (*roster.Organization, error) {
	o, err := s.findVisibleOrg(ctx, r, c, id)
	if err != nil {
		return nil, err
	}
	if err := needScope(c, roster.ScopeOrgsWrite); err != nil {
		return nil, err
	}
	if err := s.checkAdminAt(ctx, r, c, id, nil, what); err != nil {
		return nil, err
	}
	return o, nil
}

// Orgs returns one page of organisations.
func (s *Service) Orgs(ctx context.Context, c *roster.Caller, f roster.OrgFilter) ([]*roster.Organization, *roster.Cursor, error) {
	if err := needScope(c, roster.ScopeOrgsRead); err != nil {
		return nil, nil, err
	}
	f.Visible = s.visibility(ctx, s.store, c)
	return s.store.FindOrgs(ctx, f)
}

// buildOrg validates in against cur and checks the parent reference.
func buildOrg(ctx context.Context, r roster.Reader, cur *roster.Organization, in *roster.OrgInput) (*roster.Organization, error) {
	if cur != nil && cur.ParentID == "" && in.ParentID != nil && *in.ParentID != "" {
		return nil, roster.Invalid(roster.FieldError{Location: "body.parent_id", Message: "the root organisation has no parent", Value: *in.ParentID})
	}
	o, err := roster.BuildOrg(cur, in)
	if err != nil {
		return nil, err
	}
	if o.ParentID == "" || (cur != nil && o.ParentID == cur.ParentID) {
		return o, nil
	}
	badParent := roster.Invalid(roster.FieldError{Location: "body.parent_id", Message: "parent_id does not name an organisation", Value: o.ParentID})
	if _, err := r.FindOrg(ctx, o.ParentID); roster.ErrorCode(err) == roster.CodeNotFound {
		return nil, badParent
	} else if err != nil {
		return nil, err
	}
	if cur != nil {
		up, err := r.OrgAncestors(ctx, o.ParentID)
		if err != nil {
			return nil, err
		}
		if slices.Contains(up, cur.ID) {
			return nil, roster.Invalid(roster.FieldError{Location: "body.parent_id", Message: "an organisation cannot move below one of its own descendants", Value: o.ParentID})
		}
	}
	return o, nil
}

// CreateOrg creates an organisation; its parent defaults to the caller's.
func (s *Service) CreateOrg(ctx context.Context, c *roster.Caller, in *roster.OrgInput) (*roster.Organization, error) {
	if in.ParentID == nil || *in.ParentID == "" {
		in.ParentID = &c.User.OrganizationID
	}
	if err := needScope(c, roster.ScopeOrgsWrite); err != nil {
		return nil, err
	}
	if err := s.checkParent(ctx, c, *in.ParentID); err != nil {
		return nil, err
	}
	var out *roster.Organization
	err := s.update(ctx, func(tx roster.Tx) error {
		o, err := buildOrg(ctx, tx, nil, in)
		if err != nil {
			return err
		}
		now := tx.Now()
		o.ID, o.CreatedAt, o.UpdatedAt, o.Version = roster.NewID(roster.PrefixOrg), now, now, 1
		if err := tx.CreateOrg(o); err != nil {
			return err
		}
		out = o
		return s.recordOrg(ctx, tx, c, EventOrgCreated, nil, o)
	})
	return out, err
}

// checkParent requires the caller to administer a (new) parent; a parent
// it cannot see is reported like one that does not exist.
func (s *Service) checkParent(ctx context.Context, c *roster.Caller, parentID string) error {
	if !roster.ValidID(roster.PrefixOrg, parentID) {
		return nil // BuildOrg reports the bad id
	}
	if ok, err := s.canSeeOrg(ctx, s.store, c, parentID); err != nil {
		return err
	} else if !ok {
		return roster.Invalid(roster.FieldError{Location: "body.parent_id", Message: "parent_id does not name an organisation", Value: parentID})
	}
	return s.checkAdminAt(ctx, s.store, c, parentID, nil, "create or move organisations under that parent")
}

type orgChange func(r roster.Reader, cur *roster.Organization) (*roster.Organization, error)

// updateOrg is updateUser's counterpart for organisations. Organisation
// writes are rare, so the change is computed inside the transaction. The
// event records reason when the call takes one.
func (s *Service) updateOrg(ctx context.Context, c *roster.Caller, id string, pre Precondition, reason string, change orgChange) (*roster.Organization, error) {
	if _, err := s.adminOf(ctx, s.store, c, id, "change this organisation"); err != nil {
		return nil, err
	}
	var out *roster.Organization
	err := s.update(ctx, func(tx roster.Tx) error {
		cur, err := findOrg(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := pre.check(cur.Version); err != nil {
			return err
		}
		next, err := change(tx, cur)
		if err != nil {
			return err
		}
		if next.ParentID != cur.ParentID {
			if err := s.checkParent(ctx, c, next.ParentID); err != nil {
				return err
			}
		}
		if roster.SameOrgContent(next, cur) {
			out = cur
			return nil
		}
		next.Version, next.UpdatedAt = cur.Version+1, tx.Now()
		if err := tx.UpdateOrg(next); err != nil {
			return err
		}
		out = next
		e, err := orgEvent(ctx, c, EventOrgUpdated, cur, next)
		if err != nil {
			return err
		}
		e.Reason = reason
		return s.appendEvent(tx, e)
	})
	return out, err
}

// ReplaceOrg replaces every writable field of an organisation (PUT).
func (s *Service) ReplaceOrg(ctx context.Context, c *roster.Caller, id string, in *roster.OrgInput, pre Precondition) (*roster.Organization, error) {
	return s.updateOrg(ctx, c, id, pre, "", func(r roster.Reader, cur *roster.Organization) (*roster.Organization, error) {
		return buildOrg(ctx, r, cur, in)
	})
}

// PatchOrg applies a merge patch or JSON Patch to an organisation.
func (s *Service) PatchOrg(ctx context.Context, c *roster.Caller, id, format string, patch []byte, pre Precondition) (*roster.Organization, error) {
	return s.updateOrg(ctx, c, id, pre, "", func(r roster.Reader, cur *roster.Organization) (*roster.Organization, error) {
		doc, err := roster.ApplyPatch(format, document(cur), patch)
		if err != nil {
			return nil, err
		}
		var in roster.OrgInput
		if err := roster.DecodeStrict(doc, &in); err != nil {
			return nil, err
		}
		return buildOrg(ctx, r, cur, &in)
	})
}

// AdjustCredit adds amount (a decimal string, possibly negative) to an
// organisation's credit.
func (s *Service) AdjustCredit(ctx context.Context, c *roster.Caller, id, amount, reason string) (*roster.Organization, error) {
	delta, ok := roster.ParseAmount(amount)
	var fe []roster.FieldError
	if !ok {
		fe = append(fe, roster.FieldError{Location: "body.amount", Message: "amount must be a decimal string such as \"10.50\" or \"-3\" (at most 4 decimals)", Value: amount})
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || len(reason) > 255 {
		fe = append(fe, roster.FieldError{Location: "body.reason", Message: "reason is required (1 to 255 characters)", Value: reason})
	}
	if len(fe) > 0 {
		return nil, roster.Invalid(fe...)
	}
	o, err := s.findVisibleOrg(ctx, s.store, c, id)
	if err != nil {
		return nil, err
	}
	if err := needScope(c, roster.ScopeOrgsWrite); err != nil {
		return nil, err
	}
	// Credit is set from above: by an admin of an ancestor.
	if o.ParentID == "" {
		return nil, forbidden("the root organisation has no credit: credit is set by an admin of an ancestor, and the root has none")
	} else if err := s.checkAdminAt(ctx, s.store, c, o.ParentID, nil, "adjust this organisation's credit"); err != nil {
		return nil, err
	}
	return s.updateOrg(ctx, c, id, nil, reason, func(r roster.Reader, cur *roster.Organization) (*roster.Organization, error) {
		old, ok := roster.ParseAmount(cur.Credit)
		if !ok {
			old, _ = roster.ParseAmount("0")
		}
		next := *cur
		next.Credit = roster.FormatAmount(old.Add(old, delta))
		return &next, nil
	})
}

// DeleteOrg deletes an organisation that has no users and no children,
// and its webhooks with it, each with its webhook.deleted event, in the
// same transaction: a webhook must not outlive its organisation (it
// would be a webhook of no organisation, which nobody below the root
// administers).
func (s *Service) DeleteOrg(ctx context.Context, c *roster.Caller, id string, pre Precondition) error {
	if _, err := s.adminOf(ctx, s.store, c, id, "delete this organisation"); err != nil {
		return err
	}
	hooks := 0
	err := s.update(ctx, func(tx roster.Tx) error {
		cur, err := findOrg(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := pre.check(cur.Version); err != nil {
			return err
		}
		if cur.ParentID == "" {
			return roster.Errorf(roster.CodeConflict, "the root organisation cannot be deleted")
		}
		inUse, err := tx.OrgInUse(ctx, id)
		if err != nil {
			return err
		}
		if inUse {
			return roster.Errorf(roster.CodeConflict, "the organisation still has users or child organisations: move or delete them first")
		}
		if hooks, err = s.deleteOrgWebhooks(ctx, tx, c, id); err != nil {
			return err
		}
		if err := tx.DeleteOrg(id); err != nil {
			return err
		}
		return s.recordOrg(ctx, tx, c, EventOrgDeleted, cur, nil)
	})
	if err == nil {
		s.clientsChanged() // its OAuth clients went with it, and their web origins
	}
	if err == nil && hooks > 0 {
		s.notifyHooks() // their workers stop
	}
	return err
}

// deleteOrgWebhooks deletes the webhooks of an organisation that is
// being deleted in tx, with their deliveries, and records their
// webhook.deleted events. Deleting them takes the webhooks:write scope,
// as deleting each would.
func (s *Service) deleteOrgWebhooks(ctx context.Context, tx roster.Tx, c *roster.Caller, orgID string) (int, error) {
	hooks, _, err := tx.FindWebhooks(ctx, &roster.Visibility{Orgs: []string{orgID}}, roster.Page{}) // all of them
	if err != nil || len(hooks) == 0 {
		return 0, err
	}
	if err := needScope(c, roster.ScopeWebhooksWrite); err != nil {
		return 0, err
	}
	for _, h := range hooks {
		cur, err := tx.FindWebhook(ctx, h.ID) // locks its row before its event is written
		if err != nil {
			return 0, err
		}
		sec, err := s.secretsOrUnreadable(cur) // for the event's masks
		if err != nil {
			return 0, err
		}
		if err := tx.DeleteWebhook(cur.ID); err != nil {
			return 0, err
		}
		if err := s.recordWebhook(ctx, tx, c, EventWebhookDeleted, cur, nil, sec, nil); err != nil {
			return 0, err
		}
	}
	return len(hooks), nil
}
