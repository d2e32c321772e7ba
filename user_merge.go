// SPDX-License-Identifier: Apache-2.0

package roster

import (
	"bytes"
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// MergeUserPatch applies the common merge patch, one that sets or clears
// top-level fields with scalar values ({"first_name":"Ada"}), to cur
// directly. It returns the UserInput that DecodeStrict reads from
// ApplyPatch(MergePatch, cur's document, patch), without encoding the
// document, merging it as a tree and decoding it again (most of a PATCH's
// CPU outside the store).
//
// ok is false for every other patch: objects or arrays as values (merged
// or pruned of nulls member by member), names that are unknown or cased
// differently, values of the wrong type, anything CheckJSON refuses. The
// caller then takes the general path, which also words every error, so
// this path never decides an answer of its own.
func MergeUserPatch(cur *User, patch []byte) (in *UserInput, ok bool) {
	if t := bytes.TrimSpace(patch); len(t) == 0 || t[0] != '{' || CheckJSON(patch) != nil {
		return nil, false
	}
	var members map[string]json.RawMessage
	if json.Unmarshal(patch, &members) != nil {
		return nil, false
	}
	if in, ok = userInputOf(cur); !ok {
		return nil, false
	}
	fields := reflect.ValueOf(in).Elem()
	for name, raw := range members {
		raw = bytes.TrimSpace(raw)
		i, known := userInputFields[name]
		switch {
		case string(raw) == "null":
			// Merge patch: null removes the member, which then decodes
			// as the zero value. An unknown name removes nothing.
			if known {
				fields.Field(i).SetZero()
			}
		case !known || raw[0] == '{' || raw[0] == '[' || name == "settings":
			// settings keeps its JSON as bytes, which the general path
			// encodes again (a scalar there is refused anyway).
			return nil, false
		default:
			if json.Unmarshal(raw, fields.Field(i).Addr().Interface()) != nil {
				return nil, false
			}
		}
	}
	return in, true
}

// userInputFields maps UserInput's JSON names to its fields' indexes.
var userInputFields = func() map[string]int {
	t := reflect.TypeFor[UserInput]()
	m := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
			m[name] = i
		}
	}
	return m
}()

// userInputOf is the UserInput that DecodeStrict reads from u's document
// (the API form that patches apply to), built from u's fields without
// JSON: fields marked omitempty in User are absent when empty, null ones
// nil. Every pointer and slice is a copy, so decoding into it leaves u as
// it is. ok is false when settings hold no valid JSON (nothing is
// stored so) or nest too deep. TestMergeUserPatch holds it to
// DecodeStrict.
func userInputOf(u *User) (in *UserInput, ok bool) {
	d := u.Document()
	settings, err1 := json.Marshal(d.Settings) // compacted, HTML escaped, nil as null
	memberships, err2 := json.Marshal(d.Memberships)
	if err1 != nil || err2 != nil {
		return nil, false
	}
	// The general path refuses a document nested too deep (one stored
	// before input was checked): settings is its one free-form part, one
	// level down.
	if CheckDepth(slices.Concat([]byte(`{"settings":`), settings, []byte(`}`))) != nil {
		return nil, false
	}
	in = &UserInput{
		ID:             &d.ID,
		OrganizationID: &d.OrganizationID,
		Username:       &d.Username,
		Email:          &d.Email,
		EmailVerified:  &d.EmailVerified,
		FirstName:      &d.FirstName,
		LastName:       &d.LastName,
		DisplayName:    &d.DisplayName,
		Phone:          copyPhone(d.Phone),
		Mobile:         copyPhone(d.Mobile),
		Status:         &d.Status,
		Availability:   &d.Availability,
		Preferences:    &d.Preferences,
		Notifications:  echoedNotifications(d.Notifications),
		Settings:       settings,
		Tags:           slices.Clone(d.Tags),
		Roles:          slices.Clone(d.Roles),
		MFAEnabled:     &d.MFAEnabled,
		CreatedAt:      &d.CreatedAt,
		UpdatedAt:      &d.UpdatedAt,
		Version:        &d.Version,
	}
	if d.Memberships != nil {
		raw := json.RawMessage(memberships)
		in.Memberships = &raw
	}
	if d.ManagerID != "" {
		in.ManagerID = &d.ManagerID
	}
	if d.ExternalID != "" {
		in.ExternalID = &d.ExternalID
	}
	return in, true
}

func copyPhone(p *Phone) *Phone {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}

// echoedNotifications copies n as it decodes from its JSON: empty
// (omitempty) members absent.
func echoedNotifications(n Notifications) *Notifications {
	c := Notifications{}
	if len(n.Events) > 0 {
		c.Events = maps.Clone(n.Events)
		for k, v := range c.Events {
			v.Channels = slices.Clone(v.Channels)
			c.Events[k] = v
		}
	}
	if len(n.EmailAddresses) > 0 {
		c.EmailAddresses = slices.Clone(n.EmailAddresses)
	}
	if len(n.SMSNumbers) > 0 {
		c.SMSNumbers = slices.Clone(n.SMSNumbers)
	}
	if len(n.BlockedUserIDs) > 0 {
		c.BlockedUserIDs = slices.Clone(n.BlockedUserIDs)
	}
	return &c
}
