// SPDX-License-Identifier: Apache-2.0

package service

import "testing"

// TestAddressKeyIPv6By64: the address limit keys an IPv6 client by its
// /64, so a client that takes a new address of its /64 for every
// attempt is still one client; IPv4 addresses, written plainly or
// IPv4-mapped, are keyed alone.
func TestAddressKeyIPv6By64(t *testing.T) {
	same := [][]string{
		{"2001:db8:1:2::1", "2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:DB8:1:2::9", "2001:db8:1:2::1%eth0"},
		{"192.0.2.7", "::ffff:192.0.2.7"},
	}
	for _, group := range same {
		for _, ip := range group[1:] {
			if got, want := addressKey(ip), addressKey(group[0]); got != want {
				t.Errorf("addressKey(%s) = %q, want %q (the key of %s)", ip, got, want, group[0])
			}
		}
	}
	if got := addressKey("2001:db8:1:2::1"); got != "ip:2001:db8:1:2::/64" {
		t.Errorf("addressKey(2001:db8:1:2::1) = %q, want ip:2001:db8:1:2::/64", got)
	}
	for _, pair := range [][2]string{{"2001:db8:1:2::1", "2001:db8:1:3::1"}, {"192.0.2.7", "192.0.2.8"}, {"2001:db8::1", "192.0.2.7"}} {
		if addressKey(pair[0]) == addressKey(pair[1]) {
			t.Errorf("addressKey(%s) = addressKey(%s) = %q: two clients share a key", pair[0], pair[1], addressKey(pair[0]))
		}
	}
}
