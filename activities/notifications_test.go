package activities

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/concierge-pm/concierge/internal/testdb"
	"github.com/concierge-pm/concierge/notify"
	"github.com/concierge-pm/concierge/store"
)

// scratchStore opens a new, migrated database on the test server, dropped
// when the test ends. CI=true makes a missing server a failure.
func scratchStore(t *testing.T) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, testdb.New(t, "concierge_activities"))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(st.Close)
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}

// fakeSender stands in for a gateway: it records what it is given and
// answers with err.
type fakeSender struct {
	channel string
	err     error
	mu      sync.Mutex
	sent    []notify.Message
}

func (f *fakeSender) Channel() string { return f.channel }

func (f *fakeSender) Send(_ context.Context, m notify.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, m)
	return f.err
}

func (f *fakeSender) messages() []notify.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]notify.Message(nil), f.sent...)
}

type row struct {
	Status, Channel, Address, LastError string
	Attempts                            int
}

func outboxRow(t *testing.T, st *store.Store, key string) row {
	t.Helper()
	var r row
	err := st.Pool().QueryRow(t.Context(), `SELECT status, channel, address, last_error, attempts
		FROM notifications WHERE idempotency_key = $1`, key).Scan(&r.Status, &r.Channel, &r.Address, &r.LastError, &r.Attempts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestDeliverNotificationsByChannel runs the delivery activity against a real
// outbox with senders standing in for the gateways: which channel each
// message takes, what is marked skipped or failed, and that nothing is sent
// twice.
func TestDeliverNotificationsByChannel(t *testing.T) {
	st := scratchStore(t)
	ctx := t.Context()
	const staffEmail = "li_qiang@staff.example.com"
	if _, err := st.Pool().Exec(ctx, `INSERT INTO departments (code, name) VALUES ('engineering', '工程部')`); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Pool().Exec(ctx, `INSERT INTO staff (code, name, department, role, email)
		VALUES ('li_qiang', '李强', 'engineering', 'handler', $1)`, staffEmail); err != nil {
		t.Fatal(err)
	}
	queue := func(t *testing.T, audience, recipient, template string) string {
		t.Helper()
		key := strings.NewReplacer("/", "-", " ", "-").Replace(t.Name())
		if _, _, err := st.QueueNotification(ctx, "TS20260101001", audience, recipient, template, map[string]string{"number": "TS20260101001"}, key); err != nil {
			t.Fatal(err)
		}
		return key
	}
	temporary := errors.New("gateway busy")
	for _, tc := range []struct {
		name string
		// The staff message goes to li_qiang (email on record); the
		// resident message's case has no intake, so no address at all.
		audience    string
		senders     func() []*fakeSender
		maxAttempts int32
		wantErr     bool
		want        row
		wantSent    string // channel of the sender that must have been given it once
	}{
		{name: "no sender configured: skipped", audience: "staff",
			senders: func() []*fakeSender { return nil },
			want:    row{Status: "skipped", LastError: "no delivery channel is configured", Attempts: 1}},
		{name: "no sender configured, no address: skipped", audience: "resident",
			senders: func() []*fakeSender { return nil },
			want:    row{Status: "skipped", LastError: "no delivery channel is configured", Attempts: 1}},
		{name: "the configured channel cannot reach the recipient: failed", audience: "staff",
			senders: func() []*fakeSender { return []*fakeSender{{channel: notify.ChannelSMS}} },
			want:    row{Status: "failed", LastError: "no address on record for a configured channel (sms)", Attempts: 1}},
		{name: "staff by email", audience: "staff",
			senders: func() []*fakeSender {
				return []*fakeSender{{channel: notify.ChannelSMS}, {channel: notify.ChannelEmail}}
			},
			want:     row{Status: "sent", Channel: "email", Address: staffEmail, Attempts: 1},
			wantSent: notify.ChannelEmail},
		{name: "permanent failure: failed at once", audience: "staff",
			senders: func() []*fakeSender {
				return []*fakeSender{{channel: notify.ChannelEmail, err: &notify.PermanentError{Err: errors.New("550 no such mailbox")}}}
			},
			want:     row{Status: "failed", Channel: "email", Address: staffEmail, LastError: "permanent: 550 no such mailbox", Attempts: 1},
			wantSent: notify.ChannelEmail},
		{name: "temporary failure: pending, retried", audience: "staff", maxAttempts: 9, wantErr: true,
			senders:  func() []*fakeSender { return []*fakeSender{{channel: notify.ChannelEmail, err: temporary}} },
			want:     row{Status: "pending", Channel: "email", Address: staffEmail, LastError: "gateway busy", Attempts: 1},
			wantSent: notify.ChannelEmail},
		{name: "temporary failure on the last attempt: failed", audience: "staff", maxAttempts: 1,
			senders:  func() []*fakeSender { return []*fakeSender{{channel: notify.ChannelEmail, err: temporary}} },
			want:     row{Status: "failed", Channel: "email", Address: staffEmail, LastError: "gateway busy", Attempts: 1},
			wantSent: notify.ChannelEmail},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recipient, template := "li_qiang", "complaint_assigned"
			if tc.audience == "resident" {
				recipient, template = "", "complaint_reopened"
			}
			key := queue(t, tc.audience, recipient, template)
			fakes := tc.senders()
			n := &Notifier{Store: st, MaxAttempts: tc.maxAttempts, Logger: slog.New(slog.DiscardHandler)}
			if n.MaxAttempts == 0 {
				n.MaxAttempts = 9
			}
			for _, f := range fakes {
				n.Senders = append(n.Senders, f)
			}
			var suite testsuite.WorkflowTestSuite
			suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
			env := suite.NewTestActivityEnvironment()
			env.RegisterActivity(n.DeliverNotifications)
			// Twice: the second run must find the message settled (or, after
			// a temporary failure, try it once more).
			for run := 1; run <= 2; run++ {
				_, err := env.ExecuteActivity(n.DeliverNotifications, []string{key})
				if (err != nil) != tc.wantErr {
					t.Fatalf("run %d: error %v, want error %v", run, err, tc.wantErr)
				}
				if run == 1 {
					if got := outboxRow(t, st, key); got != tc.want {
						t.Fatalf("outbox row %+v, want %+v", got, tc.want)
					}
				}
			}
			for _, f := range fakes {
				msgs := f.messages()
				switch {
				case f.channel != tc.wantSent && len(msgs) > 0:
					t.Errorf("%s sender was given %d messages, want none", f.channel, len(msgs))
				case f.channel == tc.wantSent && tc.wantErr && len(msgs) != 2:
					t.Errorf("%s sender was given %d messages, want one per attempt (2)", f.channel, len(msgs))
				case f.channel == tc.wantSent && !tc.wantErr && len(msgs) != 1:
					t.Errorf("%s sender was given %d messages, want exactly one", f.channel, len(msgs))
				case f.channel == tc.wantSent && (msgs[0].Channel != f.channel || msgs[0].To != staffEmail || !strings.Contains(msgs[0].Body, "TS20260101001")):
					t.Errorf("message %+v", msgs[0])
				}
			}
		})
	}
}

