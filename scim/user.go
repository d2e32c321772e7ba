// SPDX-License-Identifier: Apache-2.0

package scim

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/validate"
)

// Meta is a resource's metadata.
type Meta struct {
	ResourceType string `json:"resourceType"`
	Created      string `json:"created,omitempty"`
	LastModified string `json:"lastModified,omitempty"`
	Location     string `json:"location,omitempty"`
	Version      string `json:"version,omitempty"`
}

// etag is the weak ETag of a Roster version, as meta.version and the
// ETag header show it.
func etag(version int64) string { return `W/"` + strconv.FormatInt(version, 10) + `"` }

// metaDoc is a resource's meta: its version is Roster's, as a weak ETag.
func metaDoc(resourceType string, created, updated time.Time, location string, version int64) doc {
	return doc{
		"resourceType": resourceType,
		"created":      created.UTC().Format(time.RFC3339Nano),
		"lastModified": updated.UTC().Format(time.RFC3339Nano),
		"location":     location,
		"version":      etag(version),
	}
}

// doc is a SCIM resource as a JSON object under canonical attribute
// names: what filters, PATCH and attribute projection work on.
type doc = map[string]any

// userDoc is the SCIM form of a Roster user (PRODUCT.md section 11).
func userDoc(u *roster.User, base string) doc {
	d := doc{
		"schemas":     []any{URNUser, URNEnterprise},
		"id":          u.ID,
		"userName":    u.Username,
		"displayName": u.ShownDisplayName(),
		"active":      u.Status == roster.StatusEnabled,
		"name": doc{
			"givenName":  u.FirstName,
			"familyName": u.LastName,
			"formatted":  strings.TrimSpace(u.FirstName + " " + u.LastName),
		},
		"emails": []any{doc{"value": u.Email, "type": "work", "primary": true}},
		"meta":   metaDoc("User", u.CreatedAt, u.UpdatedAt, base+"/Users/"+u.ID, u.Version),
	}
	if u.ExternalID != "" {
		d["externalId"] = u.ExternalID
	}
	var phones []any
	for _, p := range []struct {
		typ string
		ph  *roster.Phone
	}{{"work", u.Phone}, {"mobile", u.Mobile}} {
		if p.ph == nil {
			continue
		}
		v := p.ph.E164
		if v == "" {
			v = p.ph.Number
		}
		phones = append(phones, doc{"value": v, "type": p.typ})
	}
	if phones != nil {
		d["phoneNumbers"] = phones
	}
	if l := u.Preferences.Language; l != "" {
		d["preferredLanguage"], d["locale"] = l, l
	}
	if tz := u.Preferences.TimeZone; tz != "" {
		d["timezone"] = tz
	}
	ext := doc{}
	if u.ManagerID != "" {
		ext["manager"] = doc{"value": u.ManagerID, "$ref": base + "/Users/" + u.ManagerID}
	}
	d[URNEnterprise] = ext
	return d
}

// userFields are the Roster fields a SCIM User carries.
type userFields struct {
	Username, Email              string
	FirstName, LastName, Display string
	Phone, Mobile                *roster.Phone
	Status                       string
	Language, TimeZone           string
	ManagerID, ExternalID        string
	emailGiven                   bool
}

