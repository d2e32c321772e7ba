// SPDX-License-Identifier: Apache-2.0

package roster

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rosterhq/roster/validate"
)

// MaxSettingsBytes is the largest settings object a user may have.
const MaxSettingsBytes = 64 << 10

// Roles a user may hold in an organisation, strongest first.
var Roles = []string{"owner", "admin", "manager", "member"}

// UserInput is the body of a user create or replace (PUT). Pointer fields
// tell "absent" from "empty". Read-only fields may be echoed back
// unchanged; a different value is refused with a message that names the
// call that changes them. A PATCH is applied to the user's API form and
// the result is read as a UserInput, so both patch formats follow the
// same rules as PUT.
type UserInput struct {
	ID             *string          `json:"id,omitempty" readOnly:"true"`
	OrganizationID *string          `json:"organization_id,omitempty" doc:"Defaults to the caller's organisation at creation."`
	Username       *string          `json:"username,omitempty" maxLength:"255" doc:"Settable at creation only; defaults to the email."`
	Email          *string          `json:"email,omitempty" format:"email" maxLength:"255" doc:"Required at creation; read-only afterwards."`
	EmailVerified  *bool            `json:"email_verified,omitempty" readOnly:"true"`
	FirstName      *string          `json:"first_name,omitempty" required:"true" minLength:"1" maxLength:"255"`
	LastName       *string          `json:"last_name,omitempty" maxLength:"255"`
	DisplayName    *string          `json:"display_name,omitempty" maxLength:"63"`
	Phone          *Phone           `json:"phone,omitempty"`
	Mobile         *Phone           `json:"mobile,omitempty"`
	Status         *string          `json:"status,omitempty" enum:"enabled,disabled"`
	Availability   *string          `json:"availability,omitempty" enum:"available,unavailable"`
	Preferences    *Preferences     `json:"preferences,omitempty"`
	Notifications  *Notifications   `json:"notifications,omitempty"`
	Settings       json.RawMessage  `json:"settings,omitempty" schema:"object" nullable:"true" doc:"Product-specific settings: a JSON object, validated by the organisation's settings schema; at most 64 KiB. Omitted or null in a PUT: reset to {}."`
	Tags           []Tag            `json:"tags,omitempty"`
	Roles          []string         `json:"roles,omitempty"`
	Memberships    *json.RawMessage `json:"memberships,omitempty" readOnly:"true"`
	ManagerID      *string          `json:"manager_id,omitempty"`
	MFAEnabled     *bool            `json:"mfa_enabled,omitempty" readOnly:"true"`
	ExternalID     *string          `json:"external_id,omitempty" maxLength:"255"`
	CreatedAt      *time.Time       `json:"created_at,omitempty" readOnly:"true"`
	UpdatedAt      *time.Time       `json:"updated_at,omitempty" readOnly:"true"`
	Version        *int64           `json:"version,omitempty" readOnly:"true"`
	Links          *json.RawMessage `json:"_links,omitempty" readOnly:"true"`
	// SendInvite is for creation only: mail the new user a link to choose
	// a password (service/invite.go).
	SendInvite *bool `json:"send_invite,omitempty" writeOnly:"true" doc:"At creation only: mail the user a link to choose a password; the link works once and expires."`
	// SettingsFromXML says Settings was transcribed from XML, which
	// carries no types: the service types it (service/xmlsettings.go).
	SettingsFromXML bool `json:"-"`
}

// fieldErrors collects field errors under the "body." location.
type fieldErrors []FieldError

func (f *fieldErrors) add(field, msg string, value any) {
	*f = append(*f, FieldError{Location: "body." + field, Message: msg, Value: value})
}

func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	return Invalid(f...)
}

// readOnly refuses a read-only field whose echoed value differs.
func (f *fieldErrors) readOnly(field string, sent, current any, how string) {
	if sent == nil || isNil(sent) {
		return
	}
	if same, known := sameScalar(sent, current); same || !known && jsonEqual(sent, current) {
		return
	}
	f.add(field, field+" is read-only: "+how, sent)
}

