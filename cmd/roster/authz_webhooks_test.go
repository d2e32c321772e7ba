// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Webhook rows of the authorisation matrix: a webhook belongs to an
// organisation, and only admins of it (or of an ancestor) see and manage
// it; to anyone else it does not exist.

var azHookVariants = []azVariant{azFull, azUsersRead}

const azHookRule = "admins manage the webhooks of their organisation and those below it"

// azReceiver is a receiver that accepts everything, for test deliveries.
func azReceiver(t *testing.T) string {
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(rcv.Close)
	return rcv.URL
}

// azHooks makes one webhook per fixture organisation, as the root owner.
func azHooks(t *testing.T, f *azFixture) map[string]string {
	url := azReceiver(t)
	hooks := map[string]string{}
	for _, org := range azOrgs {
		hooks[org] = f.must(t, "POST", "/v1/webhooks", map[string]any{"url": url, "events": []string{"user.*"},
			"organization_id": f.oid(org), "name": org}, 201)["id"].(string)
	}
	return hooks
}

func azCreateWebhook(t *testing.T, f *azFixture, row *azRow) []azCell {
	url := azReceiver(t)
	return f.orgCells(row, []string{""}, func(t *testing.T, cs *azCase, org, _ string) {
		cs.Req = azJSON("POST", "/v1/webhooks", map[string]any{"url": url, "events": []string{"org.*"}, "organization_id": f.oid(org), "status": "disabled"})
		cs.Want = azJudge(cs.Variant, row, cs.Hidden != "", 422, "organization_id", 201, "", azHookRule,
			azWay{OK: f.rank(cs.Caller, org) >= azAdmin, Scopes: row.Scopes})
		cs.Check = func(t *testing.T, res *response) {
			if res.str("organization_id") != f.oid(org) || !strings.HasPrefix(signingSecret(res.obj()), "whsec_") {
				t.Errorf("POST /v1/webhooks: want a webhook of %s with its secret: %s", org, res.Body)
			}
		}
	})
}

func azListWebhooks(t *testing.T, f *azFixture, row *azRow) []azCell {
	hooks := azHooks(t, f)
	return f.listCells(row, []string{""}, func(t *testing.T, cs *azCase, _ string) {
		cs.Req = azJSON("GET", "/v1/webhooks?limit=200", nil)
		cs.Want = azJudge(cs.Variant, row, false, 0, "", 200, "", azHookRule, azWay{OK: true, Scopes: row.Scopes})
		var want []string
		for org, id := range hooks {
			if f.rank(cs.Caller, org) >= azAdmin {
				want = append(want, id)
			}
		}
		cs.Check = func(t *testing.T, res *response) {
			f.sameSet(t, "GET /v1/webhooks as "+cs.Caller.Name, azItems(t, res, "id"), want)
			if strings.Contains(string(res.Body), `whsec_`) {
				t.Errorf("a listed webhook shows its secret: %s", res.Body)
			}
		}
	})
}

// azHookCells makes the cells of a route on one webhook: method and the
// path after /v1/webhooks/{id}; ok is the answer to a permitted call.
func azHookCells(method, suffix string, ok int) func(t *testing.T, f *azFixture, row *azRow) []azCell {
	return func(t *testing.T, f *azFixture, row *azRow) []azCell {
		hooks := azHooks(t, f)
		url := azReceiver(t)
		return f.orgCells(row, []string{""}, func(t *testing.T, cs *azCase, org, _ string) {
			id := hooks[org]
			if method == "DELETE" {
				id = f.must(t, "POST", "/v1/webhooks", map[string]any{"url": url, "events": []string{"user.*"}, "organization_id": f.oid(org)}, 201)["id"].(string)
			}
			cs.Hidden = ""
			if f.rank(cs.Caller, org) < azAdmin {
				cs.Hidden = id
			}
			path := "/v1/webhooks/" + id + suffix
			switch method {
			case "PUT":
				cs.Req = azJSON("PUT", path, map[string]any{"url": url, "events": []string{"user.*"}, "name": fmt.Sprint(f.next())})
			case "PATCH":
				cs.Req = azMerge(path, map[string]any{"name": fmt.Sprint(f.next())})
			default:
				cs.Req = azJSON(method, path, nil)
			}
			cs.Want = azJudge(cs.Variant, row, cs.Hidden != "", 404, "", ok, "", azHookRule, azWay{OK: true, Scopes: row.Scopes})
		})
	}
}
