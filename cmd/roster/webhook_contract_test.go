// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

// TestWebhookMethods: a DELETE webhook sends no body and no Content-Type,
// signed over the empty body; PUT and PATCH webhooks arrive with those
// methods and a signed JSON body.
func TestWebhookMethods(t *testing.T) {
	s := startServer(t)
	rcs, secrets := map[string]*receiver{}, map[string]string{}
	for _, m := range []string{"DELETE", "PUT", "PATCH"} {
		rcs[m] = newReceiver(t)
		secrets[m] = signingSecret(s.createWebhook(map[string]any{"url": rcs[m].URL, "method": m, "events": []string{"user.created"}}))
	}
	uid := s.do("POST", "/v1/users", map[string]any{"email": "methods@example.com", "first_name": "M"}).want(201).str("id")
	feed, _ := s.events("?type=user.created&limit=200")
	eventID := feed[len(feed)-1].ID
	for m, rc := range rcs {
		a := rc.wait(1)[0]
		if a.Method != m {
			t.Errorf("%s webhook: the request came as %s", m, a.Method)
		}
		if msg := verifySignature(secrets[m], a.Header, a.Body); msg != "" {
			t.Errorf("%s webhook: %s", m, msg)
		}
		if a.Header.Get("webhook-id") != eventID {
			t.Errorf("%s webhook: webhook-id %q, want the event %s", m, a.Header.Get("webhook-id"), eventID)
		}
		if m == "DELETE" {
			if len(a.Body) != 0 || a.Header.Get("Content-Type") != "" || a.Header.Get("Content-Length") != "" && a.Header.Get("Content-Length") != "0" {
				t.Errorf("DELETE webhook: body %q, Content-Type %q, Content-Length %q; want no body at all",
					a.Body, a.Header.Get("Content-Type"), a.Header.Get("Content-Length"))
			}
			continue
		}
		if ct := a.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s webhook: Content-Type %q", m, ct)
		}
		if msg := a.message(t); msg.ID != eventID || msg.Type != "user.created" || msg.Resource.ID != uid {
			t.Errorf("%s webhook: body %s", m, a.Body)
		}
	}
}

// TestWebhookIncludePrevious: with include_previous a user.updated
// delivery carries the user as it was before the change; without it,
// no previous at all.
func TestWebhookIncludePrevious(t *testing.T) {
	s := startServer(t)
	with, without := newReceiver(t), newReceiver(t)
	s.createWebhook(map[string]any{"url": with.URL, "events": []string{"user.updated"}, "include_previous": true})
	s.createWebhook(map[string]any{"url": without.URL, "events": []string{"user.updated"}})
	uid := s.createUser(map[string]any{"last_name": "Before", "tags": []map[string]any{{"name": "vip"}}})["id"].(string)
	before := s.do("GET", "/v1/users/"+uid, nil).want(200).obj()
	s.do("PATCH", "/v1/users/"+uid, map[string]any{"last_name": "After"}, "Content-Type", "application/merge-patch+json").want(200)

	var body struct {
		Data, Previous map[string]any
	}
	a := with.wait(1)[0]
	if err := json.Unmarshal(a.Body, &body); err != nil {
		t.Fatal(err)
	}
	if body.Previous == nil {
		t.Fatalf("include_previous: no previous in %s", a.Body)
	}
	delete(before, "_links") // the API form's links are not part of the resource
	if !reflect.DeepEqual(body.Previous, before) {
		t.Errorf("previous is not the user before the change:\n previous %v\n before   %v", body.Previous, before)
	}
	if body.Data["last_name"] != "After" || body.Data["version"] != before["version"].(float64)+1 {
		t.Errorf("data is not the user after the change: %v", body.Data)
	}
	b := without.wait(1)[0]
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b.Body, &raw); err != nil {
		t.Fatal(err)
	}
	if _, ok := raw["previous"]; ok || raw["data"] == nil {
		t.Errorf("without include_previous: %s", b.Body)
	}
}