// sameScalar compares an echoed scalar with the current value the way
// jsonEqual would (times by their JSON text, so an instant written in
// another zone still differs), without encoding anything: every PATCH
// echoes the read-only fields of the document it applies to. known is
// false for other types.
func sameScalar(sent, current any) (same, known bool) {
	switch s := sent.(type) {
	case *string:
		c, ok := current.(string)
		if !ok {
			return false, false
		}
		return textSame(*s, c)
	case *bool:
		c, ok := current.(bool)
		return ok && *s == c, ok
	case *int64:
		c, ok := current.(int64)
		return ok && *s == c, ok
	case *time.Time:
		c, ok := current.(time.Time)
		if !ok || !jsonYear(*s) || !jsonYear(c) {
			return false, false
		}
		var a, b [64]byte
		return bytes.Equal(s.AppendFormat(a[:0], time.RFC3339Nano), c.AppendFormat(b[:0], time.RFC3339Nano)), true
	}
	return false, false
}

// jsonYear reports whether encoding/json can write t (years 0–9999).
func jsonYear(t time.Time) bool { y := t.Year(); return y >= 0 && y <= 9999 }

// sentField is a field as sent, for serverSet.
type sentField struct {
	name string
	sent any
}

// serverSet refuses, in a creation, fields that only the server sets.
func (f *fieldErrors) serverSet(fields ...sentField) {
	for _, x := range fields {
		if !isNil(x.sent) {
			f.add(x.name, x.name+" is read-only: it is set by the server", x.sent)
		}
	}
}

func isNil(v any) bool {
	switch p := v.(type) {
	case *string:
		return p == nil
	case *bool:
		return p == nil
	case *int64:
		return p == nil
	case *time.Time:
		return p == nil
	case *json.RawMessage:
		return p == nil
	}
	return false
}

// sameMemberships reports whether echoed memberships are the current ones.
// A PATCH echoes them exactly as encoded, which is checked first.
func sameMemberships(sent json.RawMessage, current []Membership) bool {
	if b, err := json.Marshal(current); err == nil && bytes.Equal(sent, b) {
		return true
	}
	return jsonEqual(&sent, current)
}

func jsonEqual(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	if err1 != nil || err2 != nil {
		return false
	}
	var va, vb any
	if json.Unmarshal(ja, &va) != nil || json.Unmarshal(jb, &vb) != nil {
		return false
	}
	ca, _ := json.Marshal(va) // maps marshal with sorted keys
	cb, _ := json.Marshal(vb)
	return bytes.Equal(ca, cb)
}

