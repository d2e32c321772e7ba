// SPDX-License-Identifier: Apache-2.0

package roster

import (
	"testing"
	"time"
)

func TestFirstIDAt(t *testing.T) {
	before := NewID(PrefixDelivery)
	time.Sleep(2 * time.Millisecond)
	at := time.Now()
	bound := FirstIDAt(PrefixDelivery, at)
	time.Sleep(2 * time.Millisecond)
	after := NewID(PrefixDelivery)
	if !ValidID(PrefixDelivery, bound) {
		t.Fatalf("FirstIDAt = %q: not an id", bound)
	}
	if !(before < bound && bound < after) {
		t.Errorf("want %s < %s < %s", before, bound, after)
	}
	if got := FirstIDAt(PrefixDelivery, at.Add(time.Millisecond)); got <= bound {
		t.Errorf("a later millisecond's bound %s is not above %s", got, bound)
	}
}
