// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The state of roster import: what lets the same command go on after an
// interruption, and the failed files it writes.

// importState is the state file (FILE.roster-import-state): the command
// it belongs to, the input as it was, and how far the server has
// answered. It is written (atomically) every second and when the import
// stops, and removed when the whole file has been answered.
type importState struct {
	File     string       `json:"file"`
	Size     int64        `json:"size"`
	Modified time.Time    `json:"modified"`
	URL      string       `json:"url"`
	From     string       `json:"from"`
	Match    string       `json:"match"`
	Map      string       `json:"map,omitempty"`
	OrgID    string       `json:"organization_id,omitempty"`
	Done     int          `json:"done"`   // the last record answered (records are answered in order)
	Offset   int64        `json:"offset"` // the byte just past it
	Counts   importCounts `json:"counts"`
	// The sizes of the failed and problems files at Done: a resumed run
	// cuts what a crash left after them, so no record is there twice.
	FailedBytes   int64 `json:"failed_bytes"`
	ProblemsBytes int64 `json:"problems_bytes"`
}

// begin reads the state of an interrupted run of the same command
// (unless --restart) and opens the failed and problems files: truncated
// for a new run, cut back to the state's sizes for a resumed one.
func (imp *importer) begin(f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	abs, _ := filepath.Abs(imp.o.file)
	imp.size = fi.Size()
	fresh := importState{File: abs, Size: fi.Size(), Modified: fi.ModTime().UTC(), URL: strings.TrimSuffix(imp.o.base, "/"),
		From: imp.o.from, Match: imp.o.match, Map: imp.o.mapText, OrgID: imp.o.orgID}
	imp.st = fresh
	imp.p = newProgress(imp.stderr, "import")
	if !imp.o.restart {
		if b, err := os.ReadFile(imp.statePath); err == nil {
			var old importState
			if err := json.Unmarshal(b, &old); err != nil {
				return fmt.Errorf("the state file %s cannot be read (%v): run with --restart to import %s from its start", imp.statePath, err, imp.o.file)
			}
			if why := old.differs(&fresh); why != "" {
				return fmt.Errorf("%s is the state of another import (%s): run the same command as before to go on with it, or add --restart to import %s from its start", imp.statePath, why, imp.o.file)
			}
			imp.st = old
		} else if !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	flags := os.O_CREATE | os.O_WRONLY
	if imp.st.Done == 0 {
		flags |= os.O_TRUNC
	}
	if imp.failed, err = openAt(imp.o.failed, flags, imp.st.FailedBytes); err != nil {
		return err
	}
	if imp.problems, err = openAt(problemsPath(imp.o.failed), flags, imp.st.ProblemsBytes); err != nil {
		return err
	}
	imp.failedW, imp.problemsW = bufio.NewWriter(imp.failed), bufio.NewWriter(imp.problems)
	if imp.st.Done > 0 {
		imp.p.from = imp.st.Offset
		imp.p.note(fmt.Sprintf("resuming after %s %d of %s (%d answered before; state in %s, --restart to start over)",
			unitOf(imp.o.from), imp.st.Done, imp.o.file, imp.st.Counts.total(), imp.statePath))
	}
	imp.started, imp.saved = time.Now(), time.Now()
	return nil
}

func unitOf(from string) string {
	if from == fromKeycloak {
		return "user"
	}
	return "line"
}

// differs says how a state differs from the command run now ("" when
// it is this command's, on the same file).
func (old *importState) differs(now *importState) string {
	switch {
	case old.File != now.File:
		return "of " + old.File
	case old.URL != now.URL:
		return "into " + old.URL
	case old.From != now.From || old.Match != now.Match || old.Map != now.Map || old.OrgID != now.OrgID:
		return fmt.Sprintf("with --from %s --match %s --map %q --organization-id %q", old.From, old.Match, old.Map, old.OrgID)
	case old.Size != now.Size || !old.Modified.Equal(now.Modified):
		return "the file has changed since"
	}
	return ""
}

// openAt opens a file for appending at size (cut there when it is longer).
func openAt(path string, flags int, size int64) (*os.File, error) {
	f, err := os.OpenFile(path, flags, 0o600)
	if err != nil {
		return nil, err
	}
	if flags&os.O_TRUNC == 0 {
		if err := f.Truncate(size); err != nil {
			f.Close()
			return nil, err
		}
	}
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// save writes the failed records so far and then the state that counts
// them, through a temporary file and a rename.
func (imp *importer) save() error {
	imp.saved = time.Now()
	for _, w := range []*bufio.Writer{imp.failedW, imp.problemsW} {
		if err := w.Flush(); err != nil {
			return fmt.Errorf("write the failed records: %w", err)
		}
	}
	var err error
	if imp.st.FailedBytes, err = imp.failed.Seek(0, io.SeekCurrent); err != nil {
		return err
	}
	if imp.st.ProblemsBytes, err = imp.problems.Seek(0, io.SeekCurrent); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(imp.st, "", "  ")
	tmp := imp.statePath + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("write the state file: %w", err)
	}
	return os.Rename(tmp, imp.statePath)
}

// finish ends the run: when the whole file was answered it removes the
// state (and the failed files when nothing failed); otherwise it saves
// the state and says how to go on.
func (imp *importer) finish(runErr error) error {
	err := imp.save()
	imp.failed.Close()
	imp.problems.Close()
	el := time.Since(imp.started).Truncate(time.Millisecond)
	unit := unitOf(imp.o.from)
	if runErr != nil {
		if errors.Is(runErr, errImportStopped) || errors.Is(runErr, context.Canceled) {
			imp.p.done(fmt.Sprintf("stopped after %s %d (%d answered in %s): run the same command again to go on from there", unit, imp.st.Done, imp.sentRun, el))
		} else {
			imp.p.done(fmt.Sprintf("stopped after %s %d: %v; run the same command again to go on from there", unit, imp.st.Done, runErr))
		}
		return err
	}
	if err != nil {
		return err
	}
	os.Remove(imp.statePath)
	if imp.st.Counts.Failed == 0 {
		os.Remove(imp.o.failed)
		os.Remove(problemsPath(imp.o.failed))
	}
	rate := float64(imp.sentRun) / max(el.Seconds(), 1e-3)
	imp.p.done(fmt.Sprintf("%d users answered in %s (%.0f/s)", imp.sentRun, el, rate))
	return nil
}