// BuildUser validates in and returns the user it describes. With cur nil it
// is a creation; otherwise in replaces every writable field of cur (an
// omitted optional field is reset). org is the user's (new) home
// organisation, whose restrictions apply. It does not check uniqueness or
// references to other records: that is the store's and the service's job.
func BuildUser(cur *User, in *UserInput, org *Organization) (*User, error) {
	var fe fieldErrors
	u := &User{}
	if cur != nil {
		*u = *cur.Clone()
		fe.readOnly("id", in.ID, cur.ID, "ids are assigned by the server")
		fe.readOnly("username", in.Username, cur.Username, "change it with POST /v1/users/{id}/email-change")
		if in.Email != nil && !strings.EqualFold(*in.Email, cur.Email) {
			fe.add("email", "email is read-only after creation: change it with POST /v1/users/{id}/email-change", *in.Email)
		}
		fe.readOnly("email_verified", in.EmailVerified, cur.EmailVerified, "it is set by confirming an email change (POST /v1/users/{id}/email-change/confirm)")
		fe.readOnly("mfa_enabled", in.MFAEnabled, cur.MFAEnabled, "turn two-factor authentication on or off with POST or DELETE /v1/users/{id}/mfa/totp")
		if in.SendInvite != nil {
			fe.add("send_invite", "send_invite is for POST /v1/users only", *in.SendInvite)
		}
		fe.readOnly("created_at", in.CreatedAt, cur.CreatedAt, "it is set by the server")
		fe.readOnly("updated_at", in.UpdatedAt, cur.UpdatedAt, "it is set by the server")
		fe.readOnly("version", in.Version, cur.Version, "it is set by the server")
		if in.Memberships != nil && !sameMemberships(*in.Memberships, cur.Memberships) {
			fe.add("memberships", "memberships is read-only: change it with PUT or DELETE /v1/orgs/{org_id}/members/{user_id}", nil)
		}
	} else {
		for _, f := range []struct {
			name string
			sent any
		}{{"id", in.ID}, {"email_verified", in.EmailVerified}, {"mfa_enabled", in.MFAEnabled},
			{"created_at", in.CreatedAt}, {"updated_at", in.UpdatedAt}, {"version", in.Version}, {"memberships", in.Memberships}} {
			if !isNil(f.sent) {
				fe.add(f.name, f.name+" is read-only: it is set by the server", f.sent)
			}
		}
		if in.Email == nil || *in.Email == "" {
			fe.add("email", "email is required", nil)
		} else if err := validate.Email(*in.Email); err != nil {
			fe.add("email", err.Error(), *in.Email)
		} else {
			u.Email = *in.Email
		}
		u.Username = u.Email
		if in.Username != nil {
			if msg := checkUsername(*in.Username); msg != "" {
				fe.add("username", msg, *in.Username)
			} else {
				u.Username = *in.Username
			}
		}
		u.Status, u.Availability = StatusEnabled, AvailabilityAvailable
	}

	if in.OrganizationID != nil && *in.OrganizationID != "" {
		u.OrganizationID = *in.OrganizationID
	}
	if org != nil {
		u.OrganizationID = org.ID
	}

	// Names.
	u.FirstName = ""
	if in.FirstName == nil || strings.TrimSpace(*in.FirstName) == "" {
		fe.add("first_name", "first_name is required and must not be blank", strOrNil(in.FirstName))
	} else {
		u.FirstName = strings.TrimSpace(*in.FirstName)
		checkLen(&fe, "first_name", u.FirstName, 255)
	}
	u.LastName = trimmed(in.LastName)
	checkLen(&fe, "last_name", u.LastName, 255)
	u.DisplayName = trimmed(in.DisplayName)
	if cur != nil && cur.DisplayName == "" && u.DisplayName == cur.ShownDisplayName() {
		u.DisplayName = "" // the computed name echoed back: still not set
	}
	checkLen(&fe, "display_name", u.DisplayName, 63)

	u.Phone = checkPhone(&fe, "phone", in.Phone)
	u.Mobile = checkPhone(&fe, "mobile", in.Mobile)

	u.Status = oneOf(&fe, "status", in.Status, StatusEnabled, StatusEnabled, StatusDisabled)
	u.Availability = oneOf(&fe, "availability", in.Availability, AvailabilityAvailable, AvailabilityAvailable, AvailabilityUnavailable)

	u.Preferences = checkPreferences(&fe, in.Preferences, org)
	u.Notifications = checkNotifications(&fe, in.Notifications, org)
	u.Settings = checkSettings(&fe, in.Settings)
	u.Tags = checkTags(&fe, in.Tags, u.Tags)

	u.Roles = []string{"member"}
	if in.Roles != nil {
		u.Roles = checkRoles(&fe, "roles", in.Roles)
	}
	u.ManagerID = ""
	if in.ManagerID != nil && *in.ManagerID != "" {
		if !ValidID(PrefixUser, *in.ManagerID) {
			fe.add("manager_id", "manager_id must be a user id (usr_…)", *in.ManagerID)
		} else if cur != nil && *in.ManagerID == cur.ID {
			fe.add("manager_id", "a user cannot report to itself", *in.ManagerID)
		}
		u.ManagerID = *in.ManagerID
	}
	u.ExternalID = trimmed(in.ExternalID)
	checkLen(&fe, "external_id", u.ExternalID, 255)
	return u, fe.err()
}

