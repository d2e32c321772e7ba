// SPDX-License-Identifier: Apache-2.0

package service

import (
	"sync"

	"github.com/rosterhq/roster"
)

// recentSize is how many of its newest events a node keeps for delivery.
const recentSize = 2048

// recentEvents keeps the newest events this node wrote, by id, so that
// delivering a new event need not decode its stored document again. The
// events are never changed once written. One of a transaction that was
// rolled back is never asked for: deliveries look events up by the ids the
// store holds.
type recentEvents struct {
	mu   sync.Mutex
	byID map[string]*roster.Event
	ring [recentSize]string
	next int
}

func (r *recentEvents) add(e *roster.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byID == nil {
		r.byID = make(map[string]*roster.Event, recentSize)
	}
	delete(r.byID, r.ring[r.next])
	r.ring[r.next] = e.ID
	r.next = (r.next + 1) % recentSize
	r.byID[e.ID] = e
}

// get returns the event with the given id, or nil when it is not kept.
func (r *recentEvents) get(id string) *roster.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.byID[id]
}
