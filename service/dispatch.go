// SPDX-License-Identifier: Apache-2.0

package service

import (
	"container/heap"
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
		for id, w := range workers {
			w.stop()
			s.hookWorkers.CompareAndDelete(id, w)
		}
		wg.Wait()
	}()
	if l, ok := s.store.(roster.RetryListener); ok {
		// Another node's failures come due here on time, not at the next
		// poll.
		wg.Go(func() {
			l.ListenRetries(ctx, func(id string, at time.Time) {
				if w, ok := s.hookWorkers.Load(id); ok {
					w.(*hookWorker).noteRetry(at)
				}
			})
		})
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		hooks, _, err := s.store.FindWebhooks(ctx, nil, roster.Page{})
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
			s.hookWorkers.Store(h.ID, w)
			wg.Go(w.run)
		}
		if err == nil {
			for id, w := range workers {
				if !seen[id] {
					w.stop()
					delete(workers, id)
					s.hookWorkers.CompareAndDelete(id, w)
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
//
// While it holds the webhook's stream (roster.Tx.AdvanceStream), it sends
// new events straight from the events table, one at a time per resource,
// and writes each delivery once, with the result of its first attempt;
// the stored cursor stays before the oldest event not yet recorded, so a
// crash sends again what was in flight. A delivery that must be retried,
// and the events of its resource after it, go to the deliveries table,
// from which any node leases the due ones (roster.Tx.ClaimDeliveries).
type hookWorker struct {
	s    *Service
	hook atomic.Pointer[roster.Webhook]
	// ctx ends when the worker is stopped or the delivery loop ends.
	ctx     context.Context
	cancel  context.CancelFunc
	wake    chan struct{}
	results chan result
	// retryNotes brings the retry times other nodes announce.
	retryNotes chan time.Time
	// secrets caches the opened secrets of one version of the webhook.
	mu         sync.Mutex
	secVersion int64
	sec        *roster.WebhookSecrets

	// The stream, owned by run's goroutine.
	held    bool                   // whether this node held the stream at the last step
	retryAt time.Time              // when to try to take the stream again
	gen     int                    // raised when the stream is given up: older sends are not recorded
	cursor  int64                  // the stored cursor
	pos     int64                  // the newest event read
	window  []*streamed            // the events sent or to send, oldest first, until recorded
	byRes   map[string][]*streamed // the unrecorded ones of each resource; the first goes first
	ready   []*streamed            // those whose turn has come
	open    int                    // how many in window are not recorded
}

// streamed is a delivery of a new event, sent without a stored row.
type streamed struct {
	d        *roster.Delivery
	gen      int
	recorded bool
}

// result is a finished attempt: of a claimed delivery, or of a streamed
// one (s set).
type result struct {
	d *roster.Delivery
	s *streamed
}

// maxOpen bounds the streamed events a worker keeps unrecorded; it reads
// no further events meanwhile.
const maxOpen = fanOutBatch

// stepEvery is the shortest time between two steps of a worker. Under
// load, the results and new events of those milliseconds share one step
// (one write transaction, one read of the events) instead of taking one
// each; an event that comes after a quiet while goes at once.
const stepEvery = 5 * time.Millisecond

func newHookWorker(parent context.Context, s *Service, h *roster.Webhook) *hookWorker {
	ctx, cancel := context.WithCancel(parent)
	w := &hookWorker{s: s, ctx: ctx, cancel: cancel, wake: make(chan struct{}, 1), results: make(chan result, 4*max(s.hooks.Concurrency, 1)),
		retryNotes: make(chan time.Time, 16)}
	w.hook.Store(h)
	w.restart(h.Cursor)
	return w
}

// set makes the worker use a newer version of its webhook (a list read
// before a change may come after it: older versions are ignored).
func (w *hookWorker) set(h *roster.Webhook) {
	for {
		old := w.hook.Load()
		if h.Version < old.Version || h.Version == old.Version && h.Cursor <= old.Cursor || w.hook.CompareAndSwap(old, h) {
			return
		}
	}
}

func (w *hookWorker) stop() { w.cancel() }

// noteRetry tells the worker that stored deliveries come due at a time
// (a full queue drops it: the poll finds them).
func (w *hookWorker) noteRetry(at time.Time) {
	select {
	case w.retryNotes <- at:
	default:
	}
}

func (w *hookWorker) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// restart forgets the streamed events not recorded (their attempts in
// flight will not be recorded) and reads on from the stored cursor.
func (w *hookWorker) restart(cursor int64) {
	w.gen++
	w.cursor, w.pos = cursor, cursor
	w.window, w.byRes, w.ready, w.open = nil, map[string][]*streamed{}, nil, 0
}

func (w *hookWorker) run() {
	ctx := w.ctx
	cfg := w.s.hooks
	inFlight := 0
	due := true // whether stored deliveries may be due
	// Sends run on goroutines kept for the next ones (a new goroutine per
	// send would grow a fresh stack each time): one that is idle takes a
	// send, and one is started when all are busy, Concurrency at most.
	var sends sync.WaitGroup
	jobs := make(chan func())
	goSend := func(f func()) {
		select {
		case jobs <- f:
		default:
			sends.Go(func() {
				for ; f != nil; f = <-jobs {
					f()
				}
			})
		}
	}
	defer func() {
		close(jobs)
		// A send cannot be cut short (the sender's deadline ends it): let
		// the stream go only when none is in flight, so that another node
		// cannot send a resource's next event while this one still sends
		// its last. Otherwise the hold ends by itself after the lease.
		idle := make(chan struct{})
		go func() {
			sends.Wait()
			close(idle)
		}()
		t := time.NewTimer(100 * time.Millisecond)
		defer t.Stop()
		select {
		case <-idle:
			w.release()
		case <-t.C:
		}
	}()
	var done []result
	var last time.Time
	var retries retryTimes
	for ctx.Err() == nil {
		if wait := stepEvery - time.Since(last); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
			case <-t.C:
			}
			t.Stop()
		}
		last = time.Now()
		changed := w.s.feed.changed()
	drain:
		for {
			select {
			case r := <-w.results:
				done = append(done, r)
			default:
				break drain
			}
		}
		inFlight -= len(done)
		for _, r := range done {
			if r.s == nil {
				due = true // the next of the resource may go now
			}
			if r.d.Status == roster.DeliveryPending && r.d.NextAttempt != nil {
				retries.add(*r.d.NextAttempt)
			}
		}
		free := cfg.Concurrency - inFlight
		n, claimed, streams, err := w.step(ctx, done, free, &due)
		if err != nil && ctx.Err() == nil {
			w.s.log.Warn("webhooks: delivery step", "webhook", w.hook.Load().ID, "error", err)
		}
		done = done[:0]
		for _, d := range claimed {
			inFlight++
			goSend(func() { w.results <- result{d: w.send(ctx, d)} })
		}
		for _, st := range streams {
			inFlight++
			goSend(func() {
				var d *roster.Delivery
				if e, err := w.event(ctx, st.d); err != nil {
					d = w.logAttempt(st.d, roster.Attempt{At: time.Now().UTC(), Error: "read the event: " + err.Error()}, false)
				} else {
					st.d.Event = e
					d = w.send(ctx, st.d)
				}
				d.Event = nil
				w.results <- result{d: d, s: st}
			})
		}
		if n == fanOutBatch || (len(w.ready) > 0 && inFlight < cfg.Concurrency) {
			continue // more events are waiting
		}
		t := time.NewTimer(retries.wait(time.Now()))
		select {
		case <-ctx.Done():
		case <-changed:
		case <-w.wake:
			due = true
		case <-t.C:
			due = true // retries come due
			retries.passed(time.Now())
		case at := <-w.retryNotes:
			retries.add(at)
		case r := <-w.results:
			done = append(done, r)
		}
		t.Stop()
	}
}

// retryTimes are the times this worker's failed attempts (and those
// other nodes announce, roster.RetryListener) are to be tried again,
// soonest first, so that it wakes for them on time: other retries (more
// than it keeps, or announcements lost) are found by polling every
// second.
type retryTimes []time.Time

// maxRetryTimes bounds the retry times a worker keeps.
const maxRetryTimes = 4096

func (h *retryTimes) add(t time.Time) {
	if len(*h) < maxRetryTimes {
		heap.Push(h, t)
	}
}

// wait returns how long to wait at most before stored deliveries may be
// due: until the next retry, or a second.
func (h retryTimes) wait(now time.Time) time.Duration {
	if len(h) > 0 {
		return max(min(h[0].Sub(now), time.Second), 0)
	}
	return time.Second
}

// passed forgets the retry times up to now.
func (h *retryTimes) passed(now time.Time) {
	for len(*h) > 0 && !(*h)[0].After(now) {
		heap.Pop(h)
	}
}

func (h retryTimes) Len() int           { return len(h) }
func (h retryTimes) Less(i, j int) bool { return h[i].Before(h[j]) }
func (h retryTimes) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *retryTimes) Push(x any)        { *h = append(*h, x.(time.Time)) }
func (h *retryTimes) Pop() any {
	old := *h
	t := old[len(old)-1]
	*h = old[:len(old)-1]
	return t
}

