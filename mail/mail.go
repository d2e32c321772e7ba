// SPDX-License-Identifier: Apache-2.0

// Package mail sends the outbox: a dispatcher claims due mails from the
// store, hands each to a Sender and records the outcome, retrying with
// back-off until a mail is sent or, after MaxAge, abandoned. A mail is
// claimed with a lease, so a node that dies mid-send leaves it to be sent
// again (at least once, never lost), and several nodes share one outbox.
package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/rosterhq/roster"
)

// Sender delivers one mail.
type Sender interface {
	Send(ctx context.Context, m *roster.Mail) error
}

// Dispatcher sends the outbox.
type Dispatcher struct {
	Store  roster.Store
	Sender Sender
	Log    *slog.Logger
	// Poll is how often the outbox is read; MaxAge how long a mail is
	// retried before it is abandoned.
	Poll   time.Duration
	MaxAge time.Duration
	// Open, when set, decrypts a claimed mail's sealed body before it is
	// sent (service.OpenMail); a mail that does not open counts as a
	// failed attempt.
	Open func(*roster.Mail) error
}

const (
	lease    = 2 * time.Minute // longer than one send may take
	batch    = 20
	maxDelay = time.Hour
)

// Run sends until ctx ends.
func (d *Dispatcher) Run(ctx context.Context) {
	t := time.NewTicker(d.Poll)
	defer t.Stop()
	for {
		for d.Once(ctx) == batch {
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Once sends one batch of due mails and returns how many it claimed.
func (d *Dispatcher) Once(ctx context.Context) int {
	var claimed []*roster.Mail
	err := d.Store.Update(ctx, func(tx roster.Tx) (err error) {
		claimed, err = tx.ClaimMail(tx.Now(), lease, batch)
		return err
	})
	if err != nil {
		if ctx.Err() == nil {
			d.Log.Warn("mail outbox: claim", "error", err)
		}
		return 0
	}
	for _, m := range claimed {
		d.send(ctx, m)
	}
	return len(claimed)
}

// backoff is the wait before attempt n+1: 5 s doubling up to an hour.
func backoff(attempts int) time.Duration {
	d := 5 * time.Second
	for i := 1; i < attempts && d < maxDelay; i++ {
		d *= 2
	}
	return min(d, maxDelay)
}

func (d *Dispatcher) send(ctx context.Context, m *roster.Mail) {
	var err error
	switch {
	case d.Open != nil:
		err = d.Open(m)
	case len(m.Sealed) > 0:
		err = errors.New("the mail's body is sealed and this dispatcher cannot open it")
	}
	if err == nil {
		sendCtx, cancel := context.WithTimeout(ctx, time.Minute)
		err = d.Sender.Send(sendCtx, m)
		cancel()
	}
	status, next, last := roster.MailSent, time.Now(), ""
	if err != nil {
		last = err.Error()
		status, next = roster.MailQueued, time.Now().Add(backoff(m.Attempts))
		if time.Since(m.CreatedAt) > d.MaxAge {
			status = roster.MailAbandoned
		}
		d.Log.Warn("mail not sent", "mail_id", m.ID, "kind", m.Kind, "attempt", m.Attempts, "status", status, "error", err)
	} else {
		d.Log.Info("mail sent", "mail_id", m.ID, "kind", m.Kind, "attempt", m.Attempts)
	}
	// The outcome is recorded even when ctx ended meanwhile.
	fin := context.WithoutCancel(ctx)
	if err := d.Store.Update(fin, func(tx roster.Tx) error { return tx.FinishMail(m.ID, status, next, last) }); err != nil {
		d.Log.Warn("mail outbox: record the outcome", "mail_id", m.ID, "error", err)
	}
}

// LogSender writes mails to the log instead of sending them: for
// development, when no SMTP server is configured. Links and codes in the
// mails are then in the log, which is why it is not for production.
type LogSender struct{ Log *slog.Logger }

// Send logs the mail's text.
func (l LogSender) Send(_ context.Context, m *roster.Mail) error {
	l.Log.Info("mail (no --smtp-url: written to the log, development only)", "mail_id", m.ID, "to", m.To, "from", m.From, "subject", m.Subject, "text", m.Text)
	return nil
}

// SMTPSender sends through an SMTP server with go-mail.
type SMTPSender struct {
	client *gomail.Client
	from   string
}

// NewSMTPSender reads an smtp:// (STARTTLS when the server offers it) or
// smtps:// (TLS) URL with optional user:password and makes a sender.
// from is the sender when a mail names none.
func NewSMTPSender(rawURL, from string) (*SMTPSender, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		return nil, errors.New("--smtp-url must look like smtp://host:port or smtps://user:password@host:port")
	}
	port := 25
	if u.Scheme == "smtps" {
		port = 465
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return nil, fmt.Errorf("--smtp-url port: %w", err)
		}
	}
	opts := []gomail.Option{gomail.WithPort(port), gomail.WithTimeout(30 * time.Second)}
	if u.Scheme == "smtps" {
		opts = append(opts, gomail.WithSSL())
	} else {
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if u.User != nil {
		pw, _ := u.User.Password()
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(u.User.Username()), gomail.WithPassword(pw))
	}
	c, err := gomail.NewClient(u.Hostname(), opts...)
	if err != nil {
		return nil, err
	}
	return &SMTPSender{client: c, from: from}, nil
}

// Send sends one mail as text with an HTML alternative.
func (s *SMTPSender) Send(ctx context.Context, m *roster.Mail) error {
	msg := gomail.NewMsg()
	from := m.From
	if from == "" {
		from = s.from
	}
	if err := msg.From(from); err != nil {
		return fmt.Errorf("sender %q: %w", from, err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("recipient: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(m.ID + "@roster")
	msg.SetDate()
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	err := s.client.DialAndSendWithContext(ctx, msg)
	var ne net.Error
	if errors.As(err, &ne) {
		return fmt.Errorf("the SMTP server cannot be reached: %w", err)
	}
	return err
}

// ValidFrom reports whether a default sender address parses.
func ValidFrom(from string) error {
	if err := gomail.NewMsg().From(from); err != nil || strings.TrimSpace(from) == "" {
		return fmt.Errorf("--mail-from %q is not an address", from)
	}
	return nil
}
