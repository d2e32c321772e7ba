// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"

	"github.com/rosterhq/roster"
)

var userBehaviours = []behaviour{
	{"Users/CreateAndFind", testUserCreateAndFind},
	{"Users/ErrNotFound", testUserNotFound},
	{"Users/ErrConflictEmail", testUserConflictEmail},
	{"Users/ErrConflictUsername", testUserConflictUsername},
	{"Users/ErrConflictExternalID", testUserConflictExternalID},
	{"Users/Update", testUserUpdate},
	{"Users/UpdateErrors", testUserUpdateErrors},
	{"Users/UpdateRefreshesFilters", testUserUpdateRefreshesFilters},
	{"Users/Delete", testUserDelete},
	{"Users/FindReturnsCopies", testUserFindReturnsCopies},
}

// richUser fills every field of a user, so that a round trip through the
// store shows any field an engine drops or changes.
func richUser(home, other *roster.Organization, managerID string) func(*roster.User) {
	return func(u *roster.User) {
		u.Username = "Ann.Smith"
		u.EmailVerified = true
		u.FirstName, u.LastName, u.DisplayName = "Ann", "Smith", "Annie"
		u.Phone = &roster.Phone{Country: "NL", Number: "020 123 4567", E164: "+31201234567"}
		u.Mobile = &roster.Phone{Number: "+1 669 999 0000", E164: "+16699990000"}
		u.Status, u.Availability = roster.StatusDisabled, roster.AvailabilityUnavailable
		u.Preferences = roster.Preferences{Language: "nl", TimeZone: "Europe/Amsterdam", DefaultCountry: "NL",
			ColorMode: "dark", DateFormat: "DD-MM-YYYY", NumberFormat: "dot_comma", DefaultOutboundNumber: "+31201234567"}
		u.Notifications = roster.Notifications{
			Events:         map[string]roster.NotificationSetting{"voicemail": {Enabled: true, Channels: []string{"email", "sms"}}},
			EmailAddresses: []string{"alerts@example.com"},
			SMSNumbers:     []string{"+31612345678"},
			BlockedUserIDs: []string{roster.NewID(roster.PrefixUser)},
		}
		u.Settings = json.RawMessage(`{"theme":{"accent":"#ff0000"},"beta":true,"n":3}`)
		u.Tags = []roster.Tag{{ID: roster.NewID(roster.PrefixTag), Name: "VIP", Color: "#00ff00"}, {ID: roster.NewID(roster.PrefixTag), Name: "Beta"}}
		u.Roles = []string{"admin", "manager"}
		u.Memberships = []roster.Membership{{OrganizationID: home.ID, Roles: u.Roles}, {OrganizationID: other.ID, Roles: []string{"member"}}}
		u.ManagerID = managerID
		u.MFAEnabled = true
		u.ExternalID = "crm-42"
	}
}

func testUserCreateAndFind(t *testing.T, s roster.Store) {
	ctx := context.Background()
	root := MustCreateOrg(t, s, "", "Root")
	other := MustCreateOrg(t, s, root.ID, "Other")
	boss := MustCreateUser(t, s, root, "boss@example.com")
	u := MustCreateUser(t, s, root, "Ann.Smith@Example.com", richUser(root, other, boss.ID))

	got, err := s.FindUser(ctx, u.ID)
	must(t, "FindUser", err)
	checkUser(t, "FindUser", got, u)
	for _, name := range []string{"Ann.Smith", "ann.smith", "ANN.SMITH"} {
		got, err := s.FindUserByUsername(ctx, name)
		must(t, "FindUserByUsername("+name+")", err)
		checkUser(t, "FindUserByUsername("+name+")", got, u)
	}
	for _, email := range []string{"Ann.Smith@Example.com", "ann.smith@example.com", "ANN.SMITH@EXAMPLE.COM"} {
		got, err := s.FindUserByEmail(ctx, email)
		must(t, "FindUserByEmail("+email+")", err)
		checkUser(t, "FindUserByEmail("+email+")", got, u)
	}
	got, err = s.FindUserByExternalID(ctx, root.ID, "crm-42")
	must(t, "FindUserByExternalID", err)
	checkUser(t, "FindUserByExternalID", got, u)
	got, err = s.FindUser(ctx, boss.ID)
	must(t, "FindUser(boss)", err)
	checkUser(t, "FindUser(boss)", got, boss)
}