// event returns a streamed delivery's event: the one this node wrote,
// or else the one the store holds (nil when it is gone).
func (w *hookWorker) event(ctx context.Context, d *roster.Delivery) (*roster.Event, error) {
	if e := w.s.recent.get(d.EventID); e != nil {
		return e, nil
	}
	found, err := w.s.store.FindEvents(ctx, roster.EventFilter{After: d.Seq - 1, Limit: 1})
	if err != nil || len(found) == 0 || found[0].Event.ID != d.EventID {
		return nil, err
	}
	return found[0].Event, nil
}

// release lets the stream go when the worker stops, so that another node
// (or this one, when the webhook is enabled again) need not wait for the
// hold to end.
func (w *hookWorker) release() {
	if !w.held {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(w.ctx), 5*time.Second)
	defer cancel()
	h, owner := w.hook.Load(), w.s.hooks.Owner
	_ = w.s.store.Update(ctx, func(tx roster.Tx) error {
		return tx.AdvanceStream(h.ID, owner, w.cursor, w.cursor, tx.Now().Add(-time.Second), nil)
	})
}

// record settles a streamed delivery's attempt: its row is added, and the
// next event of its resource may go; when it is to be retried, it and
// the rest of its resource's events go to the deliveries table instead.
// It returns the rows to add.
func (w *hookWorker) record(st *streamed, rows []*roster.Delivery) []*roster.Delivery {
	st.recorded, w.open = true, w.open-1
	rows = append(rows, st.d)
	res := st.d.ResourceID
	rest := w.byRes[res][1:]
	switch {
	case len(rest) == 0:
		delete(w.byRes, res)
	case st.d.Status == roster.DeliveryPending:
		for _, next := range rest {
			next.recorded, w.open = true, w.open-1
			rows = append(rows, next.d)
		}
		delete(w.byRes, res)
	default:
		w.byRes[res] = rest
		w.ready = append(w.ready, rest[0])
	}
	return rows
}

