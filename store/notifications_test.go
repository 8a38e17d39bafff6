package store

import (
	"context"
	"maps"
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

// The addresses handed over with a message are keyed by channel: email and
// phone from their columns, any other channel's from contact_addresses, of
// this recipient only; a row never overrides an address in a column.
func TestOutboundAddressesByChannel(t *testing.T) {
	ctx := context.Background()
	st := scratchStore(t)
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st.LoadDemo(ctx); err != nil {
		t.Fatal(err)
	}
	var residentID, otherResident int64
	var email, phone string
	if err := st.Pool().QueryRow(ctx, `SELECT id, email, phone FROM residents WHERE email <> '' AND phone <> '' ORDER BY id LIMIT 1`).
		Scan(&residentID, &email, &phone); err != nil {
		t.Fatal(err)
	}
	if err := st.Pool().QueryRow(ctx, `SELECT id FROM residents WHERE id <> $1 ORDER BY id LIMIT 1`, residentID).Scan(&otherResident); err != nil {
		t.Fatal(err)
	}
	const number = "TS20260101-0001"
	if _, err := st.Pool().Exec(ctx, `INSERT INTO case_intakes (number, kind, idempotency_key, request_hash, community, unit_id,
			household_id, resident_id, resident_name, resident_phone, channel, category, description, priority, workflow_input)
		SELECT $1, 'complaint', $1, 'h', u.community, u.id, r.household_id, r.id, '测试', r.phone, 'email', 'hygiene', 'x', 'normal', '{}'
		FROM residents r JOIN households h ON h.id = r.household_id JOIN units u ON u.id = h.unit_id WHERE r.id = $2`,
		number, residentID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Pool().Exec(ctx, `INSERT INTO staff (code, name, department, role, email, phone) VALUES
		('ca_one', '一', 'customer_service', 'handler', 'one@staff.example.com', ''),
		('ca_two', '二', 'customer_service', 'handler', '', '')`); err != nil {
		t.Fatal(err)
	}
	set := func(resident int64, staff, channel, address string) {
		t.Helper()
		if err := st.SetContactAddress(ctx, resident, staff, channel, address); err != nil {
			t.Fatal(err)
		}
	}
	set(residentID, "", "wechat", "o-openid-1")
	set(residentID, "", "wechat", "o-openid-2") // replaces the first
	set(residentID, "", "email", "not-the-column@example.com")
	set(otherResident, "", "wechat", "o-someone-else")
	set(0, "ca_one", "wecom", "YiHao")
	set(0, "ca_one", "sms", "13900000001") // fills the empty phone column
	set(0, "ca_two", "wecom", "ErHao")
	set(0, "ca_two", "wecom", "") // removed

	for i, tc := range []struct {
		audience, recipient string
		want                map[string]string
		wantIntake          string
	}{
		{"resident", "", map[string]string{"email": email, "sms": phone, "wechat": "o-openid-2"}, "email"},
		{"staff", "ca_one", map[string]string{"email": "one@staff.example.com", "sms": "13900000001", "wecom": "YiHao"}, "email"},
		{"staff", "ca_two", map[string]string{"email": "", "sms": ""}, "email"},
		{"staff", "nobody", map[string]string{"email": "", "sms": ""}, "email"},
	} {
		key := "addresses-" + string(rune('a'+i))
		if _, _, err := st.QueueNotification(ctx, number, tc.audience, tc.recipient, "complaint_reopened", nil, key); err != nil {
			t.Fatal(err)
		}
		o, err := st.OutboundByKey(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(o.Addresses, tc.want) || o.IntakeChannel != tc.wantIntake {
			t.Errorf("%s %q: addresses %v, intake %q; want %v, %q", tc.audience, tc.recipient, o.Addresses, o.IntakeChannel, tc.want, tc.wantIntake)
		}
	}
}
