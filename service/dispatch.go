// SPDX-License-Identifier: Apache-2.0

package service

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rosterhq/roster"
)

// fanOutBatch bounds the events one step reads.
const fanOutBatch = 1000

// RunDeliveries delivers events to webhooks until ctx ends. Every node
// runs it: the store's cursors and leases keep two nodes from delivering
// the same event at the same time, and a resource's events go out in
// order.
//
// One worker per enabled webhook moves the webhook's cursor over the
// events table (the outbox), adding a delivery for each event it wants,
// then leases the deliveries that are due and sends them, several at a
// time but only the oldest pending one of each resource.
func (s *Service) RunDeliveries(ctx context.Context) {
	if s.hooks == nil {
		return
	}
	workers := map[string]*hookWorker{}
	var wg sync.WaitGroup
	defer func() {
		for _, w := range workers {
			w.stop()
		}
		wg.Wait()
	}()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		hooks, err := s.store.FindWebhooks(ctx, nil)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("webhooks: list", "error", err)
		}
		seen := map[string]bool{}
		for _, h := range hooks {
			if h.Status != roster.StatusEnabled {
				continue
			}
			seen[h.ID] = true
			if w := workers[h.ID]; w != nil {
				w.set(h)
				continue
			}
			w := newHookWorker(ctx, s, h)
			workers[h.ID] = w
			wg.Go(w.run)
		}
		if err == nil {
			for id, w := range workers {
				if !seen[id] {
					w.stop()
					delete(workers, id)
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-s.hooksChanged:
			for _, w := range workers {
				w.poke()
			}
		}
	}
}

// hookWorker delivers one webhook's events.
type hookWorker struct {
	s    *Service
	hook atomic.Pointer[roster.Webhook]
	// ctx ends when the worker is stopped or the delivery loop ends.
	ctx     context.Context
	cancel  context.CancelFunc
	wake    chan struct{}
	results chan *roster.Delivery
	// secrets caches the opened secrets of one version of the webhook.
	mu         sync.Mutex
	secVersion int64
	sec        *roster.WebhookSecrets
}

func newHookWorker(parent context.Context, s *Service, h *roster.Webhook) *hookWorker {
	ctx, cancel := context.WithCancel(parent)
	w := &hookWorker{s: s, ctx: ctx, cancel: cancel, wake: make(chan struct{}, 1), results: make(chan *roster.Delivery, 4*max(s.hooks.Concurrency, 1))}
	w.hook.Store(h)
	return w
}

func (w *hookWorker) set(h *roster.Webhook) {
	if old := w.hook.Load(); old.Version != h.Version || old.Cursor < h.Cursor {
		w.hook.Store(h)
	}
}

func (w *hookWorker) stop() { w.cancel() }

func (w *hookWorker) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *hookWorker) run() {
	ctx := w.ctx
	cfg := w.s.hooks
	inFlight := 0
	due := true // whether deliveries may be due
	var sends sync.WaitGroup
	defer sends.Wait()
	var done []*roster.Delivery
	for ctx.Err() == nil {
		changed := w.s.feed.changed()
	drain:
		for {
			select {
			case d := <-w.results:
				done = append(done, d)
			default:
				break drain
			}
		}
		inFlight -= len(done)
		if len(done) > 0 {
			due = true // the next of each resource may go now
		}
		free := cfg.Concurrency - inFlight
		n, ds, err := w.step(ctx, done, free, due)
		if err != nil && ctx.Err() == nil {
			w.s.log.Warn("webhooks: delivery step", "webhook", w.hook.Load().ID, "error", err)
		}
		done = done[:0]
		if err == nil && (n > 0 || due) {
			due = free > 0 && len(ds) == free // more may be waiting
		}
		for _, d := range ds {
			inFlight++
			sends.Add(1)
			go func() {
				defer sends.Done()
				w.results <- w.send(ctx, d)
			}()
		}
		if n == fanOutBatch {
			continue // more events are waiting
		}
		t := time.NewTimer(time.Second)
		select {
		case <-ctx.Done():
		case <-changed:
		case <-w.wake:
			due = true
		case <-t.C:
			due = true // retries come due
		case d := <-w.results:
			done = append(done, d)
		}
		t.Stop()
	}
}

