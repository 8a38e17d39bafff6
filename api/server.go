// Package api is the thin HTTP layer of Concierge: Gin routes that validate
// input, start, update and query workflows, and read the read model.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/store"
	"github.com/concierge-pm/concierge/tracking"
)

// Config wires the API to its dependencies.
type Config struct {
	Store     *store.Store
	Temporal  client.Client
	TaskQueue string
	// Location is the service centre's time zone; case numbers use its day.
	Location *time.Location
	Logger   *slog.Logger
	// WorkflowTimeout bounds how long a request waits for the worker to
	// apply an action; 30 s when zero.
	WorkflowTimeout time.Duration
	// QueryTimeout bounds how long a case GET waits for the workflow of an
	// open case to answer its state query before it serves the read model's
	// snapshot instead (and says so: live false); 500 ms when zero.
	QueryTimeout time.Duration
	// EmailSecret signs the inbound-mail webhook; email intake is off
	// without one.
	EmailSecret []byte
	// Tracking signs the residents' tracking links; without it there are
	// none. PublicURL is where residents reach the API (the links' base) and
	// TrackingTTL how long a link lasts (tracking.DefaultTTL when zero).
	Tracking    *tracking.Signer
	PublicURL   string
	TrackingTTL time.Duration
	// Auth is how staff sign in.
	Auth AuthConfig

	// signedIn, in this package's tests only, replaces authentication with
	// a fixed identity, for the input checks that need no database.
	signedIn *store.Identity
	// TrackingRate and EmailRate limit each client of the tracking pages
	// and of the email webhook; the zero RateLimit is no limit (package
	// config supplies the defaults).
	TrackingRate RateLimit
	EmailRate    RateLimit
	// LoginRate limits each client's sign-in attempts, whichever names
	// they try (the lockout per name is in AuthConfig).
	LoginRate RateLimit
	// TrustedProxies are the addresses (IPs or CIDRs) of reverse proxies
	// whose X-Forwarded-For names the client; from anyone else the header
	// is ignored, so a client cannot pick the address it is limited by.
	TrustedProxies []netip.Prefix
	// Metrics collects the request metrics; the caller serves
	// Metrics.Handler on a listener of its own (CONCIERGE_METRICS_ADDR).
	// Nil: collected but not served.
	Metrics *Metrics
	// Namespace is the Temporal namespace; the codec endpoint serves it
	// only ("default" when empty).
	Namespace string
	// Codec is the payload codec the clients use; the codec endpoint
	// (CodecPath) decodes with it for the Web UI. CodecOrigins are the Web
	// UI origins it answers in CORS.
	Codec        converter.PayloadCodec
	CodecOrigins []string
	// Mount, when set, adds routes of the same process to the engine once
	// the API's are in place: the staff console (package console) is served
	// so, and reaches the API through the engine itself, with the rules of
	// every API route (sign-in, CSRF, permissions, scope) unchanged.
	Mount func(*gin.Engine)
}

// Server holds the handlers' dependencies.
type Server struct {
	cfg     Config
	metrics *Metrics

	// dummy is a password hash no password matches, made once, for the
	// sign-in of unknown names.
	dummyOnce sync.Once
	dummy     string
	// trackingLimit, emailLimit and loginLimit hold the per-client buckets
	// of the tracking pages, the email webhook and sign-in.
	trackingLimit, emailLimit, loginLimit *RateLimiter
	// perms is the route table permit enforces (routePermissions).
	perms map[string]domain.Permission
}

// Metrics are the API's request metrics.
type Metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// NewMetrics makes the request metrics and registers them on reg, the
// process's registry (telemetry.NewRegistry), which serves them on a
// listener of its own: /metrics shows request counts and process details
// that are for the operator, not the API's callers.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "concierge_http_requests_total", Help: "HTTP requests by route and status.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "concierge_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route"}),
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}

func (m *Metrics) middleware(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(c.Request.Method, route, strconv.Itoa(c.Writer.Status())).Inc()
	m.latency.WithLabelValues(c.Request.Method, route).Observe(time.Since(start).Seconds())
}

