package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/concierge-pm/concierge/api"
)

// contract is the API's OpenAPI document and a router over it, built once:
// every answer the integration tests receive through requestAt is checked
// against it.
type contract struct {
	doc    *openapi3.T
	router routers.Router
}

var loadContract = sync.OnceValues(func() (*contract, error) {
	doc, err := api.OpenAPI()
	if err != nil {
		return nil, err
	}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("route the OpenAPI document: %w", err)
	}
	// The workbooks and the tracking page are documented as opaque bodies;
	// kin-openapi decodes only the types it knows, so say how to read these.
	openapi3filter.RegisterBodyDecoder("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", openapi3filter.FileBodyDecoder)
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
	return &contract{doc: doc, router: router}, nil
})

// checkAnswer validates one answer against the contract: its status must be
// documented for the operation (or the operation's default), its content
// type listed, and its body must match the schema. An answer to a path or
// method the document does not have must be the error envelope.
func checkAnswer(req *http.Request, status int, header http.Header, body []byte) error {
	c, err := loadContract()
	if err != nil {
		return err
	}
	route, params, err := c.router.FindRoute(req)
	var notDocumented *routers.RouteError
	if errors.As(err, &notDocumented) {
		if status != http.StatusNotFound && status != http.StatusMethodNotAllowed {
			return fmt.Errorf("answered %d to an operation the OpenAPI document does not have", status)
		}
		schema := c.doc.Components.Schemas["Error"].Value
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			return fmt.Errorf("the %d answer is not JSON: %w", status, err)
		}
		if err := schema.VisitJSON(v); err != nil {
			return fmt.Errorf("the %d answer is not the error envelope: %w", status, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("find the operation in the OpenAPI document: %w", err)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return fmt.Errorf("the answer does not match the OpenAPI document (%s %s): %w", route.Method, route.Path, err)
	}
	return nil
}

// TestCheckAnswerRejectsOffContractAnswers proves the check requestAt makes
// on every answer can fail: answers that break the document in each way it
// checks are refused, and the matching ones pass.
func TestCheckAnswerRejectsOffContractAnswers(t *testing.T) {
	const ctJSON = "application/json; charset=utf-8"
	validCase := `{"number":"TS20261128-0001","kind":"complaint","status":"routed","category":"leak","community":"A",
		"unit":"1-101","resident":{"name":"n","phone":"p"},"department":"engineering","assignee":"li_qiang",
		"channel":"walk_in","priority":"urgent","escalation_level":0,"sla_breached":false,
		"recorded_at":"2026-11-28T14:05:00+08:00","deadlines":{"dispatch":null},"allowed_actions":["route"],
		"source":"workflow","live":true}`
	for _, tc := range []struct {
		name, method, path, contentType, body string
		status                                int
		ok                                    bool
	}{
		{"a case as documented", "GET", "/api/v1/complaints/TS20261128-0001", ctJSON, validCase, 200, true},
		{"an error envelope", "POST", "/api/v1/complaints/TS20261128-0001/resolve", ctJSON,
			`{"error":{"code":"invalid_transition","message":"no"}}`, 409, true},
		{"an unknown path answered with the envelope", "GET", "/api/v1/nothing", ctJSON,
			`{"error":{"code":"not_found","message":"no such endpoint"}}`, 404, true},
		{"a case without its status", "GET", "/api/v1/complaints/TS20261128-0001", ctJSON,
			strings.Replace(validCase, `"status":"routed",`, "", 1), 200, false},
		{"a case whose live is a string", "GET", "/api/v1/complaints/TS20261128-0001", ctJSON,
			strings.Replace(validCase, `"live":true`, `"live":"yes"`, 1), 200, false},
		{"a case with an unknown channel", "GET", "/api/v1/complaints/TS20261128-0001", ctJSON,
			strings.Replace(validCase, `"walk_in"`, `"fax"`, 1), 200, false},
		{"a case recorded at no time", "GET", "/api/v1/complaints/TS20261128-0001", ctJSON,
			strings.Replace(validCase, `"2026-11-28T14:05:00+08:00"`, `"yesterday"`, 1), 200, false},
		{"an error without the envelope", "POST", "/api/v1/complaints/TS20261128-0001/resolve", ctJSON,
			`{"message":"no"}`, 409, false},
		{"an undocumented status", "GET", "/healthz", ctJSON, `{"status":"ok"}`, 201, false},
		{"an undocumented content type", "GET", "/healthz", "text/plain", `ok`, 200, false},
		{"an unknown path answered 200", "GET", "/api/v1/nothing", ctJSON, `{}`, 200, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, nil)
			err := checkAnswer(req, tc.status, http.Header{"Content-Type": {tc.contentType}}, []byte(tc.body))
			if tc.ok && err != nil {
				t.Errorf("refused an answer that matches: %v", err)
			}
			if !tc.ok && err == nil {
				t.Error("accepted an answer that does not match the document")
			}
		})
	}
}
