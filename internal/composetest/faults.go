package composetest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// IntakeOptions are a burst of complaints recorded by clients that retry.
type IntakeOptions struct {
	N, Concurrency int
	// RunID keeps the Idempotency-Keys and descriptions of runs apart.
	RunID string
	// RetryFor is how long a client keeps retrying one complaint (with the
	// same Idempotency-Key, on the next replica) before it gives up.
	RetryFor time.Duration
	// Category is the handbook category of the complaints (default: leak).
	Category string
}

// IntakeResult is what the clients were told.
type IntakeResult struct {
	// Accepted is key → number: the complaints a client was told were
	// recorded.
	Accepted map[string]string
	// Duplicated are keys answered with two different numbers.
	Duplicated []string
	// GaveUp are keys never answered with a case within RetryFor.
	GaveUp  []string
	Retries int
	Elapsed time.Duration
}

// Key is the Idempotency-Key of the run's i-th intake.
func (o IntakeOptions) Key(i int) string { return fmt.Sprintf("fault-%s-%d", o.RunID, i) }

// Intakes records N complaints, Concurrency at a time, each with its own
// Idempotency-Key, spread over the replicas. A request that fails in a way
// a retry can mend (no answer, a reset connection, 5xx, 429) is sent again
// with the same key on the next replica, as a client behind a load
// balancer would; a 4xx other than 429 is not retried. A key answered twice
// (a retry after a lost answer) must name the same case both times.
func Intakes(ctx context.Context, clients []*Client, o IntakeOptions) IntakeResult {
	res := IntakeResult{Accepted: map[string]string{}}
	start := time.Now()
	var mu sync.Mutex
	each(o.Concurrency, o.N, func(i int) {
		numbers, retries := intake(ctx, clients, o, i)
		mu.Lock()
		defer mu.Unlock()
		res.Retries += retries
		switch {
		case len(numbers) == 0:
			res.GaveUp = append(res.GaveUp, o.Key(i))
		case len(numbers) > 1:
			res.Duplicated = append(res.Duplicated, o.Key(i))
			res.Accepted[o.Key(i)] = numbers[0]
		default:
			res.Accepted[o.Key(i)] = numbers[0]
		}
	})
	res.Elapsed = time.Since(start)
	slices.Sort(res.Duplicated)
	slices.Sort(res.GaveUp)
	return res
}

// intake sends one complaint until it is answered, and then once more on
// another replica, as a client that did not see the first answer would;
// it returns the distinct numbers it was told.
func intake(ctx context.Context, clients []*Client, o IntakeOptions, i int) (numbers []string, retries int) {
	f := flows[0]
	body := f.body(i)
	body["description"] = fmt.Sprintf("fault %s %d", o.RunID, i)
	if o.Category != "" {
		body["category"] = o.Category
	}
	deadline := time.Now().Add(o.RetryFor)
	answered := 0
	for attempt := 0; answered < 2 && time.Now().Before(deadline); attempt++ {
		var c Case
		err := clients[(i+attempt)%len(clients)].Do(ctx, http.MethodPost, f.path, o.Key(i), body, &c)
		if err == nil {
			answered++
			if !slices.Contains(numbers, c.Number) {
				numbers = append(numbers, c.Number)
			}
			continue
		}
		if !retryable(err) {
			return numbers, retries
		}
		retries++
		if backoff(ctx, attempt) != nil {
			return numbers, retries
		}
	}
	return numbers, retries
}

// retryable says whether a retry can mend a failed request: no answer, a
// reset connection, 5xx or 429; not another 4xx.
func retryable(err error) bool {
	var h *HTTPError
	return !errors.As(err, &h) || h.Status >= 500 || h.Status == http.StatusTooManyRequests
}

// backoff waits before the next attempt: 200 ms more each time, at most 2 s.
func backoff(ctx context.Context, attempt int) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(min(2*time.Second, time.Duration(attempt+1)*200*time.Millisecond)):
		return nil
	}
}

