package notify

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
)

// Channels a Message can be sent on; the outbox records the one used.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
)

// Channel declares one delivery channel: its name, its place in the order
// for residents and for staff, its settings and how its sender is built.
// Each channel declares itself beside its sender (smtp.go, sms.go), and
// Channels lists them; config derives the channel's settings from it, the
// worker builds its sender with NewSenders, and Choose orders by its ranks
// (docs/DESIGN.md §11.5).
type Channel struct {
	// Name is what the outbox records and the key of Recipient.Addresses.
	Name string
	// Prefix names the settings: key "host" of prefix "smtp" is the
	// variable CONCIERGE_SMTP_HOST and the flag --smtp-host.
	Prefix string
	// Residents and Staff are the channel's rank for each audience: the
	// lowest rank with a sender and an address is used. 0 means never for
	// that audience. Ranks leave gaps so that a new channel can take its
	// place between others without renumbering them.
	Residents, Staff int
	// Settings are what the channel needs; On is the key of the one whose
	// value turns the channel on.
	Settings []Setting
	On       string
	// Check relates the channel's settings to one another once it is on;
	// nil when there is nothing to relate. Its error names the variables.
	Check func(s Settings) error
	// New builds the sender from the channel's settings once it is on.
	New func(s Settings) (Sender, error)
}

// Setting is one setting of a channel.
type Setting struct {
	// Key is lower case, e.g. "host"; see Channel.Prefix.
	Key     string
	Default string
	Usage   string
	// Secret settings are environment only and masked wherever printed.
	Secret bool
	// URL settings must be absolute http(s) URLs and are printed with their
	// password and query values masked.
	URL bool
	// Check says what is wrong with a value, without repeating it; nil
	// accepts any.
	Check func(v string) error
}

// Channels lists every channel, in the order the worker builds their
// senders. It is the one line of wiring of a new channel.
func Channels() []Channel {
	return []Channel{smtpChannel(), smsChannel()}
}

// Env is the environment variable of the channel's setting key.
func (c Channel) Env(key string) string {
	return "CONCIERGE_" + strings.ToUpper(c.Prefix+"_"+key)
}

// Flag is the flag, without its leading dashes, of the channel's setting
// key: "api_url" of prefix "wechat" is --wechat-api-url.
func (c Channel) Flag(key string) string {
	return strings.ReplaceAll(c.Prefix+"-"+key, "_", "-")
}

// Settings are the values of one channel's settings, by key.
type Settings struct {
	Channel Channel
	Values  map[string]string
}

// Get is the value of the setting key; "" when unset.
func (s Settings) Get(key string) string { return s.Values[key] }

// IsOn reports whether the setting that turns the channel on has a value.
func (s Settings) IsOn() bool { return s.Get(s.Channel.On) != "" }

// LogValue shows the settings with the secret ones masked.
func (s Settings) LogValue() slog.Value {
	attrs := make([]slog.Attr, 0, len(s.Channel.Settings))
	for _, st := range s.Channel.Settings {
		v := s.Get(st.Key)
		if st.Secret {
			v = "(unset)"
			if s.Get(st.Key) != "" {
				v = "(set)"
			}
		}
		attrs = append(attrs, slog.String(st.Key, v))
	}
	return slog.GroupValue(attrs...)
}

// String masks secrets as LogValue does.
func (s Settings) String() string { return s.Channel.Name + s.LogValue().String() }

// GoString masks secrets too.
func (s Settings) GoString() string { return s.String() }

// NewSenders builds the sender of every channel that is on, in the order
// given; none when no channel is on.
func NewSenders(all []Settings) ([]Sender, error) {
	var senders []Sender
	var errs []error
	for _, s := range all {
		if !s.IsOn() {
			continue
		}
		sender, err := s.Channel.New(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s settings: %w", strings.ToUpper(s.Channel.Prefix), err))
			continue
		}
		senders = append(senders, sender)
	}
	return senders, errors.Join(errs...)
}

// Recipient is what the choice of channel knows about whom a message is for.
type Recipient struct {
	// Staff is true for a member of staff, false for a resident.
	Staff bool
	// ReplyOn is the channel a resident's case came in on (domain.Channel,
	// e.g. "email"): when it is also a delivery channel, the answer goes
	// back there first.
	ReplyOn string
	// Addresses on record, by channel (an email address, a phone number);
	// a channel without one cannot reach the recipient.
	Addresses map[string]string
}

// Order is the order in which channels are tried for r: the channel the
// case came in on first, then the rest by their rank for r's audience
// (channels of equal rank in the order given); channels of rank 0 for that
// audience are left out.
func Order(r Recipient, channels []Channel) []string {
	ranked := slices.Clone(channels)
	rank := func(c Channel) int {
		if r.Staff {
			return c.Staff
		}
		return c.Residents
	}
	ranked = slices.DeleteFunc(ranked, func(c Channel) bool { return rank(c) <= 0 })
	slices.SortStableFunc(ranked, func(a, b Channel) int {
		if first := r.ReplyOn; !r.Staff && first != "" && (a.Name == first) != (b.Name == first) {
			if a.Name == first {
				return -1
			}
			return 1
		}
		return rank(a) - rank(b)
	})
	order := make([]string, len(ranked))
	for i, c := range ranked {
		order[i] = c.Name
	}
	return order
}

// Choose picks the channel of one message: the first channel in Order that
// has a configured sender and an address on record. With Channels that is:
// residents by SMS, or by email when the case came in by email; staff by
// email; the other one when the preferred one has no sender or no address.
// It returns the sender and the recipient's address on its channel, or ok
// false when no configured channel can reach the recipient. senders holds
// at most one sender per channel; the first of a channel wins.
//
// This is the one place that decides which channel a message goes on; a new
// channel takes its place in the order by its ranks (Channel.Residents,
// Channel.Staff).
func Choose(r Recipient, channels []Channel, senders []Sender) (s Sender, address string, ok bool) {
	for _, channel := range Order(r, channels) {
		address := r.Addresses[channel]
		if address == "" {
			continue
		}
		for _, s := range senders {
			if s.Channel() == channel {
				return s, address, true
			}
		}
	}
	return nil, "", false
}
