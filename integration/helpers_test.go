package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

type complaint struct {
	Number          string                `json:"number"`
	Status          string                `json:"status"`
	Category        string                `json:"category"`
	Department      string                `json:"department"`
	Assignee        string                `json:"assignee"`
	Channel         string                `json:"channel"`
	Priority        string                `json:"priority"`
	EscalationLevel int                   `json:"escalation_level"`
	SLABreached     bool                  `json:"sla_breached"`
	Reopens         int                   `json:"reopens"`
	RecordedAt      time.Time             `json:"recorded_at"`
	Deadlines       map[string]*time.Time `json:"deadlines"`
	AllowedActions  []string              `json:"allowed_actions"`
	Timeline        []struct {
		At      time.Time `json:"at"`
		Kind    string    `json:"kind"`
		Actor   string    `json:"actor"`
		Message string    `json:"message"`
	} `json:"timeline"`
	Live bool `json:"live"`
}

func (c complaint) kinds() []string {
	out := make([]string, len(c.Timeline))
	for i, e := range c.Timeline {
		out[i] = e.Kind
	}
	return out
}

// call sends a JSON request and decodes the JSON answer into out (if not nil).
func call(t *testing.T, method, path string, body any, out any, headers ...string) int {
	t.Helper()
	code, err := request(method, path, "application/json", jsonBody(t, body), out, headers...)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// jsonBody encodes a request body: a string is sent as it is (to test bodies
// that are not JSON), anything else as JSON, nil as no body.
func jsonBody(t *testing.T, body any) io.Reader {
	t.Helper()
	switch b := body.(type) {
	case nil:
		return nil
	case string:
		return bytes.NewBufferString(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("encode body: %v", err)
		}
		return bytes.NewReader(raw)
	}
}

// request sends a request and decodes a JSON answer into out (if not nil).
// It returns what went wrong rather than failing the test, so that
// goroutines other than the test's can use it (t.Fatal may only be called
// from the test's own).
func request(method, path, contentType string, body io.Reader, out any, headers ...string) (int, error) {
	return requestAt(sys.http.URL, method, path, contentType, body, out, headers...)
}

// requestAt is request against the API at base, such as a test's own.
func requestAt(base, method, path, contentType string, body io.Reader, out any, headers ...string) (int, error) {
	req, err := http.NewRequestWithContext(context.Background(), method, base+path, body)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Content-Type", contentType)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := staffClient().Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, fmt.Errorf("%s %s: read body: %w", method, path, err)
	}
	if err := checkAnswer(req, resp.StatusCode, resp.Header, raw); err != nil {
		return resp.StatusCode, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: decode %q: %w", method, path, raw, err)
		}
	}
	return resp.StatusCode, nil
}

var unitSeq atomic.Int64

// newComplaintBody builds a valid create body; each call uses another unit so
// parallel tests do not share households.
func newComplaintBody(category string) map[string]any {
	n := unitSeq.Add(1)
	b, floor, door := 1+(n/12)%3, 1+(n/2)%6, 1+n%2
	return map[string]any{
		"community":   "A",
		"unit":        fmt.Sprintf("%d-%d%02d", b, floor, door),
		"resident":    map[string]any{"name": "测试住户", "phone": "13900000000"},
		"channel":     "walk_in",
		"category":    category,
		"description": "测试投诉内容",
	}
}

func create(t *testing.T, category string) complaint {
	t.Helper()
	var c complaint
	if code := call(t, "POST", "/api/v1/complaints", newComplaintBody(category), &c); code != http.StatusCreated {
		t.Fatalf("create: HTTP %d %+v", code, c)
	}
	return c
}

func act(t *testing.T, number, action string, body any, want int) complaint {
	t.Helper()
	var c complaint
	var e apiError
	var out any = &c
	if want >= 400 {
		out = &e
	}
	if code := call(t, "POST", "/api/v1/complaints/"+number+"/"+action, body, out); code != want {
		t.Fatalf("%s %s: HTTP %d, want %d (%+v)", action, number, code, want, e)
	}
	return c
}

func get(t *testing.T, number string) complaint {
	t.Helper()
	var c complaint
	if code := call(t, "GET", "/api/v1/complaints/"+number, nil, &c); code != http.StatusOK {
		t.Fatalf("get %s: HTTP %d", number, code)
	}
	return c
}

// eventually polls until cond holds or the time is up.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s", within, what)
}

// count runs a counting query against the test database.
func count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := sys.store.Pool().QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("count %q: %v", q, err)
	}
	return n
}

func assertKinds(t *testing.T, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("timeline\n got %v\nwant %v", got, want)
	}
}

// fastCategory puts a handbook category with second-long limits, so timers
// fire within a test.
func fastCategory(t *testing.T, code string, limits map[string]string) {
	t.Helper()
	body := map[string]any{"name": "测试类别 " + code, "department": "engineering", "responsible": "li_qiang"}
	for k, v := range limits {
		body[k] = v
	}
	if status := call(t, "PUT", "/api/v1/handbook/categories/"+code, body, nil); status != http.StatusOK {
		t.Fatalf("put category %s: HTTP %d", code, status)
	}
}

// servedLikeA gives a community a test made to everyone who works in demo
// community A, as an administrator would (staff_communities, docs/DESIGN.md
// §7.6): the tests act as demo staff there.
const servedLikeA = `INSERT INTO staff_communities (staff_code, community_code)
	SELECT staff_code, $1 FROM staff_communities WHERE community_code = 'A' ON CONFLICT DO NOTHING`

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
