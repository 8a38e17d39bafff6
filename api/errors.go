package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/concierge-pm/concierge/store"
	"github.com/concierge-pm/concierge/workflows"
)

// Problem is a refusal a handler has decided on: the HTTP status and the
// code and message of the {"error":{code,message}} envelope. Handlers
// return it as an error and answerError writes it.
type Problem struct {
	Status  int
	Code    string
	Message string
}

func (p *Problem) Error() string { return fmt.Sprintf("%d %s: %s", p.Status, p.Code, p.Message) }

// invalid is the 422 invalid_input every input check answers.
func invalid(message string) *Problem {
	return &Problem{Status: http.StatusUnprocessableEntity, Code: "invalid_input", Message: message}
}

// invalidf is invalid with a formatted message.
func invalidf(format string, args ...any) *Problem {
	return invalid(fmt.Sprintf(format, args...))
}

// notFound is the 404 not_found of an unknown thing named in the path.
func notFound(message string) *Problem {
	return &Problem{Status: http.StatusNotFound, Code: "not_found", Message: message}
}

// notFoundf is the 404 not_found of an unknown thing named in the path.
func notFoundf(format string, args ...any) *Problem {
	return notFound(fmt.Sprintf(format, args...))
}

// conflict is a 409 with its own code: the request is well formed but the
// thing it acts on is not in a state that allows it.
func conflict(code, message string) *Problem {
	return &Problem{Status: http.StatusConflict, Code: code, Message: message}
}

// orNotFound answers p for store.ErrNotFound and passes any other error
// (and nil) through, so that a store call's unknown row reads as one line.
func orNotFound(err error, p *Problem) error {
	if errors.Is(err, store.ErrNotFound) {
		return p
	}
	return err
}

// workflowCallError marks the outcome of a call to a workflow (start,
// update, query): its Temporal errors have their own answers, and a
// timeout means the worker, not PostgreSQL, did not answer.
type workflowCallError struct{ err error }

func (e *workflowCallError) Error() string { return e.err.Error() }
func (e *workflowCallError) Unwrap() error { return e.err }

// fromWorkflow marks err (nil stays nil) as a workflow call's.
func fromWorkflow(err error) error {
	if err == nil {
		return nil
	}
	return &workflowCallError{err: err}
}

// handle adapts a handler that returns an error: nil means it has answered;
// anything else is answered by answerError.
func (s *Server) handle(h func(*gin.Context) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := h(c); err != nil {
			s.answerError(c, err)
		}
	}
}

// answerError is the one mapping from an error to the HTTP contract:
//   - a Problem answers itself;
//   - a workflow call's rejected transition is 409, its rejected input
//     422, a workflow that is not running 409, a worker that did not answer
//     in time 503;
//   - store.ErrNotFound that no handler named is 404;
//   - anything else is logged and answered 500 (503 when a dependency
//     timed out) without details.
func (s *Server) answerError(c *gin.Context, err error) {
	var p *Problem
	var call *workflowCallError
	var tooLarge *http.MaxBytesError
	if errors.As(err, &p) {
		fail(c, p.Status, p.Code, p.Message)
		return
	}
	if errors.As(err, &tooLarge) {
		// The body went over its route's limit (limitBodies); the server
		// closes the connection instead of reading the rest.
		fail(c, http.StatusRequestEntityTooLarge, "too_large", tooLargeMessage(tooLarge.Limit))
		return
	}

	if errors.As(err, &call) {
		var appErr *temporal.ApplicationError
		var notRunning *serviceerror.NotFound
		switch {
		case errors.As(err, &appErr) && appErr.Type() == workflows.ErrInvalidTransition:
			fail(c, http.StatusConflict, workflows.ErrInvalidTransition, appErr.Message())
			return
		case errors.As(err, &appErr) && appErr.Type() == workflows.ErrInvalidInput:
			fail(c, http.StatusUnprocessableEntity, "invalid_input", appErr.Message())
			return
		case errors.As(err, &notRunning):
			fail(c, http.StatusConflict, workflows.ErrInvalidTransition, "the case workflow is not running")
			return
		case errors.Is(err, context.DeadlineExceeded), errors.As(err, new(*client.WorkflowUpdateServiceTimeoutOrCanceledError)),
			errors.As(err, new(*serviceerror.DeadlineExceeded)):
			s.cfg.Logger.Warn("workflow call timed out", "route", c.FullPath(), "error", err)
			fail(c, http.StatusServiceUnavailable, "unavailable", "the worker did not answer in time; the action may still be applied when it is back, so check the case before retrying")
			return
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		fail(c, http.StatusNotFound, "not_found", err.Error())
		return
	}
	s.internal(c, err)
}

// bodyError is the answer to a failed read of the request body: 413 when
// it went over its route's limit, 408 when it did not arrive within the
// server's read timeout, 400 otherwise (the client broke off).
func bodyError(err error) *Problem {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return &Problem{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: tooLargeMessage(tooLarge.Limit)}
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return &Problem{Status: http.StatusRequestTimeout, Code: "request_timeout", Message: "the body did not arrive in time"}
	}
	return &Problem{Status: http.StatusBadRequest, Code: "invalid_input", Message: "the body could not be read"}
}

// internal logs an unexpected error and answers 500 (or 503 when a
// dependency timed out) without leaking details.
func (s *Server) internal(c *gin.Context, err error) {
	s.cfg.Logger.Error("request failed", append(caseAttrs(c), "route", c.FullPath(), "error", err)...)
	if errors.Is(err, context.DeadlineExceeded) {
		fail(c, http.StatusServiceUnavailable, "unavailable", "a dependency did not answer in time; try again")
		return
	}
	fail(c, http.StatusInternalServerError, "internal", "internal error")
}

// workflowError answers a failed workflow call; for handlers not yet
// returning their errors.
func (s *Server) workflowError(c *gin.Context, err error) { s.answerError(c, fromWorkflow(err)) }
