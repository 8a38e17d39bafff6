package api

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
)

// FuzzCreateComplaintBody feeds arbitrary bodies through the create
// endpoint's binding and checks: nothing panics, and whatever is accepted is
// fit to store (required text present, no control characters, a phone
// number, a known channel and priority).
func FuzzCreateComplaintBody(f *testing.F) {
	gin.SetMode(gin.TestMode)
	seeds := []string{
		`{"community":"A","unit":"1-101","resident":{"name":"王秀英","phone":"13800130000"},"channel":"walk_in","category":"leak","description":"漏水"}`,
		`{"community":"A","unit":"1-101","resident":{"name":"x\u0000","phone":"1"},"channel":"fax","category":"","description":" "}`,
		`{"resident":null}`, `[]`, `{"priority":"urgent"}`, ``, `{`, `{"description":"\ud800"}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		w := httptest.NewRecorder()
		c, _ := gin.CreateTestContext(w)
		c.Request = httptest.NewRequest(http.MethodPost, "/api/v1/complaints", bytes.NewReader(body))
		c.Request.Header.Set("Content-Type", "application/json")
		var req createCaseRequest
		if !bindJSON(c, &req) {
			if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `"code":"invalid_input"`) {
				t.Fatalf("rejected with HTTP %d %s", w.Code, w.Body)
			}
			return
		}
		if err := req.normalize(); err != nil {
			return
		}
		for name, v := range map[string]string{"name": req.Resident.Name, "description": req.Description} {
			if v == "" || !utf8.ValidString(v) || v != strings.TrimSpace(v) {
				t.Fatalf("accepted %s %q", name, v)
			}
			for _, r := range v {
				if unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' {
					t.Fatalf("accepted control character in %s %q", name, v)
				}
			}
		}
		if !phoneRE.MatchString(req.Resident.Phone) {
			t.Fatalf("accepted phone %q", req.Resident.Phone)
		}
		switch req.Channel {
		case "walk_in", "phone", "email", "portal":
		default:
			t.Fatalf("accepted channel %q", req.Channel)
		}
		if req.Priority != "" && req.Priority != "normal" && req.Priority != "urgent" {
			t.Fatalf("accepted priority %q", req.Priority)
		}
		for _, code := range []string{req.Community, req.Unit, req.Category} {
			if !codeRE.MatchString(code) {
				t.Fatalf("accepted code %q", code)
			}
		}
	})
}
