// SPDX-License-Identifier: Apache-2.0

package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/pgtest"
	"github.com/rosterhq/roster/service"
)

// TestRetentionFlags: the defaults, the variables and the flags, and the
// values refused at start.
func TestRetentionFlags(t *testing.T) {
	parse := parseServeFlags
	m, err := parse(nil, nil)
	if err != nil || m.Config.Events != (service.Retention{Feed: 2160 * time.Hour, Audit: 9600 * time.Hour}) || m.Config.JanitorInterval != 10*time.Minute {
		t.Errorf("defaults: %+v, %s, %v", m.Config.Events, m.Config.JanitorInterval, err)
	}
	m, err = parse([]string{"--audit-retention", "0"}, map[string]string{"ROSTER_EVENT_RETENTION": "720h", "ROSTER_JANITOR_INTERVAL": "1m"})
	if err != nil || m.Config.Events != (service.Retention{Feed: 720 * time.Hour}) || m.Config.JanitorInterval != time.Minute {
		t.Errorf("set: %+v, %s, %v", m.Config.Events, m.Config.JanitorInterval, err)
	}
	for _, c := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{nil, map[string]string{"ROSTER_EVENT_RETENTION": "90d"}, `ROSTER_EVENT_RETENTION="90d" is not a duration`},
		{nil, map[string]string{"ROSTER_AUDIT_RETENTION": "forever"}, `ROSTER_AUDIT_RETENTION="forever" is not a duration`},
		{[]string{"--event-retention", "-1h"}, nil, "--event-retention"},
		{[]string{"--event-retention", "800h", "--audit-retention", "700h"}, nil, "at least --event-retention"},
		{[]string{"--event-retention", "0"}, nil, "at least --event-retention"}, // the audit trail would end before the feed
		{[]string{"--janitor-interval", "0s"}, nil, "--janitor-interval"},
	} {
		if _, err := parse(c.args, c.env); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v %v: %v, want an error saying %q", c.args, c.env, err, c.want)
		}
	}
}

// TestEventRetention runs a server whose feed keeps events for 1.5 s and
// whose audit trail keeps them for 3 s: old events leave the feed (a
// cursor pointing at one is 410 Gone, the feed without a cursor starts
// after them) but stay in the audit trail until it lets them go too; an
// event whose webhook delivery is pending stays in the feed until it is
// delivered; the delivery log keeps a delivery no longer than the feed
// keeps its event; and a restarted server carries on.
func TestEventRetention(t *testing.T) {
	dir, url := filepath.Join(t.TempDir(), "data"), ""
	if onPostgres() {
		url = pgtest.URL(t)
	}
	configure := func(c *Config) {
		c.DataDir, c.DatabaseURL = dir, url
		c.Events = service.Retention{Feed: 1500 * time.Millisecond, Audit: 3 * time.Second}
		c.JanitorInterval = 100 * time.Millisecond
	}
	s := restartable(t, configure)
	boot, _ := s.events("")
	first := boot[0].ID
	rc := newReceiver(t)
	rc.down.Store(true)
	hook := s.createWebhook(map[string]any{"url": rc.URL, "name": "crm", "events": []string{"user.*"}})
	held := s.createUser(map[string]any{"email": "held@example.com"})
	waitFor(t, "the delivery to fail", func() bool { return len(rc.attempts()) > 0 })

	time.Sleep(2 * time.Second) // past the feed's retention of the user's creation
	var feed []feedEvent
	waitFor(t, "the events before the pending delivery to leave the feed", func() bool {
		feed, _ = s.events("")
		return len(feed) > 0 && feed[0].Type == "user.created"
	})
	if feed[0].Resource.ID != held["id"] {
		t.Fatalf("the feed after the retention starts with %+v, want the creation whose delivery is pending", feed[0])
	}
	gone := s.do("GET", "/v1/events?after="+first, nil).problem(410)
	if d, _ := gone["detail"].(string); !strings.Contains(d, "--event-retention") {
		t.Errorf("410 detail: %q", d)
	}
	if entries, _ := s.audit(s.Key); !hasAudit(entries, first) {
		t.Errorf("the audit trail lost %s before its retention", first)
	}

	rc.down.Store(false)
	rc.wait(1)
	waitFor(t, "the delivered event to leave the feed", func() bool {
		feed, _ := s.events("")
		return len(feed) == 0
	})
	s.do("GET", "/v1/events?after="+feed[0].ID, nil).problem(410)
	waitFor(t, "the delivery log to let the delivery go with its event", func() bool {
		var log struct{ Items []json.RawMessage }
		json.Unmarshal(s.do("GET", "/v1/webhooks/"+hook["id"].(string)+"/deliveries", nil).want(200).Body, &log)
		return len(log.Items) == 0
	})
	waitFor(t, "the audit trail to let the bootstrap events go", func() bool {
		entries, _ := s.audit(s.Key)
		return !hasAudit(entries, first)
	})
	s.do("GET", "/v1/events?after="+first, nil).problem(410) // deleted now, still gone
	s.do("GET", "/v1/events?after=evt_01ZZZZZZZZZZZZZZZZZZZZZZZZ", nil).problem(400)

	if err := s.Main.Close(); err != nil {
		t.Fatal(err)
	}
	s = restartable(t, configure)
	defer s.Main.Close()
	s.do("GET", "/v1/events?after="+first, nil).problem(410)
	later := s.createUser(map[string]any{"email": "later@example.com"})
	feed, _ = s.events("")
	if len(feed) != 1 || feed[0].Resource.ID != later["id"] {
		t.Errorf("the feed after a restart: %+v, want the new user's creation", feed)
	}
}

func hasAudit(entries []auditEntry, id string) bool {
	for _, e := range entries {
		if e.ID == id {
			return true
		}
	}
	return false
}

// waitFor polls cond for up to 15 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
