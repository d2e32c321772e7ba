// SPDX-License-Identifier: Apache-2.0

// Package service holds Roster's use cases: it loads, changes and stores
// resources through a roster.Store, inside one transaction per change. It
// knows nothing of HTTP or SQL.
package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/seal"
)

// Service carries out Roster's operations on a store.
type Service struct {
	store   roster.Store
	log     *slog.Logger
	root    rootCache
	schemas schemaCache
	feed    feed
	// recent keeps the newest events for delivery (when webhooks are on).
	recent recentEvents
	// hooks configures webhook delivery (SetWebhooks); hooksChanged wakes
	// the delivery loop when webhooks change.
	hooks        *WebhookConfig
	box          *seal.Box // seals secrets at rest (SetSecretBox)
	hooksChanged chan struct{}
	// hookWorkers are this node's delivery workers, by webhook id.
	hookWorkers sync.Map
	sec         *security   // account security settings (security.go)
	keyChecked  atomic.Bool // CheckSecretKey succeeded
	ring        keyRing     // the keys that sign ID tokens (keys.go)
	origins     webOrigins  // the browser origins of the OAuth clients (weborigins.go)
	secOnce     sync.Once
	signIns     signInCounter // SignInCounts
}

// New returns a Service over store.
func New(store roster.Store, log *slog.Logger) *Service {
	return &Service{store: store, log: log}
}

// Precondition decides whether a write may go ahead given the current
// version (If-Match). A nil Precondition always allows it.
type Precondition func(version int64) bool

func (p Precondition) check(version int64) error {
	if p != nil && !p(version) {
		return roster.Errorf(roster.CodePreconditionFailed, "If-Match does not match the current version (ETag \"%d\"): fetch the resource again and retry", version)
	}
	return nil
}

// Bootstrap prepares an empty store: it creates the root organisation,
// its owner and the owner's API key. key is the key's secret; when empty
// one is generated and returned (and it is the caller's job to show it
// once). On a store that is not empty Bootstrap does nothing and returns "".
func (s *Service) Bootstrap(ctx context.Context, key, ownerEmail string) (generated string, err error) {
	if key == "" {
		key = roster.NewKeySecret()
		generated = key
	} else if len(key) < 32 {
		return "", fmt.Errorf("ROSTER_BOOTSTRAP_KEY must be at least 32 characters")
	}
	created := false
	err = s.update(ctx, func(tx roster.Tx) error {
		empty, err := tx.Empty(ctx)
		if err != nil || !empty {
			return err
		}
		now := tx.Now()
		org, err := roster.BuildOrg(nil, &roster.OrgInput{Name: ptr("Root")})
		if err != nil {
			return err
		}
		org.ID, org.CreatedAt, org.UpdatedAt, org.Version = roster.NewID(roster.PrefixOrg), now, now, 1
		if err := tx.CreateOrg(org); err != nil {
			return err
		}
		if err := s.recordOrg(ctx, tx, nil, EventOrgCreated, nil, org); err != nil {
			return err
		}
		u, err := roster.BuildUser(nil, &roster.UserInput{Email: &ownerEmail, FirstName: ptr("Owner"), Roles: []string{"owner"}}, org)
		if err != nil {
			return err
		}
		u.ID, u.CreatedAt, u.UpdatedAt, u.Version = roster.NewID(roster.PrefixUser), now, now, 1
		u.Memberships = []roster.Membership{{OrganizationID: org.ID, Roles: u.Roles}}
		if err := tx.CreateUser(u); err != nil {
			return err
		}
		if err := s.recordUser(ctx, tx, nil, EventUserCreated, nil, u); err != nil {
			return err
		}
		created = true
		k := &roster.APIKey{ID: roster.NewID(roster.PrefixKey), UserID: u.ID, Name: "bootstrap", Scopes: []string{}, CreatedAt: now, Hash: roster.HashKeySecret(key)}
		if err := tx.CreateAPIKey(k); err != nil {
			return err
		}
		return s.recordCredential(ctx, tx, nil, EventAPIKeyCreated, "api_key", k.ID, org.ID, nil, k)
	})
	if err != nil || !created {
		return "", err
	}
	return generated, nil
}

