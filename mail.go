// SPDX-License-Identifier: Apache-2.0

package roster

import (
	"context"
	"time"
)

// PrefixMail is the id prefix of outbox mails.
const PrefixMail = "mail"

// Mail statuses in the outbox.
const (
	MailQueued    = "queued"
	MailSent      = "sent"
	MailAbandoned = "abandoned"
)

// Mail is one message in the outbox. It is written in the same
// transaction as the change that causes it (an invitation, an email
// change), and a dispatcher sends it afterwards, retrying until it is
// sent or abandoned, so that no acknowledged change loses its mail.
type Mail struct {
	ID      string
	Kind    string // invite, email_change, email_changed
	UserID  string
	From    string // "Name <address>"; empty: the server's default sender
	To      string
	Subject string
	Text    string
	HTML    string
	// Sealed holds Text and HTML encrypted with the server's secret key
	// (they carry invitation links and email-change codes), which are
	// then empty: the service seals a mail's body before it is stored and
	// the dispatcher opens it to send it. A mail sent or abandoned keeps
	// neither (FinishMail drops the body).
	Sealed        []byte `json:",omitempty"`
	Status        string
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	CreatedAt     time.Time
}

// EmailChange is a pending, unconfirmed change of a user's email. The
// code (mailed, typed by the user) and the token (in the mailed link) are
// stored as hashes.
type EmailChange struct {
	UserID    string
	Email     string
	CodeHash  []byte
	TokenHash []byte
	Attempts  int
	ExpiresAt time.Time
	CreatedAt time.Time
}

// MailReader holds the reads of the outbox and pending email changes.
type MailReader interface {
	// FindEmailChange returns a user's pending email change.
	FindEmailChange(ctx context.Context, userID string) (*EmailChange, error)
}

// MailTx holds the writes of the outbox and pending email changes.
type MailTx interface {
	EnqueueMail(m *Mail) error
	// ClaimMail takes up to limit queued mails that are due at now: each
	// gets one more attempt and is not due again until now+lease, so that
	// a dispatcher that dies mid-send does not lose it and two
	// dispatchers do not send it at once.
	ClaimMail(now time.Time, lease time.Duration, limit int) ([]*Mail, error)
	// FinishMail records the outcome of an attempt: status MailSent or
	// MailAbandoned, or MailQueued with the time of the next attempt. A
	// mail sent or abandoned loses its body (Text, HTML, Sealed), which
	// nothing reads again and which held its secrets.
	FinishMail(id, status string, next time.Time, lastError string) error

	// PutEmailChange stores (or replaces) a user's pending email change.
	PutEmailChange(c *EmailChange) error
	// FailEmailChange counts a wrong code and returns the count.
	FailEmailChange(userID string) (int, error)
	DeleteEmailChange(userID string) error
}
