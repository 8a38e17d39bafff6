package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/concierge-pm/concierge/cases"
	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/store"
	"github.com/concierge-pm/concierge/workflows"
)

type residentInput struct {
	Name  string `json:"name" binding:"required,max=64"`
	Phone string `json:"phone" binding:"required,max=32"`
}

// createCaseRequest records a complaint or a repair request; the two take
// the same body.
type createCaseRequest struct {
	Community   string        `json:"community" binding:"required,max=32"`
	Unit        string        `json:"unit" binding:"required,max=32"`
	Resident    residentInput `json:"resident" binding:"required"`
	Channel     string        `json:"channel" binding:"required,oneof=walk_in phone email portal"`
	Category    string        `json:"category" binding:"required,max=32"`
	Description string        `json:"description" binding:"required,max=4000"`
	Priority    string        `json:"priority" binding:"omitempty,oneof=normal urgent"`
	// VisitID links the case to the reception-log visit that raised it.
	VisitID *int64 `json:"visit_id" binding:"omitempty,gte=1"`
	// CallRef is the phone system's reference of a phone intake.
	CallRef string `json:"call_ref" binding:"max=64"`
}

var phoneRE = regexp.MustCompile(`^\+?[0-9][0-9 -]{2,30}$`)

// normalize trims the free text and checks what the binding tags cannot.
func (r *createCaseRequest) normalize() error {
	if err := checkCodes([2]string{"community", r.Community}, [2]string{"unit", r.Unit}, [2]string{"category", r.Category}); err != nil {
		return err
	}
	var err error
	if r.Resident.Name, err = cleanText("resident.name", r.Resident.Name); err != nil {
		return err
	}
	if r.Description, err = cleanText("description", r.Description); err != nil {
		return err
	}
	r.Resident.Phone = strings.TrimSpace(r.Resident.Phone)
	if !phoneRE.MatchString(r.Resident.Phone) {
		return errors.New("resident.phone must be a phone number (digits, spaces, dashes, optional leading +)")
	}
	if r.CallRef, err = optionalText("call_ref", r.CallRef); err != nil {
		return err
	}
	if r.CallRef != "" && r.Channel != string(domain.ChannelPhone) {
		return errors.New("call_ref is only for phone intakes (channel phone)")
	}
	return nil
}

func (s *Server) createCase(kind domain.Kind) gin.HandlerFunc {
	return s.handle(func(c *gin.Context) error { return s.createCaseOf(c, kind) })
}

func (s *Server) createCaseOf(c *gin.Context, kind domain.Kind) error {
	var req createCaseRequest
	if err := bindBody(c, &req); err != nil {
		return err
	}
	if err := req.normalize(); err != nil {
		return invalid(err.Error())
	}
	key, err := idempotencyKeyOf(c)
	if err != nil {
		return err
	}
	actor := actor(c)
	if key == "" {
		key = "auto:" + uuid.NewString()
	}
	rec, err := s.recordCase(c, kind, req, key, actor)
	if err != nil {
		return err
	}
	s.respondRecorded(c, rec)
	return nil
}

// respondRecorded answers a create: 201 for a new case, 200 for a replay,
// with the tracking link for the receptionist to hand over.
func (s *Server) respondRecorded(c *gin.Context, rec recordedCase) {
	status := http.StatusCreated
	if !rec.created {
		status = http.StatusOK
	}
	state := rec.state
	if state == nil {
		state = s.liveState(c.Request.Context(), rec.view)
	}
	resp := s.appliedCaseJSON(c, rec.view, state)
	if rec.unread {
		resp.recordUnavailable()
	}
	resp.TrackURL = s.trackURL(rec.view.Number)
	c.JSON(status, resp)
}

// recordedCase is a case a create request stored (or found stored).
type recordedCase struct {
	view store.Case
	// state is what the workflow returned once the recording was written;
	// nil for a replay of a case already recorded.
	state   *workflows.CaseState
	created bool
	// unread is set when the case was recorded but reading it back from
	// PostgreSQL failed: view is then made of the request and the state.
	unread bool
}

