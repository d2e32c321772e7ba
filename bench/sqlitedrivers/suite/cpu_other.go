//go:build !unix

package suite

import "time"

// CPUTime is not implemented on this platform.
func CPUTime() (time.Duration, bool) { return 0, false }
