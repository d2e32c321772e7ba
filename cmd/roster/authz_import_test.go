// SPDX-License-Identifier: Apache-2.0

package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// azImportUsers: POST /v1/users/import as every caller, with each scope
// variant, creating a user in every organisation. The request as a whole
// needs users:write:all (403 naming it otherwise); each line is then
// judged as POST /v1/users is: admins create users below their
// organisation, only owners grant admin or owner, and an organisation the
// caller may not see is the 422 of one that does not exist (the answer
// identical to the one for an unknown id).
func azImportUsers(t *testing.T, f *azFixture, row *azRow) []azCell {
	return f.orgCells(row, []string{"roles=[member]", "roles=[admin]"}, func(t *testing.T, cs *azCase, org, aspect string) {
		role := strings.TrimSuffix(strings.TrimPrefix(aspect, "roles=["), "]")
		line := mustJSON(map[string]any{"first_name": "New", "email": f.email(), "organization_id": f.oid(org), "roles": []string{role}})
		cs.Req = azReq{Method: "POST", Path: "/v1/users/import", Body: append(line, '\n'), ContentType: "application/x-ndjson"}
		cs.Want = azJudge(cs.Variant, row, false, 0, "", 200, "", "imports need users:write:all", azWay{OK: true, Scopes: row.Scopes})
		r := f.rank(cs.Caller, org)
		field := ""
		if r >= azAdmin && azRank(role) >= azAdmin {
			field = "roles"
		}
		lineWant := azJudge(cs.Variant, row, cs.Hidden != "", 422, "organization_id", 201, field,
			"an import line creates users as POST /v1/users does: admins below their organisation; only owners grant admin or owner",
			azWay{OK: r >= azAdmin && (azRank(role) < azAdmin || r >= azOwner), Scopes: []string{"users:write:all"}})
		cs.Check = func(t *testing.T, res *response) {
			var l struct {
				Line    int             `json:"line"`
				Status  int             `json:"status"`
				ID      string          `json:"id"`
				Problem json.RawMessage `json:"problem"`
			}
			if err := json.Unmarshal(res.Body, &l); err != nil || l.Line != 1 {
				t.Fatalf("import as %s: answer %s (%v)", cs.Caller.Name, res.Body, err)
			}
			if l.Status != lineWant.Status && !(lineWant.Alt403 && l.Status == 403) {
				t.Fatalf("import as %s (%s) into %s: line status %d, want %d (%s); %s", cs.Caller.Name, cs.Variant.Name, org, l.Status, lineWant.Status, lineWant.Why, res.Body)
			}
			if l.Status >= 400 && len(lineWant.Names) > 0 {
				for _, n := range lineWant.Names {
					if strings.Contains(string(l.Problem), n) {
						return
					}
				}
				t.Errorf("import as %s into %s: the line's %d names none of %v: %s", cs.Caller.Name, org, l.Status, lineWant.Names, res.Body)
			}
			if l.Status == 201 && l.ID == "" {
				t.Errorf("import as %s into %s: created without an id: %s", cs.Caller.Name, org, res.Body)
			}
		}
	})
}
