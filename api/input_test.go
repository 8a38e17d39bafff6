package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/store"
)

type errorBody struct {
	Error struct{ Code, Message string }
}

// leaks are the parts of Go's own messages a person should never see.
var leaks = []string{"strconv", "ParseInt", "Atoi", "float64", "int64", "json:", "Go struct", "characters)"}

func checkMessage(t *testing.T, what string, rec *httptest.ResponseRecorder, status int, code, want string) {
	t.Helper()
	var e errorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
		t.Errorf("%s: HTTP %d, body %q is not the error envelope: %v", what, rec.Code, rec.Body, err)
		return
	}
	if rec.Code != status || e.Error.Code != code || e.Error.Message != want {
		t.Errorf("%s:\n got HTTP %d %s %q\nwant HTTP %d %s %q", what, rec.Code, e.Error.Code, e.Error.Message, status, code, want)
	}
	for _, l := range leaks {
		if strings.Contains(e.Error.Message, l) {
			t.Errorf("%s: message %q shows %q", what, e.Error.Message, l)
		}
	}
}

// anyRoleThatMay answers a request as the first role that may use its
// endpoint (domain.Roles order), signed in with a token naming a member
// of staff, so that input checks are reached whoever holds the permission.
func anyRoleThatMay() http.Handler {
	handlers := make([]http.Handler, 0, len(domain.Roles()))
	for _, r := range domain.Roles() {
		handlers = append(handlers, New(Config{signedIn: &store.Identity{StaffCode: "liu_fang", Role: string(r), Via: "token"}}))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		for _, h := range handlers {
			rec := httptest.NewRecorder()
			r := req.Clone(req.Context())
			r.Body = io.NopCloser(bytes.NewReader(body))
			h.ServeHTTP(rec, r)
			if rec.Code != http.StatusForbidden {
				for k, v := range rec.Header() {
					w.Header()[k] = v
				}
				w.WriteHeader(rec.Code)
				_, _ = w.Write(rec.Body.Bytes())
				return
			}
		}
		w.WriteHeader(http.StatusForbidden)
	})
}