// step does, in one transaction, what the worker has to do: record the
// finished attempts (and the webhook's record of health), read the new
// events after the ones it has read and move the stored cursor up to the
// oldest one not recorded, and lease up to free due stored deliveries
// when they may be due (and then says whether more may be). It returns
// how many events it read, the leased deliveries and the streamed ones to
// send now.
func (w *hookWorker) step(ctx context.Context, done []result, free int, due *bool) (int, []*roster.Delivery, []*streamed, error) {
	h := w.hook.Load()
	now := time.Now().UTC().Truncate(time.Microsecond)
	var rows, attempts, claimedDone []*roster.Delivery
	for _, r := range done {
		switch {
		case r.s == nil:
			claimedDone = append(claimedDone, r.d)
			attempts = append(attempts, r.d)
		case r.s.gen == w.gen:
			rows = w.record(r.s, rows)
			attempts = append(attempts, r.d)
		}
	}
	var found []roster.StoredEvent
	var wanted []*roster.Delivery
	if (w.held || !now.Before(w.retryAt)) && w.open < maxOpen {
		var err error
		if found, wanted, err = w.fanOut(ctx, h, now); err != nil {
			w.restart(w.cursor)
			return 0, nil, nil, err
		}
	}
	for len(w.window) > 0 && w.window[0].recorded {
		w.window = w.window[1:]
	}
	pos := w.pos
	if len(found) > 0 {
		pos = found[len(found)-1].Seq
	}
	// The resources whose new events may have to join stored pending
	// deliveries: not those with a streamed event unrecorded (the new
	// ones wait behind it).
	var resources []string
	seen := map[string]bool{}
	for _, d := range wanted {
		if _, open := w.byRes[d.ResourceID]; !open && !seen[d.ResourceID] {
			seen[d.ResourceID] = true
			resources = append(resources, d.ResourceID)
		}
	}
	streamWork := len(found) > 0 || len(rows) > 0 || (len(w.ready) > 0 && free > 0) || w.streamCursor() != w.cursor
	if !streamWork && len(claimedDone) == 0 && !(*due && free > 0) {
		return 0, nil, nil, nil
	}
	var claimed []*roster.Delivery
	var queued map[string]bool
	var n, claimFor int
	lease := w.s.hooks.Timeout + 5*time.Second // a dead node's leases and stream pass on after this
	owner := w.s.hooks.Owner
	disabled := false
	// The results are saved even when ctx has ended (a stopping server):
	// an attempt made and not recorded would be made again.
	sctx := context.WithoutCancel(ctx)
	err := w.s.store.Update(sctx, func(tx roster.Tx) (err error) {
		if disabled, err = w.save(sctx, tx, claimedDone, attempts); err != nil {
			return err
		}
		// Which resources have stored pending deliveries, read in the
		// write transaction (no delivery can be stored meanwhile), with
		// those this step stores.
		queued = map[string]bool{}
		if len(resources) > 0 {
			if queued, err = tx.PendingResources(sctx, h.ID, resources); err != nil {
				return err
			}
		}
		for _, d := range rows {
			if d.Status == roster.DeliveryPending {
				queued[d.ResourceID] = true
			}
		}
		add, to, ready := w.plan(wanted, queued, pos)
		// The streamed events go first; when stored deliveries may be
		// due, they keep a quarter of the free places.
		n = min(ready, max(free, 0))
		if *due && n == free && free >= 4 {
			n = free - free/4
		}
		claimFor = free - n
		if streamWork {
			if err := tx.AdvanceStream(h.ID, owner, w.cursor, to, tx.Now().Add(lease), append(rows[:len(rows):len(rows)], add...)); err != nil {
				return err
			}
		}
		if *due && claimFor > 0 {
			if claimed, err = tx.ClaimDeliveries(h.ID, owner, tx.Now().Add(lease), claimFor); err != nil {
				return err
			}
		}
		return announceRetry(tx, h.ID, attempts)
	})
	if roster.ErrorCode(err) == roster.CodeConflict && len(claimedDone) > 0 {
		// Another node holds the stream or moved the cursor, which rolled
		// the saves back too: save alone.
		err = w.s.store.Update(sctx, func(tx roster.Tx) (err error) {
			disabled, err = w.save(sctx, tx, claimedDone, claimedDone)
			return err
		})
		if err == nil {
			err = roster.Errorf(roster.CodeConflict, "the stream is another node's")
		}
	}
	if disabled {
		w.s.log.Warn("webhook disabled after continuous failure", "webhook", h.ID, "url", h.URL)
		w.s.feed.wake()
		w.s.notifyHooks()
	}
	switch roster.ErrorCode(err) {
	case "":
		var streams []*streamed
		if streamWork {
			w.take(wanted, queued, pos)
			streams = w.ready[:n:n]
			w.ready = w.ready[n:]
			w.held, w.cursor = true, w.streamCursor()
		}
		if *due && claimFor > 0 {
			*due = len(claimed) == claimFor // more may be waiting
		}
		return len(found), claimed, streams, nil
	case roster.CodeConflict, roster.CodeNotFound:
		// Another node holds the stream (or moved the cursor, or the
		// webhook is gone): try again later, from where the store has it.
		w.held, w.retryAt = false, now.Add(time.Second)
		cursor := w.cursor
		if cur, err := w.s.store.FindWebhook(ctx, h.ID); err == nil {
			w.hook.CompareAndSwap(h, cur)
			cursor = cur.Cursor
		}
		w.restart(cursor)
		return 0, nil, nil, nil
	}
	w.restart(w.cursor)
	return 0, nil, nil, err
}

