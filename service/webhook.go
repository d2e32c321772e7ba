// SPDX-License-Identifier: Apache-2.0

package service

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/seal"
)

// Webhook event types.
const (
	EventWebhookCreated       = "webhook.created"
	EventWebhookUpdated       = "webhook.updated"
	EventWebhookDeleted       = "webhook.deleted"
	EventWebhookSecretRotated = "webhook.secret_rotated"
	EventWebhookDisabled      = "webhook.disabled"
	EventWebhookTest          = "webhook.test"
)

// Sender sends webhook requests; package webhook implements it over HTTP.
type Sender interface {
	// CheckURL refuses a destination that webhooks may not reach.
	CheckURL(ctx context.Context, rawURL string) error
	// Send makes one attempt to deliver e to w, within its own timeout.
	Send(ctx context.Context, w *roster.Webhook, sec *roster.WebhookSecrets, e *roster.Event) roster.Attempt
}

// WebhookConfig wires webhook delivery into the service.
type WebhookConfig struct {
	Sender Sender
	// Timeout bounds one delivery attempt.
	Timeout time.Duration
	// RetryFor is how long a delivery is retried before it fails for good.
	RetryFor time.Duration
	// RetryBase is the first back-off; each next one doubles, up to RetryMax.
	RetryBase, RetryMax time.Duration
	// DisableAfter disables a webhook whose deliveries have all failed
	// for this long.
	DisableAfter time.Duration
	// Concurrency bounds the requests in flight to one webhook.
	Concurrency int
	// Owner names this node in delivery leases.
	Owner string
	// RotationOverlap is how long a rotated-out signing secret keeps
	// signing; DefaultRotationOverlap when zero.
	RotationOverlap time.Duration
}

// DefaultRotationOverlap is how long a rotated-out signing secret keeps
// signing unless configured otherwise.
const DefaultRotationOverlap = 24 * time.Hour

// SetWebhooks configures webhooks; without it the webhook routes answer
// that webhooks are not configured.
func (s *Service) SetWebhooks(cfg WebhookConfig) {
	s.hooks = &cfg
	s.hooksChanged = make(chan struct{}, 1)
}

func (s *Service) webhooksOn() error {
	if s.hooks == nil || s.box == nil {
		return roster.Errorf(roster.CodeUnavailable, "webhooks are not configured on this server")
	}
	return nil
}

// sealSecrets encrypts a webhook's secrets into w.Sealed.
func (s *Service) sealSecrets(w *roster.Webhook, sec *roster.WebhookSecrets) {
	plain, err := json.Marshal(sec)
	if err != nil {
		panic(err)
	}
	w.Sealed = s.box.Seal(plain, []byte(w.ID))
}

// openSecrets decrypts a webhook's secrets. Secrets that do not open
// (sealed under another key, or damaged) are a conflict that says what
// to do: the webhook stays readable and deletable (see WebhookView and
// DeleteWebhook), but nothing is sent or changed with secrets nobody can
// read.
func (s *Service) openSecrets(w *roster.Webhook) (*roster.WebhookSecrets, error) {
	plain, err := s.box.Open(w.Sealed, []byte(w.ID))
	if err != nil {
		return nil, &unopenedSecrets{id: w.ID, cause: err, conflict: roster.Errorf(roster.CodeConflict,
			"the webhook's stored secrets do not open with this server's secret key (ROSTER_SECRET_KEY or the data folder's secret.key): delete the webhook and create it again with its secrets")}
	}
	var sec roster.WebhookSecrets
	if err := json.Unmarshal(plain, &sec); err != nil {
		return nil, err
	}
	sec.AdoptClearHeaders(w)
	return &sec, nil
}

// WebhookView returns a webhook as the API shows it: its secrets masked,
// and with newSecret, a signing secret shown once, when not "".
func (s *Service) WebhookView(w *roster.Webhook, newSecret string) (roster.WebhookView, error) {
	sec, err := s.openSecrets(w)
	if errors.Is(err, seal.ErrOpen) {
		v := w.View(unreadableSecrets(w))
		v.SecretsUnreadable = true
		return v, nil
	} else if err != nil {
		return roster.WebhookView{}, err
	}
	v := w.View(sec)
	v.Signing.Secret = newSecret
	return v, nil
}

