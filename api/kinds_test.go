package api

import (
	"fmt"
	"slices"
	"testing"

	"github.com/concierge-pm/concierge/domain"
)

// TestEveryActionHasABody checks the registry of case kinds against the
// request bodies: an action a kind declares without a body type here fails,
// by name, instead of being read as some other action's body.
func TestEveryActionHasABody(t *testing.T) {
	for _, spec := range domain.Kinds() {
		for _, a := range spec.ActionNames() {
			if newActionBody(a) == nil {
				t.Errorf("%s declares %s, which has no request body in newActionBody", spec.Kind, a)
			}
		}
	}
	if newActionBody("praise") != nil {
		t.Error("an undeclared action has a body")
	}
}

// TestOpenAPIDocumentsEveryKind checks that the case endpoints, written
// once in api/openapi.yaml, are documented for each kind with its own
// action names.
func TestOpenAPIDocumentsEveryKind(t *testing.T) {
	doc, err := OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	for _, spec := range domain.Kinds() {
		item := doc.Paths.Value("/api/v1/" + spec.Path + "/{number}/{action}")
		if item == nil || item.Post == nil {
			t.Errorf("%s: no action operation documented", spec.Kind)
			continue
		}
		var enum []string
		for _, p := range item.Post.Parameters {
			if p.Value.Name == "action" {
				for _, v := range p.Value.Schema.Value.Enum {
					enum = append(enum, fmt.Sprint(v))
				}
			}
		}
		var want []string
		for _, a := range spec.ActionNames() {
			want = append(want, string(a))
		}
		if !slices.Equal(enum, want) {
			t.Errorf("%s: documented actions %v, want %v", spec.Kind, enum, want)
		}
	}
	if doc.Paths.Value("/api/v1/{cases}") != nil {
		t.Error("the path template itself is served")
	}
}
