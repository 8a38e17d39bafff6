package domain

// Repair requests (报修) share the case machinery with complaints but follow
// their own lifecycle, declared in the registry (kinds.go): recorded and
// dispatched at once, the technician arrives on site, the work is
// completed, and a callback follows when the category's callback policy
// asks for one (DecideCompletion).

// Repair actions; a repair also takes ActionFeedback and ActionCallback.
const (
	ActionDispatch Action = "dispatch"
	ActionArrive   Action = "arrive"
	ActionComplete Action = "complete"
	ActionCancel   Action = "cancel"
)

// CallbackPolicy says, per repair category, when a completed repair needs a
// callback before it is closed.
type CallbackPolicy string

const (
	// CallbackAlways: every completed repair waits for a callback.
	CallbackAlways CallbackPolicy = "always"
	// CallbackUnlessRated: a satisfied on-site rating (现场评价) replaces the callback.
	CallbackUnlessRated CallbackPolicy = "unless_rated"
	// CallbackNever: a completed repair is closed at once.
	CallbackNever CallbackPolicy = "never"
)

// Valid reports whether p is a known callback policy.
func (p CallbackPolicy) Valid() bool {
	return p == CallbackAlways || p == CallbackUnlessRated || p == CallbackNever
}

// ValidOnSiteScore reports whether score is acceptable on a completion: 0
// for no on-site rating, else the 1–5 scale.
func ValidOnSiteScore(score int) bool { return score == 0 || ValidScore(score) }

// CompletionOutcome is what completing a repair leads to.
type CompletionOutcome int

const (
	// CompletionAwaitCallback: the repair waits for its callback.
	CompletionAwaitCallback CompletionOutcome = iota
	CompletionClose
	CompletionReopen
	CompletionClosedUnresolved
)

// DecideCompletion applies the callback policy to a completion with the given
// on-site score (0 when the resident did not rate on site). A dissatisfied
// on-site rating (1–3) reopens the repair whatever the policy, and after
// MaxReopens reopenings closes it unresolved, as a dissatisfied callback
// would. Otherwise never closes at once, unless_rated closes a rated repair
// and waits for a callback on an unrated one, and always waits. An unknown
// policy counts as always: a callback too many is better than none.
func DecideCompletion(p CallbackPolicy, score, reopens int) CompletionOutcome {
	if score > 0 && !Satisfied(score) {
		if reopens >= MaxReopens {
			return CompletionClosedUnresolved
		}
		return CompletionReopen
	}
	switch {
	case p == CallbackNever, p == CallbackUnlessRated && score > 0:
		return CompletionClose
	}
	return CompletionAwaitCallback
}
