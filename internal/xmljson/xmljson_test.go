// SPDX-License-Identifier: Apache-2.0

package xmljson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

type testTag struct {
	Name  string `json:"name"`
	Color string `json:"color,omitempty"`
}

type testPhone struct {
	Country string `json:"country"`
	Number  string `json:"number"`
}

type testBase struct {
	ID      int64     `json:"id,omitempty,string"`
	Created time.Time `json:"created_at,omitzero"`
}

// testUser is shaped like Roster's user resource.
type testUser struct {
	testBase
	FirstName     string          `json:"first_name,omitempty"`
	Tags          []testTag       `json:"tags,omitempty"`
	Settings      map[string]any  `json:"settings,omitempty"`
	Phone         *testPhone      `json:"phone,omitempty"`
	Version       int             `json:"version,omitempty"`
	EmailVerified bool            `json:"email_verified,omitempty"`
	Score         float64         `json:"score,omitempty"`
	Avatar        []byte          `json:"avatar,omitempty"`
	Links         json.RawMessage `json:"_links,omitempty"`
	Secret        string          `json:"-"`
}

var (
	userType = reflect.TypeFor[testUser]()
	anyType  = reflect.TypeFor[any]()
)

const header = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

func TestEncode(t *testing.T) {
	tests := []struct {
		name, root, ns, in, want string
	}{
		{"user", "user", "",
			`{"first_name":"Ada","tags":[{"name":"vip","color":"gold"},null,{"name":"x"}],"phone":null,` +
				`"version":3,"score":-1.50e3,"email_verified":true,"_links":{"self":{"href":"/users/1"}}}`,
			`<user><first_name>Ada</first_name><tags><item><name>vip</name><color>gold</color></item>` +
				`<item><name>x</name></item></tags><version>3</version><score>-1.50e3</score>` +
				`<email_verified>true</email_verified><_links><self><href>/users/1</href></self></_links></user>`},
		{"odd keys", "user", "",
			`{"settings":{"my key":1,"1abc":2,"":3,"a:b":4,"item":5,"entry":6,"xmlns":7,"XMLfoo":8,"prénom":9,"ok-1.x":10}}`,
			`<user><settings><entry key="my key">1</entry><entry key="1abc">2</entry><entry key="">3</entry>` +
				`<entry key="a:b">4</entry><entry key="item">5</entry><entry>6</entry><entry key="xmlns">7</entry>` +
				`<entry key="XMLfoo">8</entry><entry key="prénom">9</entry><ok-1.x>10</ok-1.x></settings></user>`},
		{"escaping", "user", "",
			`{"first_name":"<a href=\"x\">&amp;</a> ]]> 'q'\r\n\ttab","settings":{"\"<&>\n\t\r":"v"}}`,
			`<user><first_name>&lt;a href="x"&gt;&amp;amp;&lt;/a&gt; ]]&gt; 'q'&#xD;` + "\n\t" + `tab</first_name>` +
				`<settings><entry key="&quot;&lt;&amp;&gt;&#xA;&#x9;&#xD;">v</entry></settings></user>`},
		{"problem namespace", "problem", "urn:ietf:rfc:7807",
			`{"type":"about:blank","title":"Not Found","status":404}`,
			`<problem xmlns="urn:ietf:rfc:7807"><type>about:blank</type><title>Not Found</title><status>404</status></problem>`},
		{"list", "list", "",
			`{"items":[{"id":"1"},{"id":"2"}],"next":null}`,
			`<list><items><item><id>1</id></item><item><id>2</id></item></items></list>`},
		{"empty containers", "user", "", `{"tags":[],"settings":{},"a":[null],"b":{"c":null}}`,
			`<user><tags></tags><settings></settings><a></a><b></b></user>`},
		{"nested arrays", "x", "", `[[1,[true,false]],"s"]`,
			`<x><item><item>1</item><item><item>true</item><item>false</item></item></item><item>s</item></x>`},
		{"top-level string", "x", "", `"hi"`, `<x>hi</x>`},
		{"top-level null", "x", "", ` null `, `<x></x>`},
		{"unicode", "x", "", `{"s":"日本 😀 \u2028 \ufffd"}`, "<x><s>日本 😀 \u2028 \ufffd</s></x>"},
		{"invalid UTF-8 replaced", "x", "", "{\"s\":\"a\xffb\"}", "<x><s>a\ufffdb</s></x>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Encode(&buf, tt.root, tt.ns, []byte(tt.in)); err != nil {
				t.Fatal(err)
			}
			if got, want := buf.String(), header+tt.want+"\n"; got != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	tests := []struct {
		name, root, ns, in string
		invalidChar        bool
	}{
		{"control char in value", "user", "", `{"first_name":"a\u0001b"}`, true},
		{"NUL in key", "user", "", `{"settings":{"a\u0000":"b"}}`, true},
		{"U+FFFE", "user", "", `{"a":["\ufffe"]}`, true},
		{"control char in namespace", "user", "urn:\x01", `{}`, true},
		{"empty", "user", "", ``, false},
		{"white space", "user", "", " \n", false},
		{"truncated", "user", "", `{"a":[1,2`, false},
		{"syntax", "user", "", `{"a" 1}`, false},
		{"trailing comma", "user", "", `{"a":1,}`, false},
		{"second value", "user", "", `{} {}`, false},
		{"trailing garbage", "user", "", `{}x`, false},
		{"bad root", "my user", "", `{}`, false},
		{"empty root", "", "", `{}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := Encode(&buf, tt.root, tt.ns, []byte(tt.in))
			if err == nil {
				t.Fatalf("no error; wrote %q", buf.String())
			}
			if got := errors.Is(err, ErrInvalidChar); got != tt.invalidChar {
				t.Errorf("errors.Is(%v, ErrInvalidChar) = %v", err, got)
			}
			if buf.Len() > 0 {
				t.Errorf("wrote %q despite the error", buf.String())
			}
		})
	}
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name string
		typ  reflect.Type
		in   string
		want string
	}{
		{"user", userType,
			header + `<user><first_name>Ada</first_name><tags><item><name>vip</name></item></tags>` +
				`<phone><country>NL</country><number>+31 20</number></phone><version>3</version>` +
				`<email_verified>false</email_verified><score>-1.5e3</score></user>`,
			`{"first_name":"Ada","tags":[{"name":"vip"}],"phone":{"country":"NL","number":"+31 20"},` +
				`"version":3,"email_verified":false,"score":-1.5e3}`},
		{"pretty-printed", userType,
			"<user>\n  <first_name> Ada </first_name>\n  <tags>\n    <item>\n      <name>a</name>\n    </item>\n  </tags>\n" +
				"  <version>\n    7\n  </version>\n</user>\n",
			`{"first_name":" Ada ","tags":[{"name":"a"}],"version":7}`},
		{"empty elements", userType,
			`<user><first_name/><tags/><settings/><phone></phone><_links/></user>`,
			`{"first_name":"","tags":[],"settings":{},"phone":{},"_links":""}`},
		{"settings inferred", userType,
			`<user><settings><theme>dark</theme><n>3</n><list><item>a</item><item><x>1</x></item></list>` +
				`<entry key="my key">v</entry><entry key="item">i</entry><entry>e</entry><empty/>` +
				`<obj><item>a</item><b>b</b></obj></settings></user>`,
			`{"settings":{"theme":"dark","n":"3","list":["a",{"x":"1"}],"my key":"v","item":"i","entry":"e",` +
				`"empty":"","obj":{"item":"a","b":"b"}}}`},
		{"type mismatches become strings", userType,
			`<user><version>abc</version><email_verified>yes</email_verified><score>1.</score><first_name><b>x</b></first_name></user>`,
			`{"version":"abc","email_verified":"yes","score":"1.","first_name":{"b":"x"}}`},
		{"shape mismatches", userType,
			`<user><tags><tag><name>a</name></tag></tags><phone>555</phone><settings><item>a</item></settings></user>`,
			`{"tags":{"tag":{"name":"a"}},"phone":"555","settings":{"item":"a"}}`},
		{"unknown elements pass through", userType,
			`<user><admin>true</admin><phone><area>20</area></phone><Secret>s</Secret></user>`,
			`{"admin":"true","phone":{"area":"20"},"Secret":"s"}`},
		{"embedded, string option, time, bytes", userType,
			`<user><id>42</id><created_at>2024-05-06T07:08:09Z</created_at><avatar>aGk=</avatar></user>`,
			`{"id":"42","created_at":"2024-05-06T07:08:09Z","avatar":"aGk="}`},
		{"case-insensitive field match", userType,
			`<user><First_Name>A</First_Name><VERSION>2</VERSION></user>`,
			`{"First_Name":"A","VERSION":2}`},
		{"namespaces, attributes, comments, CDATA, PIs", userType,
			header + `<?roster x?><!-- c --><problem xmlns="urn:ietf:rfc:7807" lang="en"><first_name a="b">` +
				`<![CDATA[<&>]]>&amp;&#x41;<!-- c --></first_name></problem><!-- c -->` + "\n",
			`{"first_name":"\u003c\u0026\u003e\u0026A"}`},
		{"carriage returns", userType, "<u><first_name>a\r\nb&#xD;c</first_name></u>", `{"first_name":"a\nb\rc"}`},
		{"free-form root", anyType, `<x><item>1</item><item/></x>`, `["1",""]`},
		{"nil type", nil, `<x><a><b>c</b></a></x>`, `{"a":{"b":"c"}}`},
		{"pointer type", reflect.TypeFor[*[]int](), `<list><item>1</item><item>x</item></list>`, `[1,"x"]`},
		{"map of ints", reflect.TypeFor[map[string]int](), `<m><a>1</a><entry key="b c">2</entry></m>`, `{"a":1,"b c":2}`},
		{"array", reflect.TypeFor[[2]bool](), `<a><item>true</item><item>false</item></a>`, `[true,false]`},
		{"text root for struct", userType, `<user>hello</user>`, `"hello"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode(strings.NewReader(tt.in), tt.typ)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestDecodeThenUnmarshal checks that mistakes in the XML surface as errors
// of the JSON decoder that Roster runs on Decode's output.
func TestDecodeThenUnmarshal(t *testing.T) {
	tests := []struct {
		in, wantErr string
	}{
		{`<user><first_name>Ada</first_name><id>7</id><avatar>aGk=</avatar></user>`, ""},
		{`<user><admin>true</admin></user>`, `unknown field "admin"`},
		{`<user><phone><area>1</area></phone></user>`, `unknown field "area"`},
		{`<user><version>abc</version></user>`, "cannot unmarshal string into Go struct field testUser.version of type int"},
		{`<user><email_verified>1</email_verified></user>`, "cannot unmarshal string"},
		{`<user><tags><tag/></tags></user>`, "cannot unmarshal object"},
		{`<user><id>x</id></user>`, "invalid use of ,string"},
	}
	for _, tt := range tests {
		doc, err := Decode(strings.NewReader(tt.in), userType)
		if err != nil {
			t.Fatalf("Decode(%s): %v", tt.in, err)
		}
		dec := json.NewDecoder(bytes.NewReader(doc))
		dec.DisallowUnknownFields()
		var u testUser
		err = dec.Decode(&u)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tt.in, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%s: got error %v, want %q", tt.in, err, tt.wantErr)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	deep := strings.Repeat("<a>", MaxDepth+1) + strings.Repeat("</a>", MaxDepth+1)
	ok := strings.Repeat("<a>", MaxDepth) + strings.Repeat("</a>", MaxDepth)
	if _, err := Decode(strings.NewReader(ok), nil); err != nil {
		t.Fatalf("depth %d: %v", MaxDepth, err)
	}
	many := "<a>" + strings.Repeat("<b/>", MaxElements) + "</a>"
	tests := []struct {
		name, in string
		line     int
		limit    bool
	}{
		{"empty", "", 1, false},
		{"only a declaration", header, 2, false},
		{"unclosed", "<user>\n<first_name>a</first_name>\n", 3, false},
		{"mismatched", "<user>\n<a></b></user>", 2, false},
		{"bad attribute", `<user a=b></user>`, 1, false},
		{"doctype", `<!DOCTYPE user><user/>`, 1, false},
		{"internal entity", "<?xml version=\"1.0\"?>\n<!DOCTYPE u [<!ENTITY e \"x\">]><u>&e;</u>", 2, false},
		{"external entity", `<!DOCTYPE u [<!ENTITY e SYSTEM "file:///etc/passwd">]><u>&e;</u>`, 1, false},
		{"undefined entity", `<u>&nbsp;</u>`, 1, false},
		{"second root", `<a/><b/>`, 1, false},
		{"text before root", `x<a/>`, 1, false},
		{"text after root", "<a/>\nx", 2, false},
		{"mixed content", "<u><first_name>a<b/></first_name></u>", 1, false},
		{"invalid UTF-8", "<u>\xff</u>", 1, false},
		{"control character", "<u>\x01</u>", 1, false},
		{"charref to NUL", "<u>&#0;</u>", 1, false},
		{"unsupported encoding", `<?xml version="1.0" encoding="ISO-8859-1"?><u/>`, 1, false},
		{"unsupported version", `<?xml version="1.1"?><u/>`, 1, false},
		{"too deep", deep, 1, true},
		{"too many elements", many, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Decode(strings.NewReader(tt.in), userType)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("got %s, %v; want a *SyntaxError", out, err)
			}
			if se.Line != tt.line {
				t.Errorf("%v: line %d, want %d", err, se.Line, tt.line)
			}
			if errors.Is(err, ErrLimit) != tt.limit {
				t.Errorf("%v: errors.Is(err, ErrLimit) = %v", err, !tt.limit)
			}
		})
	}
}

// failingReader returns some XML and then an error.
type failingReader struct{ r io.Reader }

var errBodyTooLarge = errors.New("body too large")

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		err = errBodyTooLarge
	}
	return n, err
}

func TestDecodeReadError(t *testing.T) {
	_, err := Decode(&failingReader{strings.NewReader("<user><first_name>a")}, userType)
	var se *SyntaxError
	if !errors.Is(err, errBodyTooLarge) || errors.As(err, &se) {
		t.Errorf("got %v; want the reader's error, not a *SyntaxError", err)
	}
}

func TestSyntaxErrorMessage(t *testing.T) {
	_, err := Decode(strings.NewReader("<user>\n<a>\n</b>"), nil)
	want := "XML syntax error on line 3: element <a> closed by </b>"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

// TestRoundTrip checks Decode(Encode(o)) == o for objects shaped like
// testUser, hand-picked and random.
func TestRoundTrip(t *testing.T) {
	docs := []string{
		`{}`,
		`{"first_name":"","tags":[],"settings":{},"phone":{},"_links":{"self":{"href":"/u/1"}}}`,
		`{"id":"12","created_at":"2024-01-02T03:04:05.123Z","avatar":"AAEC/w==","score":1e-7,"version":-3}`,
		`{"settings":{"item":"a","entry":"b","":"c","x":["d",["e"],{"item":"f"}],"my key":{"1abc":"g"}}}`,
		`{"first_name":"\r\n \t <&> ]]> \u2028 😀 \ufffd","tags":[{"name":" ","color":"\n"}]}`,
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 500 {
		b, err := json.Marshal(randomUser(r))
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, string(b))
	}
	for _, doc := range docs {
		var buf bytes.Buffer
		if err := Encode(&buf, "user", "", []byte(doc)); err != nil {
			t.Fatalf("Encode(%s): %v", doc, err)
		}
		out, err := Decode(&buf, userType)
		if err != nil {
			t.Fatalf("Decode(Encode(%s)): %v", doc, err)
		}
		if !sameJSON(t, out, []byte(doc)) {
			t.Errorf("round trip of %s\ngave        %s", doc, out)
		}
		dec := json.NewDecoder(bytes.NewReader(out))
		dec.DisallowUnknownFields()
		if err := dec.Decode(new(testUser)); err != nil {
			t.Errorf("decoding %s: %v", out, err)
		}
	}
}

// TestRoundTripFreeForm shows the documented loss in free-form parts.
func TestRoundTripFreeForm(t *testing.T) {
	var buf bytes.Buffer
	in := `{"settings":{"n":3,"b":true,"o":{},"a":[],"s":[1,"x",null]}}`
	if err := Encode(&buf, "user", "", []byte(in)); err != nil {
		t.Fatal(err)
	}
	out, err := Decode(&buf, userType)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"settings":{"n":"3","b":"true","o":"","a":"","s":["1","x"]}}`
	if string(out) != want {
		t.Errorf("got %s, want %s", out, want)
	}
}

var (
	oddStrings = []string{"", " ", "a", "Zoë", "日本", "😀", "<", "&", ">", "]]>", `"`, "'", "\r", "\n", "\t", "\r\n", "\u2028", "item", "entry", "x y", "1", "-"}
	oddKeys    = append([]string{"theme", "_links", "a.b", "a-b", "a:b", "xmlns", "XML", "1abc", "my key"}, oddStrings...)
)

func randomString(r *rand.Rand, from []string) string {
	var b strings.Builder
	for range r.IntN(4) {
		b.WriteString(from[r.IntN(len(from))])
	}
	return b.String()
}

// randomUser returns a random object shaped like testUser whose free-form
// settings hold only strings and non-empty containers.
func randomUser(r *rand.Rand) map[string]any {
	u := map[string]any{}
	maybe := func(key string, v func() any) {
		if r.IntN(2) == 0 {
			u[key] = v()
		}
	}
	maybe("first_name", func() any { return randomString(r, oddStrings) })
	maybe("tags", func() any {
		tags := []any{}
		for range r.IntN(3) {
			tags = append(tags, map[string]any{"name": randomString(r, oddStrings), "color": randomString(r, oddStrings)})
		}
		return tags
	})
	maybe("settings", func() any { return randomObject(r, 3) })
	maybe("phone", func() any { return map[string]any{"country": "NL", "number": randomString(r, oddStrings)} })
	maybe("version", func() any { return r.IntN(2000) - 1000 })
	maybe("email_verified", func() any { return r.IntN(2) == 0 })
	maybe("score", func() any { return r.NormFloat64() * 1e6 })
	maybe("avatar", func() any { return []byte(randomString(r, oddStrings)) })
	maybe("id", func() any { return strconv.Itoa(r.IntN(1e6)) })
	return u
}

func randomObject(r *rand.Rand, depth int) map[string]any {
	m := map[string]any{}
	for range 1 + r.IntN(3) {
		m[randomString(r, oddKeys)] = randomFreeForm(r, depth-1)
	}
	return m
}

func randomFreeForm(r *rand.Rand, depth int) any {
	switch r.IntN(3) {
	case 0:
		if depth > 0 {
			return randomObject(r, depth)
		}
	case 1:
		if depth > 0 {
			var a []any
			for range 1 + r.IntN(3) {
				a = append(a, randomFreeForm(r, depth-1))
			}
			return a
		}
	}
	return randomString(r, oddStrings)
}

// sameJSON reports whether a and b hold the same JSON value.
func sameJSON(t testing.TB, a, b []byte) bool {
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return reflect.DeepEqual(va, vb)
}

func FuzzDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, typ := range []reflect.Type{userType, anyType} {
			out, err := Decode(bytes.NewReader(data), typ)
			var se *SyntaxError
			switch {
			case err != nil && !errors.As(err, &se):
				t.Fatalf("Decode(%q): %v is not a *SyntaxError", data, err)
			case err == nil && !json.Valid(out):
				t.Fatalf("Decode(%q) = %q, not valid JSON", data, out)
			}
		}
	})
}

func FuzzEncodeDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, doc []byte) {
		var buf bytes.Buffer
		err := Encode(&buf, "root", "urn:x", doc)
		if err != nil {
			if buf.Len() > 0 {
				t.Fatalf("Encode(%q) wrote %q despite %v", doc, buf.Bytes(), err)
			}
			if json.Valid(doc) && !errors.Is(err, ErrInvalidChar) {
				t.Fatalf("Encode(%q) failed for valid JSON: %v", doc, err)
			}
			return
		}
		if !json.Valid(doc) {
			t.Fatalf("Encode(%q) accepted invalid JSON", doc)
		}
		xml := buf.String()
		out, err := Decode(&buf, nil)
		if errors.Is(err, ErrLimit) {
			return
		} else if err != nil {
			t.Fatalf("Decode(%q) of Encode(%q): %v", xml, doc, err)
		}
		v := freeForm(json.NewDecoder(bytes.NewReader(doc)))
		if v == nil {
			v = "" // A null document is an empty root.
		}
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if !sameJSON(t, out, want) {
			t.Fatalf("Encode(%q) = %q, decoded as %s, want %s", doc, xml, out, want)
		}
	})
}

// freeForm returns the next JSON value of dec as the documentation says it
// comes back from Encode and Decode without a Go type: nulls dropped, scalars
// as strings, empty objects and arrays as "".
func freeForm(dec *json.Decoder) any {
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		panic(err)
	}
	switch tok := tok.(type) {
	case json.Delim:
		var m map[string]any
		var a []any
		for dec.More() {
			if tok == '{' {
				key, _ := dec.Token()
				if v := freeForm(dec); v != nil {
					if m == nil {
						m = map[string]any{}
					}
					m[key.(string)] = v // The last wins, as in encoding/json.
				}
			} else if v := freeForm(dec); v != nil {
				a = append(a, v)
			}
		}
		dec.Token()
		switch {
		case len(m) > 0:
			return m
		case len(a) > 0:
			return a
		}
		return ""
	case nil:
		return nil
	default:
		return fmt.Sprint(tok)
	}
}