// announceRetry tells the other nodes, on a store they share, when the
// soonest of the failed attempts saved in tx is to be tried again. It
// comes last in the transaction: a notification is no write the event
// order depends on.
func announceRetry(tx roster.Tx, webhookID string, attempts []*roster.Delivery) error {
	a, ok := tx.(roster.RetryAnnouncer)
	if !ok {
		return nil
	}
	var soonest time.Time
	for _, d := range attempts {
		if d.Status == roster.DeliveryPending && d.NextAttempt != nil && (soonest.IsZero() || d.NextAttempt.Before(soonest)) {
			soonest = *d.NextAttempt
		}
	}
	if soonest.IsZero() {
		return nil
	}
	return a.AnnounceRetry(webhookID, soonest)
}

// fanOut reads the events after the newest one read and returns them,
// and a delivery for each one the webhook wants, oldest first.
func (w *hookWorker) fanOut(ctx context.Context, h *roster.Webhook, now time.Time) ([]roster.StoredEvent, []*roster.Delivery, error) {
	found, err := w.s.store.FindEvents(ctx, roster.EventFilter{After: w.pos, Limit: fanOutBatch, Bare: true})
	if err != nil || len(found) == 0 {
		return found, nil, err
	}
	in := subtreeCheck{s: w.s, root: h.OrganizationID, all: h.OrganizationID == w.s.rootOrg(ctx, w.s.store, h.OrganizationID), memo: map[string]bool{}}
	var wanted []*roster.Delivery
	for _, se := range found {
		e := se.Event
		if !h.Wants(e.Type) {
			continue
		}
		if ok, err := in.contains(ctx, se); err != nil {
			return nil, nil, err
		} else if !ok {
			continue
		}
		wanted = append(wanted, &roster.Delivery{ID: roster.NewID(roster.PrefixDelivery), WebhookID: h.ID, EventID: e.ID, EventType: e.Type,
			ResourceID: e.Resource.ID, Status: roster.DeliveryPending, Attempts: []roster.Attempt{}, RetryingSince: now,
			CreatedAt: now, UpdatedAt: now, Seq: se.Seq})
	}
	return found, wanted, nil
}

