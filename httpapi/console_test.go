// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"net/http/httptest"
	"testing"
)

func TestAcceptsGzip(t *testing.T) {
	for _, c := range []struct {
		header string
		want   bool
	}{
		{"", false},
		{"gzip", true},
		{"gzip, deflate, br, zstd", true},
		{"br;q=1.0, GZIP;q=0.5", true},
		{"x-gzip", true},
		{"gzip;q=0", false},
		{"gzip;q=0.000", false},
		{"gzip;q=bad", false},
		{"identity", false},
		{"*", true},
		{"*;q=0", false},
		{"*;q=0, gzip", true},
		{"gzip;q=0, *", false},
	} {
		r := httptest.NewRequest("GET", "/console/app.js", nil)
		if c.header != "" {
			r.Header.Set("Accept-Encoding", c.header)
		}
		if got := acceptsGzip(r); got != c.want {
			t.Errorf("Accept-Encoding %q: acceptsGzip %v, want %v", c.header, got, c.want)
		}
	}
}
