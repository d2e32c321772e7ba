// SPDX-License-Identifier: Apache-2.0

package service

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	htmltemplate "html/template"
	"net/mail"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/seal"
)

// Mails are composed here, from a plain-text and an HTML template each,
// with the organisation's white-label sender and logo where set (its own
// or its nearest ancestor's), and put in the outbox in the transaction of
// the change that causes them.

// mailTemplate is one kind of mail.
type mailTemplate struct {
	subject string
	text    *texttemplate.Template
	html    *htmltemplate.Template
}

func newMailTemplate(subject, text, body string) mailTemplate {
	const frame = `<!doctype html><html><body style="font-family:sans-serif">` +
		`{{if .LogoURL}}<p><img src="{{.LogoURL}}" alt="{{.OrgName}}" style="max-height:48px"></p>{{end}}%s</body></html>`
	return mailTemplate{subject: subject, text: texttemplate.Must(texttemplate.New("t").Parse(text)),
		html: htmltemplate.Must(htmltemplate.New("h").Parse(strings.Replace(frame, "%s", body, 1)))}
}

var mailTemplates = map[string]mailTemplate{
	"invite": newMailTemplate("Your {{.OrgName}} account",
		`Hello {{.Name}},

An account was made for you at {{.OrgName}} with the username {{.Username}}.
Choose your password here:

{{.Link}}

The link works once and until {{.Expires}}.
`,
		`<p>Hello {{.Name}},</p><p>An account was made for you at {{.OrgName}} with the username <b>{{.Username}}</b>.</p>`+
			`<p><a href="{{.Link}}">Choose your password</a></p><p>The link works once and until {{.Expires}}.</p>`),
	"email_change": newMailTemplate("Confirm your new email address",
		`Hello {{.Name}},

To make {{.Email}} the email address of your {{.OrgName}} account, enter this code:

    {{.Code}}

or open this link:

{{.Link}}

Both work until {{.Expires}}. If you did not ask for this, ignore this mail: nothing changes.
`,
		`<p>Hello {{.Name}},</p><p>To make {{.Email}} the email address of your {{.OrgName}} account, enter this code:</p>`+
			`<p style="font-size:24px;letter-spacing:4px"><b>{{.Code}}</b></p><p>or <a href="{{.Link}}">confirm with this link</a>.</p>`+
			`<p>Both work until {{.Expires}}. If you did not ask for this, ignore this mail: nothing changes.</p>`),
	"email_changed": newMailTemplate("Your email address was changed",
		`Hello {{.Name}},

The email address of your {{.OrgName}} account was changed from this address to {{.Email}}.
If you did not do this, contact your administrator at once.
`,
		`<p>Hello {{.Name}},</p><p>The email address of your {{.OrgName}} account was changed from this address to {{.Email}}.</p>`+
			`<p>If you did not do this, contact your administrator at once.</p>`),
}

// mailData is what the templates may use.
type mailData struct {
	Name, Username, Email, OrgName, LogoURL, Link, Code, Expires string
}

// brand returns the name, sender address and logo of the organisation a
// user belongs to: its own white label or its nearest ancestor's.
func (s *Service) brand(ctx context.Context, r roster.Reader, orgID string) (name, from, logo string, err error) {
	org, err := r.FindOrg(ctx, orgID)
	if err != nil {
		return "", "", "", err
	}
	name = org.Name
	ids, err := r.OrgAncestors(ctx, orgID)
	if err != nil {
		return "", "", "", err
	}
	for _, id := range append([]string{orgID}, ids...) {
		o := org
		if id != orgID {
			if o, err = r.FindOrg(ctx, id); err != nil {
				return "", "", "", err
			}
		}
		if w := o.WhiteLabel; w != nil && (w.EmailAddress != "" || w.LogoURL != "") {
			if w.EmailAddress != "" {
				from = (&mail.Address{Name: o.Name, Address: w.EmailAddress}).String()
			}
			return name, from, w.LogoURL, nil
		}
	}
	return name, "", "", nil
}

// queueMail composes a mail of a kind to an address about u and puts it
// in the outbox in tx.
func (s *Service) queueMail(ctx context.Context, tx roster.Tx, kind, to string, u *roster.User, d mailData) error {
	return s.queueMailOf(ctx, tx, kind, mailTemplates[kind], to, u, d)
}

// queueMailOf is queueMail with the template given (a kind with a
// template per language).
func (s *Service) queueMailOf(ctx context.Context, tx roster.Tx, kind string, t mailTemplate, to string, u *roster.User, d mailData) error {
	name, from, logo, err := s.brand(ctx, tx, u.OrganizationID)
	if err != nil {
		return err
	}
	d.Name, d.Username, d.OrgName, d.LogoURL = u.ShownDisplayName(), u.Username, name, logo
	var subj, text, html bytes.Buffer
	if err := texttemplate.Must(texttemplate.New("s").Parse(t.subject)).Execute(&subj, d); err != nil {
		return err
	}
	if err := t.text.Execute(&text, d); err != nil {
		return err
	}
	if err := t.html.Execute(&html, d); err != nil {
		return err
	}
	now := tx.Now()
	m := &roster.Mail{ID: roster.NewID(roster.PrefixMail), Kind: kind, UserID: u.ID, From: from, To: to,
		Subject: subj.String(), Text: text.String(), HTML: html.String(), Status: roster.MailQueued, NextAttemptAt: now, CreatedAt: now}
	s.sealMail(m)
	return tx.EnqueueMail(m)
}

// mailBody is a mail's sealed part: the text and HTML, which carry
// invitation links and email-change codes.
type mailBody struct {
	Text string `json:"text"`
	HTML string `json:"html"`
}

// sealMail encrypts a mail's body into m.Sealed (bound to the mail's
// id), so that the outbox holds no usable link or code in clear.
func (s *Service) sealMail(m *roster.Mail) {
	if s.box == nil {
		return // no secret key (some unit tests): kept in clear
	}
	plain, err := json.Marshal(mailBody{Text: m.Text, HTML: m.HTML})
	if err != nil {
		panic(err)
	}
	m.Sealed, m.Text, m.HTML = s.box.Seal(plain, []byte("mail:"+m.ID)), "", ""
}

// OpenMail decrypts the body of a mail from the outbox for sending (the
// mail dispatcher's Open). A mail stored in clear, by an earlier version,
// is left as it is.
func (s *Service) OpenMail(m *roster.Mail) error {
	if len(m.Sealed) == 0 {
		return nil
	}
	if s.box == nil {
		return seal.ErrOpen
	}
	plain, err := s.box.Open(m.Sealed, []byte("mail:"+m.ID))
	if err != nil {
		return fmt.Errorf("open the body of mail %s: %w", m.ID, err)
	}
	var b mailBody
	if err := json.Unmarshal(plain, &b); err != nil {
		return fmt.Errorf("open the body of mail %s: %w", m.ID, err)
	}
	m.Text, m.HTML, m.Sealed = b.Text, b.HTML, nil
	return nil
}

// link returns an absolute link into the product's pages.
func (s *Service) link(path string) string {
	return strings.TrimRight(s.secure().cfg.AppURL, "/") + path
}

func expiresText(t time.Time) string { return t.UTC().Format("2 January 2006 15:04 UTC") }
