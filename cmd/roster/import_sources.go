// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster/httpapi"
)

// The readers of roster import: each turns a file into records, one user
// each, in Roster's import line form (a user in the API's JSON form plus
// password_hash, httpapi.ImportLine). Records are numbered by their place
// in the file (a line number; for Keycloak the user's place in users[]),
// which is what the state file, the progress and the problems name.

// importRecord is one user read from the file.
type importRecord struct {
	pos  int    // the line (or Keycloak user) number in the file, from 1
	end  int64  // the file offset just past the record
	line []byte // the import line; nil when there is none to send
	// problem, when set, is why the record cannot be sent: it fails on
	// the client (line, when there is one, still goes to the failed
	// file, to be fixed there).
	problem string
}

// importSource yields records; io.EOF after the last.
type importSource interface {
	next() (importRecord, error)
}

// Input formats of roster import --from.
const (
	fromNDJSON   = "ndjson"
	fromAuth0    = "auth0"
	fromKeycloak = "keycloak"
	fromCSV      = "csv"
)

func newImportSource(from string, r io.Reader, mapping map[string]string) (importSource, error) {
	switch from {
	case fromNDJSON:
		return newLineSource(r, nil), nil
	case fromAuth0:
		return newLineSource(r, auth0Line), nil
	case fromKeycloak:
		return newKeycloakSource(r)
	case fromCSV:
		return newCSVSource(r, mapping)
	}
	return nil, fmt.Errorf("--from must be ndjson, auth0, keycloak or csv, got %q", from)
}

// lineSource reads NDJSON, a line at a time with flat memory (a line over
// the server's limit is not kept: it fails on the client). convert, when
// set, turns a line of another system's format into an import line.
type lineSource struct {
	read    *countingReader
	in      *bufio.Reader
	n       int
	convert func([]byte) ([]byte, string)
}