func strOrNil(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}

func trimmed(p *string) string {
	if p == nil {
		return ""
	}
	return strings.TrimSpace(*p)
}

// checkLen checks a single-line text field: its length, UTF-8, and no
// control characters (tab and line breaks included).
func checkLen(fe *fieldErrors, field, s string, max int) {
	if n := utf8.RuneCountInString(s); n > max {
		fe.add(field, field+" must be at most "+itoa(max)+" characters", s)
	} else if !utf8.ValidString(s) {
		fe.add(field, field+" must be valid UTF-8 text", nil)
	} else if r, ok := controlIn(s); ok {
		fe.add(field, fmt.Sprintf("%s holds the control character %U: it must be one line of text without control characters", field, r), strconv.QuoteToASCII(s))
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// CheckUsername says what is wrong with a username ("" when nothing is).
func CheckUsername(s string) string { return checkUsername(s) }

func checkUsername(s string) string {
	switch {
	case s == "":
		return "username must not be empty"
	case utf8.RuneCountInString(s) > 255:
		return "username must be at most 255 characters"
	case strings.ContainsAny(s, " \t\r\n/:"):
		return "username must not contain spaces, slashes or colons"
	case strings.ContainsFunc(s, func(r rune) bool { _, bad := controlIn(string(r)); return bad }):
		return "username must not contain control characters"
	case !utf8.ValidString(s):
		return "username must be valid UTF-8 text"
	}
	return ""
}

// oneOf returns *p when it is one of allowed, def when p is nil (the
// field is absent, or null). An empty string is not one of the values: it
// is refused like any other.
func oneOf(fe *fieldErrors, field string, p *string, def string, allowed ...string) string {
	if p == nil {
		return def
	}
	if *p == "" {
		fe.add(field, field+" must be one of "+strings.Join(allowed, ", ")+" (or left out for "+def+"), not empty", *p)
		return def
	}
	return optionalOneOf(fe, field, p, def, allowed...)
}

// optionalOneOf is oneOf for fields of a struct that is sent whole, where
// "" stands for "not set".
func optionalOneOf(fe *fieldErrors, field string, p *string, def string, allowed ...string) string {
	if p == nil || *p == "" {
		return def
	}
	if !slices.Contains(allowed, *p) {
		fe.add(field, field+" must be one of "+strings.Join(allowed, ", "), *p)
		return def
	}
	return *p
}

func checkPhone(fe *fieldErrors, field string, p *Phone) *Phone {
	if p == nil || (p.Number == "" && p.Country == "" && p.E164 == "") {
		return nil
	}
	if p.Country != "" {
		if err := validate.Country(p.Country); err != nil {
			fe.add(field+".country", err.Error(), p.Country)
			return nil
		}
	}
	e164, err := validate.Phone(p.Country, p.Number)
	if err != nil {
		fe.add(field+".number", err.Error(), p.Number)
		return nil
	}
	if p.E164 != "" && p.E164 != e164 {
		fe.add(field+".e164", field+".e164 is read-only: it is computed from country and number (they give "+e164+")", p.E164)
	}
	return &Phone{Country: p.Country, Number: p.Number, E164: e164}
}

var (
	dateFormats   = []string{"YYYY-MM-DD", "DD/MM/YYYY", "MM/DD/YYYY", "DD.MM.YYYY", "DD-MM-YYYY"}
	numberFormats = []string{"plain", "comma_dot", "dot_comma", "space_comma", "apostrophe_dot"}
)

func checkPreferences(fe *fieldErrors, p *Preferences, org *Organization) Preferences {
	if p == nil {
		return Preferences{}
	}
	out := *p
	if p.Language != "" {
		tag, err := validate.LanguageTag(p.Language)
		switch {
		case err != nil:
			fe.add("preferences.language", err.Error(), p.Language)
		case org != nil && len(org.AllowedLanguages) > 0 && !containsFold(org.AllowedLanguages, tag):
			fe.add("preferences.language", "preferences.language must be one of the organisation's languages: "+strings.Join(org.AllowedLanguages, ", "), p.Language)
		default:
			out.Language = tag
		}
	}
	if p.TimeZone != "" {
		if err := validate.TimeZone(p.TimeZone); err != nil {
			fe.add("preferences.time_zone", err.Error(), p.TimeZone)
		}
	}
	if p.DefaultCountry != "" {
		if err := validate.Country(p.DefaultCountry); err != nil {
			fe.add("preferences.default_country", err.Error(), p.DefaultCountry)
		} else if org != nil && len(org.AllowedCountries) > 0 && !slices.Contains(org.AllowedCountries, p.DefaultCountry) {
			fe.add("preferences.default_country", "preferences.default_country must be one of the organisation's countries: "+strings.Join(org.AllowedCountries, ", "), p.DefaultCountry)
		}
	}
	out.ColorMode = optionalOneOf(fe, "preferences.color_mode", &p.ColorMode, "", "light", "dark", "system")
	out.DateFormat = optionalOneOf(fe, "preferences.date_format", &p.DateFormat, "", dateFormats...)
	out.NumberFormat = optionalOneOf(fe, "preferences.number_format", &p.NumberFormat, "", numberFormats...)
	if n := p.DefaultOutboundNumber; n != "" {
		if strings.HasPrefix(n, "+") {
			e164, err := validate.Phone("", n)
			if err != nil {
				fe.add("preferences.default_outbound_number", err.Error(), n)
			} else {
				out.DefaultOutboundNumber = e164
			}
		} else {
			checkLen(fe, "preferences.default_outbound_number", n, 64)
		}
	}
	return out
}

func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, s) })
}

