// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync/atomic"
)

// The SCIM scenarios, as an identity provider calls /scim/v2 with a key
// that holds the scim scope (made with -key for the key's own user, so it
// provisions into that user's organisation). scim-find is the lookup an
// identity provider makes before every creation, GET /Users?filter=
// userName eq "…", for a random seeded or collected user. scim-prov is
// one provisioning step per iteration: that lookup for a new userName,
// which finds nobody, then POST /Users; it runs -scim-users iterations
// rather than -duration.

// scimSchemaUser is the core User schema's URN.
const scimSchemaUser = "urn:ietf:params:scim:schemas:core:2.0:User"

// makeSCIMKey creates the API key the SCIM scenarios send.
func (l *loader) makeSCIMKey(ctx context.Context) error {
	var k struct {
		Key string `json:"key"`
	}
	if err := l.create(ctx, "/v1/api-keys", `{"name":"rosterload scim","scopes":["scim"]}`, &k); err != nil {
		return err
	}
	if k.Key == "" {
		return fmt.Errorf("POST /v1/api-keys: no key in the answer")
	}
	l.scimKey = k.Key
	return nil
}

// create POSTs a JSON body with -key to a path that must answer 201 and
// decodes the answer into out. Prefer: return=minimal does not cover
// secrets, which only the creation's answer shows.
func (l *loader) create(ctx context.Context, path, body string, out any) error {
	c := newClient(1)
	defer c.CloseIdleConnections()
	resp, err := l.send(ctx, c, call{method: http.MethodPost, url: l.base + path, body: body, contentType: "application/json", auth: true})
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return unexpected("POST "+path, resp)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("POST %s: %w", path, err)
	}
	return nil
}

// scimLookup returns the call that looks a userName up.
func (l *loader) scimLookup(userName string) call {
	q := url.Values{"filter": {fmt.Sprintf("userName eq %q", userName)}}
	return call{method: http.MethodGet, url: l.base + "/scim/v2/Users?" + q.Encode(), auth: true, key: l.scimKey}
}

// scimFindCalls are scim-find's calls.
func (l *loader) scimFindCalls() (func(w, n int) call, error) {
	if len(l.usernames) == 0 {
		return nil, fmt.Errorf("scim-find: no users to look up: create some with -seed N")
	}
	return func(int, int) call { return l.scimLookup(l.usernames[rand.IntN(len(l.usernames))]) }, nil
}

// scimProvisionIteration is scim-prov's iteration: a lookup that must
// find nobody, then the creation.
func (l *loader) scimProvisionIteration() iteration {
	runID := newSecret(6)
	var seq atomic.Int64
	return func(ctx context.Context, c *http.Client, _, _ int) error {
		name := fmt.Sprintf("scim-%s-%d@example.com", runID, seq.Add(1))
		resp, err := l.send(ctx, c, l.scimLookup(name))
		if err != nil {
			return err
		}
		var found struct {
			TotalResults *int `json:"totalResults"`
		}
		err = json.NewDecoder(resp.Body).Decode(&found)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || err != nil || found.TotalResults == nil || *found.TotalResults != 0 {
			return &failure{"lookup " + resp.Status, fmt.Sprintf("totalResults %v (%v)", found.TotalResults, err)}
		}
		body, _ := json.Marshal(map[string]any{"schemas": []string{scimSchemaUser}, "userName": name, "active": true,
			"externalId": name, "name": map[string]string{"givenName": randomName(), "familyName": randomName()},
			"emails": []map[string]any{{"value": name, "type": "work", "primary": true}}})
		resp, err = l.send(ctx, c, call{method: http.MethodPost, url: l.base + "/scim/v2/Users", body: string(body),
			contentType: "application/scim+json", auth: true, key: l.scimKey})
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			return unexpected("create", resp)
		}
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
}
