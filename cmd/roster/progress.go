// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// progress reports a long command's progress on stderr: on a terminal one
// line rewritten in place (carriage return, erase to the end of the line)
// at most every tick; otherwise plain lines, one every plainEvery, with no
// control characters, so that logs and files stay clean.
type progress struct {
	w     io.Writer
	tty   bool
	what  string
	start time.Time
	last  time.Time
	dirty bool  // a terminal line is showing and must be ended
	from  int64 // the byte a resumed run started at (share's time left)
	// tick and plainEvery are the least times between two reports.
	tick, plainEvery time.Duration
}

func newProgress(w io.Writer, what string) *progress {
	now := time.Now()
	return &progress{w: w, tty: isTerminal(w), what: what, start: now, last: now, tick: 100 * time.Millisecond, plainEvery: 5 * time.Second}
}

// isTerminal reports whether w is a character device (a terminal): no
// dependency needed for the one bit of the file's mode.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// count reports n items and b bytes done so far, when it is time to.
func (p *progress) count(n, b int64) {
	if now, due := p.due(); due {
		p.line(p.status(n, b, now))
	}
}

// due reports whether it is time for the next line (often on a terminal,
// seldom otherwise), and the time.
func (p *progress) due() (time.Time, bool) {
	now := time.Now()
	every := p.plainEvery
	if p.tty {
		every = p.tick
	}
	if now.Sub(p.last) < every {
		return now, false
	}
	p.last = now
	return now, true
}

// bytes reports b of total bytes written (total 0: unknown), with the
// rate and, when the total is known, the time left; when it is time to.
func (p *progress) bytes(b, total int64) {
	now, due := p.due()
	if !due {
		return
	}
	el := now.Sub(p.start)
	rate := 0.0
	if s := el.Seconds(); s > 0 {
		rate = float64(b) / s
	}
	line := fmt.Sprintf("%s: %s, %s/s, %s", p.what, bytesText(b), bytesText(int64(rate)), el.Truncate(time.Second))
	if total > 0 && b <= total {
		line = fmt.Sprintf("%s: %s of %s (%.0f%%), %s/s", p.what, bytesText(b), bytesText(total), 100*float64(b)/float64(total), bytesText(int64(rate)))
		if rate > 0 {
			line += fmt.Sprintf(", about %s left", (time.Duration(float64(total-b)/rate) * time.Second).Truncate(time.Second))
		}
	}
	p.line(line)
}

// share reports n users done this run, up to byte b of a file of total
// bytes (from where this run started: a resumed import), with the rate
// and the time left; on a terminal as a bar. extra ends the line.
func (p *progress) share(n, b, total int64, extra string) {
	now, due := p.due()
	if !due {
		return
	}
	p.line(p.shareLine(n, b, total, now.Sub(p.start)) + extra)
}

func (p *progress) shareLine(n, b, total int64, el time.Duration) string {
	pct, rate, left := int64(0), 0.0, "?"
	if total > 0 {
		pct = min(100, 100*b/total)
	}
	if s := el.Seconds(); s > 0 {
		rate = float64(n) / s
	}
	if done := b - p.from; done > 0 && total >= b {
		left = (time.Duration(float64(el) * float64(total-b) / float64(done))).Truncate(time.Second).String()
	}
	if p.tty {
		const width = 30
		fill := int(pct * width / 100)
		return fmt.Sprintf("%s [%s%s] %3d%% %d users, %.0f/s, %s left", p.what, strings.Repeat("=", fill), strings.Repeat(" ", width-fill), pct, n, rate, left)
	}
	return fmt.Sprintf("%s: %d%%, %d users, %.0f users/s, about %s left", p.what, pct, n, rate, left)
}

func (p *progress) status(n, b int64, now time.Time) string {
	el := now.Sub(p.start)
	rate := 0.0
	if s := el.Seconds(); s > 0 {
		rate = float64(n) / s
	}
	return fmt.Sprintf("%s: %d users, %s, %.0f users/s, %s", p.what, n, bytesText(b), rate, el.Truncate(time.Second))
}

func (p *progress) line(s string) {
	if p.tty {
		fmt.Fprintf(p.w, "\r%s\x1b[K", s)
		p.dirty = true
		return
	}
	fmt.Fprintln(p.w, s)
}

// note prints a line of its own.
func (p *progress) note(s string) {
	p.end()
	fmt.Fprintf(p.w, "%s: %s\n", p.what, s)
}

// end finishes a terminal line in progress.
func (p *progress) end() {
	if p.dirty {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.dirty = false
	}
}

// done prints the final line.
func (p *progress) done(s string) {
	p.end()
	fmt.Fprintf(p.w, "%s: %s\n", p.what, s)
}

func bytesText(b int64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10))
	}
	return fmt.Sprintf("%d B", b)
}
