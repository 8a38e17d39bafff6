package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os/exec"
	"strings"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"

	"github.com/concierge-pm/concierge/internal/composetest"
)

// deployment is the running compose topology, reached with the docker CLI:
// `docker compose -p project -f file --env-file env …`.
type deployment struct {
	project, file, env string
}

func (d deployment) compose(ctx context.Context, args ...string) (string, error) {
	all := append([]string{"compose", "-p", d.project, "-f", d.file, "--env-file", d.env}, args...)
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, "docker", all...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("docker %s: %w: %s", strings.Join(all, " "), err, strings.TrimSpace(errOut.String()))
	}
	return strings.TrimSpace(out.String()), nil
}

// sql runs a query in the deployment's PostgreSQL with psql -At.
func (d deployment) sql(ctx context.Context, query string) ([]string, error) {
	out, err := d.compose(ctx, "exec", "-T", "postgres", "psql", "-U", "postgres", "-d", "concierge", "-At", "-F", "|", "-c", query)
	if err != nil {
		return nil, err
	}
	if out == "" {
		return nil, nil
	}
	return strings.Split(out, "\n"), nil
}

// crash kills the main process of a service's replica (1-based) with
// SIGKILL from the host, as a crash would; the restart policy brings the
// container back, which `docker kill` would not.
func (d deployment) crash(ctx context.Context, service string, index int) error {
	ids, err := exec.CommandContext(ctx, "docker", "ps", "-q",
		"--filter", "label=com.docker.compose.project="+d.project,
		"--filter", "label=com.docker.compose.service="+service,
		"--filter", fmt.Sprintf("label=com.docker.compose.container-number=%d", index)).Output()
	id := strings.TrimSpace(string(ids))
	if err != nil || id == "" {
		return fmt.Errorf("find %s-%d: %v", service, index, err)
	}
	out, err := exec.CommandContext(ctx, "docker", "inspect", "-f", "{{.State.Pid}}", id).Output()
	if err != nil {
		return fmt.Errorf("inspect %s-%d: %w", service, index, err)
	}
	pid := strings.TrimSpace(string(out))
	if pid == "" || pid == "0" {
		return fmt.Errorf("%s-%d is not running", service, index)
	}
	if err := exec.CommandContext(ctx, "kill", "-KILL", pid).Run(); err != nil {
		return fmt.Errorf("kill %s-%d (pid %s): %w", service, index, pid, err)
	}
	return nil
}

// workflows describes case workflows on the deployment's Temporal
// frontend. Search attributes are not encrypted, so no payload key is
// needed.
func workflows(tc client.Client) composetest.Workflows {
	dc := converter.GetDefaultDataConverter()
	return func(ctx context.Context, id string) (string, string, bool, error) {
		resp, err := tc.DescribeWorkflowExecution(ctx, id, "")
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return "", "", false, nil
		}
		if err != nil {
			return "", "", false, fmt.Errorf("describe %s: %w", id, err)
		}
		info := resp.GetWorkflowExecutionInfo()
		var caseStatus string
		if p := info.GetSearchAttributes().GetIndexedFields()["CaseStatus"]; p != nil {
			if err := dc.FromPayload(p, &caseStatus); err != nil {
				return "", "", false, fmt.Errorf("%s: CaseStatus: %w", id, err)
			}
		}
		return info.GetStatus().String(), caseStatus, true, nil
	}
}