// fieldsOf reads the Roster fields from a normalised SCIM User. What the
// document leaves out is empty: a PUT replaces, and a PATCH has applied
// its operations to the whole current document.
func fieldsOf(d doc) (userFields, error) {
	f := userFields{Status: roster.StatusEnabled}
	f.Username, _ = d["userName"].(string)
	f.Username = strings.TrimSpace(f.Username)
	if f.Username == "" {
		return f, scimErr(400, "invalidValue", "userName is required")
	}
	f.ExternalID, _ = d["externalId"].(string)
	f.Display, _ = d["displayName"].(string)
	if name, ok := d["name"].(doc); ok {
		f.FirstName, _ = name["givenName"].(string)
		f.LastName, _ = name["familyName"].(string)
	}
	if strings.TrimSpace(f.FirstName) == "" {
		// Roster requires a first name; an identity provider need not
		// send one.
		f.FirstName = firstNonEmpty(f.Display, strings.SplitN(f.Username, "@", 2)[0])
	}
	if active, ok := d["active"].(bool); ok && !active {
		f.Status = roster.StatusDisabled
	}
	f.Email, f.emailGiven = primaryValue(d["emails"])
	if !f.emailGiven && strings.Contains(f.Username, "@") {
		f.Email = f.Username // an IdP that sends only a UPN
	}
	for _, p := range asList(d["phoneNumbers"]) {
		m, _ := p.(doc)
		v, _ := m["value"].(string)
		if strings.TrimSpace(v) == "" {
			continue
		}
		if _, err := validate.Phone("", v); err != nil {
			// Without a country Roster cannot read a national number,
			// and an IdP's free-form phone must not stop provisioning.
			continue
		}
		typ, _ := m["type"].(string)
		ph := &roster.Phone{Number: v}
		switch {
		case strings.EqualFold(typ, "mobile") && f.Mobile == nil:
			f.Mobile = ph
		case !strings.EqualFold(typ, "mobile") && f.Phone == nil:
			f.Phone = ph
		}
	}
	f.Language, _ = d["preferredLanguage"].(string)
	if f.Language == "" {
		f.Language, _ = d["locale"].(string)
	}
	f.TimeZone, _ = d["timezone"].(string)
	if ext, ok := d[URNEnterprise].(doc); ok {
		if m, ok := ext["manager"].(doc); ok {
			f.ManagerID, _ = m["value"].(string)
		} else if s, ok := ext["manager"].(string); ok {
			f.ManagerID = s // Entra sends the manager's id alone
		}
	}
	return f, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

func asList(v any) []any {
	switch v := v.(type) {
	case []any:
		return v
	case nil:
		return nil
	}
	return []any{v}
}

// primaryValue returns the value of the primary element of a
// multi-valued attribute, or of its first.
func primaryValue(v any) (string, bool) {
	first := ""
	for _, e := range asList(v) {
		m, _ := e.(doc)
		s, _ := m["value"].(string)
		if s == "" {
			continue
		}
		if p, _ := m["primary"].(bool); p {
			return s, true
		}
		if first == "" {
			first = s
		}
	}
	return first, first != ""
}

// input is the creation body for the service.
func (f userFields) input() *roster.UserInput {
	in := &roster.UserInput{Username: &f.Username, Email: &f.Email, FirstName: &f.FirstName, LastName: &f.LastName,
		DisplayName: &f.Display, Phone: f.Phone, Mobile: f.Mobile, Status: &f.Status}
	if f.Language != "" || f.TimeZone != "" {
		in.Preferences = &roster.Preferences{Language: f.Language, TimeZone: f.TimeZone}
	}
	if f.ManagerID != "" {
		in.ManagerID = &f.ManagerID
	}
	if f.ExternalID != "" {
		in.ExternalID = &f.ExternalID
	}
	return in
}

// mergePatch is the JSON merge patch that gives cur the fields f holds
// (username and email excepted: those change through their own calls).
// Null resets a field SCIM cleared; preferences other than language and
// time zone are kept.
func (f userFields) mergePatch(cur *roster.User) ([]byte, error) {
	display := any(f.Display)
	if f.Display == "" || f.Display == cur.ShownDisplayName() && cur.DisplayName == "" {
		display = nil // keep showing the joined names
	}
	p := map[string]any{
		"first_name": f.FirstName, "last_name": f.LastName, "display_name": display,
		"status":      f.Status,
		"phone":       phonePatch(f.Phone, cur.Phone),
		"mobile":      phonePatch(f.Mobile, cur.Mobile),
		"preferences": map[string]any{"language": nullIfEmpty(f.Language), "time_zone": nullIfEmpty(f.TimeZone)},
		"manager_id":  nullIfEmpty(f.ManagerID),
		"external_id": nullIfEmpty(f.ExternalID),
	}
	return json.Marshal(p)
}

// phonePatch keeps a stored number that SCIM shows unchanged (it shows
// the E.164 form), so that a round trip changes nothing.
func phonePatch(next, cur *roster.Phone) any {
	switch {
	case next == nil:
		return nil
	case cur != nil && (next.Number == cur.E164 || next.Number == cur.Number):
		return cur
	}
	return next
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
