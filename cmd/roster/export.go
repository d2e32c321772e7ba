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
	"strings"
)

// runExport is roster export: it streams GET /v1/users/export to stdout
// as it arrives, with progress on stderr, and fails when the answer ends
// before its last line (the server cuts the connection when an export
// fails half-way), so that a truncated file is never taken for a whole
// one.
func runExport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("roster export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("url", getenv("ROSTER_URL"), "the server's base URL, e.g. https://roster.example.com (ROSTER_URL)")
	orgID := fs.String("organization-id", "", "only the users of this organisation and its descendants")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: roster export --url URL [--organization-id ID] > FILE\n\nWrites every user the API key in ROSTER_API_KEY may see, one JSON document per line.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() != 0 || *base == "" {
		fs.Usage()
		return errUsage
	}
	key := getenv("ROSTER_API_KEY")
	if key == "" {
		return errors.New("export: set ROSTER_API_KEY to an API key with the users:read scope")
	}
	u, err := url.Parse(strings.TrimSuffix(*base, "/") + "/v1/users/export")
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("export: --url must be an http:// or https:// URL, got %q", *base)
	}
	if *orgID != "" {
		u.RawQuery = url.Values{"organization_id": {*orgID}}.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Accept", "application/x-ndjson")
	// No overall timeout: an export of a large directory takes as long as
	// it takes; ctx (Ctrl-C) ends it.
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("export: %s", problemText(res))
	}
	p := newProgress(stderr, "export")
	in := bufio.NewReaderSize(res.Body, 64<<10)
	out := bufio.NewWriterSize(stdout, 64<<10)
	var n, size int64
	partial := false // inside a line longer than the buffer
	for {
		line, err := in.ReadSlice('\n')
		if len(line) > 0 {
			if _, werr := out.Write(line); werr != nil {
				return fmt.Errorf("export: write: %w", werr)
			}
			size += int64(len(line))
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			partial = true // a line longer than the buffer: copied on in pieces
			continue
		}
		if err == io.EOF {
			if len(line) > 0 || partial {
				return fmt.Errorf("export: the answer ended inside a line after %d users: the export is incomplete", n)
			}
			break
		}
		if err != nil {
			out.Flush()
			return fmt.Errorf("export: the connection ended after %d users: the export is incomplete: %w", n, err)
		}
		partial = false
		n++
		p.count(n, size)
	}
	if err := out.Flush(); err != nil {
		return fmt.Errorf("export: write: %w", err)
	}
	p.done(fmt.Sprintf("%d users, %s", n, bytesText(size)))
	return nil
}

// problemText sums up an error answer: its problem document's title and
// detail when it has one.
func problemText(res *http.Response) string {
	body, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	var p struct {
		Title, Detail string
	}
	if json.Unmarshal(body, &p) == nil && (p.Title != "" || p.Detail != "") {
		return fmt.Sprintf("%s: %s: %s", res.Status, p.Title, p.Detail)
	}
	return fmt.Sprintf("%s: %s", res.Status, strings.TrimSpace(string(body)))
}