// faultAPIKill records n complaints at concurrency c over every replica
// while the first API replica is killed mid-burst; clients retry with the
// same Idempotency-Key. It prints the reconciliation and the time the
// replica took to answer ready again, and fails on any loss, duplicate or
// disagreement.
func faultAPIKill(ctx context.Context, d deployment, hc *http.Client, clients []*composetest.Client, tc client.Client, n, c int) error {
	o := composetest.IntakeOptions{N: n, Concurrency: c, RunID: time.Now().UTC().Format("20060102T150405"), RetryFor: 3 * time.Minute}
	done := make(chan composetest.IntakeResult, 1)
	go func() { done <- composetest.Intakes(ctx, clients, o) }()

	time.Sleep(2 * time.Second)
	killed := time.Now()
	if err := d.crash(ctx, "api", 1); err != nil {
		return err
	}
	fmt.Println("composetest: api-kill: killed api-1 (SIGKILL) 2s into the burst")
	// The restart policy brings it back, on a new ephemeral host port (the
	// clients of its old one retry on the other replica meanwhile).
	recovered, err := d.backUp(ctx, hc, "api", 1, clients[0].Base, killed)
	if err != nil {
		return err
	}

	res := <-done
	fmt.Printf("composetest: api-kill: %d intakes at concurrency %d in %s, %d retries, %d gave up; api-1 ready again %s after the kill\n",
		n, c, res.Elapsed.Round(time.Millisecond), res.Retries, len(res.GaveUp), recovered.Round(time.Millisecond))
	return reconcile(ctx, "api-kill", res, o, "", d, tc)
}

// faultWorkerKill records n complaints at concurrency c while the first
// worker is killed, then takes every one to closure while the second is
// killed: the cases' timers are pending throughout, and whichever worker
// is alive must finish every case. It prints the reconciliation (every
// case closed, in both the read model and its workflow) and the times the
// workers took to turn healthy again.
func faultWorkerKill(ctx context.Context, d deployment, clients []*composetest.Client, tc client.Client, n, c int) error {
	o := composetest.IntakeOptions{N: n, Concurrency: c, RunID: time.Now().UTC().Format("20060102T150405"), RetryFor: 3 * time.Minute}
	kill := func(index int) (<-chan time.Duration, error) {
		time.Sleep(2 * time.Second)
		killed := time.Now()
		if err := d.crash(ctx, "worker", index); err != nil {
			return nil, err
		}
		fmt.Printf("composetest: worker-kill: killed worker-%d (SIGKILL)\n", index)
		back := make(chan time.Duration, 1)
		go func() { back <- d.healthyAgain(ctx, "worker", index, killed) }()
		return back, nil
	}
	done := make(chan composetest.IntakeResult, 1)
	go func() { done <- composetest.Intakes(ctx, clients, o) }()
	back1, err := kill(1)
	if err != nil {
		return err
	}
	res := <-done
	fmt.Printf("composetest: worker-kill: %d intakes at concurrency %d in %s, %d retries, %d gave up; worker-1 healthy again %s after the kill\n",
		n, c, res.Elapsed.Round(time.Millisecond), res.Retries, len(res.GaveUp), (<-back1).Round(time.Millisecond))

	start := time.Now()
	closedCh := make(chan error, 1)
	var closed int
	go func() {
		var err error
		closed, err = composetest.CloseAll(ctx, clients, res, o)
		closedCh <- err
	}()
	back2, err := kill(2)
	if err != nil {
		return err
	}
	cerr := <-closedCh
	fmt.Printf("composetest: worker-kill: %d of %d closed in %s; worker-2 healthy again %s after the kill\n",
		closed, len(res.Accepted), time.Since(start).Round(time.Millisecond), (<-back2).Round(time.Millisecond))
	if err := reconcile(ctx, "worker-kill", res, o, "closed", d, tc); err != nil {
		return errors.Join(err, cerr)
	}
	return cerr
}