func newLineSource(r io.Reader, convert func([]byte) ([]byte, string)) *lineSource {
	c := &countingReader{r: r}
	return &lineSource{read: c, in: bufio.NewReaderSize(c, 64<<10), convert: convert}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (s *lineSource) next() (importRecord, error) {
	for {
		line, tooLong, err := httpapi.ReadLine(s.in, httpapi.MaxImportLineBytes)
		s.n++
		rec := importRecord{pos: s.n, end: s.read.n - int64(s.in.Buffered())}
		switch {
		case tooLong:
			rec.problem = "the line is longer than 1 MiB"
			return rec, nil
		case len(strings.TrimSpace(string(line))) > 0:
			rec.line = line
			if s.convert != nil {
				rec.line, rec.problem = s.convert(line)
			}
			return rec, nil
		}
		if err != nil {
			return importRecord{}, err // io.EOF at the end
		}
	}
}

// auth0User is a line of Auth0's bulk user export (the export job's
// "json" format: one user a line, the fields asked for under their own
// names) and of the password hash export Auth0's support hands out
// (passwordHash, _id.$oid). The hash may also come as in Auth0's bulk
// import format (password_hash, custom_password_hash), which people keep
// their users in on the way between tenants.
type auth0User struct {
	UserID string `json:"user_id"`
	OID    struct {
		OID string `json:"$oid"`
	} `json:"_id"`
	Email        string          `json:"email"`
	GivenName    string          `json:"given_name"`
	FamilyName   string          `json:"family_name"`
	Name         string          `json:"name"`
	Nickname     string          `json:"nickname"`
	Username     string          `json:"username"`
	PhoneNumber  string          `json:"phone_number"`
	CreatedAt    string          `json:"created_at"`
	Blocked      bool            `json:"blocked"`
	UserMetadata json.RawMessage `json:"user_metadata"`
	AppMetadata  json.RawMessage `json:"app_metadata"`
	PasswordHash string          `json:"password_hash"`
	ExportedHash string          `json:"passwordHash"`
	CustomHash   *struct {
		Algorithm string `json:"algorithm"`
		Hash      struct {
			Value string `json:"value"`
		} `json:"hash"`
	} `json:"custom_password_hash"`
}

// auth0Line turns an Auth0 export line into an import line: user_id
// becomes external_id (so that --match external_id finds the users again),
// given_name and family_name the names (a user without given_name is
// called by its name, nickname or the email's local part: first_name is
// required), created_at the creation time, blocked a disabled status, and the metadata the user's
// settings ({"user_metadata": …, "app_metadata": …}). A bcrypt, argon2 or
// PBKDF2 (PHC) hash goes as password_hash; the server refuses the forms it
// cannot check, on the line.
func auth0Line(raw []byte) ([]byte, string) {
	var a auth0User
	if err := json.Unmarshal(raw, &a); err != nil {
		return raw, "the line is not an Auth0 user (a JSON object): " + err.Error()
	}
	u := map[string]any{}
	setString(u, "external_id", a.UserID)
	if a.UserID == "" && a.OID.OID != "" {
		setString(u, "external_id", "auth0|"+a.OID.OID) // the database connection's user_id
	}
	setString(u, "email", a.Email)
	setString(u, "username", a.Username)
	first := a.GivenName
	for _, alt := range []string{a.Name, a.Nickname, localPart(a.Email)} {
		if first == "" && !strings.Contains(alt, "@") {
			first = alt
		}
	}
	setString(u, "first_name", first)
	setString(u, "last_name", a.FamilyName)
	if a.PhoneNumber != "" {
		u["phone"] = map[string]any{"number": a.PhoneNumber}
	}
	setString(u, "created_at", a.CreatedAt)
	if a.Blocked {
		u["status"] = "disabled"
	}
	settings := map[string]any{}
	for name, m := range map[string]json.RawMessage{"user_metadata": a.UserMetadata, "app_metadata": a.AppMetadata} {
		if len(m) > 0 && string(m) != "null" && string(m) != "{}" {
			settings[name] = m
		}
	}
	if len(settings) > 0 {
		u["settings"] = settings
	}
	for _, h := range []string{a.PasswordHash, a.ExportedHash} {
		setString(u, "password_hash", h)
	}
	if a.CustomHash != nil {
		setString(u, "password_hash", a.CustomHash.Hash.Value)
	}
	line, err := json.Marshal(u)
	if err != nil {
		return raw, err.Error()
	}
	return line, ""
}

func setString(u map[string]any, field, v string) {
	if v = strings.TrimSpace(v); v != "" {
		u[field] = v
	}
}

func localPart(email string) string {
	local, _, _ := strings.Cut(email, "@")
	return local
}

// keycloakSource reads a Keycloak realm export (kc.sh export, or the
// admin console's partial export: {"realm": …, "users": [ … ], …}; a file
// of the users directory export has the same shape) or a bare array of
// users (the admin API's GET /users), one user at a time: a realm of
// millions of users is never held whole.
type keycloakSource struct {
	dec     *json.Decoder
	n       int
	skipped int // service accounts
	done    bool
}

// keycloakUser is a user of a realm export (UserRepresentation).
type keycloakUser struct {
	ID                     string              `json:"id"`
	Username               string              `json:"username"`
	Email                  string              `json:"email"`
	FirstName              string              `json:"firstName"`
	LastName               string              `json:"lastName"`
	Enabled                *bool               `json:"enabled"`
	Attributes             map[string][]string `json:"attributes"`
	ServiceAccountClientID string              `json:"serviceAccountClientId"`
	CreatedTimestamp       int64               `json:"createdTimestamp"` // Unix milliseconds
	Credentials            []struct {
		Type           string `json:"type"`
		SecretData     string `json:"secretData"`
		CredentialData string `json:"credentialData"`
	} `json:"credentials"`
}

func newKeycloakSource(r io.Reader) (*keycloakSource, error) {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 64<<10))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("the file is not a Keycloak realm export (JSON): %w", err)
	}
	if tok == json.Delim('[') {
		return &keycloakSource{dec: dec}, nil
	}
	if tok != json.Delim('{') {
		return nil, errors.New("the file is not a Keycloak realm export: it must be a JSON object with a users array")
	}
	// Walk the realm's keys to users, skipping the others whole.
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("the Keycloak realm export is not valid JSON: %w", err)
		}
		if key == "users" {
			if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
				return nil, errors.New("the Keycloak realm export's users is not an array")
			}
			return &keycloakSource{dec: dec}, nil
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, fmt.Errorf("the Keycloak realm export is not valid JSON: %w", err)
		}
	}
	return nil, errors.New("the Keycloak realm export has no users: export the realm with its users (kc.sh export --users realm_file)")
}

