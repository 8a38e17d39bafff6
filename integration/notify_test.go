package integration

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/concierge-pm/concierge/activities"
	"github.com/concierge-pm/concierge/notify"
	"github.com/concierge-pm/concierge/notify/notifytest"
)

// Phones the test SMS gateway treats specially.
const (
	phoneRejected = "13911110000" // 400: a permanent failure
	phoneFlaky    = "13922220000" // 503 once, then accepted
)

type smsMessage struct {
	To   string `json:"to"`
	Text string `json:"text"`
	Ref  string `json:"ref"`
}

// smsGateway is the HTTP SMS gateway of the tests.
type smsGateway struct {
	mu       sync.Mutex
	accepted []smsMessage
	refused  map[string]int // attempts refused per ref
}

func (g *smsGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var m smsMessage
	body, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(body, &m); err != nil || r.Header.Get("Idempotency-Key") != m.Ref {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case m.To == phoneRejected:
		http.Error(w, `{"error":"number not in service"}`, http.StatusBadRequest)
	case m.To == phoneFlaky && g.refused[m.Ref] == 0:
		g.refused[m.Ref]++
		http.Error(w, "try again", http.StatusServiceUnavailable)
	default:
		g.accepted = append(g.accepted, m)
		w.WriteHeader(http.StatusAccepted)
	}
}

func (g *smsGateway) to(phone string) []smsMessage {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []smsMessage
	for _, m := range g.accepted {
		if m.To == phone {
			out = append(out, m)
		}
	}
	return out
}

// startDelivery starts the SMTP server (STARTTLS with a self-signed
// certificate) and the SMS gateway, and the notifier that uses them.
func (e *env) startDelivery() (func(), error) {
	e.mailbox = &notifytest.Backend{}
	smtpSrv, err := notifytest.Serve(e.mailbox, "starttls")
	if err != nil {
		return nil, err
	}
	e.sms = &smsGateway{refused: map[string]int{}}
	gw := httptest.NewServer(e.sms)
	stop := func() { gw.Close(); _ = smtpSrv.Close() }
	email, err := notify.NewSMTPSender(notify.SMTPConfig{Host: "127.0.0.1", Port: smtpSrv.Port, TLS: "starttls",
		From: "阳光花园物业服务中心 <service@example.com>", RootCAs: smtpSrv.Roots})
	if err != nil {
		stop()
		return nil, err
	}
	sms, err := notify.NewSMSSender(notify.SMSConfig{URL: gw.URL + "/send", Token: "gateway-token"})
	if err != nil {
		stop()
		return nil, err
	}
	e.notifier = &activities.Notifier{Senders: []notify.Sender{email, sms}, Tracking: e.tracking, PublicURL: "https://concierge.test",
		TrackingTTL: time.Hour, Logger: slog.New(slog.DiscardHandler)}
	return stop, nil
}

type outboxRow struct {
	Template, Audience, Status, Channel, Address, LastError string
	Attempts                                                int
}