// recordCase stores the intake of a validated request under its
// idempotency key and starts (or joins) its workflow. Once the workflow has
// recorded the case it returns no error, so an answer never hides a case
// that was made. A replay of a case already recorded returns it without a
// workflow call.
func (s *Server) recordCase(c *gin.Context, kind domain.Kind, req createCaseRequest, key, actor string) (recordedCase, error) {
	ctx := c.Request.Context()
	cat, err := s.cfg.Store.CategoryByCode(ctx, req.Category)
	if errors.Is(err, store.ErrNotFound) || (err == nil && cat.Kind != string(kind)) {
		return recordedCase{}, invalidf("category %q is not a %s category of the handbook", req.Category, kind)
	} else if err != nil {
		return recordedCase{}, err
	}
	// A community outside the caller's is answered as one with no such
	// unit (422, docs/DESIGN.md §7.6): the request, not a path, names it.
	unit, household, err := s.cfg.Store.UnitByCode(ctx, req.Community, req.Unit)
	if errors.Is(err, store.ErrNotFound) || err == nil && !inCommunities(c, req.Community) {
		return recordedCase{}, invalidf("unit %q does not exist in community %q", req.Unit, req.Community)
	} else if err != nil {
		return recordedCase{}, err
	}
	priority := domain.Priority(req.Priority)
	if priority == "" {
		priority = cat.Priority
	}
	canonical, _ := json.Marshal(req)
	sum := sha256.Sum256(canonical)
	intake := store.Intake{
		Kind: kind, IdempotencyKey: key, CallRef: req.CallRef, RequestHash: hex.EncodeToString(sum[:]),
		Community: req.Community, UnitID: unit.ID, HouseholdID: household,
		ResidentName: req.Resident.Name, ResidentPhone: req.Resident.Phone,
		Channel: domain.Channel(req.Channel), Category: cat.Code, Description: req.Description,
		Priority: priority, CreatedBy: actor, VisitID: req.VisitID,
	}
	token := uuid.NewString()
	intake.WorkflowInput = func(number string) ([]byte, error) {
		return workflowInput(kind, number, cat, req, priority, actor, token)
	}
	number, stored, created, err := s.cfg.Store.CreateIntake(ctx, intake, time.Now().In(s.cfg.Location))
	if errors.Is(err, store.ErrIdempotencyMismatch) {
		return recordedCase{}, &Problem{Status: http.StatusUnprocessableEntity, Code: "idempotency_key_reused", Message: fmt.Sprintf("this Idempotency-Key was already used for a different %s", kind)}
	} else if errors.Is(err, store.ErrNotFound) {
		return recordedCase{}, invalidf("visit %d does not exist", *req.VisitID)
	} else if errors.Is(err, store.ErrConflict) {
		return recordedCase{}, conflict("visit_already_linked", err.Error())
	} else if err != nil {
		return recordedCase{}, err
	}
	if !created {
		// A replay of a case already recorded needs no workflow call.
		if existing, err := s.cfg.Store.CaseByNumber(ctx, number); err == nil && existing.Recorded {
			return recordedCase{view: existing}, nil
		}
	}
	// Start (or join) the workflow with the input stored with the intake.
	sctx, cancel := context.WithTimeout(ctx, s.cfg.WorkflowTimeout)
	defer cancel()
	st, err := cases.StartStored(sctx, s.cfg.Temporal, s.cfg.TaskQueue, kind, stored, s.cfg.Store)
	if err != nil {
		return recordedCase{}, fromWorkflow(err)
	}
	// The number Temporal held may have been replaced (cases.StartStored).
	number = st.Number
	rec := recordedCase{state: &st, created: created}
	if rec.view, err = s.cfg.Store.CaseByNumber(ctx, number); err != nil {
		// The case exists now: answering 500 would invite a retry that,
		// without an Idempotency-Key, records it twice. What the request
		// took down and the workflow returned make the answer.
		s.cfg.Logger.Warn("a recorded case could not be read back", "number", number, "error", err)
		rec.unread = true
		rec.view = store.Case{CaseSnapshot: st.CaseSnapshot, Kind: kind, CallRef: req.CallRef, Unit: req.Unit,
			Resident: store.Resident{Name: req.Resident.Name, Phone: req.Resident.Phone}, Description: req.Description, Recorded: true}
	}
	return rec, nil
}

