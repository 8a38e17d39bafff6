package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gin-gonic/gin"
)

// ginParam matches a Gin path parameter (:name, or *name for a catch-all).
var ginParam = regexp.MustCompile(`[:*]([A-Za-z0-9_]+)`)

// openAPIPath writes a Gin route path as OpenAPI does: /a/:b → /a/{b}.
func openAPIPath(ginPath string) string {
	return ginParam.ReplaceAllString(ginPath, "{$1}")
}

// contractGaps compares the routes an engine registers with the operations
// a document describes, both as "METHOD /path": undocumented routes, and
// documented operations no route serves.
func contractGaps(routes gin.RoutesInfo, doc *openapi3.T) (undocumented, unserved []string) {
	registered := map[string]bool{}
	for _, r := range routes {
		registered[r.Method+" "+openAPIPath(r.Path)] = true
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	for op := range registered {
		if !documented[op] {
			undocumented = append(undocumented, op)
		}
	}
	for op := range documented {
		if !registered[op] {
			unserved = append(unserved, op)
		}
	}
	slices.Sort(undocumented)
	slices.Sort(unserved)
	return undocumented, unserved
}

func TestOpenAPIDocumentIsValid(t *testing.T) {
	doc, err := OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("api/openapi.yaml is not a valid OpenAPI 3 document: %v", err)
	}
	if doc.Components == nil || doc.Components.Schemas["Error"] == nil {
		t.Fatal("the error envelope is not described once as components.schemas.Error")
	}
}

// TestOpenAPICoversRoutes checks the contract both ways: every route the
// server registers is documented, and every documented operation is served.
// The extra cases prove the check notices a route added without
// documentation and an operation documented without a route.
func TestOpenAPICoversRoutes(t *testing.T) {
	doc, err := OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	engine := New(Config{}).(*gin.Engine)
	routes := engine.Routes()
	if len(routes) < 50 {
		t.Fatalf("only %d routes registered; the engine was not built as the server builds it", len(routes))
	}
	noop := func(*gin.Context) {}
	for _, tc := range []struct {
		name             string
		routes           gin.RoutesInfo
		wantUndocumented []string
		wantUnserved     []string
	}{
		{name: "the server's routes", routes: routes},
		{
			name:             "a route added without documentation",
			routes:           append(slices.Clone(routes), gin.RouteInfo{Method: http.MethodPost, Path: "/api/v1/praises/:number/:action", HandlerFunc: noop}),
			wantUndocumented: []string{"POST /api/v1/praises/{number}/{action}"},
		},
		{
			name: "a documented route removed",
			routes: slices.DeleteFunc(slices.Clone(routes), func(r gin.RouteInfo) bool {
				return r.Method == http.MethodGet && r.Path == "/api/v1/visits/:id"
			}),
			wantUnserved: []string{"GET /api/v1/visits/{id}"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			undocumented, unserved := contractGaps(tc.routes, doc)
			if !slices.Equal(undocumented, tc.wantUndocumented) {
				t.Errorf("routes not in api/openapi.yaml: %q; want %q", undocumented, tc.wantUndocumented)
			}
			if !slices.Equal(unserved, tc.wantUnserved) {
				t.Errorf("operations in api/openapi.yaml no route serves: %q; want %q", unserved, tc.wantUnserved)
			}
		})
	}
}

func TestOpenAPIServedAsJSON(t *testing.T) {
	h := New(Config{})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/openapi.json", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /api/openapi.json: %d %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	// What a client generator reads: a JSON document that loads and
	// validates by itself, with the same operations as the YAML.
	var served struct {
		OpenAPI string                     `json:"openapi"`
		Paths   map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &served); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if served.OpenAPI != "3.0.3" {
		t.Errorf("openapi %q, want 3.0.3", served.OpenAPI)
	}
	doc, err := openapi3.NewLoader().LoadFromData(rec.Body.Bytes())
	if err != nil {
		t.Fatalf("the served JSON does not load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the served JSON is not valid: %v", err)
	}
	want, err := OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	if len(served.Paths) != want.Paths.Len() {
		t.Errorf("served %d paths, the document has %d", len(served.Paths), want.Paths.Len())
	}
}
