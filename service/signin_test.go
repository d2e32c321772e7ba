// SPDX-License-Identifier: Apache-2.0

package service

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

// TestHashGate: at most n hashes run at once; a few requests wait (as
// long as their context allows), and the rest are refused at once with a
// 503 that says when to retry, rather than queueing without bound.
func TestHashGate(t *testing.T) {
	g := newHashGate(1)
	g.maxWaiting, g.wait = 1, 200*time.Millisecond
	hold, holding := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = g.run(context.Background(), func() { close(holding); <-hold })
	}()
	<-holding

	isBusy := func(what string, err error) {
		t.Helper()
		var rl *RateLimitError
		if !errors.As(err, &rl) || !rl.Unavailable || rl.RetryAfterSeconds() < 1 || roster.ErrorCode(err) != roster.CodeUnavailable {
			t.Fatalf("%s: %v, want a busy refusal (503 with Retry-After)", what, err)
		}
	}
	// One may wait: it gives up when its context ends...
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	ran := false
	isBusy("waiting past the context", g.run(ctx, func() { ran = true }))
	// ...or after the gate's longest wait.
	start := time.Now()
	isBusy("waiting past the gate's wait", g.run(context.Background(), func() { ran = true }))
	if time.Since(start) < 150*time.Millisecond {
		t.Fatal("gave up before the gate's wait")
	}
	// While one waits, the next is refused at once.
	g.wait = 10 * time.Second
	waiting := make(chan error)
	go func() { waiting <- g.run(context.Background(), func() {}) }()
	for g.waiting.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	start = time.Now()
	isBusy("beyond the waiters allowed", g.run(context.Background(), func() { ran = true }))
	if time.Since(start) > 50*time.Millisecond {
		t.Fatal("a request beyond the waiters allowed waited")
	}
	if ran {
		t.Fatal("a refused request ran")
	}
	// When the slot frees, the waiter runs, and then anyone.
	close(hold)
	if err := <-waiting; err != nil {
		t.Fatalf("the waiter: %v", err)
	}
	wg.Wait()
	if err := g.run(context.Background(), func() { ran = true }); err != nil || !ran {
		t.Fatalf("a free gate: %v, ran %v", err, ran)
	}
	if n := len(g.slots); n != 0 || g.waiting.Load() != 0 {
		t.Fatalf("after everything: %d slots held, %d waiting", n, g.waiting.Load())
	}
}

// TestBusyAnswers: a full gate is a 503 with Retry-After at the token
// endpoint (temporarily_unavailable) as on every other route.
func TestBusyAnswers(t *testing.T) {
	oe, ok := asOAuth(errBusy()).(*OAuthError)
	if !ok || oe.Status != 503 || oe.Code != "temporarily_unavailable" || oe.RetryAfter < 1 {
		t.Fatalf("token endpoint: %+v", oe)
	}
	limited, ok := asOAuth(&RateLimitError{RetryAfter: time.Minute, Message: "locked"}).(*OAuthError)
	if !ok || limited.Status != 429 || limited.RetryAfter != 60 {
		t.Fatalf("a lockout at the token endpoint: %+v", limited)
	}
	if roster.ErrorCode(errBusy()) != roster.CodeUnavailable {
		t.Fatalf("elsewhere: %v", roster.ErrorCode(errBusy()))
	}
}
