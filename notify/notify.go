// Package notify renders the service centre's notification templates and
// delivers them on the channels Channels declares: e-mail (SMTP) and SMS (an
// HTTP gateway webhook).
//
// Senders never retry and never log: they classify each failure as
// temporary or permanent (see IsPermanent) so that the outbox that calls
// them can decide whether to try again, and it logs what happened.
package notify

import (
	"context"
	"errors"
	"fmt"
)

// Message is one rendered notification ready to send.
type Message struct {
	Channel string // ChannelEmail, ChannelSMS, … (see Choose)
	To      string // the recipient's address on that channel
	Subject string // email only
	Body    string // plain text, UTF-8
	Ref     string // stable id of the outbox row (e.g. "notification-42"), used as Message-ID / SMS idempotency reference
}

// Sender delivers messages on one channel. Errors of Send are temporary
// unless IsPermanent says otherwise. A new channel is a new Sender in a file
// of its own, with the Channel that declares it, listed in Channels.
type Sender interface {
	// Channel is the name of the channel, e.g. ChannelEmail.
	Channel() string
	Send(ctx context.Context, m Message) error
}

// PermanentError marks a failure that retrying cannot fix (bad address,
// rejected by the gateway with 4xx, SMTP 5xx reply).
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string {
	if e == nil || e.Err == nil {
		return "permanent delivery failure"
	}
	return "permanent: " + e.Err.Error()
}

func (e *PermanentError) Unwrap() error {
	if e == nil {
		return nil
	}
	return e.Err
}

// IsPermanent reports whether err (or anything it wraps) is a
// PermanentError. Every other non-nil error is worth retrying.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// permanent wraps err so that IsPermanent recognises it.
func permanent(err error) error { return &PermanentError{Err: err} }

// checkChannel rejects a message routed to the wrong sender: a caller bug
// that no retry can repair. An empty channel is accepted because the
// sender itself already says which channel it is.
func checkChannel(m Message, want string) error {
	if m.Channel != "" && m.Channel != want {
		// %.20q keeps a garbage value from flooding the log.
		return permanent(fmt.Errorf("notify: message for channel %.20q given to the %s sender", m.Channel, want))
	}
	return nil
}
