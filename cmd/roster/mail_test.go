// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// smtpSink is a real SMTP server on loopback that keeps every mail it
// receives. failFirst makes it refuse that many mails (a temporary 451)
// before it accepts any.
type smtpSink struct {
	addr string

	mu        sync.Mutex
	mails     []sunkMail
	failFirst int
}

// sunkMail is a received mail: envelope, headers and decoded parts.
type sunkMail struct {
	From, To, Subject, HeaderFrom string
	Text, HTML                    string
}

func startSMTP(t *testing.T) *smtpSink {
	t.Helper()
	sink := &smtpSink{}
	srv := smtp.NewServer(sink)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sink.addr = ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return sink
}

func (k *smtpSink) NewSession(*smtp.Conn) (smtp.Session, error) { return &sinkSession{sink: k}, nil }

type sinkSession struct {
	sink     *smtpSink
	from, to string
}

func (s *sinkSession) Reset()        {}
func (s *sinkSession) Logout() error { return nil }
func (s *sinkSession) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}
func (s *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = to
	return nil
}
func (s *sinkSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.sink.mu.Lock()
	defer s.sink.mu.Unlock()
	if s.sink.failFirst > 0 {
		s.sink.failFirst--
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	m, err := parseMail(raw)
	if err != nil {
		return err
	}
	m.From, m.To = s.from, s.to
	s.sink.mails = append(s.sink.mails, m)
	return nil
}

// parseMail reads the subject and the text and HTML parts of a mail.
func parseMail(raw []byte) (sunkMail, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return sunkMail{}, err
	}
	dec := new(mime.WordDecoder)
	subj, _ := dec.DecodeHeader(msg.Header.Get("Subject"))
	out := sunkMail{Subject: subj, HeaderFrom: msg.Header.Get("From")}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return out, err
	}
	if !strings.HasPrefix(mt, "multipart/") {
		return out, errors.New("not a multipart mail: " + mt)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return out, nil
		} else if err != nil {
			return out, err
		}
		var body io.Reader = p
		if p.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
			body = quotedprintable.NewReader(p) // multipart already decodes it when it can; this is harmless otherwise
		}
		b, _ := io.ReadAll(body)
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		switch ct {
		case "text/plain":
			out.Text = string(b)
		case "text/html":
			out.HTML = string(b)
		}
	}
}

// wait returns the first mail to an address that arrives within 20 s.
func (k *smtpSink) wait(t *testing.T, to string) sunkMail {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		k.mu.Lock()
		for _, m := range k.mails {
			if strings.EqualFold(m.To, to) {
				k.mu.Unlock()
				return m
			}
		}
		k.mu.Unlock()
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no mail to %s arrived", to)
	return sunkMail{}
}

// count returns how many mails went to an address.
func (k *smtpSink) count(to string) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	n := 0
	for _, m := range k.mails {
		if strings.EqualFold(m.To, to) {
			n++
		}
	}
	return n
}

var (
	linkRE = regexp.MustCompile(`https?://\S+`)
	codeRE = regexp.MustCompile(`(?m)^\s+(\d{6})\s*$`)
)

// linkParam returns a query parameter of the first link in a mail's text.
func linkParam(t *testing.T, m sunkMail, name string) string {
	t.Helper()
	l := linkRE.FindString(m.Text)
	u, err := url.Parse(l)
	if err != nil || u.Query().Get(name) == "" {
		t.Fatalf("no link with %s in the mail: %q", name, m.Text)
	}
	return u.Query().Get(name)
}

// mailCode returns the 6-digit code in a mail's text.
func mailCode(t *testing.T, m sunkMail) string {
	t.Helper()
	c := codeRE.FindStringSubmatch(m.Text)
	if c == nil {
		t.Fatalf("no code in the mail: %q", m.Text)
	}
	return c[1]
}