// TestWebhookUpdateKeepsSecrets: a PUT or PATCH that leaves the secrets
// out (or echoes the mask) keeps them: deliveries still authenticate and
// sign with the same ones; a new password replaces the old one; and no
// secret shows in any answer, the event feed, the audit log or the log.
func TestWebhookUpdateKeepsSecrets(t *testing.T) {
	s := startServer(t)
	rc := newReceiver(t)
	const password, newPassword, header = "basic-pass-Kp20", "basic-pass-Nw31", "tenant-hdr-secret-41"
	var wantPass atomic.Value
	wantPass.Store(password)
	var secret string
	rc.check = func(r *http.Request, body []byte) string {
		if u, p, ok := r.BasicAuth(); !ok || u != "roster" || p != wantPass.Load() {
			return fmt.Sprintf("basic auth %q %q, want the password %q", u, p, wantPass.Load())
		}
		return verifySignature(secret, r.Header, body)
	}
	hook := s.createWebhook(map[string]any{"url": rc.URL, "name": "crm", "events": []string{"user.created"},
		"auth": map[string]any{"type": "basic", "username": "roster", "password": password}})
	id := hook["id"].(string)
	secret = signingSecret(hook)
	n := 0
	deliver := func(step string) {
		t.Helper()
		n++
		s.do("POST", "/v1/users", map[string]any{"email": fmt.Sprintf("keep%d@example.com", n), "first_name": "K"}).want(201)
		if got := rc.wait(n); got[n-1].Status != 200 {
			t.Fatalf("after %s: the delivery was refused", step)
		}
	}
	deliver("creation")
	var answers []string
	put := map[string]any{"url": rc.URL, "name": "crm-put", "events": []string{"user.created"},
		"auth": map[string]any{"type": "basic", "username": "roster"}}
	answers = append(answers, string(s.do("PUT", "/v1/webhooks/"+id, put).want(200).Body))
	deliver("a PUT without the password")
	put["auth"] = map[string]any{"type": "basic", "username": "roster", "password": "********"}
	put["name"] = "crm-masked"
	answers = append(answers, string(s.do("PUT", "/v1/webhooks/"+id, put).want(200).Body))
	deliver("a PUT echoing ********")
	answers = append(answers, string(s.do("PATCH", "/v1/webhooks/"+id, map[string]any{"name": "crm-patch"}, "Content-Type", "application/merge-patch+json").want(200).Body))
	deliver("a PATCH of the name")
	answers = append(answers, string(s.do("PATCH", "/v1/webhooks/"+id, `[{"op":"add","path":"/headers","value":{"X-Tenant":"`+header+`"}}]`, "Content-Type", "application/json-patch+json").want(200).Body))
	deliver("a JSON Patch")
	if got := rc.arrivals(); got[len(got)-1].Header.Get("X-Tenant") != header {
		t.Errorf("after the JSON Patch, X-Tenant %q", got[len(got)-1].Header.Get("X-Tenant"))
	}
	// A new password replaces the stored one (the PUT sends the header
	// masked: it keeps its value).
	put["headers"] = map[string]string{"X-Tenant": "********"}
	put["auth"] = map[string]any{"type": "basic", "username": "roster", "password": newPassword}
	answers = append(answers, string(s.do("PUT", "/v1/webhooks/"+id, put).want(200).Body))
	wantPass.Store(newPassword)
	deliver("a PUT with a new password")
	if got := rc.arrivals(); got[len(got)-1].Header.Get("X-Tenant") != header {
		t.Errorf("after a PUT echoing the header's mask, X-Tenant %q", got[len(got)-1].Header.Get("X-Tenant"))
	}
	// A mask with nothing stored to keep is refused.
	p := s.do("POST", "/v1/webhooks", map[string]any{"url": rc.URL, "events": []string{"*"},
		"auth": map[string]any{"type": "basic", "username": "roster", "password": "********"}}).problem(422)
	if !strings.Contains(string(mustJSON(p)), "body.auth.password") {
		t.Errorf("a masked password at creation: %v", p)
	}

	answers = append(answers, string(s.do("GET", "/v1/webhooks/"+id, nil).want(200).Body), string(s.do("GET", "/v1/webhooks", nil).want(200).Body))
	var all []string
	for after := ""; ; {
		res := s.do("GET", "/v1/events?limit=200&after="+after, nil).want(200)
		all = append(all, string(res.Body))
		var page struct{ Items []struct{ ID string } }
		json.Unmarshal(res.Body, &page)
		if len(page.Items) < 200 {
			break
		}
		after = page.Items[len(page.Items)-1].ID
	}
	for _, a := range answers {
		if !strings.Contains(a, `"password":"********"`) {
			t.Errorf("an answer does not show the password as ********: %s", a)
		}
	}
	feed := strings.Join(all, "")
	if !strings.Contains(feed, `"type":"webhook.updated"`) {
		t.Fatalf("no webhook.updated in the feed: %s", feed)
	}
	audit := string(s.do("GET", "/v1/audit-events?target="+id+"&limit=200", nil).want(200).Body)
	if !strings.Contains(audit, "webhook.updated") {
		t.Fatalf("no webhook.updated in the audit log: %s", audit)
	}
	for where, text := range map[string]string{"an answer": strings.Join(answers, "\n"), "the feed": feed, "the audit log": audit, "the server log": s.logs.String()} {
		for _, sec := range []string{password, newPassword, secret, header} {
			if strings.Contains(text, sec) {
				t.Errorf("%s holds the secret %q", where, sec)
			}
		}
	}
}

