// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

// The behaviours here change what reads return, as a caller preparing an
// update may, and check that later reads do not show the change: no read
// may hand out a record that the store (or its cache) keeps, except
// FindUsers, whose users are for reading only (see roster.Reader).
var copyBehaviours = []behaviour{
	{"Copies/FindOrg", testFindOrgReturnsCopies},
	{"Copies/FindCredential", testFindCredentialReturnsCopies},
	{"Copies/TxReads", testTxReadsReturnCopies},
	{"Copies/ListedUsersStayAsRead", testListedUsersStayAsRead},
	{"Copies/FindSettingsSchema", testFindSettingsSchemaReturnsCopies},
	{"Copies/APIKeys", testAPIKeysReturnCopies},
}

// scribble changes every part of a user that a shallow copy would share.
func scribble(u *roster.User) {
	u.FirstName, u.Status = "Mallory", "scribbled"
	u.Tags[0].Name = "changed"
	u.Roles[0] = "owner"
	u.Memberships[0].Roles[0] = "owner"
	u.Memberships[0].OrganizationID = "org_scribbled"
	u.Notifications.Events["voicemail"] = roster.NotificationSetting{}
	u.Notifications.EmailAddresses[0] = "mallory@example.com"
	u.Phone.Number = "000"
	if i := bytes.Index(u.Settings, []byte("ff0000")); i >= 0 {
		copy(u.Settings[i:], "00ff00")
	}
}

// scribbleOrg does for organisations what scribble does for users.
func scribbleOrg(o *roster.Organization) {
	o.Name, o.Status = "Scribbled", "scribbled"
	o.Features[0] = "scribbled"
	o.WhiteLabel.LogoURL = "https://evil.example/logo.png"
	o.Plan.ID = "free"
	o.AllowedLanguages[0] = "xx"
	o.AllowedCountries[0] = "XX"
	o.NotificationEvents[0] = "scribbled"
}

func testFindOrgReturnsCopies(t *testing.T, s roster.Store) {
	ctx := context.Background()
	root := MustCreateOrg(t, s, "", "Root")
	o := MustCreateOrg(t, s, root.ID, "Acme", richOrg)
	reads := []struct {
		name string
		read func() (*roster.Organization, error)
	}{
		{"FindOrg", func() (*roster.Organization, error) { return s.FindOrg(ctx, o.ID) }},
		{"FindOrgs", func() (*roster.Organization, error) {
			orgs, _, err := s.FindOrgs(ctx, roster.OrgFilter{ParentID: root.ID, Limit: 10})
			if err == nil && len(orgs) != 1 {
				return nil, fmt.Errorf("got %d organisations, want 1", len(orgs))
			}
			if err != nil {
				return nil, err
			}
			return orgs[0], nil
		}},
		{"tx.FindOrg", func() (got *roster.Organization, err error) {
			err = update(s, func(tx roster.Tx) error { got, err = tx.FindOrg(ctx, o.ID); return err })
			return got, err
		}},
	}
	for _, changed := range reads {
		for round := range 2 { // the second read may come from a cache
			got, err := changed.read()
			must(t, changed.name, err)
			scribbleOrg(got)
			for _, again := range reads {
				got, err := again.read()
				must(t, again.name, err)
				checkOrg(t, fmt.Sprintf("%s after a change to what read %d of %s returned", again.name, round+1, changed.name), got, o)
			}
		}
	}
}

// credentialUser stores a rich user of root (with a membership in other)
// and a key of it with scopes and an expiry, and returns them with the
// key's secret.
func credentialUser(t *testing.T, s roster.Store, root, other *roster.Organization) (*roster.User, *roster.APIKey, string) {
	t.Helper()
	u := MustCreateUser(t, s, root, unique("cred")+"@example.com", richUser(root, other, ""), func(u *roster.User) {
		u.Username, u.ExternalID = unique("cred-"), unique("ext-")
	})
	k, secret := newKey(u, "ci")
	expires := at(60 * 24 * 30)
	k.Scopes, k.ExpiresAt = []string{"users:read", "orgs:read"}, &expires
	insertKeys(t, s, k)
	return u, k, secret
}

