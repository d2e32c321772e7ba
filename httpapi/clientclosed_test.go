// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/rosterhq/roster"
)

// TestClientClosed: only a failure of a request whose client hung up
// (its context canceled) counts as the client's doing, and never a panic
// or an answer the request earned on its own (a 4xx).
func TestClientClosed(t *testing.T) {
	live := httptest.NewRequest("GET", "/v1/events", nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	gone := live.WithContext(ctx)
	for _, c := range []struct {
		name string
		r    bool // the client hung up
		err  error
		want bool
	}{
		{"canceled", true, context.Canceled, true},
		{"wrapped cancellation", true, fmt.Errorf("read events: %w", context.Canceled), true},
		{"a failure the hang-up caused", true, fmt.Errorf("sql: statement interrupted"), true},
		{"a panic", true, errPanicked, false},
		{"a 4xx", true, roster.Errorf(roster.CodeMalformed, "bad cursor"), false},
		{"client still there", false, context.Canceled, false},
		{"internal error, client still there", false, fmt.Errorf("disk full"), false},
	} {
		r := live
		if c.r {
			r = gone
		}
		if got := clientClosed(r, c.err); got != c.want {
			t.Errorf("%s: clientClosed = %v, want %v", c.name, got, c.want)
		}
	}
}
