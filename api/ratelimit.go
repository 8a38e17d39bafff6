package api

import (
	"container/list"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	xrate "golang.org/x/time/rate"

	"github.com/concierge-pm/concierge/domain"
)

// RateLimit is how many requests one client may make: Burst at once, and
// Burst again every Per after that (a token bucket of Burst tokens refilled
// evenly over Per). The zero value is no limit.
type RateLimit struct {
	Burst int
	Per   time.Duration
}

// Off says the limit is not set.
func (r RateLimit) Off() bool { return r.Burst <= 0 || r.Per <= 0 }

// String is the limit as configured: "30/1m", or "off".
func (r RateLimit) String() string {
	if r.Off() {
		return "off"
	}
	return strconv.Itoa(r.Burst) + "/" + domain.FormatDuration(r.Per)
}

// ParseRateLimit reads "<burst>/<duration>" (e.g. 30/1m: thirty at once,
// and thirty a minute after that) or "off".
func ParseRateLimit(v string) (RateLimit, error) {
	if v == "off" {
		return RateLimit{}, nil
	}
	n, per, ok := strings.Cut(v, "/")
	burst, err := strconv.Atoi(n)
	if !ok || err != nil || burst < 1 || burst > 1_000_000 {
		return RateLimit{}, errors.New("want <requests>/<duration> such as 30/1m, or off")
	}
	d, err := time.ParseDuration(per)
	if err != nil || d < time.Second || d > 24*time.Hour {
		return RateLimit{}, errors.New("want <requests>/<duration> with a duration from 1s to 24h, such as 30/1m")
	}
	return RateLimit{Burst: burst, Per: d}, nil
}

// DefaultTrackingRate is the default limit per client of the residents'
// tracking pages and their JSON: a resident opens their page a few times.
func DefaultTrackingRate() RateLimit { return RateLimit{Burst: 30, Per: time.Minute} }

// DefaultEmailRate is the default limit per client of the email webhook:
// the mail gateway posts every message from one address, so it gets far
// more.
func DefaultEmailRate() RateLimit { return RateLimit{Burst: 120, Per: time.Minute} }

// DefaultLoginRate is CONCIERGE_RATE_LOGIN's default: a front desk behind
// one address signs in a few people a minute; guessing passwords of many
// names from one address is slowed beyond the lockout of each name.
func DefaultLoginRate() RateLimit { return RateLimit{Burst: 20, Per: time.Minute} }

// defaultMaxClients is how many clients a RateLimiter remembers; beyond it
// the one seen longest ago is forgotten (and starts afresh, with a full
// bucket, if it comes back).
const defaultMaxClients = 10000

// RateLimiter limits requests per client IP address, each with its own
// token bucket (golang.org/x/time/rate). It remembers at most maxClients
// clients, least recently seen forgotten first, so a flood of addresses
// cannot grow it without bound. Build one per limited group of routes with
// NewRateLimiter and attach its Middleware to the routes.
type RateLimiter struct {
	limit      xrate.Limit
	burst      int
	maxClients int
	now        func() time.Time

	mu      sync.Mutex
	order   *list.List // of *limitedClient, most recently seen first
	clients map[netip.Prefix]*list.Element
}

type limitedClient struct {
	key     netip.Prefix
	limiter *xrate.Limiter
}

// NewRateLimiter builds a limiter; a limit that is Off gives a limiter that lets every
// request through. maxClients 0 means defaultMaxClients.
func NewRateLimiter(l RateLimit, maxClients int) *RateLimiter {
	if maxClients <= 0 {
		maxClients = defaultMaxClients
	}
	rl := &RateLimiter{burst: l.Burst, maxClients: maxClients, now: time.Now,
		order: list.New(), clients: map[netip.Prefix]*list.Element{}}
	if l.Off() {
		rl.limit = xrate.Inf
	} else {
		rl.limit = xrate.Limit(float64(l.Burst) / l.Per.Seconds())
	}
	return rl
}

// clientKey is the address a client is limited by: an IPv4 address, or
// the /64 of an IPv6 address, since one subscriber commonly holds a whole
// /64. Gin's ClientIP gives the connection's peer unless it is a trusted
// proxy (CONCIERGE_TRUSTED_PROXIES).
func clientKey(ip string) netip.Prefix {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return netip.Prefix{}
	}
	addr = addr.Unmap()
	bits := 32
	if addr.Is6() {
		bits = 64
	}
	p, _ := addr.Prefix(bits)
	return p
}

// allow takes one token of the client's bucket; if there is none it says
// how long until there is.
func (rl *RateLimiter) allow(key netip.Prefix) (bool, time.Duration) {
	if rl.limit == xrate.Inf {
		return true, 0
	}
	now := rl.now()
	rl.mu.Lock()
	defer rl.mu.Unlock()
	var lim *xrate.Limiter
	if el, ok := rl.clients[key]; ok {
		rl.order.MoveToFront(el)
		lim = el.Value.(*limitedClient).limiter
	} else {
		lim = xrate.NewLimiter(rl.limit, rl.burst)
		rl.clients[key] = rl.order.PushFront(&limitedClient{key: key, limiter: lim})
		for rl.order.Len() > rl.maxClients {
			oldest := rl.order.Back()
			rl.order.Remove(oldest)
			delete(rl.clients, oldest.Value.(*limitedClient).key)
		}
	}
	r := lim.ReserveN(now, 1)
	if delay := r.DelayFrom(now); delay > 0 {
		r.CancelAt(now)
		return false, delay
	}
	return true, 0
}

// Middleware answers 429 too_many_requests, with Retry-After in whole
// seconds, to a client that has used up its bucket, and passes the others on.
func (rl *RateLimiter) Middleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		ok, wait := rl.allow(clientKey(c.ClientIP()))
		if ok {
			c.Next()
			return
		}
		secs := int(math.Ceil(wait.Seconds()))
		c.Header("Retry-After", strconv.Itoa(secs))
		fail(c, http.StatusTooManyRequests, "too_many_requests",
			fmt.Sprintf("too many requests from this address; try again in %d s / 请求过于频繁，请 %d 秒后再试", secs, secs))
	}
}

// clientCount is how many clients the limiter remembers (for tests).
func (rl *RateLimiter) clientCount() int {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	return rl.order.Len()
}