// appliedButUnfinished answers a request that changed something and then
// failed: the 5xx says what was done and how to finish, so that nobody takes
// it for a request that changed nothing.
func (s *Server) appliedButUnfinished(c *gin.Context, done, next string, err error) {
	s.cfg.Logger.Error("request failed after a change was applied", "route", c.FullPath(), "error", err)
	fail(c, http.StatusInternalServerError, "incomplete", done+"; "+next)
}

// workflowInput is the start input of a new case. The limits in force now
// are copied into the case, so later handbook edits do not move its deadlines.
func workflowInput(kind domain.Kind, number string, cat store.Category, req createCaseRequest, priority domain.Priority, actor, token string) ([]byte, error) {
	department := cat.Department
	if department == "" {
		// Repairs go to 工程部 unless the handbook says otherwise; a complaint
		// waits for a supervisor to route it.
		department = domain.MustSpec(kind).DefaultDepartment
	}
	return json.Marshal(workflows.CaseInput{
		Number: number, Category: cat.Code, Community: req.Community, Channel: domain.Channel(req.Channel), Priority: priority,
		Department: department, Assignee: cat.Responsible, Policy: cat.Policy, Callback: cat.Callback, Actor: actor,
		Intake: token,
	})
}

// Action bodies. Actor comes from the X-Staff-Code header, not the body.
// Each body checks what the binding tags cannot and builds the workflow's
// update argument; an error is invalid input.
type actionBody interface {
	update(actor string) (any, error)
}

type routeRequest struct {
	Department string `json:"department" binding:"required,max=32"`
	Assignee   string `json:"assignee" binding:"max=32"`
}

func (r *routeRequest) update(actor string) (any, error) {
	return workflows.RouteRequest{Department: r.Department, Assignee: r.Assignee, Actor: actor}, nil
}

// noBody is the body of actions that take none (acknowledge, arrive).
type noBody struct{ build func(actor string) any }

func (r *noBody) update(actor string) (any, error) { return r.build(actor), nil }

type feedbackRequest struct {
	Message string `json:"message" binding:"required,max=2000"`
}

func (r *feedbackRequest) update(actor string) (any, error) {
	msg, err := cleanText("message", r.Message)
	return workflows.FeedbackRequest{Message: msg, Actor: actor}, err
}

type resolveRequest struct {
	Resolution string `json:"resolution" binding:"required,max=2000"`
}

func (r *resolveRequest) update(actor string) (any, error) {
	res, err := cleanText("resolution", r.Resolution)
	return workflows.ResolveRequest{Resolution: res, Actor: actor}, err
}

type callbackRequest struct {
	Reached *bool  `json:"reached" binding:"required"`
	Score   int    `json:"score"`
	Comment string `json:"comment" binding:"max=2000"`
	Reopen  *bool  `json:"reopen"`
}

func (r *callbackRequest) update(actor string) (any, error) {
	switch {
	case *r.Reached && !domain.ValidScore(r.Score):
		return nil, errors.New("score must be between 1 and 5 when the resident was reached")
	case !*r.Reached && r.Score != 0:
		return nil, errors.New("score must be left out when the resident was not reached")
	}
	comment, err := optionalText("comment", r.Comment)
	return workflows.CallbackRequest{Reached: *r.Reached, Score: r.Score, Comment: comment, Reopen: r.Reopen, Actor: actor}, err
}

// reasonRequest is the body of withdraw (complaints) and cancel (repairs).
type reasonRequest struct {
	Reason string `json:"reason" binding:"max=2000"`
	build  func(reason, actor string) any
}

func (r *reasonRequest) update(actor string) (any, error) {
	reason, err := optionalText("reason", r.Reason)
	return r.build(reason, actor), err
}

// Repair action bodies.
type dispatchRequest struct {
	Department string `json:"department" binding:"max=32"`
	Assignee   string `json:"assignee" binding:"required,max=32"`
}

func (r *dispatchRequest) update(actor string) (any, error) {
	return workflows.DispatchRequest{Department: r.Department, Assignee: r.Assignee, Actor: actor}, nil
}