func checkNotifications(fe *fieldErrors, n *Notifications, org *Organization) Notifications {
	if n == nil {
		return Notifications{}
	}
	out := Notifications{}
	if len(n.Events) > 0 {
		out.Events = make(map[string]NotificationSetting, len(n.Events))
	}
	for name, set := range n.Events {
		loc := "notifications.events." + name
		if !slices.Contains(BuiltinNotificationEvents, name) && (org == nil || !slices.Contains(org.NotificationEvents, name)) {
			fe.add(loc, "unknown notification event "+quote(name)+": use a built-in event ("+strings.Join(BuiltinNotificationEvents, ", ")+") or one the organisation lists in notification_events", name)
			continue
		}
		chans := []string{}
		for i, c := range set.Channels {
			if !slices.Contains(NotificationChannels, c) {
				fe.add(loc+".channels["+itoa(i)+"]", "channel must be one of "+strings.Join(NotificationChannels, ", "), c)
			} else if !slices.Contains(chans, c) {
				chans = append(chans, c)
			}
		}
		out.Events[name] = NotificationSetting{Enabled: set.Enabled, Channels: chans}
	}
	checkCount(fe, "notifications.email_addresses", len(n.EmailAddresses), 20)
	for i, a := range n.EmailAddresses {
		if err := validate.Email(a); err != nil {
			fe.add("notifications.email_addresses["+itoa(i)+"]", err.Error(), a)
		} else if !containsFold(out.EmailAddresses, a) {
			out.EmailAddresses = append(out.EmailAddresses, a)
		}
	}
	checkCount(fe, "notifications.sms_numbers", len(n.SMSNumbers), 20)
	for i, num := range n.SMSNumbers {
		e164, err := validate.Phone("", num)
		if err != nil || !strings.HasPrefix(num, "+") {
			fe.add("notifications.sms_numbers["+itoa(i)+"]", "must be a phone number in international form such as +16699990000", num)
		} else if !slices.Contains(out.SMSNumbers, e164) {
			out.SMSNumbers = append(out.SMSNumbers, e164)
		}
	}
	checkCount(fe, "notifications.blocked_user_ids", len(n.BlockedUserIDs), 1000)
	for i, id := range n.BlockedUserIDs {
		if !ValidID(PrefixUser, id) {
			fe.add("notifications.blocked_user_ids["+itoa(i)+"]", "must be a user id (usr_…)", id)
		} else if !slices.Contains(out.BlockedUserIDs, id) {
			out.BlockedUserIDs = append(out.BlockedUserIDs, id)
		}
	}
	return out
}

