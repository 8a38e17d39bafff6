package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The codec answers the browser's preflight for the configured Web UI
// origins only, and refuses an unidentified caller before anything else.
func TestCodecCORSAndIdentity(t *testing.T) {
	h := New(Config{CodecOrigins: []string{"http://127.0.0.1:8233"}})
	for _, tc := range []struct {
		name, method, origin string
		status               int
		allowed              bool
	}{
		{"preflight from the Web UI", http.MethodOptions, "http://127.0.0.1:8233", http.StatusNoContent, true},
		{"preflight from another site", http.MethodOptions, "https://evil.example", http.StatusNoContent, false},
		{"unidentified call from the Web UI", http.MethodPost, "http://127.0.0.1:8233", http.StatusUnauthorized, true},
		{"unidentified call from another site", http.MethodPost, "https://evil.example", http.StatusUnauthorized, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, CodecPath+"/decode", strings.NewReader(`{"payloads":[]}`))
			req.Header.Set("Origin", tc.origin)
			req.Header.Set("Access-Control-Request-Headers", "content-type,x-namespace")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Errorf("HTTP %d %s, want %d", rec.Code, rec.Body, tc.status)
			}
			got := rec.Header().Get("Access-Control-Allow-Origin")
			if tc.allowed != (got == tc.origin) || (!tc.allowed && got != "") {
				t.Errorf("Access-Control-Allow-Origin %q for origin %s", got, tc.origin)
			}
			if tc.allowed && (rec.Header().Get("Access-Control-Allow-Credentials") != "true" ||
				!strings.Contains(rec.Header().Get("Access-Control-Allow-Headers"), "X-Namespace")) {
				t.Errorf("CORS headers %v", rec.Header())
			}
			if tc.status == http.StatusUnauthorized && !strings.Contains(rec.Body.String(), `"unauthenticated"`) {
				t.Errorf("body %s", rec.Body)
			}
		})
	}
}