func testUserNotFound(t *testing.T, s roster.Store) {
	ctx := context.Background()
	root := MustCreateOrg(t, s, "", "Root")
	other := MustCreateOrg(t, s, root.ID, "Other")
	MustCreateUser(t, s, root, "plain@example.com")
	MustCreateUser(t, s, root, "ext@example.com", func(u *roster.User) { u.ExternalID = "e-1" })

	_, err := s.FindUser(ctx, roster.NewID(roster.PrefixUser))
	wantCode(t, "FindUser(unknown id)", err, roster.CodeNotFound)
	_, err = s.FindUser(ctx, "")
	wantCode(t, "FindUser(empty id)", err, roster.CodeNotFound)
	_, err = s.FindUserByUsername(ctx, "nobody@example.com")
	wantCode(t, "FindUserByUsername(unknown)", err, roster.CodeNotFound)
	_, err = s.FindUserByUsername(ctx, "plain@example")
	wantCode(t, "FindUserByUsername(prefix of a username)", err, roster.CodeNotFound)
	_, err = s.FindUserByEmail(ctx, "nobody@example.com")
	wantCode(t, "FindUserByEmail(unknown)", err, roster.CodeNotFound)
	_, err = s.FindUserByEmail(ctx, "plain@example")
	wantCode(t, "FindUserByEmail(prefix of an email)", err, roster.CodeNotFound)
	_, err = s.FindUserByExternalID(ctx, root.ID, "e-2")
	wantCode(t, "FindUserByExternalID(unknown)", err, roster.CodeNotFound)
	_, err = s.FindUserByExternalID(ctx, other.ID, "e-1")
	wantCode(t, "FindUserByExternalID(other organisation)", err, roster.CodeNotFound)
	_, err = s.FindUserByExternalID(ctx, root.ID, "")
	wantCode(t, "FindUserByExternalID(empty: users without one)", err, roster.CodeNotFound)
}

func testUserConflictEmail(t *testing.T, s roster.Store) {
	ctx := context.Background()
	root := MustCreateOrg(t, s, "", "Root")
	MustCreateUser(t, s, root, "A@x.com", func(u *roster.User) { u.Username = "first" })

	for _, email := range []string{"A@x.com", "a@x.com", "a@X.COM"} {
		dup := NewUser(t, root, email, func(u *roster.User) { u.Username = unique("second") })
		err := update(s, func(tx roster.Tx) error { stamp(tx, dup); return tx.CreateUser(dup) })
		wantCode(t, "CreateUser(email "+email+")", err, roster.CodeConflict)
		_, err = s.FindUser(ctx, dup.ID)
		wantCode(t, "FindUser(refused user)", err, roster.CodeNotFound)
	}
	// Another email in another organisation is fine.
	other := MustCreateOrg(t, s, root.ID, "Other")
	MustCreateUser(t, s, other, "b@x.com")
}

func testUserConflictUsername(t *testing.T, s roster.Store) {
	root := MustCreateOrg(t, s, "", "Root")
	MustCreateUser(t, s, root, "bob1@example.com", func(u *roster.User) { u.Username = "Bob" })

	for _, name := range []string{"Bob", "bob", "BOB"} {
		dup := NewUser(t, root, unique("bob")+"@example.com", func(u *roster.User) { u.Username = name })
		err := update(s, func(tx roster.Tx) error { stamp(tx, dup); return tx.CreateUser(dup) })
		wantCode(t, "CreateUser(username "+name+")", err, roster.CodeConflict)
	}
	MustCreateUser(t, s, root, "bob2@example.com", func(u *roster.User) { u.Username = "bobby" })
}

