// SPDX-License-Identifier: Apache-2.0

package roster

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Store is where Roster keeps its data. Every engine (the embedded SQLite
// store, PostgreSQL) implements it and passes the same conformance suite
// in package storetest.
type Store interface {
	Reader

	// Update runs fn in a write transaction and returns after the
	// transaction is durably committed, or with fn's error after
	// everything fn wrote is rolled back. Engines may commit several
	// Update calls in one database transaction (group commit); each call
	// still succeeds or fails on its own.
	Update(ctx context.Context, fn func(Tx) error) error

	// ExportUsers calls fn with every user the visibility v allows (all
	// when v is nil) and, when orgID is not empty, only the users of
	// orgID and its descendants, in creation order, all read from ONE
	// consistent snapshot (a single read transaction): a user changed or
	// created while it runs is seen as it was when it began, or not at
	// all. It streams: memory stays flat whatever the number of users.
	// The users may be shared with the read cache, as FindUsers's are: fn
	// only reads them. An error from fn stops it and is returned.
	ExportUsers(ctx context.Context, v *Visibility, orgID string, fn func(*User) error) error

	// QueryUsers returns one page of the users that meet q's condition
	// and their total, both read in one statement (one snapshot), in the
	// SQL of the engine: no user is read into memory that is not on the
	// page. A query that Check refuses is CodeInvalid. Like FindUsers's,
	// the users may be shared with the read cache.
	QueryUsers(ctx context.Context, q UserQuery) (*UserPage, error)

	// Ping reports whether the database answers and is migrated.
	Ping(ctx context.Context) error
	Close() error
}

// StoreMetrics receives what a store measures of its writes (cmd/roster
// makes Prometheus series of them). The engines call it on their write
// path, so its methods must be quick.
type StoreMetrics interface {
	// Update is one Store.Update as its caller waited for it: from the
	// call to the answer, queueing for the writer (embedded store) and
	// every attempt (PostgreSQL's retries) included.
	Update(d time.Duration, err error)
	// Transaction is one database transaction, from its BEGIN to the end
	// of its COMMIT or ROLLBACK, and the Update calls it carried (a writer
	// batch on the embedded store; one on PostgreSQL).
	Transaction(d time.Duration, updates int)
}

// ExportPage is how many users ExportUsers reads per keyset page inside
// its snapshot.
const ExportPage = 500

// Backlog is what waits to go out.
type Backlog struct {
	// Deliveries are the pending webhook deliveries by the status of
	// their webhook (StatusEnabled, StatusDisabled; a status with none is
	// absent): a disabled webhook's wait until it is enabled again, so
	// only an enabled one's are late.
	Deliveries map[string]Waiting
	Mail       Waiting // queued mail
}

// Waiting is how much waits, and when the oldest of it was made (zero
// when nothing waits).
type Waiting struct {
	Count  int64
	Oldest time.Time
}

// AddDeliveries records the pending deliveries of the webhooks with a
// status: count of them, the oldest with the id oldestID (an id holds its
// creation time).
func (b *Backlog) AddDeliveries(webhookStatus string, count int64, oldestID string) {
	if b.Deliveries == nil {
		b.Deliveries = map[string]Waiting{}
	}
	at, _ := IDTime(oldestID)
	b.Deliveries[webhookStatus] = Waiting{Count: count, Oldest: at}
}

// MigrationError is Store.Ping's answer for a database that is reachable
// but not migrated to this version's schema.
type MigrationError struct{ Applied, Want int }

func (e *MigrationError) Error() string {
	return fmt.Sprintf("migrations applied: %d of %d", e.Applied, e.Want)
}

// RetryAnnouncer is implemented by the transactions of a store that
// several processes share (PostgreSQL): AnnounceRetry tells every
// process, when the transaction commits, that a webhook's stored
// deliveries come due at a time, so that each can claim them then
// instead of finding them at its next poll. Nothing is sent when the
// transaction rolls back.
type RetryAnnouncer interface {
	AnnounceRetry(webhookID string, at time.Time) error
}

// RetryListener is implemented by a store that several processes share:
// ListenRetries calls fn for every retry announced (by any process,
// this one included) until ctx ends, reconnecting after failures.
type RetryListener interface {
	ListenRetries(ctx context.Context, fn func(webhookID string, at time.Time))
}

// Reader holds the read operations, available outside and inside a
// transaction. Find* return a CodeNotFound error when nothing matches.
type Reader interface {
	FindUser(ctx context.Context, id string) (*User, error)
	FindUserByUsername(ctx context.Context, username string) (*User, error)
	// FindUserByEmail finds the user with an email, compared
	// case-insensitively (emails are unique so): one index lookup, for
	// sign-in by email and imports that match lines by email.
	FindUserByEmail(ctx context.Context, email string) (*User, error)
	FindUserByExternalID(ctx context.Context, orgID, externalID string) (*User, error)
	// FindUsers returns one page of users in the filter's sort order and
	// the cursor of the next page (nil on the last page). Unlike every
	// other read, the users may be shared with the store's read cache:
	// they are for reading (a page is encoded and sent), and a caller
	// that wants to change one changes a Clone. The store never changes a
	// user it has handed out: a write caches a new one.
	FindUsers(ctx context.Context, f UserFilter) ([]*User, *Cursor, error)

	FindOrg(ctx context.Context, id string) (*Organization, error)
	FindOrgs(ctx context.Context, f OrgFilter) ([]*Organization, *Cursor, error)
	// OrgAncestors returns the ids from org's parent up to the root.
	OrgAncestors(ctx context.Context, id string) ([]string, error)
	// OrgInUse reports whether an organisation has users or children.
	OrgInUse(ctx context.Context, id string) (bool, error)
	// OrgDisabled reports whether an organisation or one of its ancestors
	// is disabled.
	OrgDisabled(ctx context.Context, id string) (bool, error)
	// FindSettingsSchema returns the settings schema that applies in an
	// organisation: its own or its nearest ancestor's; CodeNotFound when
	// none does.
	FindSettingsSchema(ctx context.Context, orgID string) ([]byte, error)
	// FindSettingsSchemaVersion is FindSettingsSchema with the
	// organisation whose schema applies and that schema's version, read
	// together.
	FindSettingsSchemaVersion(ctx context.Context, orgID string) (*SettingsSchema, error)

	// FindCredential returns, in one read, the API key whose secret hashes
	// to hash, its user, and whether the user's organisation or one of its
	// ancestors is disabled: everything authentication needs.
	FindCredential(ctx context.Context, hash []byte) (*Credential, error)
	FindAPIKey(ctx context.Context, id string) (*APIKey, error)
	// FindAPIKeys returns one page, newest first (created_at, then id,
	// both descending), of the keys of v.Self and of the users whose home
	// organisation v covers (nil v: every key), and the cursor of the
	// next page (nil on the last). The cursor's sort is SortAPIKeys.
	FindAPIKeys(ctx context.Context, v *Visibility, p Page) ([]*APIKey, *Cursor, error)
	FindIdempotent(ctx context.Context, scope, key string) (*IdempotentResponse, error)

	// FindEvents returns events in commit order.
	FindEvents(ctx context.Context, f EventFilter) ([]StoredEvent, error)
	// EventSeq returns the position of an event in the commit order, or
	// CodeNotFound.
	EventSeq(ctx context.Context, id string) (int64, error)
	// FeedStart returns the position the feed starts after: the events
	// at or before it have passed the feed's retention (ExpireEvents) and
	// stay only for the audit trail. It is 0 until events first expire.
	FeedStart(ctx context.Context) (int64, error)

	// FindWebhook returns a webhook with its delivery state.
	FindWebhook(ctx context.Context, id string) (*Webhook, error)
	// FindWebhooks returns one page of the webhooks of the visible
	// organisations (all when v is nil), oldest first (created_at, then
	// id), and the cursor of the next page (nil on the last). The
	// cursor's sort is SortWebhooks.
	FindWebhooks(ctx context.Context, v *Visibility, p Page) ([]*Webhook, *Cursor, error)
	FindDelivery(ctx context.Context, id string) (*Delivery, error)
	// Backlog counts what waits to go out (webhook deliveries pending,
	// mail queued) and when the oldest of each was made, for metrics.
	Backlog(ctx context.Context) (Backlog, error)
	// FindDeliveries returns a webhook's deliveries, newest event first.
	FindDeliveries(ctx context.Context, f DeliveryFilter) ([]*Delivery, error)
	// PendingResources reports which of the resources have a pending
	// delivery for the webhook.
	PendingResources(ctx context.Context, webhookID string, resources []string) (map[string]bool, error)

	// Empty reports whether the store holds no organisation yet.
	Empty(ctx context.Context) (bool, error)

	// Credentials: passwords, tokens, clients, sign-in failures.
	SecurityReader
	// The mail outbox and pending email changes.
	MailReader
	// The keys that sign ID tokens.
	SigningKeyReader
	// Browser sessions and consents.
	SessionReader
}

// Tx is a write transaction. Writes that break a unique rule (email,
// username, external ids) return CodeConflict; writes to a missing row
// return CodeNotFound.
type Tx interface {
	Reader
	Now() time.Time

	CreateUser(u *User) error
	// UpdateUser stores u, whose Version the caller has already raised by
	// one; it fails with CodePreconditionFailed if the stored version is
	// not u.Version-1.
	UpdateUser(u *User) error
	DeleteUser(id string) error

	CreateOrg(o *Organization) error
	UpdateOrg(o *Organization) error
	DeleteOrg(id string) error

	CreateAPIKey(k *APIKey) error
	DeleteAPIKey(id string) error

	// PutSettingsSchema stores an organisation's settings schema, version
	// 1 when it has none, else one more than the stored one; a nil schema
	// removes it.
	PutSettingsSchema(orgID string, schema []byte) error

	// AppendEvent records an event in this transaction.
	AppendEvent(e *Event) error

	// CreateWebhook stores a new webhook whose cursor starts at the newest
	// event: it is sent the changes made after its creation.
	CreateWebhook(w *Webhook) error
	// UpdateWebhook stores w, whose Version the caller has raised by one
	// (CodePreconditionFailed when the stored one is not w.Version-1). It
	// leaves the cursor and FailingSince alone.
	UpdateWebhook(w *Webhook) error
	// DeleteWebhook removes a webhook and its deliveries.
	DeleteWebhook(id string) error
	// SetWebhookFailing records when a webhook's current run of failures
	// began (nil: it is healthy).
	SetWebhookFailing(id string, since *time.Time) error
	// AdvanceStream moves a webhook's cursor from from to to, holds the
	// webhook's stream of new events for owner until the given time (a
	// time already past lets it go), and adds deliveries of the events up
	// to to, in any state; a pending one is the head of its resource when
	// no older delivery of the resource is pending, and one of an event
	// that already has a delivery is left out (a stream taken up again
	// after a crash sends some events twice but records them once). It
	// fails with CodeConflict when the cursor is no longer at from or
	// another owner's hold has not ended.
	AdvanceStream(webhookID, owner string, from, to int64, until time.Time, ds []*Delivery) error
	// ClaimDeliveries leases to owner, until the given time, up to limit
	// pending deliveries of a webhook that are due and not leased, in the
	// order they came due (a new or retried one when it was made, a
	// failed one at its next attempt), each the oldest pending one of its
	// resource (so a resource's events go out in order), with their
	// events.
	ClaimDeliveries(webhookID, owner string, until time.Time, limit int) ([]*Delivery, error)
	// SaveDelivery stores a delivery's state and ends its lease. With an
	// owner it fails with CodeConflict when the lease is no longer that
	// owner's.
	SaveDelivery(d *Delivery, owner string) error
	// ExpediteDelivery stores a pending delivery whose next attempt the
	// caller brought forward (its NextAttempt and UpdatedAt), only while
	// it is pending and no lease on it runs: CodeConflict when an attempt
	// is in flight or it is no longer pending, CodeNotFound when it is
	// gone.
	ExpediteDelivery(d *Delivery) error
	// PurgeDeliveries removes finished deliveries last changed before a
	// time and returns how many it removed. A delivery's id (which holds
	// the time it was made, see NewID) is never later than its last
	// change.
	PurgeDeliveries(before time.Time) (int64, error)
	// ExpireEvents moves the feed's start (FeedStart) past the oldest
	// events still in the feed that occurred before a time, in commit
	// order, at most limit of them, and stops at the first that a webhook
	// may still send: one after the cursor of an enabled webhook, or the
	// event of a pending delivery. It returns how many left the feed.
	ExpireEvents(before time.Time, limit int) (int64, error)
	// PurgeEvents removes the oldest events that have left the feed and
	// occurred before a time, in commit order, at most limit of them, and
	// returns how many it removed.
	PurgeEvents(before time.Time, limit int) (int64, error)

	// PutIdempotent inserts r, or fails with CodeConflict when the scope
	// and key are taken; with r.Done it replaces the pending record.
	PutIdempotent(r *IdempotentResponse) error
	// DeleteIdempotent removes a record (a pending one whose request failed).
	DeleteIdempotent(scope, key string) error
	// PurgeIdempotent removes the records created before a time and
	// returns how many it removed.
	PurgeIdempotent(before time.Time) (int64, error)

	// KeyCheck stores check, a value sealed with the secret key, as the
	// database's key check unless one is stored already, and returns the
	// stored one: the first caller's, across processes.
	KeyCheck(check []byte) ([]byte, error)

	// Credentials: passwords, tokens, clients, sign-in failures.
	SecurityTx
	// The mail outbox and pending email changes.
	MailTx
	// The keys that sign ID tokens.
	SigningKeyTx
	// Browser sessions, authorization codes and consents.
	SessionTx
	// Reseller SSO links.
	SSOLinkTx
}

// SettingsSchema is the settings schema that applies in an organisation:
// the document, the organisation whose own schema it is (the one asked
// about or its nearest ancestor with one) and that schema's version.
type SettingsSchema struct {
	OrgID   string
	Version int64
	Doc     []byte
}

// ETag is the strong validator of the settings schema as it applies in
// orgID: "<version>" for the organisation's own schema, and
// "<ancestor id>.<version>" for an inherited one, whose versions count
// apart (an organisation's own version 1 is not its parent's).
func (s *SettingsSchema) ETag(orgID string) string {
	v := strconv.FormatInt(s.Version, 10)
	if s.OrgID != orgID {
		v = s.OrgID + "." + v
	}
	return `"` + v + `"`
}

// Credential is what FindCredential returns.
type Credential struct {
	Key         *APIKey
	User        *User
	OrgDisabled bool
}

// Clone returns a deep copy of c.
func (c *Credential) Clone() *Credential {
	k := *c.Key
	k.Scopes = slices.Clone(c.Key.Scopes)
	if c.Key.ExpiresAt != nil {
		at := *c.Key.ExpiresAt
		k.ExpiresAt = &at
	}
	return &Credential{Key: &k, User: c.User.Clone(), OrgDisabled: c.OrgDisabled}
}

// Page asks for one page of a list kept in creation order: at most Limit
// items (0: every item) after Cursor (nil: from the start). Such lists are
// keyset-paginated on (created_at, id), so a page is stable while rows are
// inserted. A cursor made for another list is CodeMalformed.
type Page struct {
	Limit  int
	Cursor *Cursor
}

// The sorts of the cursors of lists in creation order: each list has its
// own, so that a cursor of one list is refused by another.
const (
	SortAPIKeys      = "api_keys:-created_at"
	SortOAuthClients = "oauth_clients:-created_at"
	SortWebhooks     = "webhooks:created_at"
	SortSessions     = "sessions:-created_at"
)

// Visibility limits a list to what a caller may see: users with a
// membership in (and organisations in) the subtrees under Subtrees, or
// directly in Orgs, and the caller's own user. A nil *Visibility means
// everything.
type Visibility struct {
	Subtrees []string
	Orgs     []string
	Self     string
}

// ExportFrom is ExportUsers over a Reader that reads one snapshot (a read
// transaction): keyset pages of ExportPage users in creation order, so
// that memory holds one page at a time.
func ExportFrom(ctx context.Context, r Reader, v *Visibility, orgID string, fn func(*User) error) error {
	f := UserFilter{Visible: v, OrganizationID: orgID, IncludeDescendants: orgID != "", Sort: "created_at", Limit: ExportPage}
	for {
		users, next, err := r.FindUsers(ctx, f)
		if err != nil {
			return err
		}
		for _, u := range users {
			if err := fn(u); err != nil {
				return err
			}
		}
		if next == nil {
			return nil
		}
		f.Cursor = next
	}
}
