// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/rosterhq/roster/httpapi"
	"github.com/rosterhq/roster/service"
)

// roster import (PRODUCT.md sections 12 and 13): reads a file of users
// (Roster's import lines, an Auth0 export, a Keycloak realm, a CSV),
// streams it to POST /v1/users/import in batches and reads the answer
// lines as they come. What the server has answered is recorded in a state
// file beside the input, so that the same command run again after an
// interruption goes on after the last answered record; the failed
// records go to a file of import lines (and their problems to another),
// to be fixed and imported again as they are.

// importOptions are roster import's flags.
type importOptions struct {
	base, match, from, mapText, orgID string
	failed                            string
	file                              string
	restart                           bool
	batch, stopAfter                  int
	mapping                           map[string]string
}

// importCounts are the summary's counts.
type importCounts struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Failed    int `json:"failed"`
}

func (c importCounts) total() int { return c.Created + c.Updated + c.Unchanged + c.Failed }

// errImportFatal marks an answer that retrying cannot change (a wrong
// key, a refused request).
type errImportFatal struct{ error }

func parseImportFlags(args []string, getenv func(string) string, stderr io.Writer) (*importOptions, error) {
	o := &importOptions{}
	fs := flag.NewFlagSet("roster import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.base, "url", getenv("ROSTER_URL"), "the server's base URL, e.g. https://roster.example.com (ROSTER_URL)")
	fs.StringVar(&o.match, "match", service.MatchEmail, "match records to existing users by email, external_id or id")
	fs.StringVar(&o.from, "from", fromNDJSON, "the file's format: ndjson (Roster's import lines, or an export), auth0 (a bulk user export), keycloak (a realm export), csv")
	fs.StringVar(&o.mapText, "map", "", "with --from csv: roster_field=CSV column pairs, comma-separated (columns named like a field map themselves)")
	fs.StringVar(&o.orgID, "organization-id", "", "make every user's home organisation this one (replacing the records' own)")
	fs.StringVar(&o.failed, "failed", "", "where the failed records go, as import lines (default FILE.failed.ndjson; their problems beside it, .problems.ndjson)")
	fs.BoolVar(&o.restart, "restart", false, "start from the first record, ignoring the state of an interrupted import")
	fs.IntVar(&o.batch, "batch", 10_000, "records per request")
	fs.IntVar(&o.stopAfter, "stop-after", 0, "stop after this many records (a trial run); the same command without it goes on from there")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: roster import --url URL [--match email|external_id|id] [--from ndjson|auth0|keycloak|csv] [--map first_name=First,...] FILE\n\n"+
			"Creates or updates the users of FILE with the API key in ROSTER_API_KEY (it needs users:write:all).\n"+
			"Interrupted, the same command goes on after the last record the server answered.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, errUsage
	}
	if fs.NArg() != 1 || o.base == "" {
		fs.Usage()
		return nil, errUsage
	}
	o.file = fs.Arg(0)
	switch o.match {
	case service.MatchEmail, service.MatchExternalID, service.MatchID:
	default:
		return nil, fmt.Errorf("import: --match must be email, external_id or id, got %q", o.match)
	}
	if o.batch < 1 || o.batch > httpapi.MaxImportLines {
		return nil, fmt.Errorf("import: --batch must be 1 to %d", httpapi.MaxImportLines)
	}
	if o.mapText != "" && o.from != fromCSV {
		return nil, errors.New("import: --map is for --from csv")
	}
	var err error
	if o.mapping, err = parseCSVMap(o.mapText); err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	if o.failed == "" {
		o.failed = o.file + ".failed.ndjson"
	}
	return o, nil
}

// runImport is roster import.
func runImport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	o, err := parseImportFlags(args, getenv, stderr)
	if err != nil {
		return err
	}
	key := getenv("ROSTER_API_KEY")
	if key == "" {
		return errors.New("import: set ROSTER_API_KEY to an API key with the users:write:all scope")
	}
	u, err := url.Parse(strings.TrimSuffix(o.base, "/") + "/v1/users/import")
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("import: --url must be an http:// or https:// URL, got %q", o.base)
	}
	u.RawQuery = url.Values{"match": {o.match}}.Encode()
	f, err := os.Open(o.file)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer f.Close()
	src, err := newImportSource(o.from, f, o.mapping)
	if err != nil {
		return fmt.Errorf("import: %s: %w", o.file, err)
	}
	imp := &importer{o: o, url: u.String(), key: key, stderr: stderr, statePath: o.file + ".roster-import-state"}
	if err := imp.begin(f); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	runErr := imp.run(ctx, src)
	if err := imp.finish(runErr); err != nil && runErr == nil {
		runErr = err
	}
	c := imp.st.Counts
	fmt.Fprintf(stdout, "created %d, updated %d, unchanged %d, failed %d\n", c.Created, c.Updated, c.Unchanged, c.Failed)
	if ks, ok := src.(*keycloakSource); ok && ks.skipped > 0 {
		imp.p.note(fmt.Sprintf("%d service accounts of clients were not imported (they are not people)", ks.skipped))
	}
	switch {
	case errors.Is(runErr, context.Canceled):
		return errors.New("import: interrupted; the same command goes on where it stopped")
	case runErr != nil && !errors.Is(runErr, errImportStopped): // --stop-after is a trial run that went as asked
		return runErr
	case c.Failed > 0:
		return fmt.Errorf("import: %d %ss failed: they are in %s as import lines, and why in %s; fix them there and run %s",
			c.Failed, unitOf(o.from), o.failed, problemsPath(o.failed), o.rerunFailed())
	}
	return nil
}

