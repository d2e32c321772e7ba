// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"net/http"
	"testing"
)

// TestClientIP: X-Forwarded-For counts only from a trusted peer, read
// from the right up to the first address that is not a trusted proxy.
func TestClientIP(t *testing.T) {
	proxies, err := ParseTrustedProxies("10.0.0.0/8, 192.0.2.1, fd00::/8")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		peer    string
		xff     []string
		proxies bool
		want    string
	}{
		{"203.0.113.5:1234", []string{"198.51.100.1"}, true, "203.0.113.5"},        // an untrusted peer's header is ignored
		{"10.1.1.1:1234", []string{"198.51.100.1"}, false, "10.1.1.1"},             // no proxies trusted
		{"10.1.1.1:1234", nil, true, "10.1.1.1"},                                   // a trusted peer without the header
		{"10.1.1.1:1234", []string{"1.1.1.1, 198.51.100.1"}, true, "198.51.100.1"}, // the right-most untrusted entry
		{"10.1.1.1:1234", []string{"1.1.1.1, 198.51.100.1, 10.2.2.2, 192.0.2.1"}, true, "198.51.100.1"},
		{"10.1.1.1:1234", []string{"1.1.1.1", "198.51.100.1,10.2.2.2"}, true, "198.51.100.1"}, // several header lines
		{"10.1.1.1:1234", []string{"10.3.3.3, 10.2.2.2"}, true, "10.3.3.3"},                   // all trusted: the farthest
		{"10.1.1.1:1234", []string{"1.1.1.1, garbage"}, true, "10.1.1.1"},                     // not an address: the last trusted hop
		{"10.1.1.1:1234", []string{"[2001:db8::1]:443"}, true, "2001:db8::1"},
		{"[::ffff:10.1.1.1]:1234", []string{"::ffff:198.51.100.1"}, true, "198.51.100.1"},
		{"[fd00::1]:1234", []string{"2001:db8::5%eth0"}, true, "2001:db8::5"},
	} {
		r := &http.Request{RemoteAddr: c.peer, Header: http.Header{}}
		for _, v := range c.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		p := proxies
		if !c.proxies {
			p = nil
		}
		if got := clientIP(r, p); got != c.want {
			t.Errorf("peer %s, X-Forwarded-For %q: %s, want %s", c.peer, c.xff, got, c.want)
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "proxy.internal", "10.0.0.0/8;10.1.0.0/16", "fe80::1%eth0", "300.1.1.1"} {
		if _, err := ParseTrustedProxies(bad); err == nil {
			t.Errorf("ParseTrustedProxies(%q): no error", bad)
		}
	}
}
