// SPDX-License-Identifier: Apache-2.0

package roster

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
)

// Cursor marks a place in a sorted list: the sort key and id of the last
// item of the previous page. Lists are keyset-paginated, so a page is
// stable while rows are inserted.
type Cursor struct {
	Sort string `json:"s"`
	Key  string `json:"k"`
	ID   string `json:"i"`
}

// Encode returns the opaque form of c given to clients.
func (c Cursor) Encode() string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(c)
	return base64.RawURLEncoding.EncodeToString(bytes.TrimSpace(buf.Bytes()))
}

// maxCursor bounds a cursor's length: a sort key of 255 characters of
// three-byte UTF-8, with JSON escaping and base64, stays well below it.
const maxCursor = 4096

// DecodeCursor parses a cursor made by Encode for a list sorted by sort.
// Anything else is a CodeMalformed error.
func DecodeCursor(s, sort string) (*Cursor, error) {
	bad := Errorf(CodeMalformed, "cursor is not valid: pass the next_cursor of a previous page of the same list unchanged")
	if len(s) > maxCursor {
		return nil, bad
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, bad
	}
	var c Cursor
	if err := json.Unmarshal(b, &c); err != nil || c.ID == "" || c.Sort != sort {
		return nil, bad
	}
	return &c, nil
}
