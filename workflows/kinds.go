package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/concierge-pm/concierge/domain"
)

// CaseInput starts the workflow of a case of any kind. It holds codes only.
type CaseInput struct {
	Number     string          `json:"number"`
	Category   string          `json:"category"`
	Community  string          `json:"community"`
	Channel    domain.Channel  `json:"channel"`
	Priority   domain.Priority `json:"priority"`
	Department string          `json:"department"`
	Assignee   string          `json:"assignee"`
	// Policy holds the category's limits, copied when the case is recorded
	// so later handbook edits do not move its deadlines. For a repair,
	// FeedbackWithin is the promised feedback time (30 min for a burst
	// pipe) and the resolution window the completion deadline.
	Policy domain.Policy `json:"policy"`
	// Callback is the category's callback policy; only repairs read it.
	Callback domain.CallbackPolicy `json:"callback,omitempty"`
	Actor    string                `json:"actor"`
	// Intake is a random token of the intake this case was started from.
	// After a restore of Concierge's database behind Temporal's history, a
	// new intake can be given a number an earlier workflow holds; the
	// token in the state tells the starter which intake that workflow
	// serves (cases.StartStored).
	Intake string `json:"intake,omitempty"`
}

// CaseWorkflow is the signature every case workflow has.
type CaseWorkflow func(workflow.Context, CaseInput) (CaseState, error)

// caseWorkflows pairs each kind of the registry (domain/kinds.go) with its
// workflow. Register panics while a declared kind has none, so a worker
// with a half-added kind does not start and every test that registers the
// workflows names the kind.
func caseWorkflows() map[domain.Kind]CaseWorkflow {
	return map[domain.Kind]CaseWorkflow{
		domain.KindComplaint: Complaint,
		domain.KindRepair:    Repair,
	}
}

// StateOf derives the returned state of a case from a snapshot.
func StateOf(kind domain.Kind, s domain.CaseSnapshot) CaseState {
	return stateOf(domain.MustSpec(kind), s)
}

func stateOf(spec domain.KindSpec, s domain.CaseSnapshot) CaseState {
	return CaseState{
		CaseSnapshot:   s,
		AllowedActions: spec.AllowedActions(s.Status),
		EscalatedTo:    domain.LevelRole(s.EscalationLevel),
		NextDeadline:   s.OpenDeadlines().Next(),
	}
}

// registerCases registers the workflow of every declared kind under the
// name the registry gives it.
func registerCases(r WorkflowRegistry) {
	fns := caseWorkflows()
	for _, spec := range domain.Kinds() {
		fn, ok := fns[spec.Kind]
		if !ok {
			panic(fmt.Sprintf("workflows: the case kind %q is declared in domain/kinds.go but has no workflow in workflows/kinds.go", spec.Kind))
		}
		r.RegisterWorkflowWithOptions(fn, workflow.RegisterOptions{Name: spec.Workflow})
	}
}