// Authenticate returns the caller behind a bearer token, or a
// CodeUnauthorized error that says why not.
func (s *Service) Authenticate(ctx context.Context, token string) (*roster.Caller, error) {
	if token == "" || len(token) > 512 {
		return nil, badToken()
	}
	if strings.HasPrefix(token, accessPrefix) { // an access token from /v1/auth/token (token.go)
		if c, err := s.authenticateToken(ctx, token); c != nil || err != nil {
			return c, err
		}
	}
	cred, err := s.store.FindCredential(ctx, roster.HashKeySecret(token))
	if roster.ErrorCode(err) == roster.CodeNotFound {
		return nil, badToken()
	} else if err != nil {
		return nil, err
	}
	k, u := cred.Key, cred.User
	if k.ExpiresAt != nil && !time.Now().Before(*k.ExpiresAt) {
		return nil, badToken()
	}
	if u.Status != roster.StatusEnabled {
		return nil, roster.Errorf(roster.CodeUnauthorized, "the user behind this token is disabled")
	}
	if cred.OrgDisabled {
		return nil, roster.Errorf(roster.CodeUnauthorized, "the organisation of the user behind this token is disabled")
	}
	return &roster.Caller{User: u, KeyID: k.ID, Scopes: k.Scopes}, nil
}

// badToken is Authenticate's refusal of a token it does not accept. It
// is made only when needed: formatting it for every request was a
// sixtieth of a GET's CPU.
func badToken() error {
	return roster.Errorf(roster.CodeUnauthorized, "the bearer token is not valid: it is unknown, expired or revoked")
}

// Ready reports whether the store answers and is migrated.
// Backlog is what waits to go out (webhook deliveries, mail), for
// metrics.
func (s *Service) Backlog(ctx context.Context) (roster.Backlog, error) { return s.store.Backlog(ctx) }

// Readiness says, for each dependency of serving, "ok" or what is wrong
// with it, in words an operator can act on (no internal error text).
type Readiness struct {
	Database   string `json:"database"`
	Migrations string `json:"migrations"`
	SecretKey  string `json:"secret_key"`
}

// OK reports whether every dependency is ready.
func (r Readiness) OK() bool {
	return r.Database == "ok" && r.Migrations == "ok" && r.SecretKey == "ok"
}

// Ready checks the dependencies of serving: the database answers, it is
// migrated to this version's schema, and the secret key opens the
// database's key check (checked at start: a key cannot change while the
// process runs).
func (s *Service) Ready(ctx context.Context) (Readiness, error) {
	r := Readiness{Database: "ok", Migrations: "ok", SecretKey: "ok"}
	var me *roster.MigrationError
	switch err := s.store.Ping(ctx); {
	case errors.As(err, &me):
		r.Migrations = fmt.Sprintf("not migrated: %d of %d migrations applied (start a node of this version to apply them)", me.Applied, me.Want)
	case err != nil:
		r.Database, r.Migrations = "unreachable", "unknown"
		if !s.keyChecked.Load() {
			r.SecretKey = "unknown"
		}
		return r, err
	}
	if !s.keyChecked.Load() {
		r.SecretKey = "not checked: the server has not confirmed that its secret key opens the database's key check"
	}
	return r, nil
}

func ptr[T any](v T) *T { return &v }

// notFound is the one answer for anything that does not exist or that the
// caller may not see.
func notFound(what string) error {
	return roster.Errorf(roster.CodeNotFound, "%s not found", what)
}

// asNotFound turns a store's not-found error into the standard message.
func asNotFound(err error, what string) error {
	if roster.ErrorCode(err) == roster.CodeNotFound {
		return notFound(what)
	}
	return err
}

// document returns the JSON form that patches apply to.
func document(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
