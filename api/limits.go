package api

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/net/netutil"

	"github.com/concierge-pm/concierge/mailin"
)

// Limits bound what one connection may hold of the server: how long it may
// take to send its headers and body, how long an answer may take to write,
// how long it may sit idle between requests, how large its headers may be,
// and how many connections are open at once. A slow or idle client is
// disconnected instead of holding a goroutine and a file descriptor for
// ever (docs/DESIGN.md §7.5).
type Limits struct {
	ReadHeaderTimeout time.Duration
	// ReadTimeout covers the headers and the whole body: the largest body
	// (a 16 MiB import) must arrive within it.
	ReadTimeout time.Duration
	// WriteTimeout runs from the end of the request's headers to the end of
	// the answer, so it must exceed the wait for the worker (30 s).
	WriteTimeout   time.Duration
	IdleTimeout    time.Duration
	MaxHeaderBytes int
	// MaxConns is the most connections served at once; more wait in the
	// listen queue. 0: no limit.
	MaxConns int
}

// The defaults of Limits, which package config offers as its defaults too.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = time.Minute
	DefaultWriteTimeout      = 2 * time.Minute
	DefaultIdleTimeout       = time.Minute
	DefaultMaxHeaderBytes    = 64 << 10
	DefaultMaxConns          = 1000
)

// DefaultLimits are the limits of the configuration's defaults.
func DefaultLimits() Limits {
	return Limits{ReadHeaderTimeout: DefaultReadHeaderTimeout, ReadTimeout: DefaultReadTimeout,
		WriteTimeout: DefaultWriteTimeout, IdleTimeout: DefaultIdleTimeout,
		MaxHeaderBytes: DefaultMaxHeaderBytes, MaxConns: DefaultMaxConns}
}

// NewHTTPServer is the http.Server of the API handler h with the limits l;
// every process that serves the API uses it, so no listener runs without
// timeouts.
func NewHTTPServer(h http.Handler, l Limits) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		WriteTimeout:      l.WriteTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    l.MaxHeaderBytes,
	}
}

// Listen wraps ln so that at most l.MaxConns connections are open at once:
// an idle-connection flood then waits in the kernel's queue instead of
// using up the process's file descriptors.
func (l Limits) Listen(ln net.Listener) net.Listener {
	if l.MaxConns <= 0 {
		return ln
	}
	return netutil.LimitListener(ln, l.MaxConns)
}

// Body limits. A JSON body is at most maxJSONBody (binding.go); the routes
// below take more because what they carry is larger: a raw email, a
// spreadsheet.
func bodyLimits() map[string]int64 {
	return map[string]int64{
		"/api/v1/intake/email":  mailin.MaxSize,
		"/api/v1/imports/:kind": maxUploadBytes,
	}
}

// limitBodies caps the request body of every route, matched or not: a
// declared Content-Length over the route's limit is refused at once with
// 413, before a byte of the body is read; a body without one (chunked) is
// cut at the limit by http.MaxBytesReader, whose error answerError maps to
// the same 413. The server then closes the connection rather than read
// the rest.
func limitBodies() gin.HandlerFunc {
	limits := bodyLimits()
	return func(c *gin.Context) {
		limit, ok := limits[c.FullPath()]
		if !ok {
			limit = maxJSONBody
		}
		if c.Request.ContentLength > limit {
			c.Header("Connection", "close")
			fail(c, http.StatusRequestEntityTooLarge, "too_large", tooLargeMessage(limit))
			return
		}
		if c.Request.Body != nil {
			c.Request.Body = http.MaxBytesReader(serverWriter(c), c.Request.Body, limit)
		}
		c.Next()
	}
}

// serverWriter is net/http's own ResponseWriter under Gin's. MaxBytesReader
// must be given it: only through it does the server learn that the body
// went over its limit, and then close the connection after the answer
// instead of trying to drain the rest for the next request.
func serverWriter(c *gin.Context) http.ResponseWriter {
	if u, ok := c.Writer.(interface{ Unwrap() http.ResponseWriter }); ok {
		return u.Unwrap()
	}
	return c.Writer
}

func tooLargeMessage(limit int64) string {
	if limit%(1<<20) == 0 {
		return fmt.Sprintf("the body may be at most %d MiB (%d bytes)", limit>>20, limit)
	}
	return fmt.Sprintf("the body may be at most %d bytes", limit)
}

// Security headers. Every answer says nosniff, so that a browser never
// reads JSON (which may quote what a caller sent) as HTML or script, and may
// not be framed or run anything; the tracking page's own policy allows
// exactly its inline style sheet and its form.
const (
	apiCSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)

// trackPageCSP is the tracking page's policy: its one inline style sheet
// by hash (no 'unsafe-inline'), its form posting back to this origin, no
// script, no framing, no other origin.
func trackPageCSP() string {
	sum := sha256.Sum256([]byte(trackStyle))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
		"'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
}

// securityHeaders sets the headers every answer carries.
func securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", apiCSP)
	c.Next()
}

// trackingHeaders adds what the residents' pages need: their token is in
// the URL, so no Referer may carry it to another site, and the page's own
// content policy.
func trackingHeaders() gin.HandlerFunc {
	csp := trackPageCSP()
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		c.Next()
	}
}