// Store answers SQL over the deployment's PostgreSQL: one row a line,
// columns separated by "|" (psql -At).
type Store func(ctx context.Context, sql string) ([]string, error)

// Workflows answers the status of a case's workflow ("Running", …) and
// the CaseStatus search attribute it publishes; found is false for a
// workflow that does not exist.
type Workflows func(ctx context.Context, workflowID string) (status, caseStatus string, found bool, err error)

// Reconciliation counts what the clients were told against what exists.
type Reconciliation struct {
	Accepted      int // complaints clients were told were recorded
	Found         int // of those, with their intake, case, first timeline event and workflow
	Lost          int // told recorded, but something of it missing
	Duplicated    int // keys answered with two numbers, and cases of the run no client was told of (unacknowledged)
	Disagreements int // the read model's status differs from the workflow's
	Problems      []string
}

func (r Reconciliation) String() string {
	return fmt.Sprintf("accepted %d, found %d, lost %d, duplicated %d, disagreements %d",
		r.Accepted, r.Found, r.Lost, r.Duplicated, r.Disagreements)
}

// Err is nil when nothing is lost, duplicated or in disagreement.
func (r Reconciliation) Err() error {
	if r.Lost+r.Duplicated+r.Disagreements == 0 {
		return nil
	}
	return fmt.Errorf("%s: %s", r, strings.Join(r.Problems[:min(len(r.Problems), 20)], "; "))
}

// CloseAll takes every accepted complaint to closure (acknowledge,
// feedback, resolve, callback), Concurrency at a time, each action on the
// next replica in turn; an action that fails in a way a retry can mend is
// sent again with the same Idempotency-Key until RetryFor has passed.
// It answers how many ended closed.
func CloseAll(ctx context.Context, clients []*Client, res IntakeResult, o IntakeOptions) (closed int, err error) {
	f := flows[0]
	var mu sync.Mutex
	var errs []error
	var pairs [][2]string
	for key, number := range res.Accepted {
		pairs = append(pairs, [2]string{key, number})
	}
	each(o.Concurrency, len(pairs), func(i int) {
		c, err := closeOne(ctx, clients, f, pairs[i][0], pairs[i][1], o.RetryFor)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs = append(errs, err)
		} else if c.Status == "closed" {
			closed++
		}
	})
	return closed, errors.Join(errs...)
}

func closeOne(ctx context.Context, clients []*Client, f flow, key, number string, retryFor time.Duration) (Case, error) {
	var c Case
	for n, s := range f.steps {
		deadline := time.Now().Add(retryFor)
		for attempt := 0; ; attempt++ {
			err := clients[(n+attempt)%len(clients)].Do(ctx, http.MethodPost, f.path+"/"+number+"/"+s.action, key+"/"+s.action, s.body, &c)
			if err == nil {
				break
			}
			if !retryable(err) || time.Now().After(deadline) {
				return c, fmt.Errorf("%s %s: %w", s.action, number, err)
			}
			if err := backoff(ctx, attempt); err != nil {
				return c, err
			}
		}
	}
	return c, nil
}

