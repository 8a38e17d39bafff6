package api

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
)

func TestParseRateLimit(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want RateLimit
		ok   bool
	}{
		{"30/1m", RateLimit{Burst: 30, Per: time.Minute}, true},
		{"5/10s", RateLimit{Burst: 5, Per: 10 * time.Second}, true},
		{"off", RateLimit{}, true},
		{"30", RateLimit{}, false},
		{"0/1m", RateLimit{}, false},
		{"30/0s", RateLimit{}, false},
		{"30/minute", RateLimit{}, false},
		{"-1/1m", RateLimit{}, false},
	} {
		got, err := ParseRateLimit(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseRateLimit(%q) = %+v, %v; want %+v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
		if tt.ok && tt.in != "off" && got.String() != tt.in {
			t.Errorf("RateLimit %+v prints as %q, want %q", got, got.String(), tt.in)
		}
	}
	if DefaultTrackingRate().String() != "30/1m" || DefaultEmailRate().String() != "120/1m" {
		t.Errorf("defaults print as %s and %s", DefaultTrackingRate(), DefaultEmailRate())
	}
}

// The bucket: Burst requests at once, then one every Per/Burst; clients do
// not share buckets, and an IPv6 /64 is one client. The clock is the
// limiter's own, so nothing here waits.
func TestRateLimiterBuckets(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rl := NewRateLimiter(RateLimit{Burst: 3, Per: 3 * time.Second}, 0)
	rl.now = func() time.Time { return now }
	a, b := clientKey("192.0.2.1"), clientKey("192.0.2.2")
	for i := range 3 {
		if ok, _ := rl.allow(a); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, wait := rl.allow(a)
	if ok || wait <= 0 || wait > time.Second {
		t.Fatalf("the 4th request: allowed %v, wait %v; want refused with a wait of at most 1 s", ok, wait)
	}
	if ok, _ := rl.allow(b); !ok {
		t.Fatal("another client was refused: buckets are shared")
	}
	now = now.Add(wait)
	if ok, _ := rl.allow(a); !ok {
		t.Fatal("refused after the wait it announced")
	}
	if clientKey("2001:db8::1") != clientKey("2001:db8::ffff:1") || clientKey("2001:db8::1") == clientKey("2001:db8:0:1::1") {
		t.Error("IPv6 clients are not keyed by their /64")
	}
	if clientKey("::ffff:192.0.2.1") != a {
		t.Error("an IPv4-mapped address is another client than its IPv4 address")
	}
}

// The limiter remembers at most maxClients: a flood of addresses does not
// grow it, and the one seen longest ago is forgotten first.
func TestRateLimiterForgetsLeastRecent(t *testing.T) {
	rl := NewRateLimiter(RateLimit{Burst: 1, Per: time.Hour}, 3)
	key := func(i int) netip.Prefix { return netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}), 32) }
	for i := range 3 {
		rl.allow(key(i))
	}
	rl.allow(key(0)) // seen again: now the most recent, and refused
	for i := 3; i < 100; i++ {
		rl.allow(key(i))
	}
	if n := rl.clientCount(); n != 3 {
		t.Fatalf("remembers %d clients, want at most 3", n)
	}
	rl2 := NewRateLimiter(RateLimit{Burst: 1, Per: time.Hour}, 2)
	rl2.allow(key(1))
	rl2.allow(key(2))
	rl2.allow(key(1)) // refused, and 1 is now the most recent
	rl2.allow(key(3)) // forgets 2, not 1
	if ok, _ := rl2.allow(key(1)); ok {
		t.Fatal("the most recently seen client was forgotten")
	}
	if ok, _ := rl2.allow(key(2)); !ok {
		t.Fatal("the least recently seen client was not the one forgotten")
	}
}

