// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
)

// Go's HTTP server answers some requests itself, before any handler runs,
// and in plain text: a request line it cannot parse (a path with a bad
// %-escape such as /v1/users/%zz), headers over MaxHeaderBytes (431), a
// missing Host header, an unsupported Transfer-Encoding. net/http has no
// hook for these, so WrapListener wraps each connection and rewrites
// exactly those answers into problem documents as they are written. They
// are recognisable without doubt: net/http writes each in one Write
// directly to the connection, as a status line followed by exactly
// serverErrorHeaders, which no answer of a handler has (those carry a
// Date header, and sort Connection before Content-Type).

// serverErrorHeaders are the headers of net/http's own error answers.
const serverErrorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

// WrapListener returns a listener whose connections turn net/http's own
// plain-text error answers into application/problem+json.
func WrapListener(l net.Listener) net.Listener { return problemListener{l} }

type problemListener struct{ net.Listener }

func (l problemListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &problemConn{Conn: c}, nil
}

// problemConn is a connection whose server-written errors are rewritten.
type problemConn struct{ net.Conn }

func (c *problemConn) Write(b []byte) (int, error) {
	if out, ok := rewriteServerError(b); ok {
		if _, err := c.Conn.Write(out); err != nil {
			return 0, err
		}
		return len(b), nil
	}
	return c.Conn.Write(b)
}

// CloseWrite lets net/http half-close the connection after an error
// answer, as it does on a plain TCP connection.
func (c *problemConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// rewriteServerError turns one of net/http's own error answers into a
// problem document; ok is false for anything else.
func rewriteServerError(b []byte) ([]byte, bool) {
	const prefix = "HTTP/1.1 "
	if !bytes.HasPrefix(b, []byte(prefix)) {
		return nil, false
	}
	i := bytes.Index(b, []byte(serverErrorHeaders))
	if i < 0 || bytes.IndexByte(b[:i], '\n') >= 0 || i < len(prefix)+3 {
		return nil, false
	}
	code, err := strconv.Atoi(string(b[len(prefix) : len(prefix)+3]))
	if err != nil || code < 400 || code > 599 {
		return nil, false
	}
	// The body repeats the status line, with net/http's reason after a
	// colon when it gives one.
	body := string(b[i+len(serverErrorHeaders):])
	reason := ""
	if _, r, ok := bytes.Cut([]byte(body), []byte(": ")); ok {
		reason = string(r)
	}
	p := problem{Type: problemTypeBase + "malformed", Title: http.StatusText(code), Status: code, RequestID: newRequestID()}
	switch {
	case code == http.StatusRequestHeaderFieldsTooLarge:
		p.Type = problemTypeBase + "too_large"
		p.Detail = "the request's headers are too large (at most " + strconv.Itoa(MaxHeaderBytes>>10) + " KiB): send fewer or smaller headers"
	case code == http.StatusNotImplemented:
		p.Type = problemTypeBase + "not_implemented"
		p.Detail = "the request uses a Transfer-Encoding this server does not support: send the body with Content-Length or chunked"
	case reason != "":
		p.Detail = "the request could not be read: " + reason
	default:
		p.Detail = "the request line could not be parsed: check the method, the HTTP version and the path (a % in a path must start an escape such as %2F; send a literal % as %25)"
	}
	j, _ := json.Marshal(p)
	var out bytes.Buffer
	out.WriteString(prefix + strconv.Itoa(code) + " " + http.StatusText(code) + "\r\n")
	out.WriteString("Content-Type: application/problem+json\r\n")
	out.WriteString("Content-Length: " + strconv.Itoa(len(j)) + "\r\n")
	out.WriteString("X-Request-Id: " + p.RequestID + "\r\n")
	out.WriteString("Connection: close\r\n\r\n")
	out.Write(j)
	return out.Bytes(), true
}

// MaxHeaderBytes is the most request header bytes the server reads; a
// larger request is answered 431 (net/http allows 4 KiB of slack).
const MaxHeaderBytes = 64 << 10