// New builds the HTTP handler. Serve it with NewHTTPServer, whose limits
// it relies on.
func New(cfg Config) http.Handler {
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.TrackingTTL <= 0 {
		cfg.TrackingTTL = tracking.DefaultTTL
	}
	if cfg.WorkflowTimeout <= 0 {
		cfg.WorkflowTimeout = 30 * time.Second
	}
	if cfg.QueryTimeout <= 0 {
		cfg.QueryTimeout = 500 * time.Millisecond
	}
	cfg.Auth.defaults()
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics(prometheus.NewRegistry())
	}
	if cfg.Namespace == "" {
		cfg.Namespace = "default"
	}
	s := &Server{cfg: cfg, metrics: cfg.Metrics,
		trackingLimit: NewRateLimiter(cfg.TrackingRate, 0), emailLimit: NewRateLimiter(cfg.EmailRate, 0),
		loginLimit: NewRateLimiter(cfg.LoginRate, 0), perms: routePermissions()}
	r := gin.New()
	proxies := make([]string, len(cfg.TrustedProxies))
	for i, p := range cfg.TrustedProxies {
		proxies[i] = p.String()
	}
	if err := r.SetTrustedProxies(proxies); err != nil {
		// Prefixes always parse; trust no one if they did not.
		cfg.Logger.Error("trusted proxies", "error", err)
		_ = r.SetTrustedProxies(nil)
	}
	r.Use(gin.Recovery(), s.metrics.middleware, s.logRequests, securityHeaders, limitBodies(), s.localTimes)
	r.NoRoute(NoRoute)
	r.HandleMethodNotAllowed = true
	r.NoMethod(func(c *gin.Context) {
		fail(c, http.StatusMethodNotAllowed, "method_not_allowed", "method not allowed here")
	})

	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/readyz", s.ready)
	r.GET("/api/openapi.json", serveOpenAPI(cfg.Logger))

	// The tracking links, HTML and JSON, share one policy and one bucket.
	tracked := []gin.HandlerFunc{trackingHeaders(), s.trackingLimit.Middleware()}
	track := r.Group("/t", tracked...)
	track.GET("/:token", s.trackPageHTML)
	track.POST("/:token/rating", s.trackRateForm)
	s.registerCodecRoutes(r)

	// Every API request is authenticated once, here, and acts as the
	// member of staff signed in (docs/DESIGN.md §7.2); only sign-in, the
	// signed email webhook and the residents' signed tracking links are
	// open. permit then lets through only the roles that hold the route's
	// permission (routePermissions; docs/DESIGN.md §7.6), denying by
	// default. The endpoints whose record needs a named person (not a
	// service token) say so with requireStaff.
	open := r.Group("/api/v1")
	authn := s.authenticate
	if cfg.signedIn != nil {
		authn = func(c *gin.Context) {
			c.Set(actorKey, cfg.signedIn.StaffCode)
			c.Set(identityKey, *cfg.signedIn)
		}
	}
	v1 := open.Group("", authn, s.permit)
	s.registerAuthRoutes(open, v1)
	// Each kind of case of the registry has the same six endpoints.
	for _, k := range domain.Kinds() {
		path := "/" + k.Path
		v1.POST(path, s.createCase(k.Kind))
		v1.GET(path, s.listCases(k.Kind))
		v1.GET(path+"/:number", s.getCase(k.Kind))
		v1.POST(path+"/:number/:action", s.actOnCase(k.Kind))
		v1.GET(path+"/:number/tracking-link", s.getTrackingLink(k.Kind))
		v1.POST(path+"/:number/tracking-link/resend", s.resendTrackingLink(k.Kind))
	}
	v1.GET("/handbook/categories", s.handle(s.listCategories))
	v1.GET("/handbook/categories/:code", s.handle(s.getCategory))
	v1.PUT("/handbook/categories/:code", s.handle(s.putCategory))
	v1.GET("/communities", s.handle(s.listCommunities))
	v1.GET("/communities/:code/units", s.handle(s.listUnits))
	v1.GET("/departments", s.handle(s.listDepartments))
	v1.GET("/staff", s.handle(s.listStaff))
	v1.PUT("/staff/:code/communities", s.handle(s.setStaffCommunities))
	v1.GET("/communities/:code/fees", s.handle(s.listFeeStandards))
	v1.POST("/communities/:code/fees", s.handle(s.addFeeStandard))
	v1.DELETE("/communities/:code/fees/:id", requireStaff("the member of staff who deletes the standard"), s.handle(s.deleteFeeStandard))
	v1.GET("/units/:community/:unit/fees", s.handle(s.unitFees))
	v1.POST("/visits", requireStaff("the receptionist who records the visit"), s.handle(s.createVisit))
	v1.GET("/visits", s.handle(s.listVisits))
	v1.GET("/households", s.handle(s.listHouseholds))
	v1.GET("/visits/:id", s.handle(s.getVisit))
	v1.GET("/notifications", s.handle(s.listNotifications))
	v1.GET("/kpis", s.handle(s.kpis))
	v1.GET("/ratings", s.handle(s.ratings))
	v1.GET("/reports/complaints", s.handle(s.complaintReport))
	v1.GET("/reports/complaints/archive", s.handle(s.listArchivedReports))
	v1.GET("/reports/complaints/archive/:month", s.handle(s.archivedReport))
	v1.GET("/evaluations", s.handle(s.staffEvaluation))
	v1.GET("/evaluations/settings", s.handle(s.evaluationSettings))
	v1.PUT("/evaluations/settings", requireStaff("the member of staff who changes the evaluation settings"), s.handle(s.putEvaluationSettings))
	v1.GET("/schedules", s.handle(s.listSchedules))
	v1.GET("/callbacks", s.handle(s.listCallbacks))
	v1.GET("/callbacks/coverage", s.handle(s.callbackCoverage))
	v1.POST("/callbacks/:id/result", s.handle(s.recordCallResult))
	v1.POST("/schedules/:id/:action", s.handle(s.actOnSchedule))
	open.GET("/track/:token", append(tracked, s.trackJSON)...)
	open.POST("/track/:token/rating", append(tracked, s.trackRateJSON)...)
	open.POST("/intake/email", s.emailLimit.Middleware(), s.handle(s.receiveEmail))
	v1.GET("/intake/emails", s.handle(s.listInboundEmails))
	v1.POST("/intake/emails/:id/open", s.handle(s.openInboundEmail))
	v1.POST("/intake/emails/:id/dismiss", s.handle(s.dismissInboundEmail))
	v1.POST("/visits/:id/exit", s.handle(s.exitVisit))
	v1.GET("/training/cycles", s.handle(s.listTrainingCycles))
	v1.POST("/training/cycles", requireStaff("the trainer who starts the cycle"), s.handle(s.startTrainingCycle))
	v1.GET("/training/cycles/:id", s.handle(s.getTrainingCycle))
	v1.POST("/training/cycles/:id/results", s.handle(s.recordExamResult))
	v1.GET("/training/questions", s.handle(s.listQuestions))
	v1.POST("/training/questions", s.handle(s.createQuestion))
	v1.POST("/training/questions/:id/deactivate", s.handle(s.deactivateQuestion))
	v1.GET("/calendar/:year", s.handle(s.getCalendar))
	v1.PUT("/calendar/:year", s.handle(s.putCalendar))
	s.registerSpreadsheetRoutes(v1)
	s.registerAuditRoutes(v1)
	if cfg.Mount != nil {
		cfg.Mount(r)
	}
	return r
}

