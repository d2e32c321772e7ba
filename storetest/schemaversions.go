// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/rosterhq/roster"
)

var schemaVersionBehaviours = []behaviour{
	{"SettingsSchemas/Versions", testSettingsSchemaVersions},
}

// checkSchemaVersion fails the test unless FindSettingsSchemaVersion(o)
// says the schema of from applies, at version, with document doc (nil
// from: CodeNotFound).
func checkSchemaVersion(tb testing.TB, r roster.Reader, when string, o, from *roster.Organization, version int64, doc []byte) {
	tb.Helper()
	got, err := r.FindSettingsSchemaVersion(context.Background(), o.ID)
	what := fmt.Sprintf("FindSettingsSchemaVersion(%s) %s", o.Name, when)
	if from == nil {
		wantCode(tb, what, err, roster.CodeNotFound)
		return
	}
	if err != nil {
		tb.Errorf("%s: %v", what, err)
		return
	}
	if got.OrgID != from.ID || got.Version != version || !sameJSON(got.Doc, doc) {
		tb.Errorf("%s: schema of %s version %d %s, want %s's version %d %s", what, got.OrgID, got.Version, got.Doc, from.Name, version, doc)
	}
}

// testSettingsSchemaVersions: an organisation's schema starts at version
// 1 and every put adds one; an inherited schema is reported with the
// ancestor it comes from; removing a schema and putting one again starts
// again at 1; a rolled back put changes nothing.
func testSettingsSchemaVersions(t *testing.T, s roster.Store) {
	root := MustCreateOrg(t, s, "", "Root")
	a := MustCreateOrg(t, s, root.ID, "A")
	a1 := MustCreateOrg(t, s, a.ID, "A1")
	checkSchemaVersion(t, s, "with no schema", a1, nil, 0, nil)
	s1, s2, s3 := schema("root"), schema("root 2"), schema("a")
	putSchema(t, s, root, s1)
	checkSchemaVersion(t, s, "after the root's first put", root, root, 1, s1)
	checkSchemaVersion(t, s, "after the root's first put", a1, root, 1, s1)
	putSchema(t, s, root, s2)
	checkSchemaVersion(t, s, "after the root's second put", root, root, 2, s2)
	checkSchemaVersion(t, s, "after the root's second put", a, root, 2, s2)
	putSchema(t, s, a, s3)
	checkSchemaVersion(t, s, "after A's first put", a, a, 1, s3)
	checkSchemaVersion(t, s, "after A's first put", a1, a, 1, s3)
	checkSchemaVersion(t, s, "after A's first put", root, root, 2, s2)
	// The documents agree with FindSettingsSchema.
	checkSchema(t, s, "after A's first put", a1, s3)

	err := update(s, func(tx roster.Tx) error {
		if err := tx.PutSettingsSchema(a.ID, s1); err != nil {
			return err
		}
		checkSchemaVersion(t, tx, "inside the transaction that replaced A's", a1, a, 2, s1)
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Update: got %v, want fn's error", err)
	}
	checkSchemaVersion(t, s, "after a rolled back put", a, a, 1, s3)
	putSchema(t, s, a, s1)
	checkSchemaVersion(t, s, "after A's second put", a, a, 2, s1)

	putSchema(t, s, a, nil)
	checkSchemaVersion(t, s, "after A's was removed", a1, root, 2, s2)
	putSchema(t, s, a, s3)
	checkSchemaVersion(t, s, "after A's was put again", a, a, 1, s3)
	checkSchemaVersion(t, s, "of an unknown organisation", &roster.Organization{ID: roster.NewID(roster.PrefixOrg), Name: "unknown"}, nil, 0, nil)
}
