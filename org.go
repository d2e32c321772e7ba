// SPDX-License-Identifier: Apache-2.0

package roster

import (
	"encoding/json"
	"math/big"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/rosterhq/roster/validate"
)

// Organization is a customer account: a company, a reseller or one of a
// reseller's clients. Organisations form a tree under one root.
type Organization struct {
	ID                 string      `json:"id" readOnly:"true"`
	Name               string      `json:"name" minLength:"1" maxLength:"255"`
	ParentID           string      `json:"parent_id,omitempty" doc:"The reseller (parent) organisation; empty only for the root."`
	ExternalID         string      `json:"external_id,omitempty" maxLength:"255" doc:"The parent's own id for this client; unique among siblings."`
	Status             string      `json:"status" enum:"enabled,disabled" doc:"Disabling an organisation disables sign-in for all users below it."`
	Currency           string      `json:"currency" doc:"ISO 4217 code." example:"USD"`
	Domain             string      `json:"domain,omitempty" maxLength:"253"`
	WhiteLabel         *WhiteLabel `json:"white_label,omitempty"`
	Plan               *Plan       `json:"plan,omitempty"`
	Features           []string    `json:"features" doc:"Enabled product features, e.g. scheduling, call, call_tracking, fax."`
	Credit             string      `json:"credit" readOnly:"true" doc:"Decimal balance; changed only by POST /v1/orgs/{id}/credit."`
	Seats              int         `json:"seats" minimum:"0"`
	AllowedLanguages   []string    `json:"allowed_languages" doc:"BCP 47 tags users may choose; empty allows all."`
	AllowedCountries   []string    `json:"allowed_countries" doc:"ISO 3166-1 alpha-2 codes users may choose as default_country; empty allows all."`
	NotificationEvents []string    `json:"notification_events" doc:"Extra notification event names its users may configure."`
	CreatedAt          time.Time   `json:"created_at" readOnly:"true"`
	UpdatedAt          time.Time   `json:"updated_at" readOnly:"true"`
	Version            int64       `json:"version" readOnly:"true"`
}

// Clone returns a deep copy of o.
func (o *Organization) Clone() *Organization {
	c := *o
	if o.WhiteLabel != nil {
		w := *o.WhiteLabel
		c.WhiteLabel = &w
	}
	if o.Plan != nil {
		p := *o.Plan
		c.Plan = &p
	}
	c.Features = slices.Clone(o.Features)
	c.AllowedLanguages = slices.Clone(o.AllowedLanguages)
	c.AllowedCountries = slices.Clone(o.AllowedCountries)
	c.NotificationEvents = slices.Clone(o.NotificationEvents)
	return &c
}

// WhiteLabel is an organisation's branding.
type WhiteLabel struct {
	LogoURL               string `json:"logo_url,omitempty" format:"uri" maxLength:"2048"`
	EmailAddress          string `json:"email_address,omitempty" format:"email" maxLength:"255"`
	HeaderBackgroundColor string `json:"header_background_color,omitempty" pattern:"^#[0-9a-fA-F]{6}$"`
	MenuBackgroundColor   string `json:"menu_background_color,omitempty" pattern:"^#[0-9a-fA-F]{6}$"`
}

// Plan is the commercial plan an organisation is on.
type Plan struct {
	ID   string `json:"id" maxLength:"255"`
	Name string `json:"name,omitempty" maxLength:"255"`
}