type completeRequest struct {
	Resolution string `json:"resolution" binding:"required,max=2000"`
	// Score is the on-site rating (现场评价); left out when not rated.
	Score   int    `json:"score" binding:"gte=0,lte=5"`
	Comment string `json:"comment" binding:"max=2000"`
}

func (r *completeRequest) update(actor string) (any, error) {
	res, err1 := cleanText("resolution", r.Resolution)
	comment, err2 := optionalText("comment", r.Comment)
	return workflows.CompleteRequest{Resolution: res, Score: r.Score, Comment: comment, Actor: actor}, errors.Join(err1, err2)
}

// newActionBody is the body type of an action, or nil for a name no kind
// declares; TestEveryActionHasABody checks the registry against it.
func newActionBody(a domain.Action) actionBody {
	switch a {
	case domain.ActionRoute:
		return &routeRequest{}
	case domain.ActionAcknowledge:
		return &noBody{build: func(actor string) any { return workflows.AcknowledgeRequest{Actor: actor} }}
	case domain.ActionArrive:
		return &noBody{build: func(actor string) any { return workflows.ArriveRequest{Actor: actor} }}
	case domain.ActionFeedback:
		return &feedbackRequest{}
	case domain.ActionResolve:
		return &resolveRequest{}
	case domain.ActionCallback:
		return &callbackRequest{}
	case domain.ActionDispatch:
		return &dispatchRequest{}
	case domain.ActionComplete:
		return &completeRequest{}
	case domain.ActionCancel:
		return &reasonRequest{build: func(reason, actor string) any { return workflows.CancelRequest{Reason: reason, Actor: actor} }}
	case domain.ActionWithdraw:
		return &reasonRequest{build: func(reason, actor string) any { return workflows.WithdrawRequest{Reason: reason, Actor: actor} }}
	}
	return nil
}

func (s *Server) actOnCase(kind domain.Kind) gin.HandlerFunc {
	return s.handle(func(c *gin.Context) error { return s.actOnCaseOf(c, kind) })
}

func (s *Server) actOnCaseOf(c *gin.Context, kind domain.Kind) error {
	ctx := c.Request.Context()
	spec := domain.MustSpec(kind)
	action, ok := spec.ParseAction(c.Param("action"))
	if !ok {
		names := make([]string, len(spec.Actions))
		for i, a := range spec.ActionNames() {
			names[i] = string(a)
		}
		return notFoundf("unknown action %q; a %s takes %s", c.Param("action"), kind, strings.Join(names, ", "))
	}
	key, err := idempotencyKeyOf(c)
	if err != nil {
		return err
	}
	view, err := s.caseOf(c, kind)
	if err != nil {
		return err
	}
	arg, err := s.actionArgument(c, action, view)
	if err != nil {
		return err
	}
	notAllowed := func() {
		fail(c, http.StatusConflict, workflows.ErrInvalidTransition,
			fmt.Sprintf("action %q is not allowed while the case is %s", action, view.Status))
	}
	if view.Status.Terminal() && key == "" {
		// A finished workflow takes no updates; answer from the read model.
		// With a key the workflow is asked all the same: the request may be
		// the retry of the very action that finished the case.
		notAllowed()
		return nil
	}
	if arg, err = s.keepResidentWords(ctx, view, arg); err != nil {
		return err
	}
	state, err := s.update(ctx, view, action, arg, updateID(view, string(action), key, arg))
	if err != nil {
		if view.Status.Terminal() && errors.As(err, new(*serviceerror.NotFound)) {
			notAllowed() // no earlier update with this key: the same answer as without one
			return nil
		}
		return fromWorkflow(err)
	}
	// The action is applied, and the update returned the state it
	// recorded: the answer is that state over the intake's fields read
	// before (which no action changes), with no second read of the case.
	// Whatever the timeline's read says, the answer is 200: a 5xx would
	// hide that the action happened and invite a retry.
	c.JSON(http.StatusOK, s.appliedCaseJSON(c, view, &state))
	return nil
}