func (s *keycloakSource) next() (importRecord, error) {
	for !s.done && s.dec.More() {
		var k keycloakUser
		if err := s.dec.Decode(&k); err != nil {
			return importRecord{}, fmt.Errorf("user %d of the Keycloak export: %w", s.n+1, err)
		}
		s.n++
		if k.ServiceAccountClientID != "" {
			s.skipped++ // a client's service account, not a person
			continue
		}
		line, err := json.Marshal(keycloakLine(&k))
		if err != nil {
			return importRecord{}, err
		}
		return importRecord{pos: s.n, end: s.dec.InputOffset(), line: line}, nil
	}
	s.done = true // the rest of the realm is not read
	return importRecord{}, io.EOF
}

// keycloakLine maps a Keycloak user: id becomes external_id,
// createdTimestamp the creation time, enabled false a disabled status, the locale attribute the language preference
// and the other attributes the user's settings ({"attributes": …}); the
// password credential goes as it is (the server reads Keycloak's
// secretData and credentialData).
func keycloakLine(k *keycloakUser) map[string]any {
	u := map[string]any{}
	setString(u, "external_id", k.ID)
	setString(u, "email", k.Email)
	setString(u, "username", k.Username)
	first := k.FirstName
	if strings.TrimSpace(first) == "" {
		first = k.Username
	}
	setString(u, "first_name", first)
	setString(u, "last_name", k.LastName)
	if k.Enabled != nil && !*k.Enabled {
		u["status"] = "disabled"
	}
	if k.CreatedTimestamp > 0 {
		u["created_at"] = time.UnixMilli(k.CreatedTimestamp).UTC().Format(time.RFC3339Nano)
	}
	attrs := map[string][]string{}
	for name, v := range k.Attributes {
		if name == "locale" && len(v) == 1 {
			u["preferences"] = map[string]any{"language": v[0]}
			continue
		}
		attrs[name] = v
	}
	if len(attrs) > 0 {
		u["settings"] = map[string]any{"attributes": attrs}
	}
	for _, c := range k.Credentials {
		if c.Type == "password" {
			u["password_hash"] = map[string]string{"type": c.Type, "secretData": c.SecretData, "credentialData": c.CredentialData}
			break
		}
	}
	return u
}

// csvFields are the import fields a CSV column may fill; the nested
// ones take a dotted name (phone.country, preferences.language,
// settings.plan …).
var csvFields = []string{"id", "external_id", "email", "username", "first_name", "last_name", "display_name", "status",
	"availability", "organization_id", "manager_id", "roles", "tags", "password_hash", "send_invite", "phone", "mobile"}

// csvNested are the objects whose members a column may fill.
var csvNested = map[string][]string{
	"phone":       {"number", "country"},
	"mobile":      {"number", "country"},
	"preferences": {"language", "time_zone", "default_country", "color_mode", "date_format", "number_format", "default_outbound_number"},
	"settings":    nil, // any member
}

// csvSource reads a CSV file with a header; each record becomes an
// import line from the mapped columns (an empty cell sets nothing, so a
// match keeps its value).
type csvSource struct {
	r      *csv.Reader
	fields []string // import field per mapped column …
	cols   []int    // … and the column
	width  int
}

// parseCSVMap reads --map: roster_field=CSV column, comma-separated.
func parseCSVMap(s string) (map[string]string, error) {
	m := map[string]string{}
	if strings.TrimSpace(s) == "" {
		return m, nil
	}
	for _, pair := range strings.Split(s, ",") {
		field, col, ok := strings.Cut(pair, "=")
		field, col = strings.TrimSpace(field), strings.TrimSpace(col)
		if !ok || field == "" || col == "" {
			return nil, fmt.Errorf("--map takes roster_field=CSV column pairs separated by commas, e.g. first_name=First,email=E-mail; got %q", pair)
		}
		if err := checkCSVField(field); err != nil {
			return nil, err
		}
		m[field] = col
	}
	return m, nil
}