func checkCount(fe *fieldErrors, field string, n, max int) {
	if n > max {
		fe.add(field, field+" may hold at most "+itoa(max)+" entries", nil)
	}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func checkSettings(fe *fieldErrors, raw json.RawMessage) json.RawMessage {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || string(trimmed) == "null" {
		return json.RawMessage(`{}`)
	}
	if trimmed[0] != '{' {
		fe.add("settings", "settings must be a JSON object", nil)
		return json.RawMessage(`{}`)
	}
	// Settings are stored in one canonical form (sorted keys, numbers as
	// written) so that a write that only reorders keys is no change.
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	var v map[string]any
	if err := dec.Decode(&v); err != nil {
		fe.add("settings", "settings must be a JSON object", nil)
		return json.RawMessage(`{}`)
	}
	out, err := json.Marshal(v)
	if err != nil {
		fe.add("settings", "settings must be a JSON object", nil)
		return json.RawMessage(`{}`)
	}
	// Whatever the path that brought them, settings hold nothing that
	// could not be read back (numbers beyond float64, control characters)
	// nor nest deeper than MaxDepth.
	var ce *Error
	if errors.As(CheckJSON(out), &ce) {
		for _, f := range ce.Fields {
			fe.add("settings"+strings.TrimPrefix(f.Location, "body"), f.Message, f.Value)
		}
		return json.RawMessage(`{}`)
	}
	if len(out) > MaxSettingsBytes {
		fe.add("settings", "settings must be at most 64 KiB of JSON (it is "+itoa(len(out))+" bytes)", nil)
	}
	return json.RawMessage(out)
}

// checkTags validates a replacement tag list. Tags that carry an id must
// be ones the user has; new tags get ids here.
func checkTags(fe *fieldErrors, in, current []Tag) []Tag {
	out := []Tag{}
	for i, t := range in {
		loc := "tags[" + itoa(i) + "]"
		name := strings.TrimSpace(t.Name)
		if name == "" {
			fe.add(loc+".name", "tag name is required", t.Name)
			continue
		}
		checkLen(fe, loc+".name", name, 255)
		if t.Color != "" {
			if err := validate.Color(t.Color); err != nil {
				fe.add(loc+".color", err.Error(), t.Color)
			}
		}
		if slices.ContainsFunc(out, func(o Tag) bool { return strings.EqualFold(o.Name, name) }) {
			fe.add(loc+".name", "tag "+quote(name)+" is listed twice", name)
			continue
		}
		id := t.ID
		if id != "" && !slices.ContainsFunc(current, func(c Tag) bool { return c.ID == id }) {
			fe.add(loc+".id", "tag ids are read-only: they are assigned by the server (add tags with POST /v1/users/{id}/tags)", id)
			continue
		}
		if id == "" {
			if j := slices.IndexFunc(current, func(c Tag) bool { return strings.EqualFold(c.Name, name) }); j >= 0 {
				id = current[j].ID
			} else {
				id = NewID(PrefixTag)
			}
		}
		out = append(out, Tag{ID: id, Name: name, Color: strings.ToLower(t.Color)})
	}
	return out
}

// AddTags merges tags into u's tags: a name already there keeps its id and
// takes the new colour when one is given.
func AddTags(u *User, tags []Tag) error {
	var fe fieldErrors
	for i, t := range tags {
		loc := "tags[" + itoa(i) + "]"
		if t.ID != "" {
			fe.add(loc+".id", "tag ids are assigned by the server: send only name and color", t.ID)
		}
		name := strings.TrimSpace(t.Name)
		if name == "" {
			fe.add(loc+".name", "tag name is required", t.Name)
			continue
		}
		checkLen(&fe, loc+".name", name, 255)
		if t.Color != "" {
			if err := validate.Color(t.Color); err != nil {
				fe.add(loc+".color", err.Error(), t.Color)
			}
		}
		if j := slices.IndexFunc(u.Tags, func(c Tag) bool { return strings.EqualFold(c.Name, name) }); j >= 0 {
			if t.Color != "" {
				u.Tags[j].Color = strings.ToLower(t.Color)
			}
			continue
		}
		u.Tags = append(u.Tags, Tag{ID: NewID(PrefixTag), Name: name, Color: strings.ToLower(t.Color)})
	}
	if len(u.Tags) > 100 {
		fe.add("tags", "a user may have at most 100 tags", nil)
	}
	return fe.err()
}

func checkRoles(fe *fieldErrors, field string, roles []string) []string {
	if len(roles) == 0 {
		fe.add(field, field+" must list at least one role ("+strings.Join(Roles, ", ")+")", roles)
		return []string{"member"}
	}
	out := []string{}
	for i, r := range roles {
		if !slices.Contains(Roles, r) {
			fe.add(field+"["+itoa(i)+"]", "role must be one of "+strings.Join(Roles, ", "), r)
		} else if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return slices.Index(Roles, a) - slices.Index(Roles, b) })
	return out
}