// step does, in one transaction, what the worker has to do: save the
// finished attempts (and the webhook's record of health), add deliveries
// for the events after the webhook's cursor and move the cursor, and
// lease up to free due deliveries. Without new events it leases only when
// deliveries may be due. It returns how many events it read and what it
// leased.
func (w *hookWorker) step(ctx context.Context, done []*roster.Delivery, free int, due bool) (int, []*roster.Delivery, error) {
	h := w.hook.Load()
	// The fan-out decides by the events' columns; the claim reads the
	// documents of the deliveries it leases.
	found, err := w.s.store.FindEvents(ctx, roster.EventFilter{After: h.Cursor, Limit: fanOutBatch, Bare: true})
	if err != nil {
		return 0, nil, err
	}
	if len(found) == 0 && len(done) == 0 && (!due || free <= 0) {
		return 0, nil, nil
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	in := subtreeCheck{s: w.s, root: h.OrganizationID, all: h.OrganizationID == w.s.rootOrg(ctx, w.s.store, h.OrganizationID), memo: map[string]bool{}}
	var ds []*roster.Delivery
	for _, se := range found {
		e := se.Event
		if !h.Wants(e.Type) {
			continue
		}
		if ok, err := in.contains(ctx, se); err != nil {
			return 0, nil, err
		} else if !ok {
			continue
		}
		ds = append(ds, &roster.Delivery{ID: roster.NewID(roster.PrefixDelivery), WebhookID: h.ID, EventID: e.ID, EventType: e.Type,
			ResourceID: e.Resource.ID, Status: roster.DeliveryPending, Attempts: []roster.Attempt{}, RetryingSince: now,
			CreatedAt: now, UpdatedAt: now, Seq: se.Seq})
	}
	var to int64
	if len(found) > 0 {
		to = found[len(found)-1].Seq
	}
	var claimed []*roster.Delivery
	lease := w.s.hooks.Timeout + 5*time.Second // a dead node's leases pass on after this
	disabled := false
	enqueue := func(tx roster.Tx) (err error) {
		if len(found) > 0 {
			if err := tx.EnqueueDeliveries(h.ID, h.Cursor, to, ds); err != nil {
				return err
			}
		}
		if free > 0 && (due || len(ds) > 0) {
			claimed, err = tx.ClaimDeliveries(h.ID, w.s.hooks.Owner, tx.Now().Add(lease), free)
		}
		return err
	}
	// The results are saved even when ctx has ended (a stopping server):
	// an attempt made and not recorded would be made again.
	sctx := context.WithoutCancel(ctx)
	err = w.s.store.Update(sctx, func(tx roster.Tx) (err error) {
		if disabled, err = w.save(sctx, tx, done); err != nil {
			return err
		}
		return enqueue(tx)
	})
	if roster.ErrorCode(err) == roster.CodeConflict && len(done) > 0 {
		// Another node moved the cursor, which rolled the saves back too:
		// save alone, then start again from the cursor the store has.
		err = w.s.store.Update(sctx, func(tx roster.Tx) (err error) {
			disabled, err = w.save(sctx, tx, done)
			return err
		})
		if err == nil {
			err = roster.Errorf(roster.CodeConflict, "the cursor moved")
		}
	}
	if disabled {
		w.s.log.Warn("webhook disabled after continuous failure", "webhook", h.ID, "url", h.URL)
		w.s.feed.wake()
		w.s.notifyHooks()
	}
	switch roster.ErrorCode(err) {
	case "":
		if len(found) > 0 {
			next := h.Clone()
			next.Cursor = to
			w.hook.CompareAndSwap(h, next)
		}
		return len(found), claimed, nil
	case roster.CodeConflict, roster.CodeNotFound:
		// Another node moved the cursor (or the webhook is gone): start
		// again from where the store has it.
		if cur, err := w.s.store.FindWebhook(ctx, h.ID); err == nil {
			w.hook.CompareAndSwap(h, cur)
		}
		return 0, nil, nil
	}
	return 0, nil, err
}

// subtreeCheck decides whether events belong to an organisation's subtree.
type subtreeCheck struct {
	s    *Service
	root string
	all  bool // root is the root of everything
	memo map[string]bool
}

// contains decides by a bare event (see roster.EventFilter.Bare).
func (c *subtreeCheck) contains(ctx context.Context, se roster.StoredEvent) (bool, error) {
	e := se.Event
	if c.all || e.OrgID == c.root {
		return true, nil
	}
	org := e.OrgID
	if e.Type == EventOrgDeleted {
		// A deleted organisation has no ancestors left: its parent does,
		// which only the event's document holds.
		found, err := c.s.store.FindEvents(ctx, roster.EventFilter{After: se.Seq - 1, Limit: 1})
		if err != nil {
			return false, err
		}
		var prev struct {
			ParentID string `json:"parent_id"`
		}
		if len(found) == 0 || found[0].Event.ID != e.ID || json.Unmarshal(found[0].Event.Previous, &prev) != nil || prev.ParentID == "" {
			return false, nil
		}
		org = prev.ParentID
		if org == c.root {
			return true, nil
		}
	}
	if ok, seen := c.memo[org]; seen {
		return ok, nil
	}
	up, err := c.s.store.OrgAncestors(ctx, org)
	if roster.ErrorCode(err) == roster.CodeNotFound {
		c.memo[org] = false
		return false, nil
	} else if err != nil {
		return false, err
	}
	ok := slices.Contains(up, c.root)
	c.memo[org] = ok
	return ok, nil
}

// secrets returns the webhook's opened secrets.
func (w *hookWorker) secrets(h *roster.Webhook) (*roster.WebhookSecrets, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.sec != nil && w.secVersion == h.Version {
		return w.sec, nil
	}
	sec, err := w.s.openSecrets(h)
	if err != nil {
		return nil, err
	}
	w.sec, w.secVersion = sec, h.Version
	return sec, nil
}

// send makes one attempt at a delivery and sets its next state.
func (w *hookWorker) send(ctx context.Context, d *roster.Delivery) *roster.Delivery {
	cfg := w.s.hooks
	h := w.hook.Load()
	var a roster.Attempt
	sec, err := w.secrets(h)
	switch {
	case d.Event == nil:
		a = roster.Attempt{At: time.Now().UTC(), Error: "the event is no longer in the store"}
	case err != nil:
		a = roster.Attempt{At: time.Now().UTC(), Error: "the webhook's secrets do not open: was the server's secret key changed?"}
	default:
		sctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
		a = cfg.Sender.Send(sctx, h, sec, d.Event)
		cancel()
	}
	d.Log(a)
	now := time.Now().UTC().Truncate(time.Microsecond)
	d.UpdatedAt = now
	switch {
	case a.Succeeded():
		d.Status, d.NextAttempt = roster.DeliverySucceeded, nil
	case d.Event == nil || now.Sub(d.RetryingSince) >= cfg.RetryFor:
		d.Status, d.NextAttempt = roster.DeliveryFailed, nil
	default:
		next := now.Add(backoff(cfg.RetryBase, cfg.RetryMax, d.AttemptCount))
		d.NextAttempt = &next
	}
	return d
}

// backoff is the pause before attempt n+1: it doubles from base up to
// limit, with "equal jitter" (between half and all of it) so that many
// failed deliveries do not all come back at once.
func backoff(base, limit time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	return d/2 + rand.N(d/2+1)
}

// save stores finished attempts in tx and keeps the webhook's record of
// health: when every attempt has failed for DisableAfter, the webhook is
// disabled, and that is an event. It reports whether it disabled it.
func (w *hookWorker) save(ctx context.Context, tx roster.Tx, done []*roster.Delivery) (bool, error) {
	if len(done) == 0 {
		return false, nil
	}
	h := w.hook.Load()
	cfg := w.s.hooks
	ok, failed := false, time.Time{}
	for _, d := range done {
		last := d.Attempts[len(d.Attempts)-1]
		if last.Succeeded() {
			ok = true
		} else if failed.IsZero() {
			failed = last.At
		}
		if err := tx.SaveDelivery(d, cfg.Owner); err != nil && roster.ErrorCode(err) != roster.CodeConflict {
			return false, err
		}
	}
	cur, err := tx.FindWebhook(ctx, h.ID)
	if roster.ErrorCode(err) == roster.CodeNotFound {
		return false, nil
	} else if err != nil {
		return false, err
	}
	switch {
	case ok && cur.FailingSince != nil:
		return false, tx.SetWebhookFailing(h.ID, nil)
	case ok || failed.IsZero():
		return false, nil
	case cur.FailingSince == nil:
		return false, tx.SetWebhookFailing(h.ID, &failed)
	case cur.Status == roster.StatusEnabled && failed.Sub(*cur.FailingSince) >= cfg.DisableAfter:
		next := cur.Clone()
		next.Status = roster.StatusDisabled
		next.DisabledReason = fmt.Sprintf("disabled by the server: every delivery failed from %s to %s", cur.FailingSince.Format(time.RFC3339), failed.Format(time.RFC3339))
		next.Version, next.UpdatedAt = cur.Version+1, tx.Now()
		if err := tx.UpdateWebhook(next); err != nil {
			return false, err
		}
		return true, w.s.recordWebhook(ctx, tx, nil, EventWebhookDisabled, cur, next)
	}
	return false, nil
}
