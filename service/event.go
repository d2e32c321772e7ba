// SPDX-License-Identifier: Apache-2.0

package service

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rosterhq/roster"
)

// Event types.
const (
	EventUserCreated         = "user.created"
	EventUserUpdated         = "user.updated"
	EventUserDeleted         = "user.deleted"
	EventOrgCreated          = "org.created"
	EventOrgUpdated          = "org.updated"
	EventOrgDeleted          = "org.deleted"
	EventMembershipCreated   = "membership.created"
	EventMembershipUpdated   = "membership.updated"
	EventMembershipDeleted   = "membership.deleted"
	EventOrgSettingsUpdated  = "org.settings_schema_updated"
	EventUserLockoutLifted   = "user.lockout_lifted"
	EventAPIKeyCreated       = "api_key.created"
	EventAPIKeyDeleted       = "api_key.deleted"
	EventClientCreated       = "oauth_client.created"
	EventClientUpdated       = "oauth_client.updated"
	EventClientSecretRotated = "oauth_client.secret_rotated"
	EventClientDeleted       = "oauth_client.deleted"
)

// newEvent describes a change from before to after (either may be nil),
// computing the documents and the JSON Patch outside any transaction.
// stamp gives it an id and a time inside the transaction that writes it.
func newEvent(ctx context.Context, c *roster.Caller, typ, resType, id, orgID string, before, after any) (*roster.Event, error) {
	info := roster.RequestInfoFrom(ctx)
	e := &roster.Event{Type: typ, RequestID: info.ID, ClientIP: info.ClientIP, Resource: roster.ResourceRef{Type: resType, ID: id}, OrgID: orgID}
	if c != nil {
		e.Actor = roster.Actor{UserID: c.User.ID, KeyID: c.KeyID, ClientID: c.ClientID, ImpersonatorID: c.ImpersonatorID}
	}
	prev, data := []byte("null"), []byte("null")
	var err error
	if before != nil {
		if prev, err = json.Marshal(before); err != nil {
			return nil, err
		}
		e.Previous = prev
	}
	if after != nil {
		if data, err = json.Marshal(after); err != nil {
			return nil, err
		}
		e.Data = data
	}
	if before == nil {
		// Creations run inside the writer: skip jsondiff.
		e.Patch = roster.CreationPatch(data)
		return e, nil
	}
	patch, err := diffDocuments(prev, data)
	if err != nil {
		return nil, err
	}
	if e.Patch, err = json.Marshal(patch); err != nil {
		return nil, err
	}
	if string(e.Patch) == "null" {
		e.Patch = json.RawMessage(`[]`)
	}
	return e, nil
}

// unmarshalNumbers decodes numbers as json.Number, as written: a number
// no float64 holds (stored before input refused such numbers) would
// otherwise fail the event, and with it every later change of its
// resource.
func unmarshalNumbers(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(v)
}

// appendEvent stamps e and writes it in tx.
func (s *Service) appendEvent(tx roster.Tx, e *roster.Event) error {
	e.ID, e.OccurredAt = roster.NewID(roster.PrefixEvent), tx.Now()
	if err := tx.AppendEvent(e); err != nil {
		return err
	}
	if s.hooks != nil {
		s.recent.add(e)
	}
	return nil
}

// finishDraft completes an event drafted before the transaction, whose
// patch lacks only the change of updated_at.
func finishDraft(draft *roster.Event, next *roster.User) (*roster.Event, error) {
	e := *draft
	data, err := json.Marshal(next.Document())
	if err != nil {
		return nil, err
	}
	at, err := json.Marshal(next.UpdatedAt)
	if err != nil {
		return nil, err
	}
	op := `{"op":"replace","path":"/updated_at","value":` + string(at) + `}]`
	patch := bytes.TrimSuffix(bytes.TrimSpace(draft.Patch), []byte("]"))
	if len(bytes.TrimSpace(patch)) > 1 {
		op = "," + op
	}
	e.Data, e.Patch = data, append(slices.Clone(patch), op...)
	return &e, nil
}

// recordUser writes the event of a user change in tx.
func (s *Service) recordUser(ctx context.Context, tx roster.Tx, c *roster.Caller, typ string, before, after *roster.User) error {
	e, err := userEvent(ctx, c, typ, before, after)
	if err != nil {
		return err
	}
	return s.appendEvent(tx, e)
}

