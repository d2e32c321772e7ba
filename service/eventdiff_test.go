// SPDX-License-Identifier: Apache-2.0

package service

import (
	"encoding/json"
	"testing"

	"github.com/wI2L/jsondiff"
)

// TestDiffDocumentsIsJSONDiff: the patch from the changed members alone is
// the one jsondiff computes from the whole documents, and documents that
// are not objects of distinct members still get a patch.
func TestDiffDocumentsIsJSONDiff(t *testing.T) {
	for _, p := range diffPairs {
		checkDiffDocuments(t, []byte(p[0]), []byte(p[1]))
	}
	for _, bad := range []string{`{"a":1`, `{"a" 1}`, `{"a":}`, `{"a":"x}`, `{"a":[1}`, `{"a":1}x`, `{"a":1,}`} {
		if _, _, ok := changedMembers([]byte(bad), []byte(`{}`)); ok {
			t.Errorf("%s: split as an object", bad)
		}
	}
}

// FuzzDiffDocuments: for any two JSON documents the patch is jsondiff's
// over the whole documents (diffDocuments splits objects by hand).
func FuzzDiffDocuments(f *testing.F) {
	for _, p := range diffPairs {
		f.Add([]byte(p[0]), []byte(p[1]))
	}
	f.Fuzz(func(t *testing.T, prev, data []byte) {
		if json.Valid(prev) && json.Valid(data) {
			checkDiffDocuments(t, prev, data)
		}
	})
}

func checkDiffDocuments(t *testing.T, prev, data []byte) {
	t.Helper()
	got, err := diffDocuments(prev, data)
	want, werr := jsondiff.CompareJSON(prev, data, jsondiff.UnmarshalFunc(unmarshalNumbers))
	if (err != nil) != (werr != nil) {
		t.Fatalf("%s → %s: error %v, jsondiff's %v", prev, data, err, werr)
	}
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("%s → %s:\n got %s\nwant %s", prev, data, g, w)
	}
}

var diffPairs = func() [][2]string {
	base := `{"id":"usr_1","first_name":"Ada","tags":[{"name":"a \"q\" }"}],"settings":{"x":[1,{"y":null}],"z":1.50},"n":null,"t":true,"e":"\u003c"}`
	return [][2]string{
		{base, base},
		{base, `{"id":"usr_1","first_name":"Grace","tags":[{"name":"a \"q\" }"}],"settings":{"x":[1,{"y":2}],"z":1.5},"n":null,"t":true,"e":"\u003c"}`},
		{base, `{"id":"usr_1","tags":[],"settings":{"x":[1,{"y":null}],"z":1.50},"n":null,"t":false,"e":"\u003c","added":{"a":[]}}`},
		{base, `{ "first_name" : "Ada" , "id":"usr_2"}`},
		{`{}`, base},
		{base, `{}`},
		{`{"a":1,"a":2}`, `{"a":3}`},
		{`{"a":1,"a":2}`, `{"a":3,"a":2}`},
		{`{"a":1,"b":2}`, `{"b":2,"a":3}`},
		{`[1,2]`, `[1,3]`},
		{`{"a":1}`, `"text"`},
	}
}()