// The middleware answers 429 in the error envelope with Retry-After; the
// client is the peer address, whatever X-Forwarded-For says, unless the
// peer is a trusted proxy.
func TestRateLimitMiddleware(t *testing.T) {
	gin.SetMode(gin.TestMode)
	for _, tt := range []struct {
		name    string
		proxies []netip.Prefix
		// second is where the second request comes from: with a trusted
		// proxy, X-Forwarded-For names another client, who has a bucket
		// of its own.
		second int
	}{
		{"no proxy trusted: the header is ignored", nil, http.StatusTooManyRequests},
		{"a trusted proxy names the client", []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}, http.StatusOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := gin.New()
			if err := r.SetTrustedProxies(prefixStrings(tt.proxies)); err != nil {
				t.Fatal(err)
			}
			r.GET("/x", NewRateLimiter(RateLimit{Burst: 1, Per: time.Hour}, 0).Middleware(), func(c *gin.Context) { c.Status(http.StatusOK) })
			do := func(forwarded string) *httptest.ResponseRecorder {
				req := httptest.NewRequest("GET", "/x", nil)
				req.RemoteAddr = "192.0.2.9:1234"
				req.Header.Set("X-Forwarded-For", forwarded)
				rec := httptest.NewRecorder()
				r.ServeHTTP(rec, req)
				return rec
			}
			if rec := do("198.51.100.1"); rec.Code != http.StatusOK {
				t.Fatalf("first request: HTTP %d", rec.Code)
			}
			rec := do("198.51.100.2")
			if rec.Code != tt.second {
				t.Fatalf("second request: HTTP %d, want %d", rec.Code, tt.second)
			}
			if rec.Code == http.StatusTooManyRequests {
				checkMessage(t, "429", rec, http.StatusTooManyRequests, "too_many_requests",
					"too many requests from this address; try again in 3600 s / 请求过于频繁，请 3600 秒后再试")
				if got := rec.Header().Get("Retry-After"); got != "3600" {
					t.Errorf("Retry-After %q, want 3600", got)
				}
			}
		})
	}
}

func prefixStrings(ps []netip.Prefix) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

// The tracking page's policy allows its style sheet by hash: the page must
// carry exactly that text, or browsers drop the style.
func TestTrackPageStyleMatchesItsHash(t *testing.T) {
	var b strings.Builder
	if err := trackTemplate.Execute(&b, trackPageData{Error: "x"}); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	start, end := strings.Index(page, "<style>"), strings.Index(page, "</style>")
	if start < 0 || end < start {
		t.Fatal("the page has no style sheet")
	}
	sum := sha256.Sum256([]byte(page[start+len("<style>") : end]))
	want := "style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	if !strings.Contains(trackPageCSP(), want) {
		t.Fatalf("the policy %q does not allow the page's style sheet (%s)", trackPageCSP(), want)
	}
	if strings.Contains(trackPageCSP(), "unsafe-inline") || !strings.Contains(trackPageCSP(), "frame-ancestors 'none'") {
		t.Fatalf("the policy %q allows inline code or framing", trackPageCSP())
	}
}

// Body limits by route: a Content-Length over the route's limit is refused
// before the handler runs (the server here has no store: a request that got
// further would panic), and the larger routes take more than 1 MiB.
func TestBodyLimitsByRoute(t *testing.T) {
	gin.SetMode(gin.TestMode)
	h := New(Config{})
	for _, tt := range []struct {
		path   string
		length int64
		status int
		want   string
	}{
		{"/api/v1/complaints", maxJSONBody + 1, 413, "the body may be at most 1 MiB (1048576 bytes)"},
		{"/api/v1/nothing", maxJSONBody + 1, 413, "the body may be at most 1 MiB (1048576 bytes)"},
		{"/t/anything/rating", maxJSONBody + 1, 413, "the body may be at most 1 MiB (1048576 bytes)"},
		{"/api/v1/intake/email", 2<<20 + 1, 413, "the body may be at most 2 MiB (2097152 bytes)"},
		{"/api/v1/imports/units", 16<<20 + 1, 413, "the body may be at most 16 MiB (16777216 bytes)"},
	} {
		t.Run(tt.path, func(t *testing.T) {
			req := httptest.NewRequest("POST", tt.path, strings.NewReader("{}"))
			req.ContentLength = tt.length
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			checkMessage(t, tt.path, rec, tt.status, "too_large", tt.want)
		})
	}
	// Within its limit a larger route's body is not refused for its size.
	req := httptest.NewRequest("POST", "/api/v1/intake/email", strings.NewReader("x"))
	req.ContentLength = maxJSONBody + 1
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code == http.StatusRequestEntityTooLarge {
		t.Fatalf("the email webhook refused a body within its 2 MiB: %s", rec.Body)
	}
}

// Every answer carries nosniff and a policy against framing; the tracking
// page its own policy and no-referrer.
func TestSecurityHeaders(t *testing.T) {
	gin.SetMode(gin.TestMode)
	h := New(Config{})
	for _, tt := range []struct {
		path, csp, referrer string
	}{
		{"/healthz", apiCSP, ""},
		{"/api/v1/nothing", apiCSP, ""},
		{"/t/not-a-token", trackPageCSP(), "no-referrer"},
		{"/api/v1/track/not-a-token", trackPageCSP(), "no-referrer"},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", tt.path, nil))
		hd := rec.Header()
		if hd.Get("X-Content-Type-Options") != "nosniff" || hd.Get("X-Frame-Options") != "DENY" ||
			hd.Get("Content-Security-Policy") != tt.csp || hd.Get("Referrer-Policy") != tt.referrer {
			t.Errorf("GET %s: headers %v", tt.path, hd)
		}
	}
}
