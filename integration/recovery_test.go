package integration

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/concierge-pm/concierge/api"
	"github.com/concierge-pm/concierge/devtemporal"
	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/payloadcodec"
	"github.com/concierge-pm/concierge/store"
	"github.com/concierge-pm/concierge/worker"
	"github.com/concierge-pm/concierge/workflows"
)

// TestRecoverIntakeWhoseStartWasLost plays an API that stopped after storing
// an intake but before starting its workflow: the worker's recovery starts it.
func TestRecoverIntakeWhoseStartWasLost(t *testing.T) {
	ctx := context.Background()
	unit, household, err := sys.store.UnitByCode(ctx, "A", "3-601")
	if err != nil {
		t.Fatal(err)
	}
	cat, err := sys.store.CategoryByCode(ctx, "hygiene")
	if err != nil {
		t.Fatal(err)
	}
	number, _, created, err := sys.store.CreateIntake(ctx, store.Intake{
		Kind: domain.KindComplaint, IdempotencyKey: "lost-start-" + time.Now().Format(time.RFC3339Nano), RequestHash: "h",
		Community: "A", UnitID: unit.ID, HouseholdID: household, ResidentName: "测试住户", ResidentPhone: "13900000001",
		Channel: domain.ChannelPhone, Category: cat.Code, Description: "楼道垃圾未清理", Priority: domain.PriorityNormal,
		WorkflowInput: func(number string) ([]byte, error) {
			return json.Marshal(workflows.CaseInput{Number: number, Category: cat.Code, Community: "A",
				Channel: domain.ChannelPhone, Priority: domain.PriorityNormal, Department: cat.Department,
				Assignee: cat.Responsible, Policy: cat.Policy, Actor: "front_desk"})
		},
	}, time.Now())
	if err != nil || !created {
		t.Fatalf("intake: created %t, %v", created, err)
	}
	var c complaint
	call(t, "GET", "/api/v1/complaints/"+number, nil, &c)
	if c.Status != "recorded" || len(c.Timeline) != 0 {
		t.Fatalf("before recovery the case exists only as an intake: %+v", c)
	}
	n, err := worker.RecoverIntakes(ctx, sys.temporal, taskQueue, sys.store, 0)
	if err != nil || n < 1 {
		t.Fatalf("recovered %d, %v", n, err)
	}
	c = get(t, number)
	if c.Status != "routed" || c.Department != "cleaning" {
		t.Fatalf("after recovery: %+v", c)
	}
	assertKinds(t, c.kinds(), []string{"recorded", "routed"})
	if n, err := worker.RecoverIntakes(ctx, sys.temporal, taskQueue, sys.store, 0); err != nil || n != 0 {
		t.Fatalf("second recovery started %d, %v; want 0", n, err)
	}
	act(t, number, "withdraw", nil, http.StatusOK)
}

// TestEmbeddedServerKeepsCasesAcrossRestart runs the dev set-up on a SQLite
// file, as `concierge dev` does, stops it mid-case and starts it again.
func TestEmbeddedServerKeepsCasesAcrossRestart(t *testing.T) {
	dbFile := filepath.Join(t.TempDir(), "temporal.db")
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	const queue = "concierge-restart"
	type devSet struct {
		srv  *devtemporal.Server
		tc   client.Client
		stop func()
		url  string
	}
	start := func() devSet {
		srv, err := devtemporal.Start(devtemporal.Options{DatabaseFile: dbFile, SearchAttributes: workflows.SearchAttributes(), Logger: logger})
		if err != nil {
			t.Fatal(err)
		}
		tc, err := client.Dial(client.Options{HostPort: srv.Address(), Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)),
			DataConverter: payloadcodec.DataConverter(sys.codec)})
		if err != nil {
			t.Fatal(err)
		}
		w := worker.New(tc, queue, sys.store, nil, worker.Settings{Location: sys.loc})
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		h := httptest.NewServer(api.New(api.Config{Store: sys.store, Temporal: tc, TaskQueue: queue, Logger: logger, Auth: testAuth()}))
		return devSet{srv: srv, tc: tc, url: h.URL, stop: func() { h.Close(); w.Stop(); tc.Close(); srv.Stop() }}
	}
	post := func(base, path string, body any, out any) int {
		raw, _ := json.Marshal(body)
		resp, err := staffClient().Post(base+path, "application/json", bytesReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if out != nil {
			_ = json.NewDecoder(resp.Body).Decode(out)
		}
		return resp.StatusCode
	}

	first := start()
	var c complaint
	if code := post(first.url, "/api/v1/complaints", newComplaintBody("noise"), &c); code != http.StatusCreated {
		t.Fatalf("create: HTTP %d", code)
	}
	if code := post(first.url, "/api/v1/complaints/"+c.Number+"/acknowledge", nil, nil); code != http.StatusOK {
		t.Fatalf("acknowledge: HTTP %d", code)
	}
	first.stop()

	second := start()
	defer second.stop()
	for _, step := range []struct {
		action string
		body   any
	}{
		{"feedback", map[string]any{"message": "已与邻居沟通"}},
		{"resolve", map[string]any{"resolution": "邻居承诺夜间降低音量"}},
		{"callback", map[string]any{"reached": true, "score": 4}},
	} {
		if code := post(second.url, "/api/v1/complaints/"+c.Number+"/"+step.action, step.body, &c); code != http.StatusOK {
			t.Fatalf("%s after restart: HTTP %d", step.action, code)
		}
	}
	if c.Status != "closed" {
		t.Fatalf("after restart: %+v", c)
	}
	assertKinds(t, c.kinds(), []string{"recorded", "routed", "acknowledged", "feedback", "resolved", "callback", "closed"})
}
