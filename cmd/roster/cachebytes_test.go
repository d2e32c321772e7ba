// SPDX-License-Identifier: Apache-2.0

package main

import (
	"io"
	"strings"
	"testing"
)

// TestCacheBytesFlag: the default, the variable, the flag (which wins),
// the units read, and the values refused at start.
func TestCacheBytesFlag(t *testing.T) {
	for _, c := range []struct {
		args []string
		env  map[string]string
		want int64
	}{
		{nil, nil, 96 << 20},
		{nil, map[string]string{"ROSTER_CACHE_BYTES": "64MiB"}, 64 << 20},
		{[]string{"--cache-bytes", "1GiB"}, map[string]string{"ROSTER_CACHE_BYTES": "64MiB"}, 1 << 30},
		{[]string{"--cache-bytes", "500MB"}, nil, 500e6},
		{[]string{"--cache-bytes", "8 MiB"}, nil, 8 << 20},
		{[]string{"--cache-bytes", "4194304"}, nil, 4 << 20},
	} {
		m, err := parseServeFlags(c.args, c.env)
		if err != nil || m.Config.CacheBytes != c.want {
			t.Errorf("%v %v: %d, %v; want %d", c.args, c.env, m.Config.CacheBytes, err, c.want)
		}
	}
	for _, c := range []struct {
		args []string
		env  map[string]string
		says string
	}{
		{nil, map[string]string{"ROSTER_CACHE_BYTES": "lots"}, `ROSTER_CACHE_BYTES="lots" is not a size`},
		{nil, map[string]string{"ROSTER_CACHE_BYTES": "-1MiB"}, "ROSTER_CACHE_BYTES"},
		{[]string{"--cache-bytes", "128M"}, nil, `--cache-bytes="128M" must be a size`},
		{[]string{"--cache-bytes", "99999999999GiB"}, nil, "--cache-bytes"},
		{[]string{"--cache-bytes", "1MiB"}, nil, "--cache-bytes must be at least 4MiB"},
		{[]string{"--cache-bytes="}, map[string]string{"ROSTER_CACHE_BYTES": "64MiB"}, `--cache-bytes="" must be a size`},
	} {
		if _, err := parseServeFlags(c.args, c.env); err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%v %v: %v, want an error saying %q", c.args, c.env, err, c.says)
		}
	}
}

// TestCacheSplit: the parts of --cache-bytes add up to at most the whole.
func TestCacheSplit(t *testing.T) {
	for _, total := range []int64{minCacheBytes, defaultCacheBytes, 1<<30 + 7} {
		store, encoded := cacheSplit(total)
		if sum := store.CacheBytes + store.PageCacheBytes + encoded; sum > total || sum < total-16 || encoded <= 0 || store.CacheBytes <= 0 {
			t.Errorf("%d split into %+v and %d", total, store, encoded)
		}
	}
}

// parseServeFlags parses serve's flags and variables into a new Main.
func parseServeFlags(args []string, env map[string]string) (*Main, error) {
	m := NewMain(io.Discard, io.Discard)
	return m, m.ParseFlags(args, func(k string) string { return env[k] })
}