func TestEncodeReplacing(t *testing.T) {
	doc := []byte(`{"name": "a\u0000b", "k\u0001y": ["\uFFFE", "tab\t"]}`)
	if err := Encode(io.Discard, "user", "", doc); !errors.Is(err, ErrInvalidChar) {
		t.Fatalf("Encode: %v, want ErrInvalidChar", err)
	}
	var buf bytes.Buffer
	if err := EncodeReplacing(&buf, "user", "", doc); err != nil {
		t.Fatal(err)
	}
	out, err := Decode(bytes.NewReader(buf.Bytes()), nil)
	if err != nil {
		t.Fatalf("Decode(%s): %v", buf.Bytes(), err)
	}
	if want := `{"name":"a\ufffdb","k\ufffdy":["\ufffd","tab\t"]}`; !sameJSON(t, out, []byte(want)) {
		t.Fatalf("got %s, want %s", out, want)
	}
}

// FuzzEncodeReplacing checks that EncodeReplacing never fails for valid
// JSON, whatever characters it holds, and always writes XML that Decode
// reads back.
func FuzzEncodeReplacing(f *testing.F) {
	for _, s := range []string{`{"a": "b\u0000"}`, `["\uffff", {"\u0001": 1}]`, `"x"`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		var buf bytes.Buffer
		err := EncodeReplacing(&buf, "root", "", doc)
		if json.Valid(doc) != (err == nil) {
			t.Fatalf("EncodeReplacing(%q): %v", doc, err)
		}
		if err != nil {
			return
		}
		if _, err := Decode(&buf, nil); err != nil && !errors.Is(err, ErrLimit) {
			t.Fatalf("Decode of EncodeReplacing(%q): %v", doc, err)
		}
	})
}