// credentialOrgs stores the organisations of credentialUser.
func credentialOrgs(t *testing.T, s roster.Store) (root, other *roster.Organization) {
	root = MustCreateOrg(t, s, "", "Root")
	return root, MustCreateOrg(t, s, root.ID, "Other")
}

func testFindCredentialReturnsCopies(t *testing.T, s roster.Store) {
	ctx := context.Background()
	root, other := credentialOrgs(t, s)
	u, k, secret := credentialUser(t, s, root, other)
	hash := roster.HashKeySecret(secret)
	checkAll := func(when string) {
		t.Helper()
		checkCredential(t, s, when, secret, k, u, false)
		got, err := s.FindUser(ctx, u.ID)
		must(t, "FindUser "+when, err)
		checkUser(t, "FindUser "+when, got, u)
		key, err := s.FindAPIKey(ctx, k.ID)
		must(t, "FindAPIKey "+when, err)
		checkKey(t, "FindAPIKey "+when, key, k)
	}
	for round := range 2 { // the second read may come from a cache
		c, err := s.FindCredential(ctx, hash)
		must(t, "FindCredential", err)
		scribble(c.User)
		c.Key.Name, c.Key.Scopes[0], c.Key.UserID = "scribbled", "admin", "usr_scribbled"
		c.OrgDisabled = true
		checkAll(fmt.Sprintf("after a change to the user and key of what read %d of FindCredential returned", round+1))
	}
	// The expiry is behind a pointer of its own.
	for round := range 2 {
		c, err := s.FindCredential(ctx, hash)
		must(t, "FindCredential", err)
		*c.Key.ExpiresAt = c.Key.ExpiresAt.Add(100 * 24 * time.Hour)
		checkAll(fmt.Sprintf("after a change to *Key.ExpiresAt of what read %d of FindCredential returned", round+1))
	}
}

// testTxReadsReturnCopies changes what reads inside a transaction return
// and commits: the transaction wrote nothing, so nothing may change.
func testTxReadsReturnCopies(t *testing.T, s roster.Store) {
	ctx := context.Background()
	root, other := credentialOrgs(t, s)
	for _, r := range []struct {
		name string
		read func(tx roster.Tx, u *roster.User, secret string) (*roster.User, error)
	}{
		{"tx.FindCredential", func(tx roster.Tx, _ *roster.User, secret string) (*roster.User, error) {
			c, err := tx.FindCredential(ctx, roster.HashKeySecret(secret))
			if err != nil {
				return nil, err
			}
			c.Key.Scopes[0], *c.Key.ExpiresAt = "admin", c.Key.ExpiresAt.Add(time.Hour)
			return c.User, nil
		}},
		{"tx.FindUser", func(tx roster.Tx, u *roster.User, _ string) (*roster.User, error) { return tx.FindUser(ctx, u.ID) }},
		{"tx.FindUserByUsername", func(tx roster.Tx, u *roster.User, _ string) (*roster.User, error) {
			return tx.FindUserByUsername(ctx, u.Username)
		}},
	} {
		// A user of its own for each read, so that a failure names the
		// read that shared its record.
		u, k, secret := credentialUser(t, s, root, other)
		check := func(when string) {
			t.Helper()
			got, err := s.FindUser(ctx, u.ID)
			must(t, "FindUser "+when, err)
			checkUser(t, "FindUser "+when, got, u)
			checkCredential(t, s, when, secret, k, u, false)
			mustUpdate(t, s, func(tx roster.Tx) error {
				got, err := tx.FindUser(ctx, u.ID)
				must(t, "tx.FindUser "+when, err)
				checkUser(t, "tx.FindUser "+when, got, u)
				checkCredential(t, tx, when+" (in a transaction)", secret, k, u, false)
				return nil
			})
		}
		check("before " + r.name) // reads that may fill a cache
		mustUpdate(t, s, func(tx roster.Tx) error {
			got, err := r.read(tx, u, secret)
			if err != nil {
				return fmt.Errorf("%s: %w", r.name, err)
			}
			scribble(got)
			return nil
		})
		check("after a change to what " + r.name + " returned")
	}
}

