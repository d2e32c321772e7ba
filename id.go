// SPDX-License-Identifier: Apache-2.0

package roster

import (
	"crypto/rand"
	"encoding/binary"
	"strings"
	"sync"
	"time"
)

// Id prefixes name the type of the resource an id belongs to.
const (
	PrefixUser    = "usr"
	PrefixOrg     = "org"
	PrefixKey     = "key"
	PrefixTag     = "tag"
	PrefixWebhook = "whk"
	PrefixEvent   = "evt"
)

// crockford is Crockford's base32 alphabet: its byte order matches the
// order of the numbers it encodes, so ids sort as their creation times do.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

var idGen struct {
	sync.Mutex
	lastMS uint64
	hi     uint16 // high 16 bits of the 80-bit random part
	lo     uint64 // low 64 bits
}

// NewID returns a new id such as "usr_01JD3M…": the prefix, an underscore
// and 26 characters encoding a 48-bit millisecond time and 80 bits that
// are random for each new millisecond and count up within one, so ids made
// by this process sort strictly by creation.
func NewID(prefix string) string {
	idGen.Lock()
	ms := uint64(time.Now().UnixMilli())
	if ms <= idGen.lastMS {
		ms = idGen.lastMS
		idGen.lo++
		if idGen.lo == 0 {
			idGen.hi++
		}
	} else {
		var b [10]byte
		_, _ = rand.Read(b[:])
		idGen.hi = binary.BigEndian.Uint16(b[:2]) >> 1 // leave room to count up
		idGen.lo = binary.BigEndian.Uint64(b[2:])
		idGen.lastMS = ms
	}
	hi, lo := idGen.hi, idGen.lo
	idGen.Unlock()
	return encodeID(prefix, ms<<16|uint64(hi), lo)
}

// FirstIDAt returns the least id NewID could make with the prefix in the
// millisecond of t: every id made before that millisecond sorts below it.
func FirstIDAt(prefix string, t time.Time) string {
	return encodeID(prefix, uint64(t.UnixMilli())<<16, 0)
}

// encodeID writes an id's 128 bits (48 time, 16 hi, 64 lo) as 26 base32
// digits (130 bits) after the prefix.
func encodeID(prefix string, top, lo uint64) string {
	var out [26]byte
	n := [2]uint64{top, lo}
	for i := 25; i >= 0; i-- {
		out[i] = crockford[n[1]&31]
		n[1] = n[1]>>5 | (n[0]&31)<<59
		n[0] >>= 5
	}
	return prefix + "_" + string(out[:])
}

// IDTime returns the millisecond an id made by NewID was made in (false
// for what is not such an id).
func IDTime(id string) (time.Time, bool) {
	_, rest, ok := strings.Cut(id, "_")
	if !ok || len(rest) != 26 {
		return time.Time{}, false
	}
	var ms uint64
	for i := 0; i < 10; i++ { // 50 bits: two zero bits and the 48-bit time
		d := strings.IndexByte(crockford, rest[i])
		if d < 0 {
			return time.Time{}, false
		}
		ms = ms<<5 | uint64(d)
	}
	return time.UnixMilli(int64(ms)).UTC(), true
}

// ValidID reports whether s looks like an id made by NewID with the prefix.
func ValidID(prefix, s string) bool {
	rest, ok := strings.CutPrefix(s, prefix+"_")
	if !ok || len(rest) != 26 || rest[0] > '7' {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if strings.IndexByte(crockford, rest[i]) < 0 {
			return false
		}
	}
	return true
}
