// SPDX-License-Identifier: Apache-2.0

package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/rosterhq/roster/sqlite"
)

// defaultCacheBytes is --cache-bytes when it is not set: with it the
// whole process stays under 256 MB at a million users under GET and
// PATCH load (docs/PERFORMANCE.md, "Memory at a million users").
const defaultCacheBytes = 96 << 20

// minCacheBytes is the least --cache-bytes accepted: below it the caches
// would hold too little to answer anything from memory.
const minCacheBytes = 4 << 20

// cacheSplit divides --cache-bytes between the caches: half for the
// embedded store's read cache of decoded users, credentials and
// organisations (a hit there saves a read and a decode), three eighths
// for SQLite's page caches (all its connections together; the kernel's
// file cache, outside the process, holds the pages they do not), one
// eighth for the HTTP layer's cache of users' JSON (a hit saves an
// encoding). On PostgreSQL only the last applies (its server has its own
// memory).
func cacheSplit(total int64) (store sqlite.Options, encoded int64) {
	return sqlite.Options{CacheBytes: total / 2, PageCacheBytes: total / 8 * 3}, total / 8
}

// encodedCacheBytes is the HTTP layer's part of --cache-bytes.
func encodedCacheBytes(total int64) int64 {
	_, encoded := cacheSplit(total)
	return encoded
}

var byteUnits = []struct {
	suffix string
	n      int64
}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}

var errSize = errors.New("must be a size such as 128MiB, 512MB or 1GiB")

// parseBytes reads a size in bytes: a whole number with an optional
// unit (B, KB, MB, GB, KiB, MiB, GiB).
func parseBytes(s string) (int64, error) {
	s = strings.TrimSpace(s)
	unit := int64(1)
	for _, u := range byteUnits {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			s, unit = strings.TrimSpace(num), u.n
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/unit {
		return 0, errSize
	}
	return n * unit, nil
}

// formatBytes writes a size the way parseBytes reads it, for messages.
func formatBytes(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%dMiB", n>>20)
	}
	return strconv.FormatInt(n, 10)
}