func checkCSVField(field string) error {
	top, sub, nested := strings.Cut(field, ".")
	if members, ok := csvNested[top]; ok && nested {
		if members == nil || slices.Contains(members, sub) {
			return nil
		}
		return fmt.Errorf("--map: %s has no member %q (it has %s)", top, sub, strings.Join(members, ", "))
	}
	if !nested && slices.Contains(csvFields, field) {
		return nil
	}
	return fmt.Errorf("--map: %q is not a field a CSV column can fill (%s, or phone.*, mobile.*, preferences.*, settings.*)", field, strings.Join(csvFields, ", "))
}

// newCSVSource reads the header and maps columns: those --map names, and
// any column whose header is itself an import field (email, first_name,
// phone.number …).
func newCSVSource(r io.Reader, mapping map[string]string) (*csvSource, error) {
	cr := csv.NewReader(bufio.NewReaderSize(r, 64<<10))
	cr.FieldsPerRecord = -1 // a short or long record fails on its own, not the file
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("the CSV file has no header: %w", err)
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff") // a byte order mark, as spreadsheets write
	}
	byName := map[string]int{}
	for i, h := range header {
		byName[strings.TrimSpace(h)] = i
	}
	s := &csvSource{r: cr, width: len(header)}
	mapped := map[string]bool{}
	for field, col := range mapping {
		i, ok := byName[col]
		if !ok {
			return nil, fmt.Errorf("--map %s=%s: the CSV header has no column %q (it has %s)", field, col, col, strings.Join(header, ", "))
		}
		s.fields, s.cols = append(s.fields, field), append(s.cols, i)
		mapped[field] = true
	}
	for i, h := range header {
		if f := strings.TrimSpace(h); !mapped[f] && checkCSVField(f) == nil {
			s.fields, s.cols = append(s.fields, f), append(s.cols, i)
		}
	}
	if len(s.fields) == 0 {
		return nil, fmt.Errorf("no CSV column is mapped to a user field: name them with --map, e.g. --map email=Email,first_name=First")
	}
	return s, nil
}

func (s *csvSource) next() (importRecord, error) {
	rec, err := s.r.Read()
	var perr *csv.ParseError
	if errors.As(err, &perr) {
		return importRecord{pos: perr.StartLine, end: s.r.InputOffset(), problem: "the CSV record cannot be read: " + perr.Err.Error()}, nil
	}
	if err != nil {
		return importRecord{}, err
	}
	line, _ := s.r.FieldPos(0)
	out := importRecord{pos: line, end: s.r.InputOffset()}
	if len(rec) != s.width {
		out.problem = fmt.Sprintf("the CSV record has %d fields, the header %d", len(rec), s.width)
	}
	u := map[string]any{}
	for i, field := range s.fields {
		if s.cols[i] < len(rec) {
			if err := setCSVField(u, field, strings.TrimSpace(rec[s.cols[i]])); err != nil && out.problem == "" {
				out.problem = err.Error()
			}
		}
	}
	out.line, err = json.Marshal(u)
	return out, err
}

// setCSVField sets one cell's value: roles and tags are lists (separated
// by ; or ,), send_invite a boolean, phone and mobile the number, a
// dotted name a member.
func setCSVField(u map[string]any, field, v string) error {
	if v == "" {
		return nil
	}
	switch field {
	case "roles", "tags":
		var list []any
		for _, item := range strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == ',' }) {
			if item = strings.TrimSpace(item); item != "" {
				if field == "tags" {
					list = append(list, map[string]any{"name": item})
				} else {
					list = append(list, item)
				}
			}
		}
		u[field] = list
	case "send_invite":
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("send_invite must be true or false, got %q", v)
		}
		u[field] = b
	case "phone", "mobile":
		return setCSVField(u, field+".number", v)
	default:
		top, sub, nested := strings.Cut(field, ".")
		if !nested {
			u[field] = v
			return nil
		}
		m, _ := u[top].(map[string]any)
		if m == nil {
			m = map[string]any{}
			u[top] = m
		}
		m[sub] = v
	}
	return nil
}