// OrgInput is the body of an organisation create or replace; see UserInput
// for the rules on absent and read-only fields.
type OrgInput struct {
	ID                 *string          `json:"id,omitempty" readOnly:"true"`
	Name               *string          `json:"name,omitempty" required:"true" minLength:"1" maxLength:"255"`
	ParentID           *string          `json:"parent_id,omitempty" doc:"Defaults to the caller's organisation at creation."`
	ExternalID         *string          `json:"external_id,omitempty" maxLength:"255"`
	Status             *string          `json:"status,omitempty" enum:"enabled,disabled"`
	Currency           *string          `json:"currency,omitempty" doc:"ISO 4217; defaults to USD."`
	Domain             *string          `json:"domain,omitempty" maxLength:"253"`
	WhiteLabel         *WhiteLabel      `json:"white_label,omitempty"`
	Plan               *Plan            `json:"plan,omitempty"`
	Features           []string         `json:"features,omitempty"`
	Credit             *string          `json:"credit,omitempty" readOnly:"true"`
	Seats              *int             `json:"seats,omitempty" minimum:"0"`
	AllowedLanguages   []string         `json:"allowed_languages,omitempty"`
	AllowedCountries   []string         `json:"allowed_countries,omitempty"`
	NotificationEvents []string         `json:"notification_events,omitempty"`
	CreatedAt          *time.Time       `json:"created_at,omitempty" readOnly:"true"`
	UpdatedAt          *time.Time       `json:"updated_at,omitempty" readOnly:"true"`
	Version            *int64           `json:"version,omitempty" readOnly:"true"`
	Links              *json.RawMessage `json:"_links,omitempty" readOnly:"true"`
}

var (
	slugRE   = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
	domainRE = regexp.MustCompile(`^(?i:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.(?i:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?))+$`)
)

// BuildOrg validates in and returns the organisation it describes: a new
// one when cur is nil, else cur with every writable field replaced.
func BuildOrg(cur *Organization, in *OrgInput) (*Organization, error) {
	var fe fieldErrors
	o := &Organization{Credit: "0", Status: StatusEnabled}
	if cur != nil {
		c := *cur
		o = &c
		fe.readOnly("id", in.ID, cur.ID, "ids are assigned by the server")
		if in.Credit != nil && !sameDecimal(*in.Credit, cur.Credit) {
			fe.add("credit", "credit is read-only: change it with POST /v1/orgs/{id}/credit", *in.Credit)
		}
		fe.readOnly("created_at", in.CreatedAt, cur.CreatedAt, "it is set by the server")
		fe.readOnly("updated_at", in.UpdatedAt, cur.UpdatedAt, "it is set by the server")
		fe.readOnly("version", in.Version, cur.Version, "it is set by the server")
	} else {
		fe.serverSet(sentField{"id", in.ID}, sentField{"credit", in.Credit}, sentField{"created_at", in.CreatedAt}, sentField{"updated_at", in.UpdatedAt}, sentField{"version", in.Version})
	}
	if in.Name == nil || strings.TrimSpace(*in.Name) == "" {
		fe.add("name", "name is required and must not be blank", strOrNil(in.Name))
	} else {
		o.Name = strings.TrimSpace(*in.Name)
		checkLen(&fe, "name", o.Name, 255)
	}
	if in.ParentID != nil && *in.ParentID != "" {
		if !ValidID(PrefixOrg, *in.ParentID) {
			fe.add("parent_id", "parent_id must be an organisation id (org_…)", *in.ParentID)
		} else if cur != nil && *in.ParentID == cur.ID {
			fe.add("parent_id", "an organisation cannot be its own parent", *in.ParentID)
		}
		o.ParentID = *in.ParentID
	} else if cur != nil && cur.ParentID != "" {
		fe.add("parent_id", "parent_id is required: every organisation but the root has a parent", nil)
	}
	o.ExternalID = trimmed(in.ExternalID)
	checkLen(&fe, "external_id", o.ExternalID, 255)
	o.Status = oneOf(&fe, "status", in.Status, StatusEnabled, StatusEnabled, StatusDisabled)
	o.Currency = "USD"
	if in.Currency != nil && *in.Currency != "" {
		if err := validate.Currency(*in.Currency); err != nil {
			fe.add("currency", err.Error(), *in.Currency)
		}
		o.Currency = *in.Currency
	}
	o.Domain = strings.ToLower(trimmed(in.Domain))
	if o.Domain != "" && (len(o.Domain) > 253 || !domainRE.MatchString(o.Domain)) {
		fe.add("domain", "domain must be a host name such as example.com", o.Domain)
	}
	o.WhiteLabel = nil
	if w := in.WhiteLabel; w != nil && *w != (WhiteLabel{}) {
		c := *w
		if c.LogoURL != "" {
			if err := validate.URL(c.LogoURL); err != nil {
				fe.add("white_label.logo_url", err.Error(), c.LogoURL)
			}
		}
		if c.EmailAddress != "" {
			if err := validate.Email(c.EmailAddress); err != nil {
				fe.add("white_label.email_address", err.Error(), c.EmailAddress)
			}
		}
		for field, v := range map[string]*string{"header_background_color": &c.HeaderBackgroundColor, "menu_background_color": &c.MenuBackgroundColor} {
			if *v != "" {
				if err := validate.Color(*v); err != nil {
					fe.add("white_label."+field, err.Error(), *v)
				}
				*v = strings.ToLower(*v)
			}
		}
		o.WhiteLabel = &c
	}
	o.Plan = nil
	if p := in.Plan; p != nil && *p != (Plan{}) {
		if strings.TrimSpace(p.ID) == "" {
			fe.add("plan.id", "plan.id is required when a plan is given", p.ID)
		}
		checkLen(&fe, "plan.id", p.ID, 255)
		checkLen(&fe, "plan.name", p.Name, 255)
		o.Plan = &Plan{ID: strings.TrimSpace(p.ID), Name: strings.TrimSpace(p.Name)}
	}
	o.Features = slugList(&fe, "features", in.Features)
	o.NotificationEvents = slugList(&fe, "notification_events", in.NotificationEvents)
	o.Seats = 0
	if in.Seats != nil {
		if *in.Seats < 0 {
			fe.add("seats", "seats must be 0 or more", *in.Seats)
		}
		o.Seats = *in.Seats
	}
	o.AllowedLanguages = []string{}
	for i, l := range in.AllowedLanguages {
		tag, err := validate.LanguageTag(l)
		if err != nil {
			fe.add("allowed_languages["+itoa(i)+"]", err.Error(), l)
		} else if !containsFold(o.AllowedLanguages, tag) {
			o.AllowedLanguages = append(o.AllowedLanguages, tag)
		}
	}
	o.AllowedCountries = []string{}
	for i, c := range in.AllowedCountries {
		if err := validate.Country(c); err != nil {
			fe.add("allowed_countries["+itoa(i)+"]", err.Error(), c)
		} else if !slices.Contains(o.AllowedCountries, c) {
			o.AllowedCountries = append(o.AllowedCountries, c)
		}
	}
	return o, fe.err()
}