// keepRefreshToken stores the refresh token a webhook's token endpoint
// rotated to (rotated, when not ""), sealed in place of the one the
// attempt started from (sec's): the old one may not work again, and the
// new one must survive a restart and reach the other nodes. A webhook
// whose refresh token was replaced meanwhile keeps the new one. It is a
// change of the webhook like any other (a new version, webhook.updated
// with the reason; its secrets never show). Failures are logged: the
// delivery itself went out.
func (s *Service) keepRefreshToken(ctx context.Context, h *roster.Webhook, sec *roster.WebhookSecrets, rotated string) {
	if rotated == "" || sec == nil || rotated == sec.RefreshToken {
		return
	}
	var stored *roster.Webhook
	err := s.update(context.WithoutCancel(ctx), func(tx roster.Tx) error {
		cur, err := tx.FindWebhook(ctx, h.ID)
		if roster.ErrorCode(err) == roster.CodeNotFound {
			return nil
		} else if err != nil {
			return err
		}
		curSec, err := s.openSecrets(cur)
		if err != nil || curSec.RefreshToken != sec.RefreshToken {
			return nil // replaced meanwhile (or unreadable): leave it
		}
		next, nextSec := cur.Clone(), *curSec
		nextSec.RefreshToken = rotated
		s.sealSecrets(next, &nextSec)
		next.Version, next.UpdatedAt = cur.Version+1, tx.Now()
		if err := tx.UpdateWebhook(next); err != nil {
			return err
		}
		e, err := newEvent(ctx, nil, EventWebhookUpdated, "webhook", next.ID, next.OrganizationID, cur.View(curSec), next.View(&nextSec))
		if err != nil {
			return err
		}
		e.Reason, stored = "the OAuth 2.0 token endpoint rotated the refresh token", next
		return s.appendEvent(tx, e)
	})
	if err != nil {
		s.log.ErrorContext(ctx, "storing a webhook's rotated refresh token", "webhook_id", h.ID, "error", err)
	}
	if stored != nil {
		s.webhookChanged(stored)
	}
}

// unopenedSecrets is the error of secrets that do not open: a conflict
// for the client, seal.ErrOpen for the code that can go on without them.
type unopenedSecrets struct {
	id       string
	cause    error
	conflict error
}

func (e *unopenedSecrets) Error() string   { return "webhook " + e.id + ": " + e.cause.Error() }
func (e *unopenedSecrets) Unwrap() []error { return []error{e.conflict, e.cause} }

// secretsOrUnreadable opens a webhook's secrets for the masks of its
// deletion's event; secrets that do not open (or a server without a key)
// stand as unreadable: a webhook is deletable all the same.
func (s *Service) secretsOrUnreadable(w *roster.Webhook) (*roster.WebhookSecrets, error) {
	if s.box == nil {
		return unreadableSecrets(w), nil
	}
	sec, err := s.openSecrets(w)
	if errors.Is(err, seal.ErrOpen) {
		return unreadableSecrets(w), nil
	}
	return sec, err
}

// unreadableSecrets stands for the secrets of a webhook whose sealed
// secrets do not open: every secret its authentication uses shows as set.
func unreadableSecrets(w *roster.Webhook) *roster.WebhookSecrets {
	sec := &roster.WebhookSecrets{}
	if w.Auth != nil {
		sec.Password, sec.ClientSecret = "?", "?"
		if w.Auth.Type == "basic" {
			sec.ClientSecret = ""
		} else {
			sec.Password = ""
		}
		if w.Auth.GrantType == "refresh_token" {
			sec.RefreshToken = "?"
		}
	}
	return sec
}

// webhookChanged makes this node's worker of a webhook use its new
// version at once (a rotated secret signs the very next delivery), and
// tells the delivery loop.
func (s *Service) webhookChanged(h *roster.Webhook) {
	if w, ok := s.hookWorkers.Load(h.ID); ok {
		w.(*hookWorker).set(h)
	}
	s.notifyHooks()
}

