package api

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/concierge-pm/concierge/domain"
)

func bindSettingsBody(body string) (*httptest.ResponseRecorder, bool, domain.EvalSettings) {
	w := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(w)
	c.Request = httptest.NewRequest(http.MethodPut, "/api/v1/evaluations/settings", bytes.NewBufferString(body))
	c.Request.Header.Set("Content-Type", "application/json")
	set, ok := bindEvaluationSettings(c)
	return w, ok, set
}

// Each kind of bad settings body gets a message that says what to fix.
func TestBindEvaluationSettings(t *testing.T) {
	gin.SetMode(gin.TestMode)
	w := `"weights":{"ratings":0.35,"feedback":0.25,"callbacks":0.2,"exam":0.2}`
	for _, tt := range []struct{ body, want string }{
		{`{` + w + `,"threshold":80}`, ""},
		{`{"weights":{"ratings":0,"feedback":0,"callbacks":0,"exam":3},"threshold":0}`, ""},
		{`{"threshold":80}`, "weights is required"},
		{`{"weights":{"ratings":0.35,"feedback":0.25,"callbacks":0.2},"threshold":80}`, "weights.exam is required"},
		{`{` + w + `}`, "threshold is required"},
		{`{"weights":{"ratings":-0.35,"feedback":0.25,"callbacks":0.2,"exam":0.2},"threshold":80}`, "weights.ratings must not be negative (got -0.35)"},
		{`{"weights":{"ratings":0,"feedback":0,"callbacks":0,"exam":0},"threshold":80}`, "weights must not all be zero"},
		{`{` + w + `,"threshold":100.01}`, "threshold must be between 0 and 100 (got 100.01)"},
		{`{` + w + `,"threshold":-5}`, "threshold must be between 0 and 100 (got -5)"},
		{`{` + w + `,"threshold":"80"}`, "threshold must be a number"},
		{`{` + w + `,"threshold":1e400}`, "threshold is out of range (got 1e400)"},
		{``, "weights is required"},
		{`{`, "not valid JSON"},
	} {
		rec, ok, _ := bindSettingsBody(tt.body)
		if tt.want == "" {
			if !ok {
				t.Errorf("%s: rejected %s", tt.body, rec.Body)
			}
			continue
		}
		var e struct {
			Error struct{ Code, Message string }
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &e)
		if ok || rec.Code != http.StatusUnprocessableEntity || e.Error.Code != "invalid_input" || !strings.Contains(e.Error.Message, tt.want) {
			t.Errorf("%s: HTTP %d %+v, want 422 saying %q", tt.body, rec.Code, e.Error, tt.want)
		}
	}
}

// FuzzEvaluationSettingsBody checks that whatever settings body is accepted
// can be stored: weights finite, 0–1000, not all zero, threshold 0–100.
func FuzzEvaluationSettingsBody(f *testing.F) {
	gin.SetMode(gin.TestMode)
	for _, s := range []string{
		`{"weights":{"ratings":0.35,"feedback":0.25,"callbacks":0.2,"exam":0.2},"threshold":80}`,
		`{"weights":{"ratings":-1,"feedback":0,"callbacks":0,"exam":0},"threshold":101}`,
		`{"weights":null,"threshold":null}`, `{"weights":{"ratings":1e308,"feedback":1e308,"callbacks":0,"exam":0},"threshold":0}`,
		`[]`, ``, `{`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		rec, ok, set := bindSettingsBody(string(body))
		if !ok {
			if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), `"code":"invalid_input"`) {
				t.Fatalf("rejected with HTTP %d %s", rec.Code, rec.Body)
			}
			return
		}
		w := set.Weights
		sum := 0.0
		for _, v := range []float64{w.Ratings, w.Feedback, w.Callbacks, w.Exam} {
			if math.IsNaN(v) || v < 0 || v > 1000 {
				t.Fatalf("accepted weight %v: %s", v, body)
			}
			sum += v
		}
		if !(sum > 0) || math.IsNaN(set.Threshold) || set.Threshold < 0 || set.Threshold > 100 {
			t.Fatalf("accepted %+v: %s", set, body)
		}
	})
}
