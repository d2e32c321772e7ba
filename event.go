// SPDX-License-Identifier: Apache-2.0

package roster

import (
	"context"
	"encoding/json"
	"slices"
	"time"
)

// Event is one change, written in the same transaction as the change
// itself: no acknowledged change is without its event, and no event
// exists for a change that rolled back. The feed, the audit log and
// webhooks all read events. Data, Previous and Patch hold compact JSON,
// as encoding/json writes it (webhook payloads copy them as they are);
// stores give them back unchanged.
type Event struct {
	ID         string          `json:"id" doc:"evt_…; ids sort in commit order."`
	Type       string          `json:"type" example:"user.updated"`
	OccurredAt time.Time       `json:"occurred_at"`
	Actor      Actor           `json:"actor"`
	RequestID  string          `json:"request_id,omitempty"`
	ClientIP   string          `json:"-"`
	Resource   ResourceRef     `json:"resource"`
	OrgID      string          `json:"organization_id,omitempty" doc:"The organisation the resource belongs to (for an organisation, itself)."`
	Data       json.RawMessage `json:"data,omitempty" schema:"object" doc:"The resource after the change, as the API shows it (a user, organization, membership, webhook, api_key, oauth_client, session (a browser sign-in: no address or secret), consent or sso_link, by resource.type; a webhook's projection when it has one); absent for a deletion."`
	Previous   json.RawMessage `json:"previous,omitempty" schema:"object" doc:"The resource before the change, in the same form; absent for a creation (and in webhook deliveries unless include_previous)."`
	Patch      json.RawMessage `json:"patch" schema:"json-patch" doc:"The JSON Patch (RFC 6902) from previous to data."`
	Reason     string          `json:"reason,omitempty" doc:"Why the change was made, when the call takes one (an admin's direct email change, a username change, a credit adjustment), what a sign-out everywhere (sessions.revoked) ended, or why a session ended without one (session.revoked: signed in again in the same browser as another user, or replaced by a new sign-in of the same user there, which takes over its tokens)."`
}

// CreationPatch is the JSON Patch of a creation whose document is data:
// the whole document added at the root, which is what jsondiff computes
// from null (after decoding and re-encoding the document). Stores derive
// it instead of keeping the document twice.
func CreationPatch(data json.RawMessage) json.RawMessage {
	return slices.Concat([]byte(`[{"value":`), data, []byte(`,"op":"add","path":""}]`))
}

// Actor is who made a change.
type Actor struct {
	UserID   string `json:"user_id,omitempty"`
	KeyID    string `json:"key_id,omitempty"`
	ClientID string `json:"client_id,omitempty"`
	// ImpersonatorID is the administrator who made the change as UserID,
	// in a session opened with an SSO link.
	ImpersonatorID string `json:"impersonator_id,omitempty" doc:"The administrator acting as user_id: the change was made in a session opened with an SSO link."`
}

// ResourceRef names a resource.
type ResourceRef struct {
	Type string `json:"type" required:"true" enum:"user,organization,membership,webhook,api_key,oauth_client,session,consent,sso_link"`
	ID   string `json:"id" required:"true"`
}

// EventFilter selects events in FindEvents: after the event with seq
// After (0: from the start), of the given types (a trailing ".*" matches a
// prefix), for the given target or actor, in the visible organisations.
type EventFilter struct {
	After         int64
	Types         []string
	Target        string
	Actor         string
	OccurredAfter *time.Time
	Before        *time.Time
	Visible       *Visibility
	Limit         int
	// WebhooksVisible, when set, keeps events about webhooks (resource
	// type "webhook") only in the organisations it covers: a webhook's
	// URL may itself be a secret (a chat's incoming-webhook URL), so the
	// feed shows them to those who administer the webhooks.
	WebhooksVisible *Visibility
	// KeysVisible, when set, keeps events about API keys, OAuth clients
	// and SSO links (resource types "api_key", "oauth_client" and
	// "sso_link") only in the organisations it covers: those of the keys'
	// and links' users and the clients, for those who administer them.
	KeysVisible *Visibility
	// Bare leaves the documents unread: only Seq and the events' ID,
	// Type, Resource and OrgID are filled (the columns of the events
	// table), for readers that decide by those alone.
	Bare bool
}

// Resource types of events that only those who administer the resource
// see (EventFilter.WebhooksVisible and KeysVisible).
var (
	WebhookResources = []string{"webhook"}
	KeyResources     = []string{"api_key", "oauth_client", "sso_link"}
)

// Restriction limits the events about resources of some types to the
// organisations that Visible covers.
type Restriction struct {
	ResourceTypes []string
	Visible       *Visibility
}

// Restrictions returns the filter's limits by resource type that are set.
func (f EventFilter) Restrictions() []Restriction {
	var out []Restriction
	if f.WebhooksVisible != nil {
		out = append(out, Restriction{WebhookResources, f.WebhooksVisible})
	}
	if f.KeysVisible != nil {
		out = append(out, Restriction{KeyResources, f.KeysVisible})
	}
	return out
}

// StoredEvent is an event with its position in the store's commit order.
type StoredEvent struct {
	Seq   int64
	Event *Event
}

// RequestInfo is what the transport knows about the request behind a
// change, carried to the events in the context.
type RequestInfo struct {
	ID       string
	ClientIP string
}

type requestInfoKey struct{}

// WithRequestInfo returns ctx carrying info.
func WithRequestInfo(ctx context.Context, info RequestInfo) context.Context {
	return context.WithValue(ctx, requestInfoKey{}, info)
}

// RequestInfoFrom returns the request info in ctx (zero when none).
func RequestInfoFrom(ctx context.Context) RequestInfo {
	info, _ := ctx.Value(requestInfoKey{}).(RequestInfo)
	return info
}