// TestWebhookBackoffAndExpiry: a delivery that always fails is tried
// again after growing pauses within the jitter's bounds, and once
// --webhook-retry-for is over it fails for good; then the resource's next
// event, which waited behind it, goes out.
func TestWebhookBackoffAndExpiry(t *testing.T) {
	const base, limit, retryFor = 400 * time.Millisecond, 1600 * time.Millisecond, 3 * time.Second
	// The worker wakes when its retries are due: an attempt comes no
	// more than a step's work after it is due.
	const poll = 300 * time.Millisecond
	s := startServer(t, func(c *Config) {
		c.Webhooks.RetryBase, c.Webhooks.RetryMax, c.Webhooks.RetryFor = base, limit, retryFor
	})
	rc := newReceiver(t)
	refuse := func(body []byte) bool { return strings.Contains(string(body), `"type":"user.created"`) }
	rc.refuse.Store(&refuse)
	id := s.createWebhook(map[string]any{"url": rc.URL, "events": []string{"user.*"}})["id"].(string)
	uid := s.do("POST", "/v1/users", map[string]any{"email": "backoff@example.com", "first_name": "B"}).want(201).str("id")
	for deadline := time.Now().Add(5 * time.Second); len(rc.attempts()) == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no first attempt")
		}
	}
	s.do("PATCH", "/v1/users/"+uid, map[string]any{"last_name": "Next"}, "Content-Type", "application/merge-patch+json").want(200)

	updated := rc.wait(1)[0] // the user.updated, after the user.created failed for good
	if m := updated.message(t); m.Type != "user.updated" || m.Resource.ID != uid {
		t.Fatalf("arrived %s", updated.Body)
	}
	var tries []time.Time
	for _, a := range rc.attempts() {
		if a.Status != 200 {
			tries = append(tries, a.At)
		}
	}
	if len(tries) < 3 {
		t.Fatalf("%d attempts of the failing delivery, want at least 3 in %s", len(tries), retryFor)
	}
	for i := 1; i < len(tries); i++ {
		d := min(base<<(i-1), limit) // the back-off after attempt i
		gap := tries[i].Sub(tries[i-1])
		if gap < d/2 || gap > d+poll {
			t.Errorf("attempt %d came %s after attempt %d; the back-off is between %s and %s (and the poll may add up to %s)", i+1, gap, i, d/2, d, poll)
		}
	}
	if last := tries[len(tries)-1]; updated.At.Before(last) {
		t.Errorf("the next event arrived at %s, before the last attempt of the one before it (%s)", updated.At, last)
	}
	var log struct {
		Items []struct {
			EventType     string     `json:"event_type"`
			Status        string     `json:"status"`
			AttemptCount  int        `json:"attempt_count"`
			NextAttemptAt *time.Time `json:"next_attempt_at"`
			RetryingSince time.Time  `json:"retrying_since"`
			Attempts      []struct {
				At         time.Time `json:"at"`
				StatusCode int       `json:"status_code"`
			}
		}
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		json.Unmarshal(s.do("GET", "/v1/webhooks/"+id+"/deliveries", nil).want(200).Body, &log)
		if len(log.Items) == 2 && log.Items[0].Status == "succeeded" || time.Now().After(deadline) {
			break
		}
	}
	if len(log.Items) != 2 || log.Items[1].EventType != "user.created" || log.Items[0].EventType != "user.updated" || log.Items[0].Status != "succeeded" {
		t.Fatalf("delivery log: %+v", log.Items)
	}
	failed := log.Items[1]
	if failed.Status != "failed" || failed.NextAttemptAt != nil || failed.AttemptCount != len(tries) || len(failed.Attempts) != len(tries) {
		t.Fatalf("the expired delivery: %+v; the receiver saw %d attempts", failed, len(tries))
	}
	end := failed.RetryingSince.Add(retryFor)
	lastAt, before := failed.Attempts[len(failed.Attempts)-1].At, failed.Attempts[len(failed.Attempts)-2].At
	if lastAt.Before(end) || !before.Before(end) {
		t.Errorf("the retry window ends at %s: the last attempt was at %s, the one before at %s", end, lastAt, before)
	}
	for _, a := range failed.Attempts {
		if a.StatusCode != 503 {
			t.Errorf("attempt logged with status %d, want 503", a.StatusCode)
		}
	}
}