// Reconcile checks every accepted complaint in PostgreSQL (its intake
// under its key, its case, its "recorded" timeline event) and in Temporal
// (its workflow, whose CaseStatus must be the read model's status once the
// workflow has settled), and looks for cases of the run that no client was
// told of.
// With want set, every case must have reached that status (a case short
// of it counts as lost: the clients were told it moved on).
func Reconcile(ctx context.Context, res IntakeResult, o IntakeOptions, want string, db Store, wf Workflows) (Reconciliation, error) {
	r := Reconciliation{Accepted: len(res.Accepted), Duplicated: len(res.Duplicated)}
	for _, k := range res.Duplicated {
		r.Problems = append(r.Problems, "key "+k+" answered with two cases")
	}
	rows, err := db(ctx, fmt.Sprintf(`SELECT i.idempotency_key, i.number, coalesce(c.status, ''),
			(SELECT count(*) FROM case_events e WHERE e.number = i.number AND e.kind = 'recorded')
		FROM case_intakes i LEFT JOIN cases c ON c.number = i.number
		WHERE i.idempotency_key LIKE 'fault-%s-%%'`, o.RunID))
	if err != nil {
		return r, err
	}
	type stored struct{ number, status, recorded string }
	byKey := map[string]stored{}
	for _, row := range rows {
		f := strings.Split(row, "|")
		if len(f) != 4 {
			return r, fmt.Errorf("unexpected row %q", row)
		}
		byKey[f[0]] = stored{f[1], f[2], f[3]}
	}
	// Every intake of the run is a case some client was told of: one no
	// client heard of is a request that was recorded but never answered.
	for key, st := range byKey {
		if _, ok := res.Accepted[key]; !ok {
			r.Duplicated++
			r.Problems = append(r.Problems, fmt.Sprintf("%s (%s) exists, but no client was told of it", st.number, key))
		}
	}
	for key, number := range res.Accepted {
		s, ok := byKey[key]
		var missing []string
		switch {
		case !ok:
			missing = append(missing, "intake")
		case s.number != number:
			missing = append(missing, "intake of "+number+" (it names "+s.number+")")
		}
		if ok && s.status == "" {
			missing = append(missing, "case")
		}
		if ok && s.recorded != "1" {
			missing = append(missing, "recorded event")
		}
		status, caseStatus, found, err := wf(ctx, "complaint/"+number)
		if err != nil {
			return r, err
		}
		if !found {
			missing = append(missing, "workflow")
		}
		if len(missing) > 0 {
			r.Lost++
			r.Problems = append(r.Problems, fmt.Sprintf("%s (%s): no %s", number, key, strings.Join(missing, ", ")))
			continue
		}
		r.Found++
		if want != "" && s.status != want {
			r.Lost++
			r.Problems = append(r.Problems, fmt.Sprintf("%s is %s, want %s", number, s.status, want))
		}
		if caseStatus != s.status {
			r.Disagreements++
			r.Problems = append(r.Problems, fmt.Sprintf("%s: read model %s, workflow (%s) %s", number, s.status, status, caseStatus))
		}
	}
	return r, nil
}

// each calls fn(0) … fn(n-1), concurrency at a time, and returns when all
// have returned.
func each(concurrency, n int, fn func(i int)) {
	work := make(chan int)
	var wg sync.WaitGroup
	for range max(1, concurrency) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				fn(i)
			}
		}()
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
}

// TimersFiredOnce checks that every accepted complaint's timeline holds
// each of the given event kinds exactly once (a reminder and an escalation
// whose timers were pending across a restart: none lost, none doubled);
// it answers one problem per case that does not.
func TimersFiredOnce(ctx context.Context, res IntakeResult, o IntakeOptions, db Store, kinds ...string) ([]string, error) {
	var counts []string
	for _, k := range kinds {
		counts = append(counts, fmt.Sprintf("count(e.id) FILTER (WHERE e.kind = '%s')", k))
	}
	rows, err := db(ctx, fmt.Sprintf(`SELECT i.number, %s FROM case_intakes i LEFT JOIN case_events e ON e.number = i.number
		WHERE i.idempotency_key LIKE 'fault-%s-%%' GROUP BY i.number`, strings.Join(counts, ", "), o.RunID))
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var problems []string
	for _, row := range rows {
		f := strings.Split(row, "|")
		seen[f[0]] = true
		for i, k := range kinds {
			if i+1 >= len(f) || f[i+1] != "1" {
				problems = append(problems, fmt.Sprintf("%s: %s %s times, want once", f[0], k, f[min(i+1, len(f)-1)]))
			}
		}
	}
	for _, number := range res.Accepted {
		if !seen[number] {
			problems = append(problems, number+": no intake")
		}
	}
	slices.Sort(problems)
	return problems, nil
}
