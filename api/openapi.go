package api

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gin-gonic/gin"

	"github.com/concierge-pm/concierge/domain"
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
	raw, err := expandKinds(openAPIYAML)
	if err != nil {
		return nil, err
	}
	doc, err := openapi3.NewLoader().LoadFromData(raw)
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

// The case endpoints are the same for every kind of case, so the document
// writes them once between these markers and expandKinds serves one copy
// per kind of the registry: a new kind is documented as it is routed.
const (
	kindPathsBegin = "  # case-kind paths begin"
	kindPathsEnd   = "  # case-kind paths end\n"
)

// expandKinds replaces the case-kind paths of the YAML document with one
// copy per kind, its placeholders filled in.
func expandKinds(doc []byte) ([]byte, error) {
	text := string(doc)
	begin, end := strings.Index(text, kindPathsBegin), strings.Index(text, kindPathsEnd)
	if begin < 0 || end < begin {
		return nil, errors.New("api/openapi.yaml: the case-kind paths are not marked")
	}
	tmpl := text[begin:end]
	var b strings.Builder
	b.WriteString(text[:begin])
	for _, k := range domain.Kinds() {
		actions := make([]string, len(k.Actions))
		for i, a := range k.ActionNames() {
			actions[i] = string(a)
		}
		b.WriteString(strings.NewReplacer(
			"{cases}", k.Path, "{Kinds}", exported(k.Path), "{Kind}", exported(string(k.Kind)),
			"{noun_zh}", k.Noun.Zh, "{noun}", k.Noun.En, "{actions}", strings.Join(actions, ", "),
		).Replace(tmpl))
	}
	b.WriteString(text[end+len(kindPathsEnd):])
	return []byte(b.String()), nil
}

// exported spells a name as a Go-style identifier: repair_visits → RepairVisits.
func exported(name string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(name, func(r rune) bool { return r == '_' || r == '-' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}