// Query parameters and headers are refused with 422 and a message that
// says what to send, before anything reaches the store (the server here has
// none: a request that got that far would panic and answer 500).
func TestQueryAndHeaderMessages(t *testing.T) {
	gin.SetMode(gin.TestMode)
	h := anyRoleThatMay()
	complaint := `{"community":"A","unit":"1-101","resident":{"name":"王秀英","phone":"13800130000"},` +
		`"channel":"walk_in","category":"leak","description":"卫生间漏水"}`
	badDescription := strings.Replace(complaint, "卫生间漏水", "卫生间\xe6\xbc漏水", 1) // a character cut in half
	badName := "{\"item\":\"management\",\"name\":\"物业\xff费\",\"basis\":\"area\",\"rate\":\"2.80\",\"effective_from\":\"2027-01-01\"}"
	for _, tt := range []struct {
		name, method, target, body string
		headers                    map[string]string
		status                     int
		code, want                 string
	}{
		{"page_size over the limit", "GET", "/api/v1/complaints?page_size=500", "", nil,
			422, "invalid_input", "page_size must be from 1 to 200 (got 500)"},
		{"page_size zero", "GET", "/api/v1/repairs?page_size=0", "", nil,
			422, "invalid_input", "page_size must be from 1 to 200 (got 0)"},
		{"page_size not a number", "GET", "/api/v1/complaints?page_size=abc", "", nil,
			422, "invalid_input", `page_size must be a whole number from 1 to 200 (got "abc")`},
		{"page_size a fraction", "GET", "/api/v1/complaints?page_size=2.5", "", nil,
			422, "invalid_input", `page_size must be a whole number from 1 to 200 (got "2.5")`},
		{"page_size beyond int64", "GET", "/api/v1/complaints?page_size=99999999999999999999", "", nil,
			422, "invalid_input", "page_size must be from 1 to 200 (got 99999999999999999999)"},
		{"q not UTF-8", "GET", "/api/v1/complaints?q=%FF%FEabc", "", nil,
			422, "invalid_input", "q is not valid UTF-8 text"},
		{"q too long", "GET", "/api/v1/complaints?q=" + strings.Repeat("漏", 101), "", nil,
			422, "invalid_input", "q must be at most 100 characters"},
		{"visits limit not a number", "GET", "/api/v1/visits?limit=ten", "", nil,
			422, "invalid_input", `limit must be a whole number from 1 to 2000 (got "ten")`},
		{"visits limit over", "GET", "/api/v1/visits?limit=5000", "", nil,
			422, "invalid_input", "limit must be from 1 to 2000 (got 5000)"},
		{"notifications limit", "GET", "/api/v1/notifications?limit=-1", "", nil,
			422, "invalid_input", "limit must be from 1 to 1000 (got -1)"},
		{"Idempotency-Key not UTF-8", "POST", "/api/v1/complaints", complaint, map[string]string{"Idempotency-Key": "desk-\xff\xfe"},
			422, "invalid_input", "Idempotency-Key must be UTF-8 text; a UUID or a code like desk-2026-11-28-001 is best"},
		{"Idempotency-Key with a control character", "POST", "/api/v1/repairs", complaint, map[string]string{"Idempotency-Key": "a\x01b"},
			422, "invalid_input", "Idempotency-Key must not contain control characters"},
		{"Idempotency-Key too long", "POST", "/api/v1/complaints", complaint, map[string]string{"Idempotency-Key": strings.Repeat("k", 201)},
			422, "invalid_input", "Idempotency-Key must be at most 200 bytes"},
		{"description not UTF-8", "POST", "/api/v1/complaints", badDescription, nil,
			422, "invalid_input", fmt.Sprintf("the body is not valid UTF-8 (bad bytes at byte %d): send names and descriptions as UTF-8 text",
				strings.Index(badDescription, "\xe6\xbc漏"))},
		{"name not UTF-8", "POST", "/api/v1/communities/A/fees", badName, nil,
			422, "invalid_input", fmt.Sprintf("the body is not valid UTF-8 (bad bytes at byte %d): send names and descriptions as UTF-8 text",
				strings.Index(badName, "\xff"))},
		{"a lone surrogate escape", "POST", "/api/v1/complaints",
			strings.Replace(complaint, "卫生间漏水", `漏水\udc00`, 1), nil,
			422, "invalid_input", "description contains U+FFFD (\ufffd), the mark of characters lost to a wrong encoding: send the original text"},
		{"JSON sent as text/plain", "POST", "/api/v1/complaints", complaint, map[string]string{"Content-Type": "text/plain"},
			415, "unsupported_media_type", "send the body as Content-Type: application/json"},
		{"JSON sent as a form", "PUT", "/api/v1/calendar/2027", `{"days":[]}`, map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			415, "unsupported_media_type", "send the body as Content-Type: application/json"},
		{"JSON without a type", "POST", "/api/v1/auth/login", `{"username":"a","password":"b"}`, map[string]string{"Content-Type": ""},
			415, "unsupported_media_type", "send the body as Content-Type: application/json"},
		{"body too large", "POST", "/api/v1/complaints",
			strings.Replace(complaint, "卫生间漏水", strings.Repeat("x", maxJSONBody), 1), nil,
			413, "too_large", "the body may be at most 1 MiB (1048576 bytes)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var body *bytes.Reader
			if tt.body != "" {
				body = bytes.NewReader([]byte(tt.body))
			} else {
				body = bytes.NewReader(nil)
			}
			req := httptest.NewRequest(tt.method, tt.target, body)
			req.Header.Set("Content-Type", "application/json")
			for k, v := range tt.headers {
				req.Header[k] = []string{v} // as sent, without canonical cleaning
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			checkMessage(t, tt.name, rec, tt.status, tt.code, tt.want)
		})
	}
}