// notifyHooks tells the delivery loop that the webhooks changed.
func (s *Service) notifyHooks() {
	select {
	case s.hooksChanged <- struct{}{}:
	default:
	}
}

// findWebhook finds a webhook the caller administers; any other is "not
// found".
func (s *Service) findWebhook(ctx context.Context, r roster.Reader, c *roster.Caller, id string, scope string) (*roster.Webhook, error) {
	if err := s.webhooksOn(); err != nil {
		return nil, err
	}
	if !roster.ValidID(roster.PrefixWebhook, id) {
		return nil, notFound("webhook")
	}
	w, err := r.FindWebhook(ctx, id)
	if err != nil {
		return nil, asNotFound(err, "webhook")
	}
	if rank, err := s.rankAt(ctx, r, c, w.OrganizationID); err != nil {
		return nil, err
	} else if rank < roster.RankAdmin {
		return nil, notFound("webhook")
	}
	return w, needScope(c, scope)
}

// checkDestinations refuses URLs that webhooks may not reach.
func (s *Service) checkDestinations(ctx context.Context, w *roster.Webhook) error {
	var fe []roster.FieldError
	if err := s.hooks.Sender.CheckURL(ctx, w.URL); err != nil {
		fe = append(fe, roster.FieldError{Location: "body.url", Message: err.Error(), Value: w.URL})
	}
	if w.Auth != nil && w.Auth.TokenURL != "" {
		if err := s.hooks.Sender.CheckURL(ctx, w.Auth.TokenURL); err != nil {
			fe = append(fe, roster.FieldError{Location: "body.auth.token_url", Message: err.Error(), Value: w.Auth.TokenURL})
		}
	}
	if len(fe) > 0 {
		return roster.Invalid(fe...)
	}
	return nil
}

// CreateWebhook makes a webhook and returns it with its signing secret,
// which is shown this once.
func (s *Service) CreateWebhook(ctx context.Context, c *roster.Caller, in *roster.WebhookInput) (*roster.Webhook, string, error) {
	if err := s.webhooksOn(); err != nil {
		return nil, "", err
	}
	if err := needScope(c, roster.ScopeWebhooksWrite); err != nil {
		return nil, "", err
	}
	w, sec, err := roster.BuildWebhook(nil, nil, in)
	if err != nil {
		return nil, "", err
	}
	if w.OrganizationID == "" {
		w.OrganizationID = c.User.OrganizationID
	} else if ok, err := s.canSeeOrg(ctx, s.store, c, w.OrganizationID); err != nil {
		return nil, "", err
	} else if !ok {
		return nil, "", roster.Invalid(roster.FieldError{Location: "body.organization_id", Message: "organization_id does not name an organisation", Value: w.OrganizationID})
	}
	if err := s.checkAdminAt(ctx, s.store, c, w.OrganizationID, nil, "manage this organisation's webhooks"); err != nil {
		return nil, "", err
	}
	if err := s.checkDestinations(ctx, w); err != nil {
		return nil, "", err
	}
	w.ID, w.Version = roster.NewID(roster.PrefixWebhook), 1
	s.sealSecrets(w, sec)
	err = s.update(ctx, func(tx roster.Tx) error {
		if _, err := findOrg(ctx, tx, w.OrganizationID); err != nil {
			return roster.Invalid(roster.FieldError{Location: "body.organization_id", Message: "organization_id does not name an organisation", Value: w.OrganizationID})
		}
		w.CreatedAt, w.UpdatedAt = tx.Now(), tx.Now()
		if err := tx.CreateWebhook(w); err != nil {
			return err
		}
		return s.recordWebhook(ctx, tx, c, EventWebhookCreated, nil, w, nil, sec)
	})
	if err != nil {
		return nil, "", err
	}
	s.notifyHooks()
	return w, w.FreshSigningSecret(nil, sec), nil
}

