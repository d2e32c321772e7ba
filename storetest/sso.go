// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"cmp"
	"context"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

// ssoBehaviours cover the sessions API's list and reseller SSO links.
var ssoBehaviours = []behaviour{
	{"Sessions/UserSessionsInPages", testUserSessionPages},
	{"SSOLinks/TakenOnce", testSSOLinkTakenOnce},
	{"SSOLinks/ConcurrentTakes", testSSOLinkConcurrentTakes},
}

// testUserSessionPages: a user's live sessions, newest first, in pages;
// expired ones and other users' are left out.
func testUserSessionPages(t *testing.T, s roster.Store) {
	ctx := context.Background()
	org := MustCreateOrg(t, s, "", "Root")
	u := MustCreateUser(t, s, org, "pages@example.com")
	other := MustCreateUser(t, s, org, "other-pages@example.com")
	var want []string
	var all []*roster.Session
	for i := range 7 {
		ses := newSession(u.ID, i%3) // ties on created_at: the id decides
		all = append(all, ses)
	}
	expired := newSession(u.ID, 5)
	expired.ExpiresAt = at(10)
	all = append(all, expired, newSession(other.ID, 4))
	mustUpdate(t, s, func(tx roster.Tx) error {
		for _, x := range all {
			if err := tx.CreateSession(x); err != nil {
				return err
			}
		}
		return nil
	})
	live := slices.Clone(all[:7])
	slices.SortFunc(live, func(a, b *roster.Session) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	for _, x := range live {
		want = append(want, x.ID)
	}
	for _, limit := range []int{1, 3, 7, 50} {
		var got []string
		p := roster.Page{Limit: limit}
		for pages := 0; ; pages++ {
			list, next, err := s.FindUserSessions(ctx, u.ID, at(10), p)
			must(t, "FindUserSessions", err)
			for _, x := range list {
				got = append(got, x.ID)
			}
			if next == nil || pages > 10 {
				break
			}
			c, err := roster.DecodeCursor(next.Encode(), roster.SortSessions)
			must(t, "the sessions' cursor", err)
			p.Cursor = c
		}
		checkIDs(t, "sessions in pages", got, want)
	}
	list, _, err := s.FindUserSessions(ctx, u.ID, time.Time{}, roster.Page{})
	if err != nil || len(list) != 8 {
		t.Errorf("FindUserSessions with no time limit = %d sessions, %v; want 8 (the expired one too)", len(list), err)
	}
	_, _, err = s.FindUserSessions(ctx, u.ID, at(10), roster.Page{Limit: 2, Cursor: &roster.Cursor{Sort: roster.SortAPIKeys, Key: "1", ID: "x"}})
	wantCode(t, "FindUserSessions with another list's cursor", err, roster.CodeMalformed)
}

// newSSOLink stores a user, a client and a link for the user.
func newSSOLink(t *testing.T, s roster.Store, email string) *roster.SSOLink {
	org := MustCreateOrg(t, s, "", "Root")
	u := MustCreateUser(t, s, org, email)
	cl := &roster.OAuthClient{ID: roster.NewID(roster.PrefixClient), OrganizationID: org.ID, Name: "App", CreatedAt: at(0), Hash: roster.HashKeySecret("x")}
	l := &roster.SSOLink{ID: roster.NewID(roster.PrefixSSOLink), Hash: roster.HashKeySecret(roster.NewTokenSecret("rsl_")), UserID: u.ID, ClientID: cl.ID,
		RedirectURI: "https://app.example/cb", CreatedBy: "usr_admin", CreatedAt: at(1), ExpiresAt: at(6)}
	mustUpdate(t, s, func(tx roster.Tx) error {
		if err := tx.CreateOAuthClient(cl); err != nil {
			return err
		}
		return tx.CreateSSOLink(l)
	})
	return l
}

func takeSSOLink(s roster.Store, hash []byte) (*roster.SSOLink, error) {
	var got *roster.SSOLink
	err := update(s, func(tx roster.Tx) (err error) { got, err = tx.TakeSSOLink(hash); return err })
	return got, err
}

func testSSOLinkTakenOnce(t *testing.T, s roster.Store) {
	l := newSSOLink(t, s, "sso@example.com")
	first, err := takeSSOLink(s, l.Hash)
	if err != nil || !reflect.DeepEqual(first, l) {
		t.Fatalf("TakeSSOLink = %+v, %v; want %+v", first, err, l)
	}
	if second, err := takeSSOLink(s, l.Hash); err != nil || !second.Used || second.UserID != l.UserID {
		t.Errorf("TakeSSOLink a second time = %+v, %v; want it used, with its user", second, err)
	}
	// A take that rolls back leaves the link as it was.
	m := newSSOLink(t, s, "sso-rollback@example.com")
	err = update(s, func(tx roster.Tx) error {
		if _, err := tx.TakeSSOLink(m.Hash); err != nil {
			return err
		}
		return roster.Errorf(roster.CodeConflict, "roll back")
	})
	wantCode(t, "the rolled-back take", err, roster.CodeConflict)
	if got, err := takeSSOLink(s, m.Hash); err != nil || got.Used {
		t.Errorf("TakeSSOLink after a rolled-back take = %+v, %v; want it unused", got, err)
	}
	_, err = takeSSOLink(s, roster.HashKeySecret("nope"))
	wantCode(t, "TakeSSOLink of an unknown link", err, roster.CodeNotFound)
	mustUpdate(t, s, func(tx roster.Tx) error { _, err := tx.PurgeCredentials(at(7)); return err })
	_, err = takeSSOLink(s, l.Hash)
	wantCode(t, "TakeSSOLink after it expired and was purged", err, roster.CodeNotFound)
	// Deleting the user takes its links with it.
	n := newSSOLink(t, s, "sso-deleted@example.com")
	mustUpdate(t, s, func(tx roster.Tx) error { return tx.DeleteUser(n.UserID) })
	_, err = takeSSOLink(s, n.Hash)
	wantCode(t, "TakeSSOLink after its user is deleted", err, roster.CodeNotFound)
}

// testSSOLinkConcurrentTakes: of many transactions taking one link at
// once, exactly one sees it unused.
func testSSOLinkConcurrentTakes(t *testing.T, s roster.Store) {
	l := newSSOLink(t, s, "sso-race@example.com")
	var fresh atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := takeSSOLink(s, l.Hash)
			if err != nil {
				t.Errorf("TakeSSOLink: %v", err)
				return
			}
			if !got.Used {
				fresh.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := fresh.Load(); n != 1 {
		t.Errorf("%d of 8 concurrent takes saw the link unused, want exactly 1", n)
	}
}