// faultPostgresKill records n complaints at concurrency c while
// PostgreSQL (the read model's and the Temporal server's) is killed and
// restarted, then takes every one to closure while it is killed again, and
// reconciles: every case closed in both the read model and its workflow.
func faultPostgresKill(ctx context.Context, d deployment, clients []*composetest.Client, tc client.Client, n, c int) error {
	o := composetest.IntakeOptions{N: n, Concurrency: c, RunID: time.Now().UTC().Format("20060102T150405"), RetryFor: 3 * time.Minute}
	done := make(chan composetest.IntakeResult, 1)
	go func() { done <- composetest.Intakes(ctx, clients, o) }()
	time.Sleep(2 * time.Second)
	killed := time.Now()
	if err := d.crash(ctx, "postgres", 1); err != nil {
		return err
	}
	fmt.Println("composetest: postgres-kill: killed postgres (SIGKILL) 2s into the burst")
	back := d.healthyAgain(ctx, "postgres", 1, killed)
	res := <-done
	fmt.Printf("composetest: postgres-kill: %d intakes at concurrency %d in %s, %d retries, %d gave up; PostgreSQL healthy again %s after the kill\n",
		n, c, res.Elapsed.Round(time.Millisecond), res.Retries, len(res.GaveUp), back.Round(time.Millisecond))
	// Killed again while every case is being acted on.
	start := time.Now()
	type outcome struct {
		closed int
		err    error
	}
	closing := make(chan outcome, 1)
	go func() {
		closed, err := composetest.CloseAll(ctx, clients, res, o)
		closing <- outcome{closed, err}
	}()
	time.Sleep(2 * time.Second)
	killed = time.Now()
	if err := d.crash(ctx, "postgres", 1); err != nil {
		return err
	}
	back = d.healthyAgain(ctx, "postgres", 1, killed)
	out := <-closing
	closed, cerr := out.closed, out.err
	fmt.Printf("composetest: postgres-kill: killed again 2s into the closures; healthy again %s after; %d of %d closed in %s\n",
		back.Round(time.Millisecond), closed, len(res.Accepted), time.Since(start).Round(time.Millisecond))
	if err := reconcile(ctx, "postgres-kill", res, o, "closed", d, tc); err != nil {
		return errors.Join(err, cerr)
	}
	return cerr
}

// quietSDK is the SDK's logger for the suite's clients: silent.
func quietSDK() sdklog.Logger { return sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)) }

// timerCategory is the handbook category of the Temporal restart: its
// first feedback is due a minute after recording, so the reminder (at 80 %)
// and the escalation fire soon, across the restart.
const timerCategory = "fault_timer"

// faultTemporalRestart records n complaints in a category whose feedback
// is due a minute after recording, kills the Temporal server (SIGKILL)
// once they are all open, and waits past their deadlines: each case's
// reminder and escalation must have fired exactly once, and the
// reconciliation must find nothing lost, doubled or in disagreement.
func faultTemporalRestart(ctx context.Context, d deployment, clients []*composetest.Client, n, c int) error {
	var leak map[string]any
	if err := clients[0].Do(ctx, http.MethodGet, "/api/v1/handbook/categories/leak", "", nil, &leak); err != nil {
		return err
	}
	category := map[string]any{"name": "故障测试", "name_en": "fault test", "kind": "complaint",
		"department": leak["department"], "responsible": leak["responsible"], "priority": "normal",
		"dispatch_within": "1h", "feedback_within": "1m", "resolve_within": "24h", "urgent_resolve_within": "4h",
		"callback_within": "48h", "escalate_every": "24h"}
	if err := clients[0].Do(ctx, http.MethodPut, "/api/v1/handbook/categories/"+timerCategory, "", category, nil); err != nil {
		return err
	}
	o := composetest.IntakeOptions{N: n, Concurrency: c, RunID: time.Now().UTC().Format("20060102T150405"),
		RetryFor: 3 * time.Minute, Category: timerCategory}
	res := composetest.Intakes(ctx, clients, o)
	last := time.Now()
	fmt.Printf("composetest: temporal-restart: %d intakes at concurrency %d in %s, %d retries, %d gave up\n",
		n, c, res.Elapsed.Round(time.Millisecond), res.Retries, len(res.GaveUp))
	killed := time.Now()
	if err := d.crash(ctx, "temporal", 1); err != nil {
		return err
	}
	fmt.Println("composetest: temporal-restart: killed the Temporal server (SIGKILL) with every case open")
	// The restarted server has a new ephemeral host port: a new client.
	tc, back, err := d.frontendBack(ctx, killed)
	if err != nil {
		return err
	}
	defer tc.Close()
	fmt.Printf("composetest: temporal-restart: the frontend answered again %s after the kill\n", back.Round(time.Millisecond))
	// Every feedback deadline lies within a minute of the last intake;
	// the escalations then have a minute more to be recorded.
	var problems []string
	for deadline := last.Add(2 * time.Minute); ; {
		if problems, err = composetest.TimersFiredOnce(ctx, res, o, d.sql, "reminder", "escalated"); err != nil {
			return err
		}
		if len(problems) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(2 * time.Second)
	}
	fmt.Printf("composetest: temporal-restart: %d of %d cases with their reminder and escalation fired once\n",
		len(res.Accepted)-len(problems), len(res.Accepted))
	if err := reconcile(ctx, "temporal-restart", res, o, "", d, tc); err != nil {
		return err
	}
	if len(problems) > 0 {
		return fmt.Errorf("temporal-restart: %d cases whose timers did not fire once: %s", len(problems), strings.Join(problems[:min(10, len(problems))], "; "))
	}
	return nil
}