func slugList(fe *fieldErrors, field string, in []string) []string {
	out := []string{}
	checkCount(fe, field, len(in), 100)
	for i, s := range in {
		if !slugRE.MatchString(s) {
			fe.add(field+"["+itoa(i)+"]", "must be a lower-case name of letters, digits and underscores such as call_tracking", s)
		} else if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

var decimalRE = regexp.MustCompile(`^-?[0-9]{1,15}(\.[0-9]{1,4})?$`)

// ParseAmount parses a decimal amount such as "-12.50" (at most 15 integer
// and 4 fraction digits).
func ParseAmount(s string) (*big.Rat, bool) {
	if !decimalRE.MatchString(s) {
		return nil, false
	}
	r, ok := new(big.Rat).SetString(s)
	return r, ok
}

// FormatAmount writes r with as few fraction digits (at most 4) as it needs.
func FormatAmount(r *big.Rat) string {
	s := r.FloatString(4)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

func sameDecimal(a, b string) bool {
	x, ok1 := new(big.Rat).SetString(a)
	y, ok2 := new(big.Rat).SetString(b)
	return ok1 && ok2 && x.Cmp(y) == 0
}

// SameOrgContent reports whether two organisations hold the same values,
// ignoring version and updated_at.
func SameOrgContent(a, b *Organization) bool {
	x, y := *a, *b
	x.Version, y.Version = 0, 0
	x.UpdatedAt, y.UpdatedAt = time.Time{}, time.Time{}
	return sameJSON(&x, &y)
}

// OrgFilter selects organisations in FindOrgs.
type OrgFilter struct {
	ParentID      string
	Status        string
	Feature       string
	Query         string
	CreatedAfter  *time.Time
	CreatedBefore *time.Time
	Visible       *Visibility
	Limit         int
	Cursor        *Cursor
}