// recordOrg writes the event of an organisation change in tx.
func (s *Service) recordOrg(ctx context.Context, tx roster.Tx, c *roster.Caller, typ string, before, after *roster.Organization) error {
	e, err := orgEvent(ctx, c, typ, before, after)
	if err != nil {
		return err
	}
	return s.appendEvent(tx, e)
}

// recordCredential writes the event of an API key, OAuth client, browser
// session or consent change (resType "api_key", "oauth_client",
// "session" or "consent") in tx. before and after hold no secret: their
// hashes are not part of their JSON form. orgID is the key's (session's,
// consent's) user's organisation, or the client's.
func (s *Service) recordCredential(ctx context.Context, tx roster.Tx, c *roster.Caller, typ, resType, id, orgID string, before, after any) error {
	e, err := newEvent(ctx, c, typ, resType, id, orgID, before, after)
	if err != nil {
		return err
	}
	return s.appendEvent(tx, e)
}

// userEvent is newEvent for a user, in its API form. A membership's
// event belongs to the membership's organisation (its admins, and
// webhooks for its subtree, get it), not to the user's home.
func userEvent(ctx context.Context, c *roster.Caller, typ string, before, after *roster.User) (*roster.Event, error) {
	var b, a any
	id, org := "", ""
	if before != nil {
		b, id, org = before.Document(), before.ID, before.OrganizationID
	}
	if after != nil {
		a, id, org = after.Document(), after.ID, after.OrganizationID
	}
	if strings.HasPrefix(typ, "membership.") && before != nil && after != nil {
		if m := changedMembership(before.Memberships, after.Memberships); m != "" {
			org = m
		}
	}
	return newEvent(ctx, c, typ, "user", id, org, b, a)
}

// changedMembership returns the organisation of the first membership
// added, removed or changed between two lists ("" when none).
func changedMembership(before, after []roster.Membership) string {
	in := func(ms []roster.Membership, m roster.Membership) int {
		return slices.IndexFunc(ms, func(x roster.Membership) bool { return x.OrganizationID == m.OrganizationID })
	}
	for _, m := range after {
		if i := in(before, m); i < 0 || !slices.Equal(before[i].Roles, m.Roles) {
			return m.OrganizationID
		}
	}
	for _, m := range before {
		if in(after, m) < 0 {
			return m.OrganizationID
		}
	}
	return ""
}

// orgEvent is newEvent for an organisation.
func orgEvent(ctx context.Context, c *roster.Caller, typ string, before, after *roster.Organization) (*roster.Event, error) {
	var b, a any
	id := ""
	if before != nil {
		b, id = before, before.ID
	}
	if after != nil {
		a, id = after, after.ID
	}
	return newEvent(ctx, c, typ, "organization", id, id, b, a)
}

// feed wakes long-polling readers of the event feed when events commit.
type feed struct {
	mu sync.Mutex
	ch chan struct{}
}

// wake tells every waiting reader that new events may be there.
func (f *feed) wake() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ch != nil {
		close(f.ch)
		f.ch = nil
	}
}

// changed returns a channel closed at the next wake.
func (f *feed) changed() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ch == nil {
		f.ch = make(chan struct{})
	}
	return f.ch
}

// update runs fn in a write transaction and wakes the feed after it commits.
func (s *Service) update(ctx context.Context, fn func(roster.Tx) error) error {
	if leave, ok := ctx.Value(preparingKey{}).(func()); ok {
		leave()
	}
	err := s.store.Update(ctx, fn)
	if err == nil {
		s.feed.wake()
	}
	return err
}

// MaxWait is the longest long-poll of the event feed.
const MaxWait = 60 * time.Second

