// SPDX-License-Identifier: Apache-2.0

package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// blockedPrefixes are the ranges a webhook may not reach unless the
// operator allows private destinations: this machine, private networks,
// link-local addresses (which hold cloud metadata services such as
// 169.254.169.254), carrier-grade NAT, and ranges reserved for other uses.
var blockedPrefixes = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
		"192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
		"224.0.0.0/4", "240.0.0.0/4",
		"::/128", "::1/128", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001:db8::/32", "fc00::/7", "fe80::/10", "ff00::/8",
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// Blocked reports whether addr is a destination webhooks may not reach.
// An IPv6 address with a zone id (fe80::1%eth0, ::1%lo) is always
// blocked: a zone names an interface of this machine, which only scoped
// (link-local, loopback, private) destinations need, and netip.Prefix
// never contains a zoned address, so the ranges below would let it pass.
func Blocked(addr netip.Addr) bool {
	if addr.Zone() != "" {
		return true
	}
	addr = addr.Unmap()
	for _, p := range blockedPrefixes {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// ErrBlocked is the error of a connection to a refused address.
var ErrBlocked = errors.New("the destination is a loopback, private or link-local address, which webhooks may not reach (the operator can allow them with --allow-private-webhooks)")

// control refuses, at connection time, an address that the name resolved
// to: a host that resolved to a public address when the webhook was made
// and to a private one now (DNS rebinding) is caught here.
func control(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("unexpected address %q", address)
	}
	if Blocked(addr) { // a zoned address (::1%lo) included
		return ErrBlocked
	}
	return nil
}

// CheckURL refuses, at creation, a URL whose host is or resolves to a
// blocked address. A name that does not resolve now is accepted: the
// check at connection time still applies.
func CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	host := u.Hostname()
	if strings.Contains(host, "%") {
		return ErrBlocked // a zone id (http://[fe80::1%25eth0]/): a scoped address, see Blocked
	}
	if addr, err := netip.ParseAddr(host); err == nil {
		if Blocked(addr) {
			return ErrBlocked
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil
	}
	for _, a := range addrs {
		if Blocked(a) {
			return ErrBlocked
		}
	}
	return nil
}