// keepResidentWords stores the resident's words an action carries (a
// callback comment, an on-site rating comment) in PostgreSQL and gives the
// workflow their id instead (docs/DESIGN.md §11.1). The id of a text is the
// same on a retry, and so is the update's ID.
func (s *Server) keepResidentWords(ctx context.Context, view store.Case, arg any) (any, error) {
	keep := func(text *string, id *int64) error {
		if *text == "" {
			return nil
		}
		var err error
		if *id, err = s.cfg.Store.KeepCaseText(ctx, view.Number, *text); err != nil {
			return err
		}
		*text = ""
		return nil
	}
	switch r := arg.(type) {
	case workflows.CallbackRequest:
		err := keep(&r.Comment, &r.CommentID)
		return r, err
	case workflows.CompleteRequest:
		err := keep(&r.Comment, &r.CommentID)
		return r, err
	}
	return arg, nil
}

// updateID names an update so that a retry with the same Idempotency-Key
// (and the same request) attaches to the first one and gets its outcome,
// even once the workflow has finished: Temporal keeps the outcome of an
// update under its ID. Without a key every request is a new update. The
// ID is a hash, so nothing the client wrote (nor the arguments) shows in
// the workflow history through it.
func updateID(view store.Case, action, key string, arg any) string {
	if key == "" {
		return ""
	}
	raw, _ := json.Marshal(arg)
	sum := sha256.Sum256([]byte(strings.Join([]string{view.Kind.WorkflowID(view.Number), action, key, string(raw)}, "\x00")))
	return "request-" + hex.EncodeToString(sum[:16])
}

// update sends one action to the case's workflow and waits until it is
// applied and recorded. An empty id lets the SDK choose a new one.
func (s *Server) update(ctx context.Context, view store.Case, action domain.Action, arg any, id string) (workflows.CaseState, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.WorkflowTimeout)
	defer cancel()
	h, err := s.cfg.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: view.Kind.WorkflowID(view.Number), UpdateName: string(action), UpdateID: id,
		Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	var state workflows.CaseState
	if err == nil {
		err = h.Get(ctx, &state)
	}
	return state, err
}

// actionArgument binds and checks the body of one action and builds the
// workflow's update argument.
func (s *Server) actionArgument(c *gin.Context, a domain.Action, view store.Case) (any, error) {
	body := newActionBody(a)
	if body == nil {
		return nil, fmt.Errorf("action %q has no request body type in api/cases.go", a)
	}
	if err := bindBody(c, body); err != nil {
		return nil, err
	}
	// Whoever is to hold the case must belong to its department.
	switch r := body.(type) {
	case *routeRequest:
		if err := s.checkHolder(c, r.Department, "assignee", r.Assignee); err != nil {
			return nil, err
		}
	case *dispatchRequest:
		department := r.Department
		if department == "" {
			department = view.Department
		}
		if err := s.checkHolder(c, department, "assignee", r.Assignee); err != nil {
			return nil, err
		}
	}
	arg, err := body.update(actor(c))
	if err != nil {
		return nil, invalid(err.Error())
	}
	return arg, nil
}

// checkHolder checks a department and, if given, the member of staff who is
// to hold cases for it: the department must exist (empty means none) and the
// person must be an active member of it; 422 otherwise.
func (s *Server) checkHolder(c *gin.Context, department, personField, person string) error {
	ctx := c.Request.Context()
	if err := checkCodes([2]string{"department", department}, [2]string{personField, person}); err != nil {
		return invalid(err.Error())
	}
	if department != "" {
		ok, err := s.cfg.Store.DepartmentExists(ctx, department)
		if err != nil {
			return err
		}
		if !ok {
			return invalidf("department %q does not exist", department)
		}
	}
	if person == "" {
		return nil
	}
	st, err := s.cfg.Store.StaffMember(ctx, person)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (st.Department != department || !st.Active)) {
		return invalidf("%s %q is not an active member of department %q", personField, person, department)
	}
	return err
}

// caseOf loads the case of the given kind named in the path, or is 404.
func (s *Server) caseOf(c *gin.Context, kind domain.Kind) (store.Case, error) {
	number := c.Param("number")
	if k, ok := domain.KindOf(number); !ok || k != kind {
		return store.Case{}, notFoundf("no %s %q", kind, number)
	}
	view, err := s.cfg.Store.CaseByNumber(c.Request.Context(), number)
	if err == nil && !inScope(c, view) {
		// Outside the caller's scope a case does not exist for them
		// (docs/DESIGN.md §7.6): the same answer as for no case at all.
		err = store.ErrNotFound
	}
	return view, orNotFound(err, notFoundf("no %s %q", kind, number))
}

