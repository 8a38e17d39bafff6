// Package console is the staff console: server-rendered pages (html/template,
// which escapes every value it writes) with a small script for progressive
// enhancement, served by the same process and engine as the API.
//
// The console holds no rules of its own. Every page reads, and every form
// acts, through the API's own routes, called in process on the engine
// (apiClient): sign-in, the session and its CSRF token, the permission of
// each route, the community and department scope and the transition table
// are the API's, exactly as a JSON client meets them. What the console adds
// is presentation: the message catalogue (zh and en), the centre's time
// zone, the SLA colours and the forms.
package console

import (
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Prefix is where the console is served.
const Prefix = "/console"

// Config wires the console.
type Config struct {
	// Location is the service centre's time zone: every time is shown in it.
	Location *time.Location
	// TemporalUI is the Temporal Web UI's base URL (for example
	// http://127.0.0.1:8233) and Namespace its namespace; without a URL the
	// case page shows no Web UI link.
	TemporalUI string
	Namespace  string
	Logger     *slog.Logger
	// NotFound answers the paths outside the console that no route serves
	// (api.NoRoute); a bare 404 when nil.
	NotFound gin.HandlerFunc
	// Now is the clock of the SLA colours; time.Now when nil.
	Now func() time.Time
}

// app is the console of one engine.
type app struct {
	cfg   Config
	api   *apiClient
	pages map[string]*template.Template
	cat   map[string]msg
}

// Mount returns the function that adds the console to the API's engine
// (api.Config.Mount): the pages under /console/, their assets under
// /console/static/, and / redirecting to the console.
func Mount(cfg Config) func(*gin.Engine) {
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Namespace == "" {
		cfg.Namespace = "default"
	}
	pages := parsePages()
	return func(r *gin.Engine) {
		a := &app{cfg: cfg, api: &apiClient{h: r}, pages: pages, cat: messages()}
		a.routes(r)
		r.NoRoute(a.notFound)
	}
}

// pageNames are the pages; each is parsed with the layout.
var pageNames = []string{"login", "home", "queue", "case", "error", "reception", "visit", "newcase", "training", "cycle", "exam", "callbacks", "field", "emails",
	"settings", "handbook", "category", "fees", "calendar", "questions", "ratings", "reports", "analysis", "evaluations"}

// parsePages parses every page with the layout once; a template error is a
// bug of this package, caught by its tests, so it panics.
func parsePages() map[string]*template.Template {
	out := make(map[string]*template.Template, len(pageNames))
	for _, name := range pageNames {
		t := template.New("layout.html").Funcs(funcs())
		out[name] = template.Must(t.ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html"))
	}
	return out
}

func (a *app) routes(r *gin.Engine) {
	r.GET("/", func(c *gin.Context) { c.Redirect(http.StatusFound, Prefix+"/") })
	r.GET(Prefix, func(c *gin.Context) { c.Redirect(http.StatusFound, Prefix+"/") })
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // the directory is embedded above
	}
	assets := http.StripPrefix(Prefix+"/static/", http.FileServer(http.FS(static)))
	r.GET(Prefix+"/static/*file", pageHeaders, func(c *gin.Context) {
		// The assets change only with the binary; an hour keeps the counter
		// tablet from asking on every page.
		c.Header("Cache-Control", "public, max-age=3600")
		assets.ServeHTTP(c.Writer, c.Request)
	})
	g := r.Group(Prefix, pageHeaders, a.language)
	g.GET("/login", a.loginPage)
	g.POST("/login", a.login)
	g.POST("/logout", a.signedIn, a.checkCSRF, a.logout)
	g.GET("/", a.signedIn, a.home)
	g.GET("/queue", a.signedIn, a.queue)
	g.GET("/reception", a.signedIn, a.reception)
	g.POST("/visits", a.signedIn, a.checkCSRF, a.recordVisit)
	g.GET("/visits/:id", a.signedIn, a.visitPage)
	g.POST("/visits/:id/exit", a.signedIn, a.checkCSRF, a.exitVisit)
	g.GET("/field", a.signedIn, a.field)
	g.GET("/callbacks", a.signedIn, a.callbacks)
	g.POST("/callbacks/:id/result", a.signedIn, a.checkCSRF, a.recordCall)
	g.GET("/training", a.signedIn, a.training)
	g.GET("/training/:id", a.signedIn, a.cyclePage)
	g.GET("/training/:id/exam", a.signedIn, a.examPage)
	g.POST("/training/:id/exam", a.signedIn, a.checkCSRF, a.sitExam)
	g.GET("/emails", a.signedIn, a.emails)
	g.POST("/emails/:id/open", a.signedIn, a.checkCSRF, a.openEmail)
	g.POST("/emails/:id/dismiss", a.signedIn, a.checkCSRF, a.dismissEmail)
	g.GET("/settings", a.signedIn, a.settings)
	g.GET("/handbook", a.signedIn, a.handbook)
	g.GET("/handbook/:code", a.signedIn, a.categoryPage)
	g.POST("/handbook/:code", a.signedIn, a.checkCSRF, a.saveCategory)
	g.GET("/fees", a.signedIn, a.fees)
	g.GET("/fees/:community", a.signedIn, a.fees)
	g.POST("/fees/:community", a.signedIn, a.checkCSRF, a.addFee)
	g.POST("/fees/:community/:id/delete", a.signedIn, a.checkCSRF, a.deleteFee)
	g.GET("/calendar", a.signedIn, a.calendar)
	g.GET("/calendar/:year", a.signedIn, a.calendar)
	g.POST("/calendar/:year", a.signedIn, a.checkCSRF, a.saveCalendar)
	g.GET("/questions", a.signedIn, a.questions)
	g.POST("/questions", a.signedIn, a.checkCSRF, a.addQuestion)
	g.POST("/questions/:id/deactivate", a.signedIn, a.checkCSRF, a.deactivateQuestion)
	g.GET("/queue/export", a.signedIn, a.exportQueue)
	g.GET("/reports", a.signedIn, a.reports)
	g.GET("/reports/export", a.signedIn, a.exportReport)
	g.GET("/reports/analysis", a.signedIn, a.analysis)
	g.GET("/reports/evaluations", a.signedIn, a.evaluations)
	g.GET("/reports/ratings", a.signedIn, a.ratings)
	g.GET("/cases/new", a.signedIn, a.newCase)
	g.POST("/cases/new", a.signedIn, a.checkCSRF, a.createCase)
	g.GET("/cases/:number", a.signedIn, a.casePage)
	g.POST("/cases/:number/:action", a.signedIn, a.checkCSRF, a.act)
}

// notFound answers a path no route serves. Under /console/ it is the
// console's 404 page, in the layout and both languages; anywhere else the
// API's answer (Config.NotFound), which this handler replaces, gin keeping
// one per engine.
func (a *app) notFound(c *gin.Context) {
	p := c.Request.URL.Path
	if p != Prefix && !strings.HasPrefix(p, Prefix+"/") {
		if a.cfg.NotFound != nil {
			a.cfg.NotFound(c)
		} else {
			c.AbortWithStatus(http.StatusNotFound)
		}
		return
	}
	c.Writer.Header().Set("Content-Security-Policy", consoleCSP)
	c.Writer.Header().Set("Referrer-Policy", "same-origin")
	c.Writer.Header().Set("Cache-Control", "no-store")
	a.pickLanguage(c)
	// Signed in, the page keeps its navigation; a page that does not
	// exist does not send anyone to sign in first.
	if v, err := c.Cookie(sessionCookie); err == nil && v != "" {
		var who me
		if err := a.api.get(c, "/api/v1/auth/me", &who); err == nil {
			c.Set(meKey, who)
		}
	}
	a.errorPage(c, http.StatusNotFound, "error.page_not_found", "")
	c.Abort()
}

// consoleCSP lets the pages load their own script, style and images only,
// and post forms only to themselves: no inline script runs, so text that
// slipped past escaping could still not execute.
const consoleCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// pageHeaders replaces the API's content policy (which allows nothing) with
// the console's; pages carry a session's data and are not cached.
func pageHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", consoleCSP)
	h.Set("Referrer-Policy", "same-origin")
	if !strings.HasPrefix(c.Request.URL.Path, Prefix+"/static/") {
		h.Set("Cache-Control", "no-store")
	}
	c.Next()
}

// safeNext is a path inside the console to go back to after sign-in, or
// the home page: never another site.
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || u.IsAbs() || u.Host != "" || strings.HasPrefix(next, "//") ||
		!strings.HasPrefix(path.Clean(u.Path)+"/", Prefix+"/") {
		return Prefix + "/"
	}
	return u.RequestURI()
}