// Events returns the events after the one with id after ("" from the
// start) that the caller may see, waiting up to wait for the first one.
func (s *Service) Events(ctx context.Context, c *roster.Caller, after string, types []string, limit int, wait time.Duration) ([]*roster.Event, error) {
	if err := needScope(c, roster.ScopeEventsRead); err != nil {
		return nil, err
	}
	f := roster.EventFilter{Types: types, Limit: limit, Visible: s.visibility(ctx, s.store, c)}
	s.restrict(ctx, c, &f)
	var err error
	if f.After, err = s.feedAfter(ctx, after); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(min(wait, MaxWait))
	for {
		changed := s.feed.changed()
		found, err := s.store.FindEvents(ctx, f)
		if err != nil {
			return nil, err
		}
		if len(found) > 0 || !time.Now().Before(deadline) {
			out := make([]*roster.Event, len(found))
			for i, e := range found {
				out[i] = e.Event
			}
			return out, nil
		}
		// Wake on a local commit, or poll each second for other nodes'.
		t := time.NewTimer(min(time.Until(deadline), time.Second))
		select {
		case <-changed:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
		t.Stop()
	}
}

// feedAfter returns the position after which the feed is read: after the
// event after, or from the feed's start. An event that has passed the
// retention is gone (410): the consumer must read the feed again from its
// start, since the changes in between are no longer there to catch up on.
func (s *Service) feedAfter(ctx context.Context, after string) (int64, error) {
	start, err := s.store.FeedStart(ctx)
	if err != nil || after == "" {
		return start, err
	}
	seq, err := s.store.EventSeq(ctx, after)
	switch {
	case err == nil && seq > start:
		return seq, nil
	case err == nil:
		return 0, goneFromFeed(after)
	case roster.ErrorCode(err) != roster.CodeNotFound:
		return 0, err
	case !roster.ValidID(roster.PrefixEvent, after):
	default:
		if purged, err := s.purgedEvent(ctx, after, start); err != nil || purged {
			return 0, cmp.Or(err, goneFromFeed(after))
		}
	}
	return 0, &roster.Error{Code: roster.CodeMalformed, Message: "after is not a known event id",
		Fields: []roster.FieldError{{Location: "query.after", Message: "after must be the id of an event from this feed", Value: after}}}
}

// purgedEvent reports whether an unknown event id is one the retention
// deleted: some events have expired, and it is older than the oldest
// event left, or than now when none is left (ids hold their creation
// time, and sort by it).
func (s *Service) purgedEvent(ctx context.Context, id string, start int64) (bool, error) {
	if start == 0 {
		return false, nil
	}
	oldest, err := s.store.FindEvents(ctx, roster.EventFilter{Limit: 1, Bare: true})
	if err != nil {
		return false, err
	}
	if len(oldest) == 0 {
		made, ok := roster.IDTime(id)
		return ok && made.Before(time.Now()), nil
	}
	return id < oldest[0].Event.ID, nil
}

func goneFromFeed(after string) error {
	return &roster.Error{Code: roster.CodeGone, Message: "after names an event older than the feed keeps (--event-retention): read the feed again from its start, without after, and reconcile what changed since",
		Fields: []roster.FieldError{{Location: "query.after", Message: "the event has passed the feed's retention", Value: after}}}
}

// AuditEvents returns audit entries (events with their client address)
// for what the caller administers.
func (s *Service) AuditEvents(ctx context.Context, c *roster.Caller, f roster.EventFilter) ([]roster.StoredEvent, error) {
	if err := needScope(c, roster.ScopeAuditRead); err != nil {
		return nil, err
	}
	v := &roster.Visibility{Self: "-", Subtrees: []string{}, Orgs: []string{}}
	for _, m := range c.User.Memberships {
		if roster.TopRank(m.Roles) >= roster.RankAdmin {
			if m.OrganizationID == s.rootOrg(ctx, s.store, m.OrganizationID) {
				v = nil
				break
			}
			v.Subtrees = append(v.Subtrees, m.OrganizationID)
		}
	}
	if v != nil && len(v.Subtrees) == 0 {
		return nil, forbidden("the audit log is for admins")
	}
	f.Visible = v
	s.restrict(ctx, c, &f)
	return s.store.FindEvents(ctx, f)
}

// restrict limits the events about webhooks, API keys and OAuth clients
// to those who may see the resources themselves: webhooks as GET
// /v1/webhooks shows them, keys and clients as GET /v1/api-keys and
// /v1/oauth-clients do for those who administer them (keys:write).
func (s *Service) restrict(ctx context.Context, c *roster.Caller, f *roster.EventFilter) {
	f.WebhooksVisible = s.administeredWith(ctx, c, roster.ScopeWebhooksRead)
	f.KeysVisible = s.administeredWith(ctx, c, roster.ScopeKeysWrite)
}

// preparingKey is the context key of WhilePreparing's hook.
type preparingKey struct{}

// WhilePreparing returns a context for a call that leave is called from
// (at most once) when the call has finished preparing its change and
// queues it for the store's writer, or when done is called, whichever
// comes first. An import uses it to let only a few of its lines prepare
// at once (see httpapi's importLine), so that the writer, on which every
// line ends up waiting, never queues behind hundreds of them for a
// processor.
func WhilePreparing(ctx context.Context, leave func()) (_ context.Context, done func()) {
	var once sync.Once
	hook := func() { once.Do(leave) }
	return context.WithValue(ctx, preparingKey{}, hook), hook
}
