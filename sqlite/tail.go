// SPDX-License-Identifier: Apache-2.0

package sqlite

import (
	"sort"
	"sync"

	"github.com/rosterhq/roster"
)

// tailSize bounds the events eventTail keeps.
const tailSize = 4096

// eventTail keeps the columns of the newest committed events, so that a
// bare read of the events after a recent one (what each webhook's worker
// does after every change) needs no query. It holds every event committed
// with a seq above from, in commit order: the writer adds a batch's
// events once the batch is committed, before it answers the batch's
// requests.
type eventTail struct {
	mu   sync.Mutex
	from int64
	evs  []roster.StoredEvent // bare (see roster.EventFilter.Bare)
}

func (t *eventTail) add(evs []roster.StoredEvent) {
	if len(evs) == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.evs = append(t.evs, evs...)
	if n := len(t.evs); n > tailSize {
		drop := n - tailSize/2
		t.from = t.evs[drop-1].Seq
		t.evs = append(t.evs[:0:0], t.evs[drop:]...)
	}
}

// forget drops the events up to seq, which the retention deleted: the
// table answers reads from before them.
func (t *eventTail) forget(seq int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if seq <= t.from {
		return
	}
	t.from = seq
	i := sort.Search(len(t.evs), func(i int) bool { return t.evs[i].Seq > seq })
	t.evs = append(t.evs[:0:0], t.evs[i:]...)
}

// after returns up to limit events after seq, and whether the tail holds
// all of them (false: read the table).
func (t *eventTail) after(seq int64, limit int) ([]roster.StoredEvent, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if seq < t.from {
		return nil, false
	}
	i := sort.Search(len(t.evs), func(i int) bool { return t.evs[i].Seq > seq })
	n := min(limit, len(t.evs)-i)
	out := make([]roster.StoredEvent, 0, n)
	for _, se := range t.evs[i : i+n] {
		e := *se.Event
		out = append(out, roster.StoredEvent{Seq: se.Seq, Event: &e})
	}
	return out, true
}

// tailOnly reports whether a filter asks only for the bare events after a
// position, which the tail can answer.
func tailOnly(f roster.EventFilter) bool {
	return f.Bare && f.Limit > 0 && len(f.Types) == 0 && f.Target == "" && f.Actor == "" && f.OccurredAfter == nil && f.Before == nil &&
		f.Visible == nil && f.WebhooksVisible == nil && f.KeysVisible == nil
}