// joins reports whether a new event's delivery joins the stored pending
// deliveries of its resource (queued) instead of being streamed: an
// event whose resource has an unrecorded streamed event waits behind it.
func (w *hookWorker) joins(d *roster.Delivery, queued map[string]bool) bool {
	_, open := w.byRes[d.ResourceID]
	return !open && queued[d.ResourceID]
}

// plan says, without changing the worker, what taking the new events
// would do: the deliveries to store, the stored cursor (before the oldest
// event not recorded; pos when there is none) and how many streamed
// events would be ready to send.
func (w *hookWorker) plan(wanted []*roster.Delivery, queued map[string]bool, pos int64) (add []*roster.Delivery, to int64, ready int) {
	to, ready = pos, len(w.ready)
	held := len(w.window) > 0 // an event not recorded holds the cursor
	if held {
		to = w.window[0].d.Seq - 1
	}
	first := map[string]bool{}
	for _, d := range wanted {
		if w.joins(d, queued) {
			add = append(add, d)
			continue
		}
		if !held {
			to, held = d.Seq-1, true
		}
		if _, open := w.byRes[d.ResourceID]; !open && !first[d.ResourceID] {
			first[d.ResourceID] = true
			ready++
		}
	}
	return add, to, ready
}

// take adds the new events that plan streams to the window: the first of
// a resource is ready, the others wait behind it.
func (w *hookWorker) take(wanted []*roster.Delivery, queued map[string]bool, pos int64) {
	for _, d := range wanted {
		if w.joins(d, queued) {
			continue
		}
		st := &streamed{d: d, gen: w.gen}
		w.window = append(w.window, st)
		w.open++
		if q, open := w.byRes[d.ResourceID]; open {
			w.byRes[d.ResourceID] = append(q, st)
		} else {
			w.byRes[d.ResourceID] = []*streamed{st}
			w.ready = append(w.ready, st)
		}
	}
	w.pos = pos
}