// CheckRoles validates a role list for a membership.
func CheckRoles(roles []string) ([]string, error) {
	var fe fieldErrors
	out := checkRoles(&fe, "roles", roles)
	return out, fe.err()
}

// SameContent reports whether two users hold the same values, ignoring
// version and updated_at: a write that changes nothing is not a change.
func SameContent(a, b *User) bool {
	if textDiffers(a, b) {
		return false // most changes: decided without encoding either user
	}
	x, y := *a, *b
	x.Version, y.Version = 0, 0
	x.UpdatedAt, y.UpdatedAt = time.Time{}, time.Time{}
	return sameJSON(&x, &y)
}

// textSame compares two strings as their JSON would: known is false when
// they differ and one is not UTF-8 (encoding/json writes every invalid
// byte as U+FFFD, so both may encode alike), which only the encodings can
// decide.
func textSame(a, b string) (same, known bool) {
	if a == b {
		return true, true
	}
	return false, utf8.ValidString(a) && utf8.ValidString(b)
}

// textDiffers reports whether a and b surely differ in a text or flag
// field (textSame).
func textDiffers(a, b *User) bool {
	for _, p := range [...][2]string{{a.ID, b.ID}, {a.OrganizationID, b.OrganizationID}, {a.Username, b.Username}, {a.Email, b.Email},
		{a.FirstName, b.FirstName}, {a.LastName, b.LastName}, {a.DisplayName, b.DisplayName}, {a.Status, b.Status},
		{a.Availability, b.Availability}, {a.ManagerID, b.ManagerID}, {a.ExternalID, b.ExternalID}} {
		if same, known := textSame(p[0], p[1]); known && !same {
			return true
		}
	}
	return a.EmailVerified != b.EmailVerified || a.MFAEnabled != b.MFAEnabled
}

// sameJSON compares two values of one struct type by their JSON, which
// encoding/json writes deterministically (struct order, sorted map keys).
func sameJSON(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}