// testListedUsersStayAsRead checks the promise that lets FindUsers share
// users with a cache (see roster.Reader): a write never changes a user
// that a list handed out, it makes a new one.
func testListedUsersStayAsRead(t *testing.T, s roster.Store) {
	ctx := context.Background()
	root := MustCreateOrg(t, s, "", "Root")
	other := MustCreateOrg(t, s, root.ID, "Other")
	u := MustCreateUser(t, s, root, "vis@example.com", richUser(root, other, ""))
	f := roster.UserFilter{MemberOf: other.ID, Limit: 10}
	var listed []*roster.User
	for range 2 { // the second list may come from a cache
		users, _, err := s.FindUsers(ctx, f)
		must(t, describe(f), err)
		if len(users) != 1 {
			t.Fatalf("%s: got %d users, want 1", describe(f), len(users))
		}
		listed = append(listed, users[0])
	}
	next := u.Clone()
	next.FirstName, next.Status = "Changed", roster.StatusDisabled
	next.Tags[0].Name = "changed"
	must(t, "UpdateUser", update(s, func(tx roster.Tx) error {
		next.Version, next.UpdatedAt = u.Version+1, tx.Now()
		return tx.UpdateUser(next)
	}))
	for i, got := range listed {
		checkUser(t, fmt.Sprintf("list %d, kept across an update", i+1), got, u)
	}
	users, _, err := s.FindUsers(ctx, f)
	must(t, describe(f)+" after the update", err)
	if len(users) != 1 || users[0].FirstName != next.FirstName || users[0].Version != next.Version {
		t.Fatalf("%s after the update: want the updated user, got %+v", describe(f), users)
	}
}

func testFindSettingsSchemaReturnsCopies(t *testing.T, s roster.Store) {
	ctx := context.Background()
	for _, read := range []string{"own", "inherited"} {
		// Organisations of their own for each read, so that a failure
		// names the read that shared its bytes.
		root := MustCreateOrg(t, s, "", "Root of "+read)
		child := MustCreateOrg(t, s, root.ID, "Child of "+read)
		want := schema(read)
		putSchema(t, s, root, want)
		o := root
		if read == "inherited" {
			o = child
		}
		for round := range 2 { // the second read may come from a cache
			got, err := s.FindSettingsSchema(ctx, o.ID)
			must(t, "FindSettingsSchema("+o.Name+")", err)
			for i := range got {
				got[i] = ' '
			}
			when := fmt.Sprintf("after a change to what read %d of FindSettingsSchema(%s) returned", round+1, o.Name)
			checkSchema(t, s, when, root, want)
			checkSchema(t, s, when, child, want)
		}
	}
}

func testAPIKeysReturnCopies(t *testing.T, s roster.Store) {
	ctx := context.Background()
	root, other := credentialOrgs(t, s)
	u, k, secret := credentialUser(t, s, root, other)
	reads := []struct {
		name string
		read func() (*roster.APIKey, error)
	}{
		{"FindAPIKey", func() (*roster.APIKey, error) { return s.FindAPIKey(ctx, k.ID) }},
		{"FindCredential.Key", func() (*roster.APIKey, error) { return findKeyByHash(s, roster.HashKeySecret(secret)) }},
		{"FindAPIKeys", func() (*roster.APIKey, error) {
			keys, _, err := s.FindAPIKeys(ctx, &roster.Visibility{Self: u.ID}, roster.Page{})
			if err == nil && len(keys) != 1 {
				return nil, fmt.Errorf("got %d keys, want 1", len(keys))
			}
			if err != nil {
				return nil, err
			}
			return keys[0], nil
		}},
	}
	for _, changed := range reads {
		for round := range 2 {
			got, err := changed.read()
			must(t, changed.name, err)
			got.Name, got.Scopes[0], *got.ExpiresAt = "scribbled", "admin", got.ExpiresAt.Add(time.Hour)
			for _, again := range reads {
				got, err := again.read()
				must(t, again.name, err)
				checkKey(t, fmt.Sprintf("%s after a change to what read %d of %s returned", again.name, round+1, changed.name), got, k)
			}
		}
	}
}