// recordWebhook writes the event of a webhook change. The event shows the
// webhook as reads do: its secrets and header values masked.
func (s *Service) recordWebhook(ctx context.Context, tx roster.Tx, c *roster.Caller, typ string, before, after *roster.Webhook, bsec, asec *roster.WebhookSecrets) error {
	var b, a any
	var id, org string
	for _, x := range []struct {
		w   *roster.Webhook
		sec *roster.WebhookSecrets
		out *any
	}{{before, bsec, &b}, {after, asec, &a}} {
		if x.w != nil {
			*x.out, id, org = x.w.View(x.sec), x.w.ID, x.w.OrganizationID
		}
	}
	e, err := newEvent(ctx, c, typ, "webhook", id, org, b, a)
	if err != nil {
		return err
	}
	return s.appendEvent(tx, e)
}

// Webhook returns one webhook.
func (s *Service) Webhook(ctx context.Context, c *roster.Caller, id string) (*roster.Webhook, error) {
	return s.findWebhook(ctx, s.store, c, id, roster.ScopeWebhooksRead)
}

// Webhooks returns the webhooks of the organisations the caller administers.
func (s *Service) Webhooks(ctx context.Context, c *roster.Caller, p roster.Page) ([]*roster.Webhook, *roster.Cursor, error) {
	if err := s.webhooksOn(); err != nil {
		return nil, nil, err
	}
	if err := needScope(c, roster.ScopeWebhooksRead); err != nil {
		return nil, nil, err
	}
	v := s.administered(ctx, c)
	if v != nil && len(v.Subtrees) == 0 {
		return []*roster.Webhook{}, nil, nil
	}
	return s.store.FindWebhooks(ctx, v, p)
}

// destinations are the addresses a webhook connects to.
func destinations(w *roster.Webhook) []string {
	if w.Auth != nil && w.Auth.TokenURL != "" {
		return []string{w.URL, w.Auth.TokenURL}
	}
	return []string{w.URL}
}

// newDestinations reports whether next connects somewhere cur does not.
func newDestinations(cur, next *roster.Webhook, checked []string) bool {
	for _, u := range destinations(next) {
		if !slices.Contains(destinations(cur), u) && !slices.Contains(checked, u) {
			return true
		}
	}
	return false
}

// webhookChange computes a webhook's next state and secrets from the
// current ones.
type webhookChange func(cur *roster.Webhook, sec *roster.WebhookSecrets) (*roster.Webhook, *roster.WebhookSecrets, error)

// updateWebhook changes a webhook with change and returns it with the
// signing secret the change made, if it made one. New destinations are
// checked (a DNS lookup) before the write transaction, never inside it.
func (s *Service) updateWebhook(ctx context.Context, c *roster.Caller, id string, pre Precondition, typ string, change webhookChange) (*roster.Webhook, string, error) {
	cur, err := s.findWebhook(ctx, s.store, c, id, roster.ScopeWebhooksWrite)
	if err != nil {
		return nil, "", err
	}
	if err := pre.check(cur.Version); err != nil {
		return nil, "", err
	}
	var checked []string
	if sec, err := s.openSecrets(cur); err != nil {
		return nil, "", err
	} else if next, _, err := change(cur, sec); err != nil {
		return nil, "", err
	} else if newDestinations(cur, next, nil) {
		if err := s.checkDestinations(ctx, next); err != nil {
			return nil, "", err
		}
		checked = destinations(next)
	}
	var out *roster.Webhook
	var secret string
	err = s.update(ctx, func(tx roster.Tx) error {
		cur, err := tx.FindWebhook(ctx, id)
		if err != nil {
			return asNotFound(err, "webhook")
		}
		if err := pre.check(cur.Version); err != nil {
			return err
		}
		sec, err := s.openSecrets(cur)
		if err != nil {
			return err
		}
		next, nextSec, err := change(cur, sec)
		if err != nil {
			return err
		}
		if newDestinations(cur, next, checked) {
			return roster.Errorf(roster.CodeConflict, "the webhook changed while its new destination was being checked: send the request again")
		}
		if roster.SameWebhookContent(next, cur, nextSec, sec) {
			out, secret = cur, ""
			return nil
		}
		next.Version, next.UpdatedAt = cur.Version+1, tx.Now()
		if next.Status == roster.StatusEnabled && cur.Status != roster.StatusEnabled {
			// A webhook enabled again starts a new record of health.
			if err := tx.SetWebhookFailing(id, nil); err != nil {
				return err
			}
			next.FailingSince = nil
		}
		s.sealSecrets(next, nextSec)
		if err := tx.UpdateWebhook(next); err != nil {
			return err
		}
		out, secret = next, next.FreshSigningSecret(cur, nextSec)
		return s.recordWebhook(ctx, tx, c, typ, cur, next, sec, nextSec)
	})
	if err != nil {
		return nil, "", err
	}
	s.webhookChanged(out.Clone())
	return out, secret, nil
}

