package integration

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/concierge-pm/concierge/telemetry"
)

func TestHandbookCategories(t *testing.T) {
	t.Parallel()
	var list struct {
		Items []map[string]any `json:"items"`
	}
	if code := call(t, "GET", "/api/v1/handbook/categories?kind=complaint", nil, &list); code != 200 {
		t.Fatalf("HTTP %d", code)
	}
	names := map[string]bool{}
	for _, it := range list.Items {
		names[it["name"].(string)] = true
	}
	for _, n := range []string{"噪音扰民", "漏水渗水", "电梯故障", "公共卫生", "停车管理", "物业费争议", "安全隐患", "服务态度", "其他"} {
		if !names[n] {
			t.Errorf("handbook lacks %s", n)
		}
	}
	var cat map[string]any
	call(t, "GET", "/api/v1/handbook/categories/noise", nil, &cat)
	if cat["dispatch_within"] != "24h" || cat["resolve_within"] != "72h" || cat["department"] != "security" {
		t.Fatalf("noise category: %v", cat)
	}

	tests := []struct {
		name string
		body map[string]any
		want int
	}{
		{"bad duration", map[string]any{"name": "x", "dispatch_within": "soon"}, 422},
		{"too short", map[string]any{"name": "x", "feedback_within": "0s"}, 422},
		{"unknown department", map[string]any{"name": "x", "department": "kitchen"}, 422},
		{"responsible outside department", map[string]any{"name": "x", "department": "security", "responsible": "li_qiang"}, 422},
		{"missing name", map[string]any{"dispatch_within": "1h"}, 422},
		{"valid", map[string]any{"name": "绿化养护", "name_en": "Landscaping", "department": "cleaning", "responsible": "feng_xia",
			"dispatch_within": "90m", "feedback_within": "3s", "resolve_within": "48h"}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out map[string]any
			if code := call(t, "PUT", "/api/v1/handbook/categories/it_green", tt.body, &out); code != tt.want {
				t.Fatalf("HTTP %d, want %d: %v", code, tt.want, out)
			}
			if tt.want == 200 && (out["dispatch_within"] != "1h30m" || out["feedback_within"] != "3s" || out["callback_within"] != "48h") {
				t.Fatalf("saved %v", out)
			}
		})
	}
	if code := call(t, "GET", "/api/v1/handbook/categories/nothing", nil, nil); code != 404 {
		t.Fatalf("unknown category: HTTP %d", code)
	}
}

func TestReferenceData(t *testing.T) {
	t.Parallel()
	var list struct {
		Items []map[string]any `json:"items"`
	}
	// Other tests add communities of their own; the demo community is there as loaded.
	call(t, "GET", "/api/v1/communities", nil, &list)
	demo := false
	for _, c := range list.Items {
		demo = demo || (c["code"] == "A" && c["name"] == "阳光花园" && c["units"].(float64) == 36)
	}
	if !demo {
		t.Fatalf("communities %v lack demo community A with 36 units", list.Items)
	}
	call(t, "GET", "/api/v1/communities/A/units", nil, &list)
	if len(list.Items) != 36 {
		t.Fatalf("units %d", len(list.Items))
	}
	if code := call(t, "GET", "/api/v1/communities/ZZ/units", nil, nil); code != 404 {
		t.Fatalf("unknown community: HTTP %d", code)
	}
	call(t, "GET", "/api/v1/departments", nil, &list)
	if len(list.Items) != 5 {
		t.Fatalf("departments %v", list.Items)
	}
	call(t, "GET", "/api/v1/staff?department=engineering", nil, &list)
	if len(list.Items) != 3 {
		t.Fatalf("engineering staff %v", list.Items)
	}
}

func TestHealthReadinessMetrics(t *testing.T) {
	t.Parallel()
	var out map[string]any
	if code := call(t, "GET", "/healthz", nil, &out); code != 200 {
		t.Fatalf("healthz HTTP %d", code)
	}
	if code := call(t, "GET", "/readyz", nil, &out); code != 200 || out["status"] != "ok" {
		t.Fatalf("readyz HTTP %d %v", code, out)
	}
	call(t, "GET", "/api/v1/departments", nil, nil)
	// The metrics are served apart from the API (CONCIERGE_METRICS_ADDR).
	ms := httptest.NewServer(telemetry.Handler(sys.registry))
	defer ms.Close()
	resp, err := http.Get(ms.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), `concierge_http_requests_total{method="GET",route="/api/v1/departments",status="200"}`) {
		t.Fatalf("metrics lack the request counter:\n%.500s", body)
	}
	var e apiError
	if code := call(t, "GET", "/metrics", nil, &e); code != 404 {
		t.Fatalf("the API's port serves /metrics: HTTP %d", code)
	}
	if code := call(t, "GET", "/api/v1/nothing", nil, &e); code != 404 || e.Error.Code != "not_found" {
		t.Fatalf("unknown route: HTTP %d %+v", code, e)
	}
}