// departmentScope says whether the caller sees only their department's
// cases (handlers and department heads), and which department that is.
func departmentScope(c *gin.Context) (own string, scoped bool) {
	id, _ := identity(c)
	return id.Department, roleOf(id).Scope() == domain.ScopeDepartment
}

// inScope says whether the caller may see a case: only in the caller's
// communities, and for a department-scoped role only the cases its
// department holds there.
func inScope(c *gin.Context, view store.Case) bool {
	if !inCommunities(c, view.Community) {
		return false
	}
	own, scoped := departmentScope(c)
	return !scoped || own != "" && view.Department == own
}

func (s *Server) getCase(kind domain.Kind) gin.HandlerFunc {
	return s.handle(func(c *gin.Context) error {
		ctx := c.Request.Context()
		view, err := s.caseOf(c, kind)
		if err != nil {
			return err
		}
		// The query and the timeline read run side by side, so the answer
		// waits for the slower of the two, not for both.
		var live *workflows.CaseState
		queried := make(chan struct{})
		go func() {
			defer close(queried)
			live = s.liveState(ctx, view)
		}()
		events, err := s.cfg.Store.Timeline(ctx, view.Number)
		<-queried
		if err != nil {
			return err
		}
		resp := toResponse(view, live, events, s.cfg.Location)
		resp.Resident.Name = nameFor(c)(resp.Resident.Name)
		c.JSON(http.StatusOK, resp)
		return nil
	})
}

// liveState asks the workflow of an open case for its state, for at most
// QueryTimeout. It is nil, and the read model's snapshot is served, when:
//   - the case is final: its workflow has finished, and the read model holds
//     the last record it wrote, so the read model is authoritative and asking
//     would only cost time;
//   - the intake's workflow has not recorded the case yet;
//   - the workflow did not answer in time (no worker, or a worker too busy):
//     the answer then says live false.
func (s *Server) liveState(ctx context.Context, view store.Case) *workflows.CaseState {
	if !view.Recorded || view.Status.Terminal() {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.QueryTimeout)
	defer cancel()
	v, err := s.cfg.Temporal.QueryWorkflow(ctx, view.Kind.WorkflowID(view.Number), "", workflows.QueryState)
	if err != nil {
		s.cfg.Logger.Warn("live state unavailable, serving read model", "number", view.Number, "error", err)
		return nil
	}
	var st workflows.CaseState
	if err := v.Get(&st); err != nil {
		s.cfg.Logger.Warn("live state undecodable, serving read model", "number", view.Number, "error", err)
		return nil
	}
	return &st
}

type timelineEntry struct {
	At      time.Time `json:"at"`
	Kind    string    `json:"kind"`
	Actor   string    `json:"actor"`
	Message string    `json:"message"`
}

