// SPDX-License-Identifier: Apache-2.0

package roster

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"
)

// User statuses and availabilities.
const (
	StatusEnabled  = "enabled"
	StatusDisabled = "disabled"

	AvailabilityAvailable   = "available"
	AvailabilityUnavailable = "unavailable"
)

// User is a person who signs in to the product. Its JSON form is the API's.
type User struct {
	ID             string          `json:"id" readOnly:"true" example:"usr_01JD3M5B8Q6T9V2W4X7Y0Z1A2B" doc:"Server-assigned id."`
	OrganizationID string          `json:"organization_id" doc:"The user's home organisation."`
	Username       string          `json:"username" readOnly:"true" maxLength:"255" doc:"Login name, unique in the server; defaults to the email."`
	Email          string          `json:"email" format:"email" maxLength:"255" doc:"Unique, compared case-insensitively; read-only after creation."`
	EmailVerified  bool            `json:"email_verified" readOnly:"true"`
	FirstName      string          `json:"first_name" minLength:"1" maxLength:"255"`
	LastName       string          `json:"last_name" maxLength:"255"`
	DisplayName    string          `json:"display_name" maxLength:"63" doc:"When not set, first_name and last_name joined by a space."`
	Phone          *Phone          `json:"phone,omitempty"`
	Mobile         *Phone          `json:"mobile,omitempty"`
	Status         string          `json:"status" enum:"enabled,disabled"`
	Availability   string          `json:"availability" enum:"available,unavailable"`
	Preferences    Preferences     `json:"preferences"`
	Notifications  Notifications   `json:"notifications"`
	Settings       json.RawMessage `json:"settings" schema:"object" doc:"Product-specific settings, validated by the organisation's settings schema; at most 64 KiB."`
	Tags           []Tag           `json:"tags"`
	Roles          []string        `json:"roles" doc:"Roles in the home organisation: owner, admin, manager, member."`
	Memberships    []Membership    `json:"memberships" readOnly:"true"`
	ManagerID      string          `json:"manager_id,omitempty" doc:"The user this user reports to; grants no rights."`
	MFAEnabled     bool            `json:"mfa_enabled" readOnly:"true"`
	ExternalID     string          `json:"external_id,omitempty" maxLength:"255" doc:"The reseller's or identity provider's id; unique per organisation."`
	CreatedAt      time.Time       `json:"created_at" readOnly:"true"`
	UpdatedAt      time.Time       `json:"updated_at" readOnly:"true"`
	Version        int64           `json:"version" readOnly:"true" doc:"Grows by one with every change; the ETag is derived from it."`
}

// Phone is a telephone number as typed, with its computed E.164 form.
type Phone struct {
	Country string `json:"country,omitempty" doc:"ISO 3166-1 alpha-2 country the number is dialled from."`
	Number  string `json:"number" required:"true" maxLength:"64" doc:"The number as typed."`
	E164    string `json:"e164,omitempty" readOnly:"true" doc:"Computed by the server."`
}

// Preferences are a user's locale and display choices.
type Preferences struct {
	Language              string `json:"language,omitempty" doc:"BCP 47 tag; the organisation may restrict the set." example:"en"`
	TimeZone              string `json:"time_zone,omitempty" doc:"IANA time zone name." example:"Europe/Amsterdam"`
	DefaultCountry        string `json:"default_country,omitempty" doc:"ISO 3166-1 alpha-2; the organisation may restrict the set." example:"NL"`
	ColorMode             string `json:"color_mode,omitempty" enum:"light,dark,system"`
	DateFormat            string `json:"date_format,omitempty" enum:"YYYY-MM-DD,DD/MM/YYYY,MM/DD/YYYY,DD.MM.YYYY,DD-MM-YYYY"`
	NumberFormat          string `json:"number_format,omitempty" enum:"plain,comma_dot,dot_comma,space_comma,apostrophe_dot" doc:"plain 1234.56, comma_dot 1,234.56, dot_comma 1.234,56, space_comma 1 234,56, apostrophe_dot 1'234.56."`
	DefaultOutboundNumber string `json:"default_outbound_number,omitempty" maxLength:"64" doc:"Id or E.164 string of the number preselected for outbound calls."`
}

// Notifications are a user's notification settings per event and channel.
type Notifications struct {
	Events         map[string]NotificationSetting `json:"events,omitempty" doc:"Per event name: missed_call, outside_business_hours, voicemail, fax_received, fax_sent, low_credit, new_feature, or one the organisation lists."`
	EmailAddresses []string                       `json:"email_addresses,omitempty" maxItems:"20"`
	SMSNumbers     []string                       `json:"sms_numbers,omitempty" maxItems:"20" doc:"E.164 numbers."`
	BlockedUserIDs []string                       `json:"blocked_user_ids,omitempty" maxItems:"1000"`
}

// NotificationSetting turns one event's notifications on or off and picks
// the channels they go to.
type NotificationSetting struct {
	Enabled  bool     `json:"enabled"`
	Channels []string `json:"channels" doc:"Any of email, app, push, sms."`
}

