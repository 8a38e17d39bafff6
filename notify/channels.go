package notify

// Channels a Message can be sent on; the outbox records the one used.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
)

// Recipient is what the choice of channel knows about whom a message is for.
type Recipient struct {
	// Staff is true for a member of staff, false for a resident.
	Staff bool
	// ReplyByEmail: the case came in by email, so the answer goes back there.
	ReplyByEmail bool
	// Addresses on record, by channel (an email address, a phone number);
	// a channel without one cannot reach the recipient.
	Addresses map[string]string
}

// Choose picks the channel of one message: residents by SMS, or by email
// when the case came in by email; staff by email. When the preferred channel
// has no sender configured or no address on record, the next one is used.
// It returns the sender and the recipient's address on its channel, or ok
// false when no configured channel can reach the recipient. senders holds
// at most one sender per channel; the first of a channel wins.
//
// This is the one place that decides which channel a message goes on: a new
// channel (WeChat for residents, 企业微信 for staff) takes its place in the
// order here.
func Choose(r Recipient, senders []Sender) (s Sender, address string, ok bool) {
	order := []string{ChannelSMS, ChannelEmail}
	if r.Staff || r.ReplyByEmail {
		order = []string{ChannelEmail, ChannelSMS}
	}
	for _, channel := range order {
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