// ReplaceWebhook replaces every writable field of a webhook (PUT); secrets
// that are left out keep their values. It returns the new signing secret
// when signing was enabled again.
func (s *Service) ReplaceWebhook(ctx context.Context, c *roster.Caller, id string, in *roster.WebhookInput, pre Precondition) (*roster.Webhook, string, error) {
	return s.updateWebhook(ctx, c, id, pre, EventWebhookUpdated, func(cur *roster.Webhook, sec *roster.WebhookSecrets) (*roster.Webhook, *roster.WebhookSecrets, error) {
		return roster.BuildWebhook(cur, sec, in)
	})
}

// PatchWebhook applies a merge patch or JSON Patch to a webhook's API form
// (secrets masked, as reads show it); like ReplaceWebhook, it returns the
// new signing secret when signing was enabled again.
func (s *Service) PatchWebhook(ctx context.Context, c *roster.Caller, id, format string, patch []byte, pre Precondition) (*roster.Webhook, string, error) {
	return s.updateWebhook(ctx, c, id, pre, EventWebhookUpdated, func(cur *roster.Webhook, sec *roster.WebhookSecrets) (*roster.Webhook, *roster.WebhookSecrets, error) {
		doc, err := roster.ApplyPatch(format, document(cur.View(sec)), patch)
		if err != nil {
			return nil, nil, err
		}
		var in roster.WebhookInput
		if err := roster.DecodeStrict(doc, &in); err != nil {
			return nil, nil, err
		}
		return roster.BuildWebhook(cur, sec, &in)
	})
}

// RotateSecret gives a webhook a new signing secret and returns it; the
// previous one keeps signing for the configured overlap.
func (s *Service) RotateSecret(ctx context.Context, c *roster.Caller, id string) (*roster.Webhook, string, error) {
	var secret string // the one made in the write transaction, the last call of change
	w, _, err := s.updateWebhook(ctx, c, id, nil, EventWebhookSecretRotated, func(cur *roster.Webhook, sec *roster.WebhookSecrets) (*roster.Webhook, *roster.WebhookSecrets, error) {
		if cur.SigningDisabled {
			return nil, nil, roster.Errorf(roster.CodeConflict, "the webhook's signing is disabled, so it has no secret to rotate: enable it (signing.enabled true) to get a new one")
		}
		now := time.Now().UTC()
		overlap := s.hooks.RotationOverlap
		if overlap <= 0 {
			overlap = DefaultRotationOverlap
		}
		until := now.Add(overlap)
		secret = roster.NewSigningSecret()
		next := *sec
		next.Signing = []roster.SigningSecret{{Secret: secret}}
		for _, k := range sec.Signing {
			if k.ExpiresAt == nil {
				k.ExpiresAt = &until
			}
			if now.Before(*k.ExpiresAt) {
				next.Signing = append(next.Signing, k)
			}
		}
		return cur.Clone(), &next, nil
	})
	if err != nil {
		return nil, "", err
	}
	return w, secret, nil
}