type caseResponse struct {
	Number           string           `json:"number"`
	Kind             domain.Kind      `json:"kind"`
	Status           domain.Status    `json:"status"`
	Category         string           `json:"category"`
	Community        string           `json:"community"`
	Building         string           `json:"building"`
	Unit             string           `json:"unit"`
	Resident         store.Resident   `json:"resident"`
	Description      string           `json:"description"`
	CallRef          string           `json:"call_ref,omitempty"`
	Department       string           `json:"department"`
	Assignee         string           `json:"assignee"`
	Channel          domain.Channel   `json:"channel"`
	Priority         domain.Priority  `json:"priority"`
	EscalationLevel  int              `json:"escalation_level"`
	EscalatedTo      string           `json:"escalated_to"`
	SLABreached      bool             `json:"sla_breached"`
	Reopens          int              `json:"reopens"`
	CallbackAttempts int              `json:"callback_attempts"`
	RecordedAt       time.Time        `json:"recorded_at"`
	RoutedAt         *time.Time       `json:"routed_at"`
	FirstFeedbackAt  *time.Time       `json:"first_feedback_at"`
	ResolvedAt       *time.Time       `json:"resolved_at"`
	ClosedAt         *time.Time       `json:"closed_at"`
	Deadlines        domain.Deadlines `json:"deadlines"`
	NextDeadline     *time.Time       `json:"next_deadline"`
	AllowedActions   []domain.Action  `json:"allowed_actions"`
	Timeline         []timelineEntry  `json:"timeline,omitempty"`
	// Source is where the state (status, deadlines, allowed actions) comes
	// from: "workflow" (its answer to a query, or what the action or create
	// just applied returned) or "read_model" (PostgreSQL).
	Source string `json:"source"`
	// Live is true when the state is known to be current: the workflow gave
	// it, or the case is final, when its record is its state for good. It is
	// false only for an open case served from the read model: in a GET
	// because the workflow did not answer within QueryTimeout, in a list
	// because lists never ask. Such a snapshot may miss an action or a timer
	// that is being recorded.
	Live bool `json:"live"`
	// RecordUnavailable is set on an applied action or create whose record
	// could not be read back from PostgreSQL: the state is the workflow's,
	// the timeline is missing, and Notice says so.
	RecordUnavailable bool   `json:"record_unavailable,omitempty"`
	Notice            string `json:"notice,omitempty"`
	// TrackURL is the resident's tracking link; only the create answer has
	// one, for the receptionist to hand over.
	TrackURL string `json:"track_url,omitempty"`
}

// toResponse merges the read model and the live state into the API shape,
// with times in the service centre's zone so staff read local times.
func toResponse(view store.Case, live *workflows.CaseState, events []domain.TimelineEvent, loc *time.Location) caseResponse {
	snap, source := view.CaseSnapshot, sourceReadModel
	if live != nil && live.Version >= snap.Version {
		snap, source = live.CaseSnapshot, sourceWorkflow
	}
	snap = snap.In(loc)
	st := workflows.StateOf(view.Kind, snap)
	resp := caseResponse{
		Number: snap.Number, Kind: view.Kind, CallRef: view.CallRef, Status: snap.Status, Category: snap.Category, Community: snap.Community,
		Building: view.Building, Unit: view.Unit, Description: maskText(view.Description, view.Resident.Phone),
		// Every answer masks the number, the single case too: a full
		// number is shown only by the audited reveal-phone.
		Resident:   store.Resident{Name: view.Resident.Name, Phone: domain.MaskPhone(view.Resident.Phone)},
		Department: snap.Department, Assignee: snap.Assignee, Channel: snap.Channel, Priority: snap.Priority,
		EscalationLevel: snap.EscalationLevel, EscalatedTo: st.EscalatedTo, SLABreached: snap.SLABreached,
		Reopens: snap.Reopens, CallbackAttempts: snap.CallbackAttempts, RecordedAt: snap.RecordedAt,
		RoutedAt: snap.RoutedAt, FirstFeedbackAt: snap.FirstFeedbackAt, ResolvedAt: snap.ResolvedAt,
		ClosedAt: snap.ClosedAt, Deadlines: snap.Deadlines, NextDeadline: st.NextDeadline,
		AllowedActions: st.AllowedActions, Source: source,
		// A read model newer than the workflow's answer is current too.
		Live:     live != nil || view.Status.Terminal(),
		Timeline: make([]timelineEntry, 0, len(events)),
	}
	for _, e := range events {
		resp.Timeline = append(resp.Timeline, timelineEntry{At: e.At.In(loc), Kind: e.Kind, Actor: e.Actor, Message: e.Message})
	}
	return resp
}

// Sources of a case answer's state.
const (
	sourceWorkflow  = "workflow"
	sourceReadModel = "read_model"
)

// recordUnavailable marks an answer whose change was applied but whose
// record could not be read.
func (r *caseResponse) recordUnavailable() {
	r.RecordUnavailable = true
	r.Timeline = nil
	r.Notice = "the change was applied; its record could not be read from the database just now, so the timeline is missing: read the case again later"
}

