// SPDX-License-Identifier: Apache-2.0

// Package xmljson transcribes Roster's canonical JSON documents to XML and
// back, so that the HTTP API speaks application/xml as faithfully as JSON.
//
// [Encode] writes a JSON document under a root element named after the
// resource. An object becomes one child element per member, in the order of
// the JSON text; an array becomes repeated <item> children; a null member or
// array item is omitted (a null document is an empty root); a string is
// escaped text, a number appears as written, a boolean as true or false.
//
// A key becomes an element name only when it matches [A-Za-z_][A-Za-z0-9_.-]*,
// does not start with "xml" in any letter case, and is not "item". Any other
// key ("my key", "1abc", "", "a:b", "prénom", "item") is written as
// <entry key="…">…</entry>. [Decode] reads an <entry> with a key attribute as
// that key, so the scheme round-trips; an <entry> without one is the key
// "entry".
//
// XML 1.0 cannot carry U+0000 to U+001F other than tab, line feed and
// carriage return, nor U+FFFE and U+FFFF, not even as character references.
// Encode refuses such documents with an error wrapping [ErrInvalidChar] and
// writes nothing, so the caller can still answer in JSON or with 406. A
// carriage return is written as &#xD; so XML parsers keep it.
//
// [Decode] turns a request body into JSON guided by the Go type the JSON is
// meant for, ignoring the root's name and all attributes but an entry's key.
// A struct or map becomes an object (an empty element is {}), a slice or
// array of <item> elements an array (an empty element is []), a []byte a
// base64 string, and string, bool and number kinds a JSON string, boolean or
// number. Struct fields are matched by json tag as encoding/json matches
// them, embedded structs and the ",string" option included. XML that does not
// fit the type still becomes JSON, and json.Unmarshal complains: text that
// does not parse as a boolean or number becomes a string, hence a type error,
// and an unknown element passes through as a key, hence an unknown field for
// a decoder using DisallowUnknownFields. Decode fails only with a
// [*SyntaxError], for malformed XML, a DOCTYPE, text outside the root, an
// element mixing text and child elements, or more than [MaxDepth] levels or
// [MaxElements] elements; or with the error of r, which callers should bound
// with http.MaxBytesReader.
//
// Where the type does not tell the shape (any, json.RawMessage, values of
// map[string]any, unknown fields, and non-struct types implementing
// json.Unmarshaler or encoding.TextUnmarshaler), Decode infers it: an element
// whose children are all <item> elements is an array, one with other children
// an object, and one without children a string, "" if it is empty. XML text
// carries no type, so the round trip through Encode and Decode is exact where
// the Go type fixes the shape but lossy in free-form parts: numbers and
// booleans come back as strings (3 as "3"), and empty objects and arrays as "".
package xmljson
