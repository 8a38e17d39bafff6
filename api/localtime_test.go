package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
)

func shanghai(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestLocalizeJSONTimes(t *testing.T) {
	loc := shanghai(t)
	for _, tt := range []struct{ name, in, want string }{
		{"UTC to the centre's zone", `{"received_at":"2026-12-02T00:49:54.408342Z"}`, `{"received_at":"2026-12-02T08:49:54.408342+08:00"}`},
		{"midnight in Shanghai is the day before in UTC", `{"at":"2026-11-30T16:00:00Z"}`, `{"at":"2026-12-01T00:00:00+08:00"}`},
		{"already local", `{"at":"2026-12-02T08:49:54+08:00"}`, `{"at":"2026-12-02T08:49:54+08:00"}`},
		{"another offset", `{"at":"2026-12-02T01:00:00.5-05:00"}`, `{"at":"2026-12-02T14:00:00.5+08:00"}`},
		{"in lists and nested objects", `{"next_runs":["2027-01-01T00:00:00Z",{"d":{"x":"2027-01-01T00:00:00Z"}}]}`,
			`{"next_runs":["2027-01-01T08:00:00+08:00",{"d":{"x":"2027-01-01T08:00:00+08:00"}}]}`},
		{"a key is left alone", `{"2026-12-02T00:00:00Z" :"2026-12-02T00:00:00Z"}`, `{"2026-12-02T00:00:00Z" :"2026-12-02T08:00:00+08:00"}`},
		{"a time inside text is left alone", `{"workflow_id":"monthly-complaint-analysis-2026-11-01T06:30:00Z"}`,
			`{"workflow_id":"monthly-complaint-analysis-2026-11-01T06:30:00Z"}`},
		{"dates and months are left alone", `{"day":"2026-12-02","month":"2026-12"}`, `{"day":"2026-12-02","month":"2026-12"}`},
		{"not a time", `{"x":"2026-13-02T00:00:00Z","y":"2026-12-02T00:00Z"}`, `{"x":"2026-13-02T00:00:00Z","y":"2026-12-02T00:00Z"}`},
		{"escaped quotes", `{"m":"say \"2026-12-02T00:00:00Z\"","at":"2026-12-02T00:00:00Z"}`,
			`{"m":"say \"2026-12-02T00:00:00Z\"","at":"2026-12-02T08:00:00+08:00"}`},
		{"a null time", `{"closed_at":null}`, `{"closed_at":null}`},
	} {
		if got := string(localizeJSONTimes([]byte(tt.in), loc)); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}

// FuzzLocalizeJSONTimes: whatever a string holds, the answer stays valid
// JSON and keeps the string unless it is a time, which keeps its instant.
func FuzzLocalizeJSONTimes(f *testing.F) {
	for _, s := range []string{"2026-12-02T00:49:54.408342Z", "x\"2026-12-02T00:00:00Z", "卫生间漏水", "2026-12-02T08:00:00+08:00", `\`} {
		f.Add(s)
	}
	loc := shanghai(f)
	f.Fuzz(func(t *testing.T, s string) {
		in, err := json.Marshal(map[string]any{"s": s, "list": []string{s, "2026-12-02T00:00:00Z"}})
		if err != nil {
			t.Skip()
		}
		// What the answer said before (invalid UTF-8 is already U+FFFD).
		var orig, out struct {
			S    string
			List []string
		}
		if err := json.Unmarshal(in, &orig); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(localizeJSONTimes(in, loc), &out); err != nil {
			t.Fatalf("%s is no longer JSON: %v", in, err)
		}
		if want, err := time.Parse(time.RFC3339Nano, orig.S); err == nil && len(orig.S) <= 35 {
			if got, err := time.Parse(time.RFC3339Nano, out.S); err != nil || !got.Equal(want) {
				t.Fatalf("time %q became %q", orig.S, out.S)
			}
		} else if out.S != orig.S {
			t.Fatalf("text %q became %q", orig.S, out.S)
		}
		if len(out.List) != 2 || out.List[1] != "2026-12-02T08:00:00+08:00" {
			t.Fatalf("list %q", out.List)
		}
	})
}

// TestLocalTimesMiddleware checks that JSON answers, errors included, come
// out in the centre's zone and that other answers pass unchanged.
func TestLocalTimesMiddleware(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	s := &Server{cfg: Config{Location: shanghai(t)}}
	r := gin.New()
	r.Use(s.localTimes)
	utc := time.Date(2026, 11, 30, 16, 0, 0, 0, time.UTC)
	r.GET("/json", func(c *gin.Context) { c.JSON(http.StatusCreated, gin.H{"called_at": utc}) })
	r.GET("/error", func(c *gin.Context) {
		c.AbortWithStatusJSON(http.StatusConflict, gin.H{"error": gin.H{"code": "x", "message": "y"}, "at": utc})
	})
	r.GET("/text", func(c *gin.Context) { c.String(http.StatusOK, "%s", utc.Format(time.RFC3339)) })
	for _, tt := range []struct {
		path, want string
		code       int
	}{
		{"/json", `{"called_at":"2026-12-01T00:00:00+08:00"}`, http.StatusCreated},
		{"/error", `{"at":"2026-12-01T00:00:00+08:00","error":{"code":"x","message":"y"}}`, http.StatusConflict},
		{"/text", "2026-11-30T16:00:00Z", http.StatusOK},
	} {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, tt.path, nil))
		if w.Code != tt.code || w.Body.String() != tt.want {
			t.Errorf("GET %s: %d %s, want %d %s", tt.path, w.Code, w.Body.String(), tt.code, tt.want)
		}
	}
}
