package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/concierge-pm/concierge/store"
	"github.com/concierge-pm/concierge/workflows"
)

// Every error a handler returns becomes one {"error":{code,message}} answer,
// and a timeout reads differently when the worker rather than PostgreSQL
// did not answer.
func TestAnswerErrorMapsEachKindOfError(t *testing.T) {
	gin.SetMode(gin.TestMode)
	s := &Server{cfg: Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}}
	for _, tt := range []struct {
		name          string
		err           error
		status        int
		code, message string
	}{
		{"a problem", invalid("score must be a whole number"), 422, "invalid_input", "score must be a whole number"},
		{"a wrapped problem", fmt.Errorf("bind: %w", notFoundf("no visit %d", 7)), 404, "not_found", "no visit 7"},
		{"a conflict", conflict("already_rated", "rated"), 409, "already_rated", "rated"},
		{"not found, named", orNotFound(fmt.Errorf("visit 7: %w", store.ErrNotFound), notFoundf("no visit %d", 7)),
			404, "not_found", "no visit 7"},
		{"not found, unnamed", fmt.Errorf("visit 7: %w", store.ErrNotFound), 404, "not_found", "visit 7: not found"},
		{"orNotFound passes others", orNotFound(errors.New("boom"), notFoundf("no visit")), 500, "internal", "internal error"},
		{"a rejected transition", fromWorkflow(temporal.NewApplicationError("cannot close a new case", workflows.ErrInvalidTransition)),
			409, workflows.ErrInvalidTransition, "cannot close a new case"},
		{"rejected input", fromWorkflow(temporal.NewApplicationError("assignee is not in the department", workflows.ErrInvalidInput)),
			422, "invalid_input", "assignee is not in the department"},
		{"a workflow that has ended", fromWorkflow(serviceerror.NewNotFound("workflow not found")),
			409, workflows.ErrInvalidTransition, "the case workflow is not running"},
		{"a worker that does not answer", fromWorkflow(fmt.Errorf("update: %w", context.DeadlineExceeded)),
			503, "unavailable", "the worker did not answer in time; the action may still be applied when it is back, so check the case before retrying"},
		{"PostgreSQL that does not answer", fmt.Errorf("list: %w", context.DeadlineExceeded),
			503, "unavailable", "a dependency did not answer in time; try again"},
		{"a Temporal error outside a workflow call", serviceerror.NewNotFound("schedule not found"), 500, "internal", "internal error"},
		{"anything else", errors.New("connection reset"), 500, "internal", "internal error"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			c, _ := gin.CreateTestContext(w)
			c.Request = httptest.NewRequest(http.MethodGet, "/", nil)
			s.handle(func(*gin.Context) error { return tt.err })(c)
			var body struct {
				Error struct{ Code, Message string } `json:"error"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("%s: %v", w.Body, err)
			}
			if w.Code != tt.status || body.Error.Code != tt.code || body.Error.Message != tt.message {
				t.Errorf("HTTP %d %+v, want %d %s %q", w.Code, body.Error, tt.status, tt.code, tt.message)
			}
		})
	}
}
