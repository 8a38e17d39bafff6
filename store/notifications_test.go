package store

import (
	"context"
	"testing"
)

// The outbox records whichever channel a sender names, so a new channel
// needs no migration; a name that is not one (upper case, spaces, too long)
// is refused.
func TestMarkDeliveryRecordsAnyChannelName(t *testing.T) {
	ctx := context.Background()
	st := scratchStore(t)
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for i, tc := range []struct {
		channel string
		ok      bool
	}{
		{"email", true},
		{"sms", true},
		{"wechat", true},
		{"wecom_app", true},
		{"", true},
		{"WeChat", false},
		{"we chat", false},
		{"a_channel_name_longer_than_thirty_two", false},
	} {
		key := "channel-" + string(rune('a'+i))
		if _, _, err := st.QueueNotification(ctx, "TS20260101001", "resident", "", "complaint_reopened", nil, key); err != nil {
			t.Fatal(err)
		}
		err := st.MarkDelivery(ctx, key, DeliverySent, tc.channel, "an-address", "")
		if (err == nil) != tc.ok {
			t.Errorf("channel %q: error %v, want accepted %t", tc.channel, err, tc.ok)
			continue
		}
		if !tc.ok {
			continue
		}
		var channel, status string
		if err := st.Pool().QueryRow(ctx, `SELECT channel, status FROM notifications WHERE idempotency_key = $1`, key).Scan(&channel, &status); err != nil {
			t.Fatal(err)
		}
		if channel != tc.channel || status != DeliverySent {
			t.Errorf("channel %q recorded as %q, %s", tc.channel, channel, status)
		}
	}
}
