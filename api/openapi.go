package api

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gin-gonic/gin"
)

// openAPIYAML is the API contract. It is kept as YAML because people edit
// it; integrators fetch it as JSON from /api/openapi.json to generate
// clients. TestOpenAPICoversRoutes keeps it and the routes in step
// (docs/DESIGN.md §7).
//
//go:embed openapi.yaml
var openAPIYAML []byte

// OpenAPI loads the embedded contract (resolving its references, without
// validating it: the tests do that).
func OpenAPI() (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromData(openAPIYAML)
	if err != nil {
		return nil, fmt.Errorf("load api/openapi.yaml: %w", err)
	}
	return doc, nil
}

// openAPIJSON is the contract as JSON, converted once.
func openAPIJSON() ([]byte, error) {
	doc, err := OpenAPI()
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode the OpenAPI document as JSON: %w", err)
	}
	return raw, nil
}

// serveOpenAPI answers GET /api/openapi.json. The document is converted
// when the server is built; should that fail (the tests prevent it), the
// route answers 500 rather than keeping the whole API from starting.
func serveOpenAPI(logger *slog.Logger) gin.HandlerFunc {
	raw, err := openAPIJSON()
	if err != nil {
		logger.Error("the OpenAPI document cannot be served", "error", err)
	}
	return func(c *gin.Context) {
		if err != nil {
			fail(c, http.StatusInternalServerError, "internal", "internal error")
			return
		}
		c.Data(http.StatusOK, "application/json; charset=utf-8", raw)
	}
}