func testUserConflictExternalID(t *testing.T, s roster.Store) {
	ctx := context.Background()
	root := MustCreateOrg(t, s, "", "Root")
	a := MustCreateOrg(t, s, root.ID, "A")
	b := MustCreateOrg(t, s, root.ID, "B")
	ua := MustCreateUser(t, s, a, "a1@example.com", func(u *roster.User) { u.ExternalID = "ext-1" })

	dup := NewUser(t, a, "a2@example.com", func(u *roster.User) { u.ExternalID = "ext-1" })
	err := update(s, func(tx roster.Tx) error { stamp(tx, dup); return tx.CreateUser(dup) })
	wantCode(t, "CreateUser(same external_id, same organisation)", err, roster.CodeConflict)

	// The same external id in another organisation is another user.
	ub := MustCreateUser(t, s, b, "b1@example.com", func(u *roster.User) { u.ExternalID = "ext-1" })
	got, err := s.FindUserByExternalID(ctx, b.ID, "ext-1")
	must(t, "FindUserByExternalID(b)", err)
	checkUser(t, "FindUserByExternalID(b)", got, ub)
	got, err = s.FindUserByExternalID(ctx, a.ID, "ext-1")
	must(t, "FindUserByExternalID(a)", err)
	checkUser(t, "FindUserByExternalID(a)", got, ua)

	// Users without an external id never collide.
	MustCreateUser(t, s, a, "a3@example.com")
	MustCreateUser(t, s, a, "a4@example.com")

	// An update that takes a sibling's external id is refused too.
	u := MustCreateUser(t, s, a, "a5@example.com", func(u *roster.User) { u.ExternalID = "ext-2" })
	next := u.Clone()
	next.ExternalID, next.Version = "ext-1", u.Version+1
	err = update(s, func(tx roster.Tx) error { next.UpdatedAt = tx.Now(); return tx.UpdateUser(next) })
	wantCode(t, "UpdateUser(taken external_id)", err, roster.CodeConflict)
	got, err = s.FindUser(ctx, u.ID)
	must(t, "FindUser", err)
	checkUser(t, "FindUser after refused update", got, u)
}

func testUserUpdate(t *testing.T, s roster.Store) {
	ctx := context.Background()
	root := MustCreateOrg(t, s, "", "Root")
	other := MustCreateOrg(t, s, root.ID, "Other")
	u := MustCreateUser(t, s, root, "ann@example.com")

	for i := range 3 {
		next := u.Clone()
		next.Version = u.Version + 1
		next.FirstName = unique("Ann")
		next.Tags = append(next.Tags, roster.Tag{ID: roster.NewID(roster.PrefixTag), Name: unique("tag")})
		next.Settings = json.RawMessage(`{"round":` + strconv.Itoa(i) + `}`)
		if i == 1 {
			richUser(root, other, "")(next)
		}
		mustUpdate(t, s, func(tx roster.Tx) error { next.UpdatedAt = tx.Now(); return tx.UpdateUser(next) })
		got, err := s.FindUser(ctx, u.ID)
		must(t, "FindUser", err)
		checkUser(t, "FindUser after update", got, next)
		if got.Version != int64(i+2) {
			t.Errorf("version after update %d: got %d, want %d", i+1, got.Version, i+2)
		}
		if !got.CreatedAt.Equal(u.CreatedAt) {
			t.Errorf("created_at changed: got %v, want %v", got.CreatedAt, u.CreatedAt)
		}
		u = next
	}
}