func outbox(t *testing.T, number string) []outboxRow {
	t.Helper()
	rows, err := sys.store.Pool().Query(t.Context(), `SELECT template, audience, status, channel, address, last_error, attempts
		FROM notifications WHERE number = $1 ORDER BY id`, number)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []outboxRow
	for rows.Next() {
		var r outboxRow
		if err := rows.Scan(&r.Template, &r.Audience, &r.Status, &r.Channel, &r.Address, &r.LastError, &r.Attempts); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// settled waits until no notification of the case is pending.
func settled(t *testing.T, number string, within time.Duration) []outboxRow {
	t.Helper()
	var rows []outboxRow
	eventually(t, within, "notifications of "+number+" delivered", func() bool {
		rows = outbox(t, number)
		for _, r := range rows {
			if r.Status == "pending" {
				return false
			}
		}
		return len(rows) > 0
	})
	return rows
}

func TestNotificationsDeliveredBySMSAndEmail(t *testing.T) {
	t.Parallel()
	body := newComplaintBody("leak")
	body["unit"] = "2-101" // a Chinese-speaking household
	body["resident"] = map[string]any{"name": "测试住户", "phone": "13955550001"}
	var created complaint
	if code := call(t, "POST", "/api/v1/complaints", body, &created); code != http.StatusCreated {
		t.Fatalf("create: HTTP %d", code)
	}
	rows := settled(t, created.Number, 20*time.Second)
	for _, r := range rows {
		switch {
		case r.Status != "sent":
			t.Errorf("%s to %s: %s (%s)", r.Template, r.Audience, r.Status, r.LastError)
		case r.Audience == "resident" && (r.Channel != "sms" || r.Address != "13955550001"):
			t.Errorf("resident %s went by %s to %s", r.Template, r.Channel, r.Address)
		case r.Audience == "staff" && (r.Channel != "email" || r.Address != "li_qiang@staff.example.com"):
			t.Errorf("staff %s went by %s to %s", r.Template, r.Channel, r.Address)
		}
	}
	// The acknowledgement by SMS names the case, explains the process, and carries a tracking link.
	msgs := sys.sms.to("13955550001")
	if len(msgs) != 1 || !strings.Contains(msgs[0].Text, created.Number) || !strings.Contains(msgs[0].Text, "https://concierge.test/t/"+created.Number) ||
		!strings.Contains(msgs[0].Text, "漏水渗水") {
		t.Fatalf("resident SMS %+v", msgs)
	}
	// The assignment by email to the handler, over STARTTLS.
	_, mails := sys.mailbox.Snapshot()
	found := false
	for _, m := range mails {
		if len(m.To) == 1 && m.To[0] == "li_qiang@staff.example.com" && strings.Contains(string(m.Data), created.Number) {
			found = true
		}
	}
	if !found {
		t.Fatalf("no assignment email to li_qiang for %s among %d mails", created.Number, len(mails))
	}
}

func TestFailedDeliveryIsVisibleAndNeverBlocksTheCase(t *testing.T) {
	t.Parallel()
	body := newComplaintBody("hygiene")
	body["resident"] = map[string]any{"name": "测试住户", "phone": phoneRejected}
	var c complaint
	if code := call(t, "POST", "/api/v1/complaints", body, &c); code != http.StatusCreated {
		t.Fatalf("create: HTTP %d", code)
	}
	// The case moves on whatever the gateway says.
	act(t, c.Number, "acknowledge", nil, http.StatusOK)
	rows := settled(t, c.Number, 20*time.Second)
	failed := 0
	for _, r := range rows {
		if r.Audience == "resident" {
			if r.Status != "failed" || !strings.Contains(r.LastError, "400") || r.Attempts != 1 {
				t.Errorf("resident %s: %+v, want failed on the first attempt with the gateway's 400", r.Template, r)
			}
			failed++
		}
	}
	if failed == 0 {
		t.Fatal("no resident notification")
	}
	var list struct {
		Items []struct {
			Number, Status, LastError string
		}
	}
	call(t, "GET", "/api/v1/notifications?status=failed&number="+c.Number, nil, &list)
	if len(list.Items) != failed {
		t.Fatalf("staff see %d failed notifications of %s, want %d", len(list.Items), c.Number, failed)
	}
}

func TestTemporaryFailureIsRetried(t *testing.T) {
	t.Parallel()
	body := newComplaintBody("parking")
	body["resident"] = map[string]any{"name": "测试住户", "phone": phoneFlaky}
	var c complaint
	if code := call(t, "POST", "/api/v1/complaints", body, &c); code != http.StatusCreated {
		t.Fatalf("create: HTTP %d", code)
	}
	// The first attempt meets a 503; the retry 10 s later gets through.
	rows := settled(t, c.Number, 40*time.Second)
	for _, r := range rows {
		if r.Audience == "resident" && (r.Status != "sent" || r.Attempts != 2) {
			t.Errorf("resident %s: %+v, want sent on the second attempt", r.Template, r)
		}
	}
	if n := len(sys.sms.to(phoneFlaky)); n == 0 {
		t.Fatalf("gateway accepted nothing for %s", phoneFlaky)
	}
}

// The demo household of 1-602 reads English; its resident's phone is on record.
func TestResidentNotifiedInTheHouseholdsLanguage(t *testing.T) {
	t.Parallel()
	body := newComplaintBody("elevator")
	body["unit"] = "1-602"
	body["resident"] = map[string]any{"name": "Resident", "phone": "13800130011"}
	var c complaint
	if code := call(t, "POST", "/api/v1/complaints", body, &c); code != http.StatusCreated {
		t.Fatalf("create: HTTP %d", code)
	}
	settled(t, c.Number, 20*time.Second)
	msgs := sys.sms.to("13800130011")
	var ack string
	for _, m := range msgs {
		if strings.Contains(m.Text, c.Number) {
			ack = m.Text
		}
	}
	if !strings.Contains(ack, "Hello") || !strings.Contains(ack, "Elevator fault") || strings.Contains(ack, "您好") {
		t.Fatalf("acknowledgement to an English household: %q", ack)
	}
}