// rerunFailed is the command that imports the failed file as this run
// imported the rest (the failed file is always import lines: no --from).
func (o *importOptions) rerunFailed() string {
	cmd := "roster import --url " + o.base
	if o.match != service.MatchEmail {
		cmd += " --match " + o.match
	}
	if o.orgID != "" {
		cmd += " --organization-id " + o.orgID
	}
	return cmd + " " + o.failed
}

func problemsPath(failed string) string {
	return strings.TrimSuffix(failed, ".ndjson") + ".problems.ndjson"
}

// importer runs one import.
type importer struct {
	o         *importOptions
	url, key  string
	stderr    io.Writer
	p         *progress
	statePath string
	st        importState
	size      int64
	started   time.Time
	sentRun   int // records answered in this run
	saved     time.Time
	failed    *os.File
	problems  *os.File
	failedW   *bufio.Writer
	problemsW *bufio.Writer
}

// run reads the records after the state's and sends them in batches.
func (imp *importer) run(ctx context.Context, src importSource) error {
	for {
		batch, err := imp.readBatch(src)
		if len(batch) > 0 {
			if err := imp.sendBatch(ctx, batch); err != nil {
				return err
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("import: %s: %w", imp.o.file, err)
		}
		if imp.o.stopAfter > 0 && imp.sentRun >= imp.o.stopAfter {
			return errImportStopped
		}
	}
}

// errImportStopped ends a run that --stop-after cut short.
var errImportStopped = errors.New("stopped")

// readBatch reads up to --batch records (or 32 MiB of them) after the
// state's last answered one, and no more than --stop-after allows.
func (imp *importer) readBatch(src importSource) ([]importRecord, error) {
	limit := imp.o.batch
	if imp.o.stopAfter > 0 {
		limit = min(limit, imp.o.stopAfter-imp.sentRun)
	}
	var batch []importRecord
	bytes := 0
	for len(batch) < limit && bytes < 32<<20 {
		rec, err := src.next()
		if err != nil {
			return batch, err
		}
		if rec.pos <= imp.st.Done {
			continue // answered in an earlier run
		}
		if imp.o.orgID != "" && rec.line != nil && rec.problem == "" {
			rec.line = withOrganization(rec.line, imp.o.orgID)
		}
		batch = append(batch, rec)
		bytes += len(rec.line)
	}
	return batch, nil
}

// withOrganization sets a line's organization_id (a line that is not a
// JSON object goes as it is: the server answers its problem).
func withOrganization(line []byte, orgID string) []byte {
	var m map[string]json.RawMessage
	if json.Unmarshal(line, &m) != nil || m == nil {
		return line
	}
	m["organization_id"], _ = json.Marshal(orgID)
	out, err := json.Marshal(m)
	if err != nil {
		return line
	}
	return out
}

// sendBatch sends a batch, again from the first unanswered record after
// a failure that may pass (the connection, a 5xx or 429 before the
// answer), up to 5 times in a row without progress.
func (imp *importer) sendBatch(ctx context.Context, batch []importRecord) error {
	tries := 0
	for len(batch) > 0 {
		n, err := imp.post(ctx, batch)
		batch = batch[n:]
		if err == nil {
			continue
		}
		var fatal errImportFatal
		if errors.As(err, &fatal) || ctx.Err() != nil {
			return err
		}
		if n > 0 {
			tries = 0
		}
		if tries++; tries > 5 {
			return fmt.Errorf("import: %w (5 tries from %s %d)", err, unitOf(imp.o.from), batch[0].pos)
		}
		wait := time.Duration(1<<tries) * 250 * time.Millisecond
		imp.p.note(fmt.Sprintf("%v; trying again from %s %d in %s", err, unitOf(imp.o.from), batch[0].pos, wait))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
	return nil
}

// importAnswer is a line of the server's answer.
type importAnswer struct {
	Line    int             `json:"line"`
	Status  int             `json:"status"`
	ID      string          `json:"id"`
	Problem json.RawMessage `json:"problem"`
}

// post sends the records of recs that can be sent in one request, reading
// the answers as they come, and returns how many of recs are answered
// (those that fail on the client included).
func (imp *importer) post(ctx context.Context, recs []importRecord) (int, error) {
	acked := imp.ackLocal(recs, 0)
	if acked == len(recs) {
		return acked, nil
	}
	pr, pw := io.Pipe()
	go func() {
		bw := bufio.NewWriterSize(pw, 64<<10)
		var err error
		for _, r := range recs[acked:] {
			if r.problem == "" {
				if _, err = bw.Write(r.line); err == nil {
					err = bw.WriteByte('\n')
				}
			}
			if err != nil {
				break
			}
		}
		if err == nil {
			err = bw.Flush()
		}
		pw.CloseWithError(err)
	}()
	defer pr.Close()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, imp.url, pr)
	if err != nil {
		return acked, errImportFatal{err}
	}
	req.Header.Set("Authorization", "Bearer "+imp.key)
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Accept", "application/x-ndjson")
	// No overall timeout: a batch takes as long as the server needs; the
	// server ends a body that stops coming, ctx (Ctrl-C) the import.
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return acked, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		err := fmt.Errorf("the server answered %s", problemText(res))
		switch res.StatusCode {
		case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout, http.StatusRequestTimeout:
			return acked, err
		}
		return acked, errImportFatal{err}
	}
	in := bufio.NewReaderSize(res.Body, 64<<10)
	for sent := 1; acked < len(recs); sent++ {
		line, _, err := httpapi.ReadLine(in, 4<<20)
		if len(line) == 0 && err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return acked, fmt.Errorf("the answer ended before %s %d was answered: %w", unitOf(imp.o.from), recs[acked].pos, err)
		}
		var a importAnswer
		if json.Unmarshal(line, &a) != nil || a.Line != sent {
			return acked, fmt.Errorf("the server's answer line %q is not the answer to line %d of the request", line, sent)
		}
		// The server could not read on (408) or is out of service for
		// a moment (503, 429): the record was not done; send it again.
		if a.Status == http.StatusRequestTimeout || a.Status == http.StatusServiceUnavailable || a.Status == http.StatusTooManyRequests {
			return acked, fmt.Errorf("%s %d answered %d: %s", unitOf(imp.o.from), recs[acked].pos, a.Status, a.Problem)
		}
		if err := imp.ack(recs[acked], a.Status, a.Problem); err != nil {
			return acked, errImportFatal{err}
		}
		acked = imp.ackLocal(recs, acked+1)
	}
	return acked, nil
}