func testUserUpdateErrors(t *testing.T, s roster.Store) {
	ctx := context.Background()
	root := MustCreateOrg(t, s, "", "Root")
	u := MustCreateUser(t, s, root, "ann@example.com")
	v2 := u.Clone()
	v2.Version, v2.FirstName = 2, "Second"
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.UpdateUser(v2) })

	for _, version := range []int64{1, 2, 4} { // stored 2: the next must be 3
		stale := u.Clone()
		stale.Version, stale.FirstName = version, "Stale"
		err := update(s, func(tx roster.Tx) error { return tx.UpdateUser(stale) })
		wantCode(t, fmt.Sprintf("UpdateUser(version %d over stored 2)", version), err, roster.CodePreconditionFailed)
	}
	got, err := s.FindUser(ctx, u.ID)
	must(t, "FindUser", err)
	checkUser(t, "FindUser after refused updates", got, v2)

	missing := NewUser(t, root, "ghost@example.com")
	missing.Version = 2
	err = update(s, func(tx roster.Tx) error { stamp(tx, missing); return tx.UpdateUser(missing) })
	wantCode(t, "UpdateUser(missing user)", err, roster.CodeNotFound)
	_, err = s.FindUser(ctx, missing.ID)
	wantCode(t, "FindUser(missing user after update)", err, roster.CodeNotFound)
}

// testUserUpdateRefreshesFilters checks that the values the list filters
// use follow an update: nothing stale stays findable.
func testUserUpdateRefreshesFilters(t *testing.T, s roster.Store) {
	root := MustCreateOrg(t, s, "", "Root")
	a := MustCreateOrg(t, s, root.ID, "A")
	b := MustCreateOrg(t, s, root.ID, "B")
	u := MustCreateUser(t, s, a, "old.name@example.com", func(u *roster.User) {
		u.FirstName, u.LastName = "Oldfirst", "Oldlast"
		u.Tags = []roster.Tag{{ID: roster.NewID(roster.PrefixTag), Name: "OldTag"}}
		u.Roles = []string{"admin"}
	})
	next := u.Clone()
	next.Version = 2
	next.FirstName, next.LastName = "Newfirst", "Newlast"
	next.Tags = []roster.Tag{{ID: roster.NewID(roster.PrefixTag), Name: "NewTag"}}
	next.Roles = []string{"manager"}
	next.Status = roster.StatusDisabled
	next.OrganizationID = b.ID
	next.Memberships = []roster.Membership{{OrganizationID: b.ID, Roles: next.Roles}}
	mustUpdate(t, s, func(tx roster.Tx) error { next.UpdatedAt = tx.Now(); return tx.UpdateUser(next) })

	for _, c := range []struct {
		f    roster.UserFilter
		want []*roster.User
	}{
		{roster.UserFilter{Query: "oldfirst"}, nil},
		{roster.UserFilter{Query: "Oldlast"}, nil},
		{roster.UserFilter{Query: "newfirst"}, []*roster.User{next}},
		{roster.UserFilter{Query: "NEWLAST"}, []*roster.User{next}},
		{roster.UserFilter{Tag: "oldtag"}, nil},
		{roster.UserFilter{Tag: "newtag"}, []*roster.User{next}},
		{roster.UserFilter{Role: "admin"}, nil},
		{roster.UserFilter{Role: "manager"}, []*roster.User{next}},
		{roster.UserFilter{Status: roster.StatusEnabled}, nil},
		{roster.UserFilter{Status: roster.StatusDisabled}, []*roster.User{next}},
		{roster.UserFilter{OrganizationID: a.ID}, nil},
		{roster.UserFilter{OrganizationID: b.ID}, []*roster.User{next}},
	} {
		checkUsers(t, describe(c.f), findAll(t, s, c.f), c.want...)
	}
}

