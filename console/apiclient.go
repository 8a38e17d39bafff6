package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"
)

// apiClient calls the API's routes in process, through the engine that
// serves them, with the browser's session: the console gets exactly the
// answers (and refusals) the API gives that member of staff.
type apiClient struct{ h http.Handler }

// apiError is the API's error envelope with the answer's status.
type apiError struct {
	Status  int
	Code    string
	Message string
	// RetryAfter is the Retry-After header of a 429.
	RetryAfter string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// recorder is the ResponseWriter of an in-process call.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}
func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

// call is one request to the API on behalf of the browser's request c.
type call struct {
	method, path string
	body         any
	// csrf is the session's CSRF token, for a request that changes something.
	csrf string
	// idempotencyKey makes a form posted twice one action.
	idempotencyKey string
	// session is the session id to send; the browser's by default.
	session string
}

// do sends the call and decodes a 2xx JSON answer into out (if not nil).
// A refusal is an *apiError; the recorder is returned for its headers.
func (a *apiClient) do(c *gin.Context, cl call, out any) (*recorder, error) {
	var body io.Reader
	if cl.body != nil {
		raw, err := json.Marshal(cl.body)
		if err != nil {
			return nil, fmt.Errorf("encode %s %s: %w", cl.method, cl.path, err)
		}
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(c.Request.Context(), cl.method, cl.path, body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", cl.method, cl.path, err)
	}
	// The API sees the browser's address (and, through trusted proxies,
	// its X-Forwarded-For), so its per-client limits apply to the person.
	req.RemoteAddr = c.Request.RemoteAddr
	req.TLS = c.Request.TLS
	if xff := c.Request.Header.Get("X-Forwarded-For"); xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	sid := cl.session
	if sid == "" {
		sid, _ = c.Cookie(sessionCookie)
	}
	if sid != "" {
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: sid})
	}
	if cl.csrf != "" {
		req.Header.Set("X-CSRF-Token", cl.csrf)
	}
	if cl.idempotencyKey != "" {
		req.Header.Set("Idempotency-Key", cl.idempotencyKey)
	}
	rec := &recorder{header: http.Header{}}
	a.h.ServeHTTP(rec, req)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	if rec.status >= 300 {
		var env struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		_ = json.Unmarshal(rec.body.Bytes(), &env)
		return rec, &apiError{Status: rec.status, Code: env.Error.Code, Message: env.Error.Message,
			RetryAfter: rec.header.Get("Retry-After")}
	}
	if out != nil && rec.body.Len() > 0 {
		if err := json.Unmarshal(rec.body.Bytes(), out); err != nil {
			return rec, fmt.Errorf("decode %s %s: %w", cl.method, cl.path, err)
		}
	}
	return rec, nil
}

// get is a GET with the browser's session.
func (a *apiClient) get(c *gin.Context, path string, out any) error {
	_, err := a.do(c, call{method: http.MethodGet, path: path}, out)
	return err
}