// frontendBack waits until the Temporal frontend, restarted after a kill
// at killed, answers on its published port (a new one), and returns a
// client of it and the time from the kill.
func (d deployment) frontendBack(ctx context.Context, killed time.Time) (client.Client, time.Duration, error) {
	time.Sleep(500 * time.Millisecond)
	for time.Since(killed) < 3*time.Minute {
		if addr, err := d.compose(ctx, "port", "temporal", "7233"); err == nil && addr != "" {
			tc, err := client.Dial(client.Options{HostPort: addr, Logger: quietSDK()})
			if err == nil {
				cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
				_, err = tc.CheckHealth(cctx, &client.CheckHealthRequest{})
				cancel()
				if err == nil {
					return tc, time.Since(killed), nil
				}
				tc.Close()
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return nil, 0, fmt.Errorf("the Temporal frontend did not answer within 3m of the kill")
}

// healthyAgain waits until the replica, restarted after a kill at
// killed, reports healthy; it answers the time from the kill (3 minutes
// at most).
func (d deployment) healthyAgain(ctx context.Context, service string, index int, killed time.Time) time.Duration {
	name := fmt.Sprintf("%s-%s-%d", d.project, service, index)
	time.Sleep(time.Second) // the health of the old process may linger a moment
	for time.Since(killed) < 3*time.Minute {
		out, err := exec.CommandContext(ctx, "docker", "inspect", "-f", "{{.State.Health.Status}}", name).Output()
		if err == nil && strings.TrimSpace(string(out)) == "healthy" {
			return time.Since(killed)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return time.Since(killed)
}

// reconcile compares, until the workflows have settled (at most a
// minute), what the clients were told with what exists.
func reconcile(ctx context.Context, name string, res composetest.IntakeResult, o composetest.IntakeOptions, want string, d deployment, tc client.Client) error {
	var r composetest.Reconciliation
	var err error
	for deadline := time.Now().Add(time.Minute); ; {
		r, err = composetest.Reconcile(ctx, res, o, want, d.sql, workflows(tc))
		if err != nil {
			return err
		}
		if r.Err() == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(2 * time.Second)
	}
	fmt.Printf("composetest: %s: %s\n", name, r)
	if len(res.GaveUp) > 0 {
		return fmt.Errorf("%s: %d intakes never answered within %s: %v", name, len(res.GaveUp), o.RetryFor, res.GaveUp[:min(5, len(res.GaveUp))])
	}
	return r.Err()
}

// backUp waits until the replica, restarted after a kill at killed,
// answers ready on whatever host port it now has other than old; it
// answers the time from the kill.
func (d deployment) backUp(ctx context.Context, hc *http.Client, service string, index int, old string, killed time.Time) (time.Duration, error) {
	for time.Since(killed) < 3*time.Minute {
		addr, err := d.compose(ctx, "port", "--index", fmt.Sprint(index), service, "8080")
		if err == nil && addr != "" && "http://"+addr != old {
			if err := waitReady(ctx, hc, "http://"+addr, time.Until(killed.Add(3*time.Minute))); err != nil {
				return 0, err
			}
			return time.Since(killed), nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return 0, fmt.Errorf("%s-%d did not come back within 3m of the kill", service, index)
}
