// SPDX-License-Identifier: Apache-2.0

package mail

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	for _, c := range []struct {
		attempts int
		want     time.Duration
	}{{1, 5 * time.Second}, {2, 10 * time.Second}, {3, 20 * time.Second}, {12, time.Hour}, {1000, time.Hour}} {
		if got := backoff(c.attempts); got != c.want {
			t.Errorf("backoff(%d) = %v, want %v", c.attempts, got, c.want)
		}
	}
}

func TestNewSMTPSender(t *testing.T) {
	for _, ok := range []string{"smtp://127.0.0.1:2525", "smtp://mail.example.com", "smtps://user:p%40ss@mail.example.com:465"} {
		if _, err := NewSMTPSender(ok, "Roster <no-reply@example.com>"); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "http://mail.example.com", "smtp://", "smtp://host:port", "mail.example.com:25"} {
		if _, err := NewSMTPSender(bad, "x@example.com"); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
}

func TestValidFrom(t *testing.T) {
	if err := ValidFrom("Roster <no-reply@roster.local>"); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{"", "not an address", "a@"} {
		if ValidFrom(bad) == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
}