// DeleteWebhook removes a webhook and its deliveries.
func (s *Service) DeleteWebhook(ctx context.Context, c *roster.Caller, id string, pre Precondition) error {
	if _, err := s.findWebhook(ctx, s.store, c, id, roster.ScopeWebhooksWrite); err != nil {
		return err
	}
	err := s.update(ctx, func(tx roster.Tx) error {
		cur, err := tx.FindWebhook(ctx, id)
		if err != nil {
			return asNotFound(err, "webhook")
		}
		if err := pre.check(cur.Version); err != nil {
			return err
		}
		sec, err := s.secretsOrUnreadable(cur)
		if err != nil {
			return err
		}
		if err := tx.DeleteWebhook(id); err != nil {
			return err
		}
		return s.recordWebhook(ctx, tx, c, EventWebhookDeleted, cur, nil, sec, nil)
	})
	if err == nil {
		s.notifyHooks()
	}
	return err
}

// Deliveries returns one page of a webhook's delivery log, newest first.
func (s *Service) Deliveries(ctx context.Context, c *roster.Caller, id string, f roster.DeliveryFilter) ([]*roster.Delivery, error) {
	if _, err := s.findWebhook(ctx, s.store, c, id, roster.ScopeWebhooksRead); err != nil {
		return nil, err
	}
	f.WebhookID = id
	return s.store.FindDeliveries(ctx, f)
}

// RetryDelivery sends a delivery again as soon as it is the oldest of its
// resource still to go.
func (s *Service) RetryDelivery(ctx context.Context, c *roster.Caller, id, deliveryID string) (*roster.Delivery, error) {
	if _, err := s.findWebhook(ctx, s.store, c, id, roster.ScopeWebhooksWrite); err != nil {
		return nil, err
	}
	var out *roster.Delivery
	err := s.store.Update(ctx, func(tx roster.Tx) error {
		d, err := tx.FindDelivery(ctx, deliveryID)
		if err != nil || d.WebhookID != id {
			return notFound("delivery")
		}
		now := tx.Now()
		if d.Status == roster.DeliveryPending {
			// Waiting out its back-off: the next attempt comes now
			// (once it is the oldest pending one of its resource), in the
			// same retry window; refused while an attempt is in flight.
			d.NextAttempt, d.UpdatedAt = nil, now
			out = d
			return tx.ExpediteDelivery(d)
		}
		d.Status, d.NextAttempt, d.UpdatedAt = roster.DeliveryPending, nil, now
		d.RetryingSince = now // the retry window starts again
		out = d
		return tx.SaveDelivery(d, "")
	})
	if err != nil {
		return nil, err
	}
	s.notifyHooks()
	return out, nil
}

// TestWebhook sends a webhook.test message to a webhook now and reports
// how the receiver answered. Nothing is stored.
func (s *Service) TestWebhook(ctx context.Context, c *roster.Caller, id string) (roster.Attempt, error) {
	w, err := s.findWebhook(ctx, s.store, c, id, roster.ScopeWebhooksWrite)
	if err != nil {
		return roster.Attempt{}, err
	}
	sec, err := s.openSecrets(w)
	if err != nil {
		return roster.Attempt{}, err
	}
	data, _ := json.Marshal(map[string]string{"webhook_id": w.ID, "message": "This is a test delivery from Roster."})
	e := &roster.Event{ID: roster.NewID(roster.PrefixEvent), Type: EventWebhookTest, OccurredAt: time.Now().UTC(),
		Actor: roster.Actor{UserID: c.User.ID, KeyID: c.KeyID, ClientID: c.ClientID, ImpersonatorID: c.ImpersonatorID}, RequestID: roster.RequestInfoFrom(ctx).ID,
		Resource: roster.ResourceRef{Type: "webhook", ID: w.ID}, OrgID: w.OrganizationID, Data: data, Patch: json.RawMessage(`[]`)}
	ctx, cancel := context.WithTimeout(ctx, s.hooks.Timeout+time.Second)
	defer cancel()
	a := s.hooks.Sender.Send(ctx, w, sec, e)
	s.keepRefreshToken(ctx, w, sec, a.RefreshToken)
	a.Attempt = 1
	return a, nil
}

// PurgeDeliveries removes finished deliveries last changed before a time.
func (s *Service) PurgeDeliveries(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.store.Update(ctx, func(tx roster.Tx) (err error) {
		n, err = tx.PurgeDeliveries(before)
		return err
	})
	return n, err
}
