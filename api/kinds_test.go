package api

import (
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
