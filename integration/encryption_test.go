package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/proxy"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/concierge-pm/concierge/devtemporal"
	"github.com/concierge-pm/concierge/payloadcodec"
	"github.com/concierge-pm/concierge/workflows"
)

// history reads a run's history through the given client, raw: payloads as
// the Temporal server stores them.
func rawHistory(t *testing.T, tc client.Client, workflowID string) *historypb.History {
	t.Helper()
	iter := tc.GetWorkflowHistory(context.Background(), workflowID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var h historypb.History
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", workflowID, err)
		}
		h.Events = append(h.Events, ev)
	}
	return &h
}

func historyText(t *testing.T, h *historypb.History) string {
	t.Helper()
	raw, err := protojson.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	// Payload data is base64 in protojson; the marker must not show in the
	// bytes either.
	var b strings.Builder
	b.Write(raw)
	_ = proxy.VisitPayloads(context.Background(), h, proxy.VisitPayloadsOptions{
		Visitor: func(_ *proxy.VisitPayloadsContext, ps []*commonpb.Payload) ([]*commonpb.Payload, error) {
			for _, p := range ps {
				b.Write(p.GetData())
			}
			return ps, nil
		},
	})
	return b.String()
}

// TestWorkflowPayloadsAreEncrypted runs a complaint to its end and reads its
// history as someone with access to the Temporal server but without the key
// would: no payload is in clear text, and the staff's feedback text is not
// in it anywhere. With the key, the staff's text is there; the resident's
// own comment is in neither, only in PostgreSQL.
func TestWorkflowPayloadsAreEncrypted(t *testing.T) {
	t.Parallel()
	const staffMarker = "staff-marker-2f9c 保洁员会在下午清理"
	const residentMarker = "resident-marker-8d1e 楼道还是有味道"
	var c struct {
		complaint
		TrackURL string `json:"track_url"`
	}
	if code := call(t, "POST", "/api/v1/complaints", newComplaintBody("hygiene"), &c); code != http.StatusCreated {
		t.Fatalf("create: HTTP %d", code)
	}
	act(t, c.Number, "acknowledge", nil, http.StatusOK)
	act(t, c.Number, "feedback", map[string]any{"message": staffMarker}, http.StatusOK)
	act(t, c.Number, "resolve", map[string]any{"resolution": "已清理"}, http.StatusOK)
	var v tracked
	if code := call(t, "POST", "/api/v1/track/"+token(t, c.TrackURL)+"/rating", map[string]any{"score": 5, "comment": residentMarker}, &v); code != http.StatusOK || v.Status != "closed" {
		t.Fatalf("rating: HTTP %d %+v", code, v)
	}
	workflowID := "complaint/" + c.Number
	if err := sys.temporal.GetWorkflow(context.Background(), workflowID, "").Get(context.Background(), nil); err != nil {
		t.Fatalf("the workflow did not complete: %v", err)
	}

	// Without the key: every payload is ciphertext, and the kinds that must
	// be there are (input, update arguments and results, activity
	// arguments and results, the result, the summary).
	plain := rawHistory(t, sys.plain, workflowID)
	seen := map[string]int{}
	err := proxy.VisitPayloads(context.Background(), plain, proxy.VisitPayloadsOptions{
		SkipSearchAttributes: true,
		Visitor: func(vc *proxy.VisitPayloadsContext, ps []*commonpb.Payload) ([]*commonpb.Payload, error) {
			for _, p := range ps {
				if got := string(p.GetMetadata()["encoding"]); got != payloadcodec.Encoding {
					t.Errorf("a payload in %T is stored as %q, not encrypted: %q", vc.Parent, got, p.GetData())
				}
				seen[fmt.Sprintf("%T", vc.Parent)]++
			}
			return ps, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	// (A case's activities return nothing; the scheduled workflows' results
	// are covered by the rule that every payload is encrypted.)
	for _, where := range []string{"history.WorkflowExecutionStartedEventAttributes", "update.Input", "update.Outcome",
		"history.ActivityTaskScheduledEventAttributes", "history.WorkflowExecutionCompletedEventAttributes", "sdk.UserMetadata"} {
		if seen["*"+where] == 0 {
			t.Errorf("no payload of %s in the history (saw %v): the check does not cover it", where, seen)
		}
	}
	text := historyText(t, plain)
	for _, marker := range []string{"staff-marker-2f9c", "保洁员会在下午清理", "resident-marker-8d1e", "楼道还是有味道", "已清理"} {
		if strings.Contains(text, marker) {
			t.Errorf("the history read without the key holds %q", marker)
		}
	}

	// With the key: the staff's text travelled (encrypted); the resident's
	// words did not travel at all.
	decoded := rawHistory(t, sys.plain, workflowID)
	if err := proxy.VisitPayloads(context.Background(), decoded, proxy.VisitPayloadsOptions{
		Visitor: func(_ *proxy.VisitPayloadsContext, ps []*commonpb.Payload) ([]*commonpb.Payload, error) {
			return sys.codec.Decode(ps)
		},
	}); err != nil {
		t.Fatal(err)
	}
	text = historyText(t, decoded)
	if !strings.Contains(text, "staff-marker-2f9c") || !strings.Contains(text, "已清理") {
		t.Error("the decrypted history lacks the staff's feedback and resolution: the check would pass on any history")
	}
	if strings.Contains(text, "resident-marker-8d1e") || strings.Contains(text, "楼道还是有味道") {
		t.Error("the resident's comment is in the workflow history")
	}
	// It is in PostgreSQL: the rating and the timeline have it.
	if n := count(t, `SELECT count(*) FROM ratings WHERE number = $1 AND rated_by = 'resident' AND comment = $2`, c.Number, residentMarker); n != 1 {
		t.Errorf("%d ratings with the resident's comment, want 1", n)
	}
	if got := get(t, c.Number); !strings.HasSuffix(got.Timeline[len(got.Timeline)-2].Message, residentMarker) {
		t.Errorf("the callback event does not show the comment: %+v", got.Timeline)
	}

	// A query's answer is ciphertext to a client without the key.
	var st workflows.CaseState
	q, err := sys.plain.QueryWorkflow(context.Background(), workflowID, "", workflows.QueryState)
	if err == nil {
		err = q.Get(&st)
	}
	if err == nil {
		t.Errorf("a client without the key read the query answer: %+v", st)
	}
	q, err = sys.temporal.QueryWorkflow(context.Background(), workflowID, "", workflows.QueryState)
	if err != nil || q.Get(&st) != nil || st.Number != c.Number {
		t.Errorf("the query with the key: %v %+v", err, st)
	}
}

// TestCodecEndpoint is the Web UI's remote codec: it decodes for an
// identified member of staff and for nobody else.
func TestCodecEndpoint(t *testing.T) {
	t.Parallel()
	enc, err := payloadcodec.DataConverter(sys.codec).ToPayload("codec-endpoint-marker 回访")
	if err != nil {
		t.Fatal(err)
	}
	body, err := protojson.Marshal(&commonpb.Payloads{Payloads: []*commonpb.Payload{enc}})
	if err != nil {
		t.Fatal(err)
	}
	send := func(path string, headers ...string) (int, string) {
		t.Helper()
		var out json.RawMessage
		code, err := request("POST", path, "application/json", strings.NewReader(string(body)), &out, headers...)
		if err != nil {
			t.Fatal(err)
		}
		return code, string(out)
	}
	// The Web UI sends the session cookie and cannot send the CSRF token;
	// decoding changes nothing, so it needs none.
	se, err := sys.sessions.signIn(sys.http.URL, "chen_jing")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		path    string
		headers []string
		want    int
		has     string
	}{
		{"a supervisor's cookie without a CSRF token", "/codec/decode", []string{"Cookie", se.cookie.String()}, http.StatusOK, ""},
		// X-Staff-Code alone is sent with no identity at all.
		{"nobody", "/codec/decode", []string{"X-Staff-Code", "chen_jing"}, http.StatusUnauthorized, "unauthenticated"},
		{"nobody, encode", "/codec/encode", []string{"X-Staff-Code", "chen_jing"}, http.StatusUnauthorized, "unauthenticated"},
		{"a handler", "/codec/decode", []string{signedInAs, "li_qiang"}, http.StatusForbidden, "forbidden"},
		{"a receptionist, encode", "/codec/encode", []string{signedInAs, "liu_fang"}, http.StatusForbidden, "forbidden"},
		{"another namespace", "/codec/decode", []string{signedInAs, "chen_jing", "X-Namespace", "other"}, http.StatusUnprocessableEntity, "namespace"},
		{"a supervisor", "/codec/decode", []string{signedInAs, "chen_jing", "X-Namespace", "default"}, http.StatusOK, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := send(tc.path, tc.headers...)
			if code != tc.want || !strings.Contains(out, tc.has) {
				t.Fatalf("HTTP %d %s, want %d with %q", code, out, tc.want, tc.has)
			}
			if code != http.StatusOK {
				if strings.Contains(out, "codec-endpoint-marker") {
					t.Errorf("a refusal shows the payload: %s", out)
				}
				return
			}
			var got commonpb.Payloads
			if err := protojson.Unmarshal([]byte(out), &got); err != nil || len(got.Payloads) != 1 {
				t.Fatalf("answer %s: %v", out, err)
			}
			if !strings.Contains(string(got.Payloads[0].GetData()), "codec-endpoint-marker 回访") {
				t.Errorf("decoded payload %q lacks the value", got.Payloads[0].GetData())
			}
		})
	}
	// Tampered ciphertext is refused, not passed on.
	enc.Data[len(enc.Data)-1] ^= 1
	body, _ = protojson.Marshal(&commonpb.Payloads{Payloads: []*commonpb.Payload{enc}})
	if code, out := send("/codec/decode", signedInAs, "chen_jing"); code != http.StatusUnprocessableEntity || !strings.Contains(out, "does not decrypt") {
		t.Errorf("tampered payload: HTTP %d %s", code, out)
	}
}

// TestDevWebUIOnlyReads starts the embedded server with its Web UI as
// `concierge dev` does: the UI decodes through the codec endpoint and its
// server refuses write actions.
func TestDevWebUIOnlyReads(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	srv, err := devtemporal.Start(devtemporal.Options{UIPort: port, SearchAttributes: workflows.SearchAttributes(),
		UICodecEndpoint: "http://127.0.0.1:8080/codec",
		Logger:          slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	var settings struct {
		DisableWriteActions, WorkflowTerminateDisabled bool
		Codec                                          struct {
			Endpoint           string
			IncludeCredentials bool
		}
	}
	eventually(t, 20*time.Second, "the Web UI to answer", func() bool {
		resp, err := http.Get(srv.UIURL() + "/api/v1/settings")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		return resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&settings) == nil
	})
	if !settings.DisableWriteActions || !settings.WorkflowTerminateDisabled {
		t.Errorf("the dev Web UI allows write actions: %+v", settings)
	}
	if settings.Codec.Endpoint != "http://127.0.0.1:8080/codec" || !settings.Codec.IncludeCredentials {
		t.Errorf("the dev Web UI's codec: %+v", settings.Codec)
	}
	req, err := http.NewRequest("POST", srv.UIURL()+"/api/v1/namespaces/default/workflows/complaint%2FTS1/terminate", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	// A bearer token passes the UI server's CSRF check (as a scripted
	// caller's would), so the answer is the write switch's.
	req.Header.Set("Authorization", "Bearer x")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("terminate through the Web UI: HTTP %d %s, want 405", resp.StatusCode, msg)
	}
}