func testUserDelete(t *testing.T, s roster.Store) {
	ctx := context.Background()
	root := MustCreateOrg(t, s, "", "Root")
	keep := MustCreateUser(t, s, root, "keep@example.com")
	u := MustCreateUser(t, s, root, "gone@example.com", func(u *roster.User) {
		u.ExternalID = "ext-gone"
		u.Tags = []roster.Tag{{ID: roster.NewID(roster.PrefixTag), Name: "gone"}}
	})
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.DeleteUser(u.ID) })

	_, err := s.FindUser(ctx, u.ID)
	wantCode(t, "FindUser(deleted)", err, roster.CodeNotFound)
	_, err = s.FindUserByUsername(ctx, "gone@example.com")
	wantCode(t, "FindUserByUsername(deleted)", err, roster.CodeNotFound)
	_, err = s.FindUserByEmail(ctx, "gone@example.com")
	wantCode(t, "FindUserByEmail(deleted)", err, roster.CodeNotFound)
	_, err = s.FindUserByExternalID(ctx, root.ID, "ext-gone")
	wantCode(t, "FindUserByExternalID(deleted)", err, roster.CodeNotFound)
	checkUsers(t, "FindUsers after delete", findAll(t, s, roster.UserFilter{}), keep)
	checkUsers(t, "FindUsers(q=gone) after delete", findAll(t, s, roster.UserFilter{Query: "gone"}))
	checkUsers(t, "FindUsers(tag=gone) after delete", findAll(t, s, roster.UserFilter{Tag: "gone"}))

	err = update(s, func(tx roster.Tx) error { return tx.DeleteUser(u.ID) })
	wantCode(t, "DeleteUser(deleted)", err, roster.CodeNotFound)
	err = update(s, func(tx roster.Tx) error { return tx.DeleteUser(roster.NewID(roster.PrefixUser)) })
	wantCode(t, "DeleteUser(unknown)", err, roster.CodeNotFound)

	// The unique values of a deleted user are free again.
	again := MustCreateUser(t, s, root, "gone@example.com", func(u *roster.User) { u.ExternalID = "ext-gone" })
	got, err := s.FindUserByExternalID(ctx, root.ID, "ext-gone")
	must(t, "FindUserByExternalID(again)", err)
	checkUser(t, "FindUserByExternalID(again)", got, again)
}

// testUserFindReturnsCopies changes the users that reads return, as a
// caller preparing an update may, and checks that the stored users (and
// what lists show) do not change with them: no engine may hand out shared
// records, except FindUsers's, which are for reading only (roster.Reader).
func testUserFindReturnsCopies(t *testing.T, s roster.Store) {
	ctx := context.Background()
	root := MustCreateOrg(t, s, "", "Root")
	other := MustCreateOrg(t, s, root.ID, "Other")
	reads := []struct {
		name string
		read func(u *roster.User) (*roster.User, error)
	}{
		{"FindUser", func(u *roster.User) (*roster.User, error) { return s.FindUser(ctx, u.ID) }},
		{"FindUserByUsername", func(u *roster.User) (*roster.User, error) { return s.FindUserByUsername(ctx, u.Username) }},
		{"FindUserByEmail", func(u *roster.User) (*roster.User, error) { return s.FindUserByEmail(ctx, u.Email) }},
		{"FindUserByExternalID", func(u *roster.User) (*roster.User, error) { return s.FindUserByExternalID(ctx, root.ID, u.ExternalID) }},
		{"FindUsers", func(u *roster.User) (*roster.User, error) {
			users, _, err := s.FindUsers(ctx, roster.UserFilter{Query: u.Username, Sort: "created_at", Limit: 10})
			if err == nil && len(users) != 1 {
				return nil, fmt.Errorf("got %d users, want 1", len(users))
			}
			if err != nil {
				return nil, err
			}
			return users[0], nil
		}},
	}
	for _, changed := range reads[:3] {
		u := MustCreateUser(t, s, root, unique("copy")+"@example.com", richUser(root, other, ""), func(u *roster.User) {
			u.Username, u.ExternalID = unique("copy-"), unique("ext-")
		})
		got, err := changed.read(u)
		must(t, changed.name, err)
		got.FirstName = "Mallory"
		got.Tags[0].Name = "changed"
		got.Roles[0] = "owner"
		got.Notifications.Events["voicemail"] = roster.NotificationSetting{}
		for _, again := range reads {
			got, err := again.read(u)
			must(t, again.name, err)
			checkUser(t, again.name+" after a change to what "+changed.name+" returned", got, u)
		}
	}
}