// A channel declared only in this test (企业微信 for staff, ranked before
// email) and added with one line is chosen for a member of staff with an
// address on it, recorded in the outbox and given the message; without the
// line, the same senders deliver by email.
func TestDeliverNotificationsOnANewChannel(t *testing.T) {
	st := scratchStore(t)
	ctx := t.Context()
	const staffEmail = "li_qiang@staff.example.com"
	if _, err := st.Pool().Exec(ctx, `INSERT INTO departments (code, name) VALUES ('engineering', '工程部');
		INSERT INTO staff (code, name, department, role, email) VALUES ('li_qiang', '李强', 'engineering', 'handler', '`+staffEmail+`')`); err != nil {
		t.Fatal(err)
	}
	if err := st.SetContactAddress(ctx, 0, "li_qiang", "wecom", "LiQiang"); err != nil {
		t.Fatal(err)
	}
	wecom := notify.Channel{Name: "wecom", Prefix: "wecom", Staff: 5}
	for _, tc := range []struct {
		name     string
		channels []notify.Channel
		want     row
	}{
		{"with the new channel", append(notify.Channels(), wecom), row{Status: "sent", Channel: "wecom", Address: "LiQiang", Attempts: 1}},
		{"without it", nil, row{Status: "sent", Channel: "email", Address: staffEmail, Attempts: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := strings.ReplaceAll(t.Name(), "/", "-")
			if _, _, err := st.QueueNotification(ctx, "TS20260101001", "staff", "li_qiang", "complaint_assigned", map[string]string{"number": "TS20260101001"}, key); err != nil {
				t.Fatal(err)
			}
			email, wc := &fakeSender{channel: notify.ChannelEmail}, &fakeSender{channel: "wecom"}
			n := &Notifier{Store: st, MaxAttempts: 9, Logger: slog.New(slog.DiscardHandler),
				Senders: []notify.Sender{email, wc}, Channels: tc.channels}
			var suite testsuite.WorkflowTestSuite
			suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
			env := suite.NewTestActivityEnvironment()
			env.RegisterActivity(n.DeliverNotifications)
			if _, err := env.ExecuteActivity(n.DeliverNotifications, []string{key}); err != nil {
				t.Fatal(err)
			}
			if got := outboxRow(t, st, key); got != tc.want {
				t.Fatalf("outbox row %+v, want %+v", got, tc.want)
			}
			for _, f := range []*fakeSender{email, wc} {
				msgs := f.messages()
				if f.channel != tc.want.Channel {
					if len(msgs) > 0 {
						t.Errorf("%s sender was given %d messages, want none", f.channel, len(msgs))
					}
					continue
				}
				if len(msgs) != 1 || msgs[0].Channel != tc.want.Channel || msgs[0].To != tc.want.Address || !strings.Contains(msgs[0].Body, "TS20260101001") {
					t.Errorf("%s sender was given %+v, want one message to %s", f.channel, msgs, tc.want.Address)
				}
			}
		})
	}
}