// appliedCaseJSON is the answer about a case the request changed, with its
// timeline. A timeline that cannot be read does not fail the answer (the
// change is made): it is left out and the answer says so.
func (s *Server) appliedCaseJSON(c *gin.Context, view store.Case, live *workflows.CaseState) caseResponse {
	events, err := s.cfg.Store.Timeline(c.Request.Context(), view.Number)
	if err != nil {
		s.cfg.Logger.Warn("the timeline of a changed case could not be read", "number", view.Number, "error", err)
		resp := toResponse(view, live, nil, s.cfg.Location)
		resp.Resident.Name = nameFor(c)(resp.Resident.Name)
		resp.recordUnavailable()
		return resp
	}
	resp := toResponse(view, live, events, s.cfg.Location)
	resp.Resident.Name = nameFor(c)(resp.Resident.Name)
	return resp
}

type listQuery struct {
	Status     string `form:"status" binding:"max=32"`
	Category   string `form:"category" binding:"max=32"`
	Department string `form:"department" binding:"max=32"`
	Community  string `form:"community" binding:"max=32"`
	Breached   string `form:"breached" binding:"omitempty,oneof=true false"`
	Q          string `form:"q" binding:"max=100"`
	Phone      string `form:"phone" binding:"max=32"`
	Building   string `form:"building" binding:"max=32"`
	Late       string `form:"late" binding:"max=32"`
	PageToken  string `form:"page_token" binding:"max=500"`
}

func (s *Server) listCases(kind domain.Kind) gin.HandlerFunc {
	return s.handle(func(c *gin.Context) error { return s.listCasesOf(c, kind) })
}

func (s *Server) listCasesOf(c *gin.Context, kind domain.Kind) error {
	var q listQuery
	if err := c.ShouldBindQuery(&q); err != nil {
		return invalid(describeBindError(err))
	}
	if q.Status != "" && q.Status != store.StatusOpen && !domain.Status(q.Status).Valid() {
		names := []string{store.StatusOpen}
		for _, st := range domain.AllStatuses {
			names = append(names, string(st))
		}
		return invalid("status must be one of: " + strings.Join(names, ", "))
	}
	if err := checkCodes([2]string{"category", q.Category}, [2]string{"department", q.Department}, [2]string{"community", q.Community}); err != nil {
		return invalid(err.Error())
	}
	query, err := optionalText("q", q.Q)
	if err != nil {
		return invalid(err.Error())
	}
	phone := strings.TrimSpace(q.Phone)
	if phone != "" && !phoneRE.MatchString(phone) {
		return invalid("phone must be a phone number (digits, spaces, dashes, optional leading +)")
	}
	pageSize, err := queryInt(c, "page_size", 50, 1, 200)
	if err != nil {
		return err
	}
	if err := checkCodes([2]string{"building", q.Building}); err != nil {
		return invalid(err.Error())
	}
	if !store.ValidLate(q.Late) {
		return invalid("late must be " + store.LateDispatch + " or " + store.LateFeedback)
	}
	from, to, err := s.localDates(c)
	if err != nil {
		return invalid(err.Error())
	}
	f := store.CaseFilter{Kind: kind, Status: q.Status, Category: q.Category, Department: q.Department,
		Community: q.Community, Communities: scopedCommunities(c), Query: query, Phone: phone, PageSize: pageSize, PageToken: q.PageToken,
		From: from, To: to, Building: q.Building, Late: q.Late}
	if q.Breached != "" {
		b := q.Breached == "true"
		f.Breached = &b
	}
	if own, scoped := departmentScope(c); scoped {
		if own == "" || f.Department != "" && f.Department != own {
			c.JSON(http.StatusOK, gin.H{"items": []caseResponse{}, "next_page_token": ""})
			return nil
		}
		f.Department = own
	}
	items, next, err := s.cfg.Store.ListCases(c.Request.Context(), f)
	if errors.Is(err, store.ErrBadPageToken) {
		return invalid("page_token is not one this server issued")
	} else if err != nil {
		return err
	}
	out := make([]caseResponse, 0, len(items))
	name := nameFor(c)
	for _, it := range items {
		r := toResponse(it, nil, nil, s.cfg.Location)
		r.Resident.Name = name(r.Resident.Name)
		r.Timeline = nil
		out = append(out, r)
	}
	c.JSON(http.StatusOK, gin.H{"items": out, "next_page_token": next})
	return nil
}