// Decoder and validator errors speak of what to send: whole numbers,
// numbers, text, limits in characters only for text.
func TestBodyMessages(t *testing.T) {
	gin.SetMode(gin.TestMode)
	for _, tt := range []struct {
		name string
		into func() any
		body string
		want string
	}{
		{"a score as text", func() any { return &trackRatingRequest{} }, `{"score":"5"}`, "score must be a whole number"},
		{"a fractional score", func() any { return &trackRatingRequest{} }, `{"score":4.5}`, "score must be a whole number (got 4.5)"},
		{"a huge score", func() any { return &trackRatingRequest{} }, `{"score":99999999999999999999}`, "score is out of range (got 99999999999999999999)"},
		{"a score too high", func() any { return &trackRatingRequest{} }, `{"score":9}`, "score must be at most 5"},
		{"a score too low", func() any { return &trackRatingRequest{} }, `{"score":-1}`, "score must be at least 1"},
		{"a comment too long", func() any { return &trackRatingRequest{} }, `{"score":5,"comment":"` + strings.Repeat("好", 2001) + `"}`,
			"comment must be at most 2000 characters"},
		{"a position too high", func() any { return &feeStandardRequest{} },
			`{"item":"x","name":"x","basis":"area","rate":"1","effective_from":"2026-01-01","position":5000}`, "position must be at most 1000"},
		{"a rate as a number", func() any { return &feeStandardRequest{} },
			`{"item":"x","name":"x","basis":"area","rate":1.5,"effective_from":"2026-01-01"}`, "rate must be text (a JSON string)"},
		{"a threshold as text", func() any { return &evaluationSettingsRequest{} },
			`{"threshold":"80"}`, "threshold must be a number"},
		{"a threshold beyond float64", func() any { return &evaluationSettingsRequest{} },
			`{"threshold":1e400}`, "threshold is out of range (got 1e400)"},
		{"too many keywords", func() any { return &putCategoryRequest{} },
			`{"keywords":[` + strings.TrimSuffix(strings.Repeat(`"k",`, 51), ",") + `]}`, "keywords must be at most 50 items"},
		{"a keyword too long", func() any { return &putCategoryRequest{} },
			`{"keywords":["` + strings.Repeat("k", 33) + `"]}`, "keywords[0] must be at most 32 characters"},
		{"no days", func() any { return &calendarBody{} }, `{"days":[]}`, "days must be at least 1 item"},
		{"keywords as text", func() any { return &putCategoryRequest{} }, `{"keywords":"leak"}`, "keywords must be a list"},
		{"a list for a body", func() any { return &trackRatingRequest{} }, `[]`, "the body must be an object"},
		{"a reached flag as text", func() any { return &callbackRequest{} }, `{"reached":"yes"}`, "reached must be true or false"},
		{"an unknown field", func() any { return &trackRatingRequest{} }, `{"score":5,"scor":1}`,
			`the body has an unknown field "scor"; send only the fields the endpoint documents`},
		{"a misspelt nested field", func() any { return &createCaseRequest{} },
			`{"community":"A","unit":"1-101","resident":{"name":"n","phone":"13800130000","phon":"x"}}`, `unknown field "phon"`},
		{"a second value after the body", func() any { return &trackRatingRequest{} }, `{"score":5} {"score":1}`,
			"the body must be one JSON value, with nothing after it"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			c, _ := gin.CreateTestContext(rec)
			c.Request = httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tt.body))
			c.Request.Header.Set("Content-Type", "application/json")
			if bindJSON(c, tt.into()) {
				t.Fatalf("accepted %s", tt.body)
			}
			var e errorBody
			_ = json.Unmarshal(rec.Body.Bytes(), &e)
			if !strings.Contains(e.Error.Message, tt.want) {
				t.Errorf("message %q, want it to say %q", e.Error.Message, tt.want)
			}
			checkMessage(t, tt.name, rec, 422, "invalid_input", e.Error.Message)
		})
	}
}

// TestUnauthenticated: without a session or token every /api/v1 endpoint
// but sign-in and the routes with their own authentication answers 401
// before it looks at anything, whatever X-Staff-Code claims.
func TestUnauthenticated(t *testing.T) {
	gin.SetMode(gin.TestMode)
	h := New(Config{})
	for _, tt := range []struct {
		name, method, target string
		headers              map[string]string
		want                 string
	}{
		{"no identity", "GET", "/api/v1/complaints", nil,
			"sign in first (POST /api/v1/auth/login) or send an API token (Authorization: Bearer …)"},
		{"X-Staff-Code alone", "POST", "/api/v1/complaints/TS20260101-0001/close", map[string]string{"X-Staff-Code": "chen_jing"},
			"X-Staff-Code identifies nobody: sign in first (POST /api/v1/auth/login) or send an API token (Authorization: Bearer …)"},
		{"X-Staff-Code on a delete", "DELETE", "/api/v1/communities/A/fees/1", map[string]string{"X-Staff-Code": "he_yan"},
			"X-Staff-Code identifies nobody: sign in first (POST /api/v1/auth/login) or send an API token (Authorization: Bearer …)"},
		{"another scheme", "GET", "/api/v1/auth/me", map[string]string{"Authorization": "Basic YTpi"},
			"the Authorization header must be Bearer <token>"},
		{"an empty bearer", "GET", "/api/v1/users", map[string]string{"Authorization": "Bearer "},
			"the Authorization header must be Bearer <token>"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.target, nil)
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			checkMessage(t, tt.name, rec, http.StatusUnauthorized, "unauthenticated", tt.want)
		})
	}
}
