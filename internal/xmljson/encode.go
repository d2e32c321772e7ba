// SPDX-License-Identifier: Apache-2.0

package xmljson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrInvalidChar is wrapped by the error Encode returns when a JSON string or
// key contains a character that XML 1.0 cannot represent.
var ErrInvalidChar = errors.New("xmljson: character not allowed in XML 1.0")

// Encode writes the JSON document doc to w as XML with the root element root,
// which carries xmlns="namespace" when namespace is not empty. The mapping is
// described in the package documentation. Encode writes nothing to w when it
// returns an error for the document: invalid JSON, an invalid root name, or a
// character XML cannot carry (wrapping ErrInvalidChar).
func Encode(w io.Writer, root, namespace string, doc []byte) error {
	return encode(w, root, namespace, doc, false)
}

// EncodeReplacing is Encode for documents that must be answered whatever
// they hold: a character that XML 1.0 cannot carry is written as U+FFFD
// (the replacement character) instead of failing. It fails only for
// invalid JSON or an invalid root name.
func EncodeReplacing(w io.Writer, root, namespace string, doc []byte) error {
	return encode(w, root, namespace, doc, true)
}

func encode(w io.Writer, root, namespace string, doc []byte, replace bool) error {
	if !nameRE.MatchString(root) {
		return fmt.Errorf("xmljson: root %q is not a valid XML element name", root)
	}
	e := &encoder{dec: json.NewDecoder(bytes.NewReader(doc)), replace: replace}
	e.dec.UseNumber()
	tok, err := e.dec.Token()
	if err == io.EOF {
		return errors.New("xmljson: empty JSON document")
	} else if err != nil {
		return fmt.Errorf("xmljson: invalid JSON: %w", err)
	}
	e.buf.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	attr := ""
	if namespace != "" {
		attr = "xmlns"
	}
	if err := e.start(root, attr, namespace); err != nil {
		return err
	}
	if err := e.content(tok); err != nil {
		return err
	}
	e.buf.WriteString("</" + root + ">\n")
	if _, err := e.dec.Token(); err != io.EOF {
		if err == nil {
			err = errors.New("more than one top-level value")
		}
		return fmt.Errorf("xmljson: invalid JSON: %w", err)
	}
	_, err = e.buf.WriteTo(w)
	return err
}

// An encoder converts the token stream of dec into XML, buffered in buf so
// that nothing reaches the writer when the document turns out unusable.
type encoder struct {
	dec     *json.Decoder
	buf     bytes.Buffer
	replace bool // write U+FFFD for characters XML cannot carry
}

// token returns the next JSON token, treating the end of input as an error
// because the caller expects more.
func (e *encoder) token() (json.Token, error) {
	tok, err := e.dec.Token()
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return nil, fmt.Errorf("xmljson: invalid JSON: %w", err)
	}
	return tok, nil
}

// content writes the value that starts with tok as the content of an element.
func (e *encoder) content(tok json.Token) error {
	switch v := tok.(type) {
	case json.Delim:
		isObject := v == '{'
		for e.dec.More() {
			key := ""
			if isObject {
				k, err := e.token()
				if err != nil {
					return err
				}
				key, _ = k.(string)
			}
			if err := e.member(key, !isObject); err != nil {
				return err
			}
		}
		_, err := e.token() // The closing delimiter, checked by the decoder.
		return err
	case string:
		return e.escape(v, textEscaper)
	case json.Number:
		e.buf.WriteString(v.String())
	case bool:
		e.buf.WriteString(strconv.FormatBool(v))
	}
	return nil
}

// member writes the next value as an <item> element of an array, or as the
// element for key in an object, unless the value is null.
func (e *encoder) member(key string, item bool) error {
	tok, err := e.token()
	if err != nil || tok == nil {
		return err
	}
	name, attr := key, ""
	if item {
		name = "item"
	} else if !plainKey(key) {
		name, attr = "entry", "key"
	}
	if err := e.start(name, attr, key); err != nil {
		return err
	}
	if err := e.content(tok); err != nil {
		return err
	}
	e.buf.WriteString("</" + name + ">")
	return nil
}

// start writes a start tag, with the attribute attr="val" unless attr is empty.
func (e *encoder) start(name, attr, val string) error {
	e.buf.WriteString("<" + name)
	if attr != "" {
		e.buf.WriteString(" " + attr + `="`)
		if err := e.escape(val, attrEscaper); err != nil {
			return err
		}
		e.buf.WriteByte('"')
	}
	e.buf.WriteByte('>')
	return nil
}

var (
	textEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\r", "&#xD;")
	attrEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\r", "&#xD;",
		`"`, "&quot;", "\n", "&#xA;", "\t", "&#x9;")
)

// escape writes s with esc, failing on characters that XML 1.0 cannot
// carry, or replacing them with U+FFFD.
func (e *encoder) escape(s string, esc *strings.Replacer) error {
	if i := strings.IndexFunc(s, notXMLChar); i >= 0 {
		if !e.replace {
			r, _ := utf8.DecodeRuneInString(s[i:])
			return fmt.Errorf("%w: %U", ErrInvalidChar, r)
		}
		s = strings.Map(func(r rune) rune {
			if notXMLChar(r) {
				return utf8.RuneError
			}
			return r
		}, s)
	}
	_, err := esc.WriteString(&e.buf, s)
	return err
}

// notXMLChar reports whether XML 1.0 cannot carry r, not even as a
// character reference.
func notXMLChar(r rune) bool {
	return r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF
}

// nameRE matches the ASCII XML names without a colon.
var nameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)

// plainKey reports whether the object key can be written as an element name
// without being mistaken for an array item or a reserved name.
func plainKey(key string) bool {
	return nameRE.MatchString(key) && key != "item" && !strings.HasPrefix(strings.ToLower(key), "xml")
}
