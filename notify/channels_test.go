package notify

import (
	"context"
	"testing"
)

// channelOnly is a sender that only names its channel; Choose never sends.
type channelOnly string

func (c channelOnly) Channel() string                     { return string(c) }
func (c channelOnly) Send(context.Context, Message) error { return nil }

func TestChoose(t *testing.T) {
	email, sms := channelOnly(ChannelEmail), channelOnly(ChannelSMS)
	both := []Sender{email, sms}
	const mail, phone = "wang.fang@example.com", "13812345678"
	contact := map[string]string{ChannelEmail: mail, ChannelSMS: phone}
	for _, tc := range []struct {
		name        string
		r           Recipient
		senders     []Sender
		wantChannel string // "" for none
		wantAddress string
	}{
		{"resident by SMS", Recipient{Addresses: contact}, both, ChannelSMS, phone},
		{"resident by SMS whatever the order of the senders", Recipient{Addresses: contact}, []Sender{sms, email}, ChannelSMS, phone},
		{"resident whose case came by email", Recipient{ReplyOn: "email", Addresses: contact}, both, ChannelEmail, mail},
		{"resident without a phone", Recipient{Addresses: map[string]string{ChannelEmail: mail}}, both, ChannelEmail, mail},
		{"resident without a phone, SMS only", Recipient{Addresses: map[string]string{ChannelEmail: mail}}, []Sender{sms}, "", ""},
		{"resident, no SMS gateway", Recipient{Addresses: contact}, []Sender{email}, ChannelEmail, mail},
		{"resident by email, no email address", Recipient{ReplyOn: "email", Addresses: map[string]string{ChannelSMS: phone}}, both, ChannelSMS, phone},
		{"resident by email, no SMTP", Recipient{ReplyOn: "email", Addresses: contact}, []Sender{sms}, ChannelSMS, phone},
		{"staff by email", Recipient{Staff: true, Addresses: contact}, both, ChannelEmail, mail},
		{"staff by email whatever the order of the senders", Recipient{Staff: true, Addresses: contact}, []Sender{sms, email}, ChannelEmail, mail},
		{"staff without an email address", Recipient{Staff: true, Addresses: map[string]string{ChannelSMS: phone}}, both, ChannelSMS, phone},
		{"staff, no SMTP", Recipient{Staff: true, Addresses: contact}, []Sender{sms}, ChannelSMS, phone},
		{"no address on record", Recipient{}, both, "", ""},
		{"empty addresses count as none", Recipient{Addresses: map[string]string{ChannelEmail: "", ChannelSMS: ""}}, both, "", ""},
		{"no sender configured", Recipient{Addresses: contact}, nil, "", ""},
		{"an address on an unknown channel is not used", Recipient{Addresses: map[string]string{"fax": "010-1234"}}, []Sender{channelOnly("fax")}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, address, ok := Choose(tc.r, Channels(), tc.senders)
			if ok != (tc.wantChannel != "") {
				t.Fatalf("ok = %v, want a channel %q", ok, tc.wantChannel)
			}
			if !ok {
				if s != nil || address != "" {
					t.Fatalf("no channel, but sender %v address %q", s, address)
				}
				return
			}
			if s.Channel() != tc.wantChannel || address != tc.wantAddress {
				t.Fatalf("chose %s to %q, want %s to %q", s.Channel(), address, tc.wantChannel, tc.wantAddress)
			}
		})
	}
}

// The first sender of a channel is used; a second one of the same channel
// is ignored rather than taking turns.
func TestChooseFirstSenderOfAChannel(t *testing.T) {
	first, second := &namedSMS{"first"}, &namedSMS{"second"}
	s, _, ok := Choose(Recipient{Addresses: map[string]string{ChannelSMS: "13812345678"}}, Channels(), []Sender{first, second})
	if !ok || s != first {
		t.Fatalf("chose %v (ok %v), want the first SMS sender", s, ok)
	}
}

type namedSMS struct{ name string }

func (*namedSMS) Channel() string                     { return ChannelSMS }
func (*namedSMS) Send(context.Context, Message) error { return nil }