// ackLocal records the records from i on that fail on the client, up to
// the next one to send, and returns its index.
func (imp *importer) ackLocal(recs []importRecord, i int) int {
	for ; i < len(recs) && recs[i].problem != ""; i++ {
		p, _ := json.Marshal(map[string]any{"status": http.StatusBadRequest, "title": "Bad Request", "detail": recs[i].problem})
		if err := imp.ack(recs[i], http.StatusBadRequest, p); err != nil {
			break
		}
	}
	return i
}

// ack records a record's answer: its count, a failure's line and
// problem, progress, and now and then the state.
func (imp *importer) ack(r importRecord, status int, problem json.RawMessage) error {
	switch status {
	case http.StatusCreated:
		imp.st.Counts.Created++
	case http.StatusOK:
		imp.st.Counts.Updated++
	case http.StatusNoContent:
		imp.st.Counts.Unchanged++
	default:
		imp.st.Counts.Failed++
		if r.line != nil {
			imp.failedW.Write(r.line)
			imp.failedW.WriteByte('\n')
		}
		p, _ := json.Marshal(map[string]any{unitOf(imp.o.from): r.pos, "status": status, "problem": problem})
		imp.problemsW.Write(p)
		if err := imp.problemsW.WriteByte('\n'); err != nil {
			return fmt.Errorf("write %s: %w", problemsPath(imp.o.failed), err)
		}
	}
	imp.st.Done, imp.st.Offset = r.pos, r.end
	imp.sentRun++
	extra := ""
	if imp.st.Counts.Failed > 0 {
		extra = fmt.Sprintf(", %d failed", imp.st.Counts.Failed)
	}
	imp.p.share(int64(imp.sentRun), r.end, imp.size, extra)
	if time.Since(imp.saved) >= time.Second {
		return imp.save()
	}
	return nil
}