// streamCursor is where the stored cursor stands: before the oldest
// event not recorded, or at the newest one read.
func (w *hookWorker) streamCursor() int64 {
	if len(w.window) > 0 {
		return w.window[0].d.Seq - 1
	}
	return w.pos
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
		a = cfg.Sender.Send(ctx, h, sec, d.Event) // within the sender's timeout
		w.s.keepRefreshToken(ctx, h, sec, a.RefreshToken)
	}
	return w.logAttempt(d, a, d.Event == nil)
}

// logAttempt adds an attempt to a delivery's log and sets its next state:
// succeeded, failed for good (when the event is gone or the retries are
// over) or pending, with its next attempt.
func (w *hookWorker) logAttempt(d *roster.Delivery, a roster.Attempt, gone bool) *roster.Delivery {
	cfg := w.s.hooks
	d.Log(a)
	if d.AttemptCount == 1 {
		// The retry window starts with the first attempt, not when the
		// delivery was queued (behind a failing one of its resource, it
		// may have waited for days).
		d.RetryingSince = a.At
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	d.UpdatedAt = now
	switch {
	case a.Succeeded():
		d.Status, d.NextAttempt = roster.DeliverySucceeded, nil
	case gone || now.Sub(d.RetryingSince) >= cfg.RetryFor:
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

// save stores the finished attempts of claimed deliveries in tx and keeps
// the webhook's record of health by all the attempts made: when every
// attempt has failed for DisableAfter, the webhook is disabled, and that
// is an event. It reports whether it disabled it.
func (w *hookWorker) save(ctx context.Context, tx roster.Tx, claimed, attempts []*roster.Delivery) (bool, error) {
	if len(attempts) == 0 {
		return false, nil
	}
	h := w.hook.Load()
	cfg := w.s.hooks
	for _, d := range claimed {
		if err := tx.SaveDelivery(d, cfg.Owner); err != nil && roster.ErrorCode(err) != roster.CodeConflict {
			return false, err
		}
	}
	ok, failed := false, time.Time{}
	for _, d := range attempts {
		last := d.Attempts[len(d.Attempts)-1]
		if last.Succeeded() {
			ok = true
		} else if failed.IsZero() {
			failed = last.At
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
		sec, _ := w.s.openSecrets(cur) // nil when they do not open: the event then masks no auth secret
		return true, w.s.recordWebhook(ctx, tx, nil, EventWebhookDisabled, cur, next, sec, sec)
	}
	return false, nil
}
