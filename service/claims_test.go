// SPDX-License-Identifier: Apache-2.0

package service

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

// TestUserClaims: each claim only under the scope that covers it, and
// absent values left out rather than null.
func TestUserClaims(t *testing.T) {
	full := &roster.User{ID: "usr_1", OrganizationID: "org_1", Username: "ada", Email: "ada@example.com", EmailVerified: true,
		FirstName: "Ada", LastName: "Lovelace", Phone: &roster.Phone{Number: "020 123 4567", E164: "+31201234567"},
		Preferences: roster.Preferences{Language: "nl", TimeZone: "Europe/Amsterdam"}, Roles: []string{"admin"},
		UpdatedAt: time.Unix(1700000000, 0)}
	bare := &roster.User{ID: "usr_2", OrganizationID: "org_1", Username: "bob", FirstName: "Bob"}
	cases := []struct {
		u      *roster.User
		scopes []string
		want   string
	}{
		{full, []string{"openid"}, `{"sub":"usr_1"}`},
		{full, []string{"openid", "email"}, `{"email":"ada@example.com","email_verified":true,"sub":"usr_1"}`},
		{full, []string{"openid", "phone"}, `{"phone_number":"+31201234567","phone_number_verified":false,"sub":"usr_1"}`},
		{full, []string{"openid", "profile"}, `{"family_name":"Lovelace","given_name":"Ada","locale":"nl","name":"Ada Lovelace","org_id":"org_1",` +
			`"preferred_username":"ada","roles":["admin"],"sub":"usr_1","updated_at":1700000000,"zoneinfo":"Europe/Amsterdam"}`},
		{full, []string{"users:read"}, `{}`},
		{bare, []string{"openid", "profile", "email", "phone"}, `{"given_name":"Bob","name":"Bob","org_id":"org_1","preferred_username":"bob","sub":"usr_2"}`},
	}
	s := New(nil, nil)
	for _, c := range cases {
		got, err := s.UserClaims(context.Background(), c.u, c.scopes)
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := json.Marshal(got); string(b) != c.want {
			t.Errorf("UserClaims(%s, %v) = %s, want %s", c.u.ID, c.scopes, b, c.want)
		}
	}
}