// TestWebhookQueuedEventGetsItsRetries: an event that waited behind a
// failing delivery of its resource is retried like any other when its
// own first attempt fails, instead of failing for good at once because
// its retry window ran out while it waited.
func TestWebhookQueuedEventGetsItsRetries(t *testing.T) {
	const retryFor = 1500 * time.Millisecond
	s := startServer(t, func(c *Config) {
		c.Webhooks.RetryBase, c.Webhooks.RetryMax, c.Webhooks.RetryFor = 100*time.Millisecond, 200*time.Millisecond, retryFor
	})
	rc := newReceiver(t)
	var updatedTries atomic.Int64
	refuse := func(body []byte) bool {
		if strings.Contains(string(body), `"type":"user.created"`) {
			return true // always: it fails for good after retryFor
		}
		return updatedTries.Add(1) == 1 // the user.updated fails once
	}
	rc.refuse.Store(&refuse)
	id := s.createWebhook(map[string]any{"url": rc.URL, "events": []string{"user.*"}})["id"].(string)
	uid := s.do("POST", "/v1/users", map[string]any{"email": "queued@example.com", "first_name": "Q"}).want(201).str("id")
	s.do("PATCH", "/v1/users/"+uid, map[string]any{"last_name": "Queued"}, "Content-Type", "application/merge-patch+json").want(200)
	deadline := time.Now().Add(retryFor + 5*time.Second)
	for len(rc.arrivals()) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if len(rc.arrivals()) == 0 {
		var log struct{ Items []map[string]any }
		json.Unmarshal(s.do("GET", "/v1/webhooks/"+id+"/deliveries", nil).want(200).Body, &log)
		t.Fatalf("the user.updated never arrived after its first attempt failed (%d attempts); the log: %v", updatedTries.Load(), log.Items)
	}
}

