package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
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

// testChannels are notify.Channels with two channels declared here, as a new
// channel file would declare them: WeChat subscription messages for
// residents, before SMS, and 企业微信 for staff, before email. Adding them is
// one line, as adding them to Channels is.
func testChannels() []Channel {
	return append(Channels(), testWeChatChannel(), testWeComChannel())
}

func testWeChatChannel() Channel {
	return Channel{Name: "wechat", Prefix: "wechat", Residents: 10, On: "app_id",
		Settings: []Setting{{Key: "app_id", Usage: "WeChat official account"}, {Key: "app_secret", Secret: true}},
		New: func(s Settings) (Sender, error) {
			if s.Get("app_secret") == "" {
				return nil, errors.New("app secret missing")
			}
			return channelOnly("wechat"), nil
		}}
}

func testWeComChannel() Channel {
	return Channel{Name: "wecom", Prefix: "wecom", Staff: 5, On: "corp_id",
		Settings: []Setting{{Key: "corp_id"}},
		New:      func(Settings) (Sender, error) { return channelOnly("wecom"), nil }}
}

func TestOrder(t *testing.T) {
	for _, tc := range []struct {
		name     string
		r        Recipient
		channels []Channel
		want     []string
	}{
		{"resident", Recipient{}, Channels(), []string{"sms", "email"}},
		{"resident whose case came by email", Recipient{ReplyOn: "email"}, Channels(), []string{"email", "sms"}},
		{"resident whose case came by phone", Recipient{ReplyOn: "phone"}, Channels(), []string{"sms", "email"}},
		{"staff", Recipient{Staff: true}, Channels(), []string{"email", "sms"}},
		{"staff: the intake channel is the resident's", Recipient{Staff: true, ReplyOn: "sms"}, Channels(), []string{"email", "sms"}},
		{"resident, with the new channels", Recipient{}, testChannels(), []string{"wechat", "sms", "email"}},
		{"resident by email, with the new channels", Recipient{ReplyOn: "email"}, testChannels(), []string{"email", "wechat", "sms"}},
		{"staff, with the new channels", Recipient{Staff: true}, testChannels(), []string{"wecom", "email", "sms"}},
		{"equal ranks keep the order given", Recipient{Staff: true},
			[]Channel{{Name: "b", Staff: 1}, {Name: "a", Staff: 1}, {Name: "c", Staff: 0}}, []string{"b", "a"}},
		{"no channels", Recipient{}, nil, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Order(tc.r, tc.channels); !slices.Equal(got, tc.want) {
				t.Errorf("Order = %v, want %v", got, tc.want)
			}
		})
	}
}

// A channel declared elsewhere is chosen by its rank once its sender is
// configured and the recipient has an address on it, and is passed over
// otherwise.
func TestChooseANewChannel(t *testing.T) {
	senders := []Sender{channelOnly(ChannelEmail), channelOnly(ChannelSMS), channelOnly("wechat"), channelOnly("wecom")}
	resident := map[string]string{ChannelEmail: "li.na@example.com", ChannelSMS: "13800130012", "wechat": "o-openid"}
	staff := map[string]string{ChannelEmail: "li_qiang@staff.example.com", "wecom": "LiQiang"}
	for _, tc := range []struct {
		name        string
		r           Recipient
		senders     []Sender
		wantChannel string
	}{
		{"resident by WeChat", Recipient{Addresses: resident}, senders, "wechat"},
		{"resident without WeChat sender: SMS", Recipient{Addresses: resident}, senders[:2], ChannelSMS},
		{"resident without an openid: SMS", Recipient{Addresses: map[string]string{ChannelSMS: "13800130012"}}, senders, ChannelSMS},
		{"staff by 企业微信", Recipient{Staff: true, Addresses: staff}, senders, "wecom"},
		{"staff never by WeChat", Recipient{Staff: true, Addresses: map[string]string{"wechat": "o-openid"}}, senders, ""},
		{"residents never by 企业微信", Recipient{Addresses: map[string]string{"wecom": "LiNa"}}, senders, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _, ok := Choose(tc.r, testChannels(), tc.senders)
			got := ""
			if ok {
				got = s.Channel()
			}
			if got != tc.wantChannel {
				t.Errorf("chose %q, want %q", got, tc.wantChannel)
			}
		})
	}
}

func TestNewSenders(t *testing.T) {
	settings := func(ch Channel, values map[string]string) Settings { return Settings{Channel: ch, Values: values} }
	for _, tc := range []struct {
		name    string
		all     []Settings
		want    []string
		wantErr string
	}{
		{"none on", []Settings{settings(smtpChannel(), map[string]string{"port": "587"}), settings(testWeChatChannel(), nil)}, nil, ""},
		{"the ones on, in order", []Settings{
			settings(smsChannel(), map[string]string{"url": "https://sms.example.cn/send"}),
			settings(testWeComChannel(), nil),
			settings(testWeChatChannel(), map[string]string{"app_id": "wx1", "app_secret": "s"}),
			settings(smtpChannel(), map[string]string{"host": "smtp.example.cn", "port": "587", "from": "service@example.cn", "tls": "starttls"}),
		}, []string{"sms", "wechat", "email"}, ""},
		{"a bad one is named", []Settings{settings(testWeChatChannel(), map[string]string{"app_id": "wx1"})}, nil, "WECHAT settings: app secret missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			senders, err := NewSenders(tc.all)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range senders {
				got = append(got, s.Channel())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("senders %v, want %v", got, tc.want)
			}
		})
	}
}

// Settings print with their secrets masked, however they are printed.
func TestSettingsMaskSecrets(t *testing.T) {
	s := Settings{Channel: testWeChatChannel(), Values: map[string]string{"app_id": "wx-public-id", "app_secret": "very-secret-value"}}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("settings", "wechat", s)
	fmt.Fprintf(&buf, "%v %+v %#v %s", s, s, s, s)
	if out := buf.String(); strings.Contains(out, "very-secret-value") || !strings.Contains(out, "wx-public-id") || !strings.Contains(out, "app_secret=(set)") {
		t.Errorf("printed settings: %s", out)
	}
}