// Tag is a coloured label on a user.
type Tag struct {
	ID    string `json:"id,omitempty" readOnly:"true"`
	Name  string `json:"name" required:"true" minLength:"1" maxLength:"255"`
	Color string `json:"color,omitempty" pattern:"^#[0-9a-fA-F]{6}$" example:"#ff0000"`
}

// Membership is a user's place in one organisation, with its roles there.
type Membership struct {
	OrganizationID string   `json:"organization_id"`
	Roles          []string `json:"roles"`
}

// Notification events every organisation offers, and the channels.
var (
	BuiltinNotificationEvents = []string{"missed_call", "outside_business_hours", "voicemail", "fax_received", "fax_sent", "low_credit", "new_feature"}
	NotificationChannels      = []string{"email", "app", "push", "sms"}
)

// ShownDisplayName is the display name the API shows: the one set, or the
// first and last names joined by a space.
func (u *User) ShownDisplayName() string {
	if u.DisplayName != "" {
		return u.DisplayName
	}
	return strings.TrimSpace(u.FirstName + " " + u.LastName)
}

// SearchText is the lower-cased text that the q filter matches: names,
// email, username and the digits of the phone numbers, one a line. A part
// another line already holds is left out (the first and last names are in
// the display name made of them, the username is often the email): a
// term matches a substring of a line, so the matches stay the same, and
// the stores keep and index half the text.
func (u *User) SearchText() string {
	parts := []string{u.FirstName, u.LastName, u.ShownDisplayName(), u.Email, u.Username}
	for i, p := range parts {
		parts[i] = strings.ToLower(p)
	}
	var b strings.Builder
	for i, p := range parts {
		if !heldElsewhere(parts, i) {
			b.WriteString(p)
			b.WriteByte('\n')
		}
	}
	for _, p := range []*Phone{u.Phone, u.Mobile} {
		if p != nil && p.E164 != "" {
			b.WriteString(strings.TrimPrefix(p.E164, "+"))
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// heldElsewhere tells whether parts[i] is empty, inside a longer part, or
// equal to an earlier one.
func heldElsewhere(parts []string, i int) bool {
	if parts[i] == "" {
		return true
	}
	for j, q := range parts {
		if j != i && strings.Contains(q, parts[i]) && (len(q) > len(parts[i]) || j < i) {
			return true
		}
	}
	return false
}

// SearchTerm normalises a q filter the way SearchText is written: lower
// case, and for a query that looks like a phone number (digits with
// spaces, +, -, dots or brackets) just its digits, so that "+1 (669) 999"
// finds the stored E.164 "+1669999…". Every store matches the term as a
// substring of SearchText.
func SearchTerm(q string) string {
	q = strings.ToLower(strings.TrimSpace(q))
	var digits strings.Builder
	for _, r := range q {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case strings.ContainsRune(" +-.()", r):
		default:
			return q
		}
	}
	if digits.Len() == 0 {
		return q
	}
	return digits.String()
}

// Clone returns a deep copy of u.
func (u *User) Clone() *User {
	c := *u
	if u.Phone != nil {
		p := *u.Phone
		c.Phone = &p
	}
	if u.Mobile != nil {
		p := *u.Mobile
		c.Mobile = &p
	}
	c.Notifications.Events = maps.Clone(u.Notifications.Events)
	for k, v := range c.Notifications.Events {
		v.Channels = slices.Clone(v.Channels)
		c.Notifications.Events[k] = v
	}
	c.Notifications.EmailAddresses = slices.Clone(u.Notifications.EmailAddresses)
	c.Notifications.SMSNumbers = slices.Clone(u.Notifications.SMSNumbers)
	c.Notifications.BlockedUserIDs = slices.Clone(u.Notifications.BlockedUserIDs)
	c.Settings = slices.Clone(u.Settings)
	c.Tags = slices.Clone(u.Tags)
	c.Roles = slices.Clone(u.Roles)
	c.Memberships = slices.Clone(u.Memberships)
	for i := range c.Memberships {
		c.Memberships[i].Roles = slices.Clone(c.Memberships[i].Roles)
	}
	return &c
}

// UserFilter selects users in FindUsers. Zero fields do not filter.
type UserFilter struct {
	Query              string
	Status             string
	OrganizationID     string
	IncludeDescendants bool
	Tag                string
	Role               string
	CreatedAfter       *time.Time
	CreatedBefore      *time.Time
	UpdatedAfter       *time.Time
	MemberOf           string // users with a membership in this organisation
	Visible            *Visibility
	// Sort is "created_at", "-created_at", "last_name", "-last_name" or
	// "email". Ties sort by id, except that users created in the same
	// instant keep the order they were stored in (which for users made
	// through the API is their id order).
	Sort   string
	Limit  int
	Cursor *Cursor
}

// UserSorts are the sort orders FindUsers accepts.
var UserSorts = []string{"created_at", "-created_at", "last_name", "-last_name", "email"}

// Document returns u as the API shows it: the display name filled in
// when it was not set. Patches apply to this form.
func (u *User) Document() *User {
	c := *u
	c.DisplayName = u.ShownDisplayName()
	return &c
}