// TestWebhookRotationOverlapEnds: after a rotation, deliveries are signed
// with both secrets until --webhook-rotation-overlap is over, and then
// with the new one only.
func TestWebhookRotationOverlapEnds(t *testing.T) {
	const overlap = 700 * time.Millisecond
	s := startServer(t, func(c *Config) { c.Webhooks.RotationOverlap = overlap })
	rc := newReceiver(t)
	hook := s.createWebhook(map[string]any{"url": rc.URL, "events": []string{"user.created"}})
	id, old := hook["id"].(string), signingSecret(hook)
	rotated := time.Now()
	fresh := signingSecret(s.do("POST", "/v1/webhooks/"+id+"/rotate-secret", nil).want(200).obj())
	s.do("POST", "/v1/users", map[string]any{"email": "overlap1@example.com", "first_name": "O"}).want(201)
	a := rc.wait(1)[0]
	if a.At.Sub(rotated) >= overlap {
		t.Skipf("the first delivery came %s after the rotation, after the overlap", a.At.Sub(rotated))
	}
	if verifySignature(old, a.Header, a.Body) != "" || verifySignature(fresh, a.Header, a.Body) != "" {
		t.Fatalf("within the overlap a delivery is signed with both secrets: %s", a.Header.Get("webhook-signature"))
	}
	time.Sleep(time.Until(rotated.Add(overlap + 50*time.Millisecond)))
	s.do("POST", "/v1/users", map[string]any{"email": "overlap2@example.com", "first_name": "O"}).want(201)
	b := rc.wait(2)[1]
	if msg := verifySignature(fresh, b.Header, b.Body); msg != "" {
		t.Errorf("after the overlap, the new secret: %s", msg)
	}
	if verifySignature(old, b.Header, b.Body) == "" || len(strings.Fields(b.Header.Get("webhook-signature"))) != 1 {
		t.Errorf("after the overlap the old secret still signs: %s", b.Header.Get("webhook-signature"))
	}
	// The test message too.
	s.do("POST", "/v1/webhooks/"+id+"/test", nil).want(200)
	c := rc.wait(3)[2]
	if verifySignature(fresh, c.Header, c.Body) != "" || verifySignature(old, c.Header, c.Body) == "" {
		t.Errorf("the test message after the overlap: %s", c.Header.Get("webhook-signature"))
	}
}

// TestWebhookSigningDisabled: without signing, deliveries carry no
// webhook-signature and no answer has a secret; rotation is refused;
// enabling it again returns a new secret once, which then signs.
func TestWebhookSigningDisabled(t *testing.T) {
	s := startServer(t)
	rc := newReceiver(t)
	hook := s.createWebhook(map[string]any{"url": rc.URL, "events": []string{"user.created"}, "signing": map[string]any{"enabled": false}})
	id := hook["id"].(string)
	if sg, _ := hook["signing"].(map[string]any); sg["enabled"] != false || sg["secret"] != nil || strings.Contains(string(mustJSON(hook)), "whsec_") {
		t.Fatalf("creation answer without signing: %v", hook)
	}
	s.do("POST", "/v1/users", map[string]any{"email": "unsigned@example.com", "first_name": "U"}).want(201)
	a := rc.wait(1)[0]
	if _, signed := a.Header["Webhook-Signature"]; signed || a.Header.Get("webhook-id") == "" || a.Header.Get("webhook-timestamp") == "" {
		t.Errorf("an unsigned delivery's headers: %v", a.Header)
	}
	p := s.do("POST", "/v1/webhooks/"+id+"/rotate-secret", nil).problem(409)
	if !strings.Contains(string(mustJSON(p)), "signing") {
		t.Errorf("rotation without signing: %v", p)
	}
	on := s.do("PATCH", "/v1/webhooks/"+id, map[string]any{"signing": map[string]any{"enabled": true}}, "Content-Type", "application/merge-patch+json").want(200).obj()
	secret := signingSecret(on)
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("enabling signing: %v, want its new secret", on)
	}
	if b := string(s.do("GET", "/v1/webhooks/"+id, nil).want(200).Body); strings.Contains(b, "whsec_") || !strings.Contains(b, `"signing":{"enabled":true}`) {
		t.Errorf("GET after enabling signing: %s", b)
	}
	again := s.do("PATCH", "/v1/webhooks/"+id, map[string]any{"name": "signed"}, "Content-Type", "application/merge-patch+json").want(200).obj()
	if signingSecret(again) != "" {
		t.Errorf("a later change shows the secret again: %v", again)
	}
	s.do("POST", "/v1/users", map[string]any{"email": "signed@example.com", "first_name": "S"}).want(201)
	b := rc.wait(2)[1]
	if msg := verifySignature(secret, b.Header, b.Body); msg != "" {
		t.Errorf("after enabling signing: %s", msg)
	}
}

