// Package api is the thin HTTP layer of Concierge: Gin routes that validate
// input, start, update and query workflows, and read the read model.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
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
	// Namespace is the Temporal namespace; the codec endpoint serves it
	// only ("default" when empty).
	Namespace string
	// Codec is the payload codec the clients use; the codec endpoint
	// (CodecPath) decodes with it for the Web UI. CodecOrigins are the Web
	// UI origins it answers in CORS.
	Codec        converter.PayloadCodec
	CodecOrigins []string
}

// Server holds the handlers' dependencies.
type Server struct {
	cfg     Config
	metrics *metrics
}

type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "concierge_http_requests_total", Help: "HTTP requests by route and status.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "concierge_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route"}),
	}
	m.registry.MustRegister(m.requests, m.latency,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) middleware(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(c.Request.Method, route, strconv.Itoa(c.Writer.Status())).Inc()
	m.latency.WithLabelValues(c.Request.Method, route).Observe(time.Since(start).Seconds())
}

// New builds the HTTP handler.
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
	if cfg.Namespace == "" {
		cfg.Namespace = "default"
	}
	s := &Server{cfg: cfg, metrics: newMetrics()}
	r := gin.New()
	r.Use(gin.Recovery(), s.metrics.middleware, s.logRequests, s.localTimes)
	r.NoRoute(func(c *gin.Context) { fail(c, http.StatusNotFound, "not_found", "no such endpoint") })
	r.HandleMethodNotAllowed = true
	r.NoMethod(func(c *gin.Context) {
		fail(c, http.StatusMethodNotAllowed, "method_not_allowed", "method not allowed here")
	})

	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/readyz", s.ready)
	r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{})))
	r.GET("/api/openapi.json", serveOpenAPI(cfg.Logger))

	r.GET("/t/:token", s.trackPageHTML)
	r.POST("/t/:token/rating", s.trackRateForm)
	s.registerCodecRoutes(r)

	// Every API request names its actor once, here; the endpoints whose
	// record needs a named person say so with requireStaff.
	v1 := r.Group("/api/v1", s.resolveActor)
	for _, k := range []struct {
		path string
		kind domain.Kind
	}{{"/complaints", domain.KindComplaint}, {"/repairs", domain.KindRepair}} {
		v1.POST(k.path, s.createCase(k.kind))
		v1.GET(k.path, s.listCases(k.kind))
		v1.GET(k.path+"/:number", s.getCase(k.kind))
		v1.POST(k.path+"/:number/:action", s.actOnCase(k.kind))
		v1.GET(k.path+"/:number/tracking-link", s.getTrackingLink(k.kind))
		v1.POST(k.path+"/:number/tracking-link/resend", s.resendTrackingLink(k.kind))
	}
	v1.GET("/handbook/categories", s.handle(s.listCategories))
	v1.GET("/handbook/categories/:code", s.handle(s.getCategory))
	v1.PUT("/handbook/categories/:code", s.handle(s.putCategory))
	v1.GET("/communities", s.handle(s.listCommunities))
	v1.GET("/communities/:code/units", s.handle(s.listUnits))
	v1.GET("/departments", s.handle(s.listDepartments))
	v1.GET("/staff", s.handle(s.listStaff))
	v1.GET("/communities/:code/fees", s.handle(s.listFeeStandards))
	v1.POST("/communities/:code/fees", s.handle(s.addFeeStandard))
	v1.DELETE("/communities/:code/fees/:id", requireStaff("the member of staff who deletes the standard"), s.handle(s.deleteFeeStandard))
	v1.GET("/units/:community/:unit/fees", s.handle(s.unitFees))
	v1.POST("/visits", requireStaff("the receptionist who records the visit"), s.handle(s.createVisit))
	v1.GET("/visits", s.handle(s.listVisits))
	v1.GET("/visits/:id", s.handle(s.getVisit))
	v1.GET("/notifications", s.handle(s.listNotifications))
	v1.GET("/kpis", s.handle(s.kpis))
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
	v1.GET("/track/:token", s.trackJSON)
	v1.POST("/track/:token/rating", s.trackRateJSON)
	v1.POST("/intake/email", s.handle(s.receiveEmail))
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
	return r
}

// logRequests logs method, route and status; never bodies or query values,
// which may hold personal data.
func (s *Server) logRequests(c *gin.Context) {
	start := time.Now()
	c.Next()
	s.cfg.Logger.Debug("http", "method", c.Request.Method, "route", c.FullPath(),
		"status", c.Writer.Status(), "duration", time.Since(start))
}

func (s *Server) ready(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 3*time.Second)
	defer cancel()
	checks := gin.H{}
	ok := true
	if err := s.cfg.Store.Ping(ctx); err != nil {
		checks["postgres"], ok = err.Error(), false
	} else {
		checks["postgres"] = "ok"
	}
	if _, err := s.cfg.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		checks["temporal"], ok = err.Error(), false
	} else {
		checks["temporal"] = "ok"
	}
	if !ok {
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable", "checks": checks,
			"error": gin.H{"code": "not_ready", "message": "a dependency is not reachable"}})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ok", "checks": checks})
}

// fail writes the error envelope every client can rely on.
func fail(c *gin.Context, status int, code, message string) {
	c.AbortWithStatusJSON(status, gin.H{"error": gin.H{"code": code, "message": message}})
}
