// SPDX-License-Identifier: Apache-2.0

package service

import (
	"math/rand/v2"
	"testing"

	"github.com/rosterhq/roster"
)

// TestPlanAgreesWithTake: what a step writes (plan: the deliveries to
// store, the stored cursor, how many events are ready) is what taking the
// new events then does to the worker, whatever it already had in flight.
func TestPlanAgreesWithTake(t *testing.T) {
	resources := []string{"usr_a", "usr_b", "usr_c", "usr_d"}
	for i := range 2000 {
		r := rand.New(rand.NewPCG(uint64(i), 7))
		w := &hookWorker{}
		w.restart(10)
		seq := int64(10)
		delivery := func() *roster.Delivery {
			seq++
			return &roster.Delivery{Seq: seq, ResourceID: resources[r.IntN(len(resources))]}
		}
		// Events already streamed and not recorded.
		var old []*roster.Delivery
		for range r.IntN(4) {
			old = append(old, delivery())
		}
		w.take(old, nil, seq)
		// Some are recorded meanwhile (the window keeps them until its
		// head is recorded).
		for _, st := range w.window {
			if r.IntN(3) == 0 {
				st.recorded = true
			}
		}
		for len(w.window) > 0 && w.window[0].recorded {
			w.window = w.window[1:]
		}
		var wanted []*roster.Delivery
		for range r.IntN(6) {
			wanted = append(wanted, delivery())
		}
		queued := map[string]bool{}
		for _, res := range resources {
			queued[res] = r.IntN(3) == 0
		}
		pos := seq + int64(r.IntN(3)) // events the webhook does not want may follow

		add, to, ready := w.plan(wanted, queued, pos)
		w.take(wanted, queued, pos)
		if got := w.streamCursor(); got != to {
			t.Fatalf("case %d: plan's cursor %d, after take %d", i, to, got)
		}
		if ready != len(w.ready) {
			t.Fatalf("case %d: plan says %d ready, take made %d", i, ready, len(w.ready))
		}
		streamed := 0
		for _, d := range wanted {
			_, open := w.byRes[d.ResourceID]
			joined := false
			for _, a := range add {
				joined = joined || a == d
			}
			if joined == open {
				t.Fatalf("case %d: %s joins the table %v but has a streamed queue %v", i, d.ResourceID, joined, open)
			}
			if !joined {
				streamed++
			}
		}
		if len(add)+streamed != len(wanted) {
			t.Fatalf("case %d: %d stored + %d streamed of %d", i, len(add), streamed, len(wanted))
		}
		// The cursor never passes an event not recorded.
		for _, st := range w.window {
			if !st.recorded && st.d.Seq <= to {
				t.Fatalf("case %d: cursor %d passes unrecorded event %d", i, to, st.d.Seq)
			}
		}
	}
}