// TestWebhookHeaderValuesFromBeforeSealing: a webhook stored before header
// values were sealed (its values in the clear document) still sends them,
// shows them masked, and its next write moves them into the secrets.
func TestWebhookHeaderValuesFromBeforeSealing(t *testing.T) {
	s := startServer(t)
	rc := newReceiver(t)
	// Created disabled, so that no delivery worker holds it before the
	// store has the document as an earlier version wrote it (enabled).
	id := s.createWebhook(map[string]any{"url": rc.URL, "events": []string{"user.created"}, "status": "disabled"})["id"].(string)
	ctx := context.Background()
	err := s.Main.store.Update(ctx, func(tx roster.Tx) error {
		w, err := tx.FindWebhook(ctx, id)
		if err != nil {
			return err
		}
		w.Headers = map[string]string{"X-Legacy": "legacy-hdr-value-17"}
		w.Status = roster.StatusEnabled
		w.Version++
		return tx.UpdateWebhook(w)
	})
	if err != nil {
		t.Fatal(err)
	}
	got := s.do("GET", "/v1/webhooks/"+id, nil).want(200)
	if h, _ := got.obj()["headers"].(map[string]any); h["X-Legacy"] != "********" {
		t.Errorf("GET of a webhook from before: %s", got.Body)
	}
	s.do("POST", "/v1/users", map[string]any{"email": "legacy1@example.com", "first_name": "L"}).want(201)
	if a := rc.wait(1)[0]; a.Header.Get("X-Legacy") != "legacy-hdr-value-17" {
		t.Errorf("delivery of a webhook from before: X-Legacy %q", a.Header.Get("X-Legacy"))
	}
	s.do("PATCH", "/v1/webhooks/"+id, map[string]any{"name": "moved"}, "Content-Type", "application/merge-patch+json").want(200)
	w, err := s.Main.store.FindWebhook(ctx, id)
	if err != nil || w.Headers["X-Legacy"] != roster.WriteOnlyMask {
		t.Errorf("after a write, the stored document's headers: %v, %v", w.Headers, err)
	}
	s.do("POST", "/v1/users", map[string]any{"email": "legacy2@example.com", "first_name": "L"}).want(201)
	if a := rc.wait(2)[1]; a.Header.Get("X-Legacy") != "legacy-hdr-value-17" {
		t.Errorf("after the values moved: X-Legacy %q", a.Header.Get("X-Legacy"))
	}
}

// TestWebhookFirstRetryWithinFiveSeconds: with the default back-off, the
// first retry of a failed delivery comes within 5 s (PRODUCT §8).
func TestWebhookFirstRetryWithinFiveSeconds(t *testing.T) {
	def := DefaultConfig().Webhooks
	s := startServer(t, func(c *Config) { c.Webhooks.RetryBase, c.Webhooks.RetryMax = def.RetryBase, def.RetryMax })
	rc := newReceiver(t)
	var n atomic.Int64
	refuse := func([]byte) bool { return n.Add(1) == 1 } // the first attempt fails
	rc.refuse.Store(&refuse)
	s.createWebhook(map[string]any{"url": rc.URL, "events": []string{"user.created"}})
	s.do("POST", "/v1/users", map[string]any{"email": "first-retry@example.com", "first_name": "F"}).want(201)
	rc.wait(1)
	tries := rc.attempts()
	if len(tries) != 2 || tries[0].Status != 503 || tries[1].Status != 200 {
		t.Fatalf("attempts: %d, want a refused one and the retry", len(tries))
	}
	if gap := tries[1].At.Sub(tries[0].At); gap > 5*time.Second || gap < def.RetryBase/2 {
		t.Errorf("the first retry came %s after the first attempt, want within 5 s (and at least %s)", gap, def.RetryBase/2)
	}
}