// logRequests logs method, route and status; never bodies or query values,
// which may hold personal data.
func (s *Server) logRequests(c *gin.Context) {
	start := time.Now()
	c.Next()
	s.cfg.Logger.Debug("http", append(caseAttrs(c), "method", c.Request.Method, "route", c.FullPath(),
		"status", c.Writer.Status(), "duration", time.Since(start))...)
}

// caseAttrs are the log attributes that name the case a request is about:
// its number and workflow ID (codes, no personal data), none for another
// route.
func caseAttrs(c *gin.Context) []any {
	number := c.Param("number")
	if number == "" {
		return nil
	}
	attrs := []any{"number", number}
	if kind, ok := domain.KindOf(number); ok {
		attrs = append(attrs, "workflow_id", kind.WorkflowID(number))
	}
	return attrs
}

func (s *Server) ready(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 3*time.Second)
	defer cancel()
	// The answer says which dependency is down, never why: the error names
	// hosts, ports and the database user, which are for the log.
	checks := gin.H{}
	ok := true
	check := func(name string, err error) {
		if err != nil {
			s.cfg.Logger.Warn("not ready", "dependency", name, "error", err)
			checks[name], ok = "unavailable", false
			return
		}
		checks[name] = "ok"
	}
	check("postgres", s.cfg.Store.Ping(ctx))
	_, err := s.cfg.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{})
	check("temporal", err)
	if !ok {
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable", "checks": checks,
			"error": gin.H{"code": "not_ready", "message": "a dependency is not reachable"}})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ok", "checks": checks})
}

// fail writes the error envelope every client can rely on.
// NoRoute is the API's answer to a path no route serves. gin keeps one such
// handler per engine, so a part mounted beside the API that answers some
// paths itself (the console's 404 page) hands every other path to this.
func NoRoute(c *gin.Context) { fail(c, http.StatusNotFound, "not_found", "no such endpoint") }

func fail(c *gin.Context, status int, code, message string) {
	c.AbortWithStatusJSON(status, gin.H{"error": gin.H{"code": code, "message": message}})
}
