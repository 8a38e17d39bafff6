package integration

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/concierge-pm/concierge/mailin"
)

type emailAnswer struct {
	Kind     *string `json:"kind"`
	Number   string  `json:"number"`
	TriageID *int64  `json:"triage_id"`
	Status   string  `json:"status"`
	Error    *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// postEmail sends a raw message to the webhook, signed unless sig is given.
func postEmail(t *testing.T, raw []byte, sig ...string) (int, emailAnswer) {
	t.Helper()
	header := mailin.Sign([]byte(testEmailSecret), raw)
	if len(sig) > 0 {
		header = sig[0]
	}
	req, err := http.NewRequestWithContext(context.Background(), "POST", sys.http.URL+"/api/v1/intake/email", bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "message/rfc822")
	if header != "" {
		req.Header.Set("X-Concierge-Signature", header)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a emailAnswer
	body, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatalf("answer %s: %v", body, err)
	}
	return resp.StatusCode, a
}

func gbk(t *testing.T, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// gbkMail is how a Chinese mail client writes: GBK, a B-encoded subject and a
// quoted-printable body.
func gbkMail(t *testing.T, id, from, subject, body string) []byte {
	t.Helper()
	var qp bytes.Buffer
	w := quotedprintable.NewWriter(&qp)
	w.Write(gbk(t, body))
	w.Close()
	subj := "=?GBK?B?" + base64.StdEncoding.EncodeToString(gbk(t, subject)) + "?="
	return []byte(fmt.Sprintf("From: %s\r\nTo: service@example.com\r\nSubject: %s\r\nMessage-Id: <%s>\r\nMIME-Version: 1.0\r\n"+
		"Content-Type: text/plain; charset=GBK\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n%s", from, subj, id, qp.String()))
}

// utf8Mail is a base64 UTF-8 message, as webmail sends it.
func utf8Mail(id, from, subject, body string) []byte {
	return []byte(fmt.Sprintf("From: %s\r\nSubject: %s\r\nMessage-Id: <%s>\r\nContent-Type: text/plain; charset=utf-8\r\n"+
		"Content-Transfer-Encoding: base64\r\n\r\n%s", from, mime.BEncoding.Encode("utf-8", subject), id,
		base64.StdEncoding.EncodeToString([]byte(body))))
}

func TestEmailFromResidentOpensCases(t *testing.T) {
	// A GBK complaint from the resident of 1-101 (demo address resident00@example.com).
	code, a := postEmail(t, gbkMail(t, "noise-1@mail.example", "=?GBK?B?"+base64.StdEncoding.EncodeToString(gbk(t, "王秀英"))+"?= <Resident00@Example.com>",
		"投诉：楼上噪音扰民", "每天晚上十一点以后楼上还有很大的噪音，请物业处理。"))
	if code != http.StatusCreated || a.Kind == nil || *a.Kind != "complaint" || !strings.HasPrefix(a.Number, "TS") {
		t.Fatalf("GBK complaint: HTTP %d %+v", code, a)
	}
	c := get(t, a.Number)
	if c.Category != "noise" || c.Channel != "email" || c.Status != "routed" {
		t.Fatalf("complaint from email: %+v", c)
	}
	var full struct {
		Unit        string `json:"unit"`
		Description string `json:"description"`
		Resident    struct{ Name, Phone string }
	}
	call(t, "GET", "/api/v1/complaints/"+a.Number, nil, &full)
	if full.Unit != "1-101" || full.Resident.Phone != "138****0000" || !strings.Contains(full.Description, "楼上还有很大的噪音") {
		t.Fatalf("intake from email: %+v", full)
	}

	// The gateway retries: the same answer, nothing new.
	intakes := count(t, `SELECT count(*) FROM case_intakes`)
	code, again := postEmail(t, gbkMail(t, "noise-1@mail.example", "resident00@example.com", "投诉：楼上噪音扰民", "重发"))
	if code != http.StatusOK || again.Number != a.Number {
		t.Fatalf("retry: HTTP %d %+v, want 200 %s", code, again, a.Number)
	}
	if n := count(t, `SELECT count(*) FROM case_intakes`); n != intakes {
		t.Fatalf("a retried email made %d new intakes", n-intakes)
	}

	// A UTF-8 repair request from a stranger's address, matched by the phone
	// number in the text (the demo resident of 1-102 has 13800130001).
	code, r := postEmail(t, utf8Mail("pipe-1@mail.example", "someone@elsewhere.example", "报修",
		"厨房水管爆裂了，水一直在流！我的电话 13800130001"))
	if code != http.StatusCreated || r.Kind == nil || *r.Kind != "repair" || !strings.HasPrefix(r.Number, "BX") {
		t.Fatalf("repair by email: HTTP %d %+v", code, r)
	}
	var rep repairCase
	call(t, "GET", "/api/v1/repairs/"+r.Number, nil, &rep)
	if rep.Category != "pipe_burst" || rep.Priority != "urgent" || rep.Assignee != "li_qiang" {
		t.Fatalf("repair from email: %+v", rep)
	}
}

func TestEmailLeftForTriage(t *testing.T) {
	// A known resident whose text matches no keyword.
	code, a := postEmail(t, utf8Mail("thanks-1@mail.example", "resident02@example.com", "感谢", "谢谢物业上周的帮助。"))
	if code != http.StatusAccepted || a.TriageID == nil || a.Status != "triage" {
		t.Fatalf("no keyword: HTTP %d %+v", code, a)
	}
	// An unknown sender with a clear complaint still waits for a person.
	code, b := postEmail(t, utf8Mail("unknown-1@mail.example", "visitor@elsewhere.example", "电梯", "3号楼电梯又坏了"))
	if code != http.StatusAccepted || b.TriageID == nil {
		t.Fatalf("unknown sender: HTTP %d %+v", code, b)
	}
	var queue struct {
		Items []struct {
			ID      int64  `json:"id"`
			Sender  string `json:"sender"`
			Subject string `json:"subject"`
		}
	}
	call(t, "GET", "/api/v1/intake/emails?status=triage", nil, &queue)
	seen := map[int64]bool{}
	for _, it := range queue.Items {
		seen[it.ID] = true
	}
	if !seen[*a.TriageID] || !seen[*b.TriageID] {
		t.Fatalf("triage queue %+v lacks %d and %d", queue.Items, *a.TriageID, *b.TriageID)
	}
	// The supervisor opens the elevator email as a complaint, and dismisses the thank-you.
	var c struct {
		complaint
		TrackURL string `json:"track_url"`
	}
	open := map[string]any{"kind": "complaint", "community": "A", "unit": "3-101", "category": "elevator",
		"resident": map[string]any{"name": "来信人", "phone": "13900000009"}}
	path := fmt.Sprintf("/api/v1/intake/emails/%d/open", *b.TriageID)
	if code := call(t, "POST", path, open, &c, signedInAs, "chen_jing"); code != http.StatusCreated || c.Category != "elevator" || c.Channel != "email" {
		t.Fatalf("open from triage: HTTP %d %+v", code, c)
	}
	// Like every create, the answer carries the resident's tracking link.
	var v tracked
	if code := call(t, "GET", "/api/v1/track/"+token(t, c.TrackURL), nil, &v); code != http.StatusOK || v.Number != c.Number {
		t.Fatalf("the tracking link of a case opened from triage: HTTP %d %+v", code, v)
	}
	first := c.Number
	c.TrackURL = ""
	if code := call(t, "POST", path, open, &c, signedInAs, "chen_jing"); code != http.StatusOK || c.Number != first || c.TrackURL == "" {
		t.Fatalf("repeated open: HTTP %d %+v", code, c)
	}
	dismiss := fmt.Sprintf("/api/v1/intake/emails/%d/dismiss", *a.TriageID)
	if code := call(t, "POST", dismiss, map[string]any{"reason": "感谢信"}, nil, signedInAs, "chen_jing"); code != http.StatusOK {
		t.Fatalf("dismiss: HTTP %d", code)
	}
	var e apiError
	if code := call(t, "POST", fmt.Sprintf("/api/v1/intake/emails/%d/open", *a.TriageID), open, &e); code != http.StatusConflict {
		t.Fatalf("open a dismissed email: HTTP %d %+v", code, e)
	}
	if n := count(t, `SELECT count(*) FROM inbound_emails WHERE id = $1 AND status = 'opened' AND case_number = $2`, *b.TriageID, c.Number); n != 1 {
		t.Fatal("triaged email not linked to its case")
	}
}

// Not parallel: it compares whole-table counts.
func TestRejectedEmailsStoreNothing(t *testing.T) {
	counts := func() [2]int {
		return [2]int{count(t, `SELECT count(*) FROM inbound_emails`), count(t, `SELECT count(*) FROM case_intakes`)}
	}
	before := counts()
	good := utf8Mail("reject-1@mail.example", "resident03@example.com", "漏水", "卫生间漏水")
	tampered := append(bytes.Clone(good), "extra"...)
	for _, c := range []struct {
		name string
		raw  []byte
		sig  []string
		want int
	}{
		{"no signature", good, []string{""}, http.StatusUnauthorized},
		{"wrong secret", good, []string{mailin.Sign([]byte("guess"), good)}, http.StatusUnauthorized},
		{"tampered body", tampered, []string{mailin.Sign([]byte(testEmailSecret), good)}, http.StatusUnauthorized},
		{"not a message", []byte("hello"), nil, http.StatusUnprocessableEntity},
		{"no sender", []byte("Subject: 漏水\r\n\r\n卫生间漏水"), nil, http.StatusUnprocessableEntity},
		{"unknown charset", []byte("From: a@b.example\r\nSubject: x\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\nqapla"), nil, http.StatusUnprocessableEntity},
		{"broken base64", []byte("From: a@b.example\r\nSubject: x\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!"), nil, http.StatusUnprocessableEntity},
	} {
		code, a := postEmail(t, c.raw, c.sig...)
		if code != c.want || a.Error == nil || a.Error.Code == "" {
			t.Errorf("%s: HTTP %d %+v, want %d with an error", c.name, code, a, c.want)
		}
	}
	if after := counts(); after != before {
		t.Fatalf("rejected emails stored rows: %v → %v", before, after)
	}
}