// TestWebhookDeletionBodyMatchesFeed: a deletion's delivery and its item
// in the feed agree field for field; neither has data (the resource is
// gone), both have previous.
func TestWebhookDeletionBodyMatchesFeed(t *testing.T) {
	s := startServer(t)
	rc := newReceiver(t)
	s.createWebhook(map[string]any{"url": rc.URL, "events": []string{"user.deleted"}, "include_previous": true})
	uid := s.createUser(nil)["id"].(string)
	s.do("DELETE", "/v1/users/"+uid, nil).want(204)
	var delivered map[string]json.RawMessage
	if err := json.Unmarshal(rc.wait(1)[0].Body, &delivered); err != nil {
		t.Fatal(err)
	}
	var feed struct{ Items []map[string]json.RawMessage }
	if err := json.Unmarshal(s.do("GET", "/v1/events?type=user.deleted", nil).want(200).Body, &feed); err != nil || len(feed.Items) != 1 {
		t.Fatalf("feed: %v %v", feed, err)
	}
	item := feed.Items[0]
	if _, ok := delivered["data"]; ok {
		t.Errorf("the deletion's delivery has data: %s", delivered["data"])
	}
	for k, v := range item {
		if k == "_links" {
			continue
		}
		if got, ok := delivered[k]; !ok || !jsonEqual(got, v) {
			t.Errorf("field %s: delivery %s, feed %s", k, got, v)
		}
	}
	for k := range delivered {
		if _, ok := item[k]; !ok {
			t.Errorf("the delivery has %s, the feed has not", k)
		}
	}
}

func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}

// TestWebhookWithUnreadableSecrets: a webhook whose sealed secrets no
// longer open (damaged, or sealed under another key) is readable, with
// its secrets masked and secrets_unreadable set, and deletable; changes,
// tests and rotation are a 409 that says what to do. Never a 500.
func TestWebhookWithUnreadableSecrets(t *testing.T) {
	s := startServer(t)
	rc := newReceiver(t)
	id := s.createWebhook(map[string]any{"url": rc.URL, "events": []string{"user.updated"},
		"auth": map[string]any{"type": "basic", "username": "roster", "password": "basic-pass-Zz81"}})["id"].(string)
	db := storeSQL(t, s)
	damage := `UPDATE webhooks SET doc = json_set(doc, '$.sealed', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA') WHERE id = ?`
	if onPostgres() {
		damage = `UPDATE webhooks SET doc = jsonb_set(doc, '{sealed}', '"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"') WHERE id = $1`
	}
	if _, err := db.Exec(damage, id); err != nil {
		t.Fatal(err)
	}
	got := s.do("GET", "/v1/webhooks/"+id, nil).want(200).obj()
	if got["secrets_unreadable"] != true || got["auth"].(map[string]any)["password"] != "********" {
		t.Fatalf("GET of a webhook with unreadable secrets: %v", got)
	}
	for _, r := range []struct{ method, path string }{{"PATCH", ""}, {"POST", "/test"}, {"POST", "/rotate-secret"}} {
		p := s.do(r.method, "/v1/webhooks/"+id+r.path, map[string]any{"name": "renamed"}, "Content-Type", "application/merge-patch+json").problem(409)
		if !strings.Contains(p["detail"].(string), "delete the webhook") {
			t.Errorf("%s %s: the 409 does not say what to do: %v", r.method, r.path, p["detail"])
		}
	}
	s.do("GET", "/v1/webhooks", nil).want(200)
	s.do("DELETE", "/v1/webhooks/"+id, nil).want(204)
	s.do("GET", "/v1/webhooks/"+id, nil).problem(404)
	s.do("GET", "/v1/events?type=webhook.deleted", nil).want(200)
}
