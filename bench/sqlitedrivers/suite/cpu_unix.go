//go:build unix

package suite

import (
	"syscall"
	"time"
)

// CPUTime returns the user+system CPU time consumed so far by this process.
func CPUTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
