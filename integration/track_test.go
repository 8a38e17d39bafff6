package integration

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

type tracked struct {
	Number      string `json:"number"`
	Kind        string `json:"kind"`
	Status      string `json:"status"`
	StatusLabel string `json:"status_label"`
	CanRate     bool   `json:"can_rate"`
	Timeline    []struct {
		Kind    string `json:"kind"`
		Message string `json:"message"`
	} `json:"timeline"`
}

func token(t *testing.T, trackURL string) string {
	t.Helper()
	tok, ok := strings.CutPrefix(trackURL, "/t/")
	if !ok || tok == "" {
		t.Fatalf("track_url %q is not a tracking link", trackURL)
	}
	return tok
}

func getPage(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(sys.http.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestResidentTracksAndRatesComplaint(t *testing.T) {
	t.Parallel()
	var c struct {
		complaint
		TrackURL string `json:"track_url"`
	}
	if code := call(t, "POST", "/api/v1/complaints", newComplaintBody("hygiene"), &c); code != http.StatusCreated {
		t.Fatalf("create: HTTP %d", code)
	}
	tok := token(t, c.TrackURL)

	var v tracked
	if code := call(t, "GET", "/api/v1/track/"+tok, nil, &v); code != http.StatusOK || v.Number != c.Number || v.CanRate || v.StatusLabel == "" {
		t.Fatalf("track: HTTP %d %+v", code, v)
	}
	// Nothing of the resident or the staff in it.
	_, raw := getPage(t, "/api/v1/track/"+tok)
	for _, private := range []string{"测试住户", "13900000000", "feng_xia", "unit"} {
		if strings.Contains(raw, private) {
			t.Errorf("tracking JSON leaks %q: %s", private, raw)
		}
	}
	var e apiError
	if code := call(t, "POST", "/api/v1/track/"+tok+"/rating", map[string]any{"score": 5}, &e); code != http.StatusConflict {
		t.Fatalf("rating before resolution: HTTP %d %+v", code, e)
	}

	act(t, c.Number, "acknowledge", nil, http.StatusOK)
	act(t, c.Number, "feedback", map[string]any{"message": "保洁员今天下午清理"}, http.StatusOK)
	act(t, c.Number, "resolve", map[string]any{"resolution": "楼道已清理干净"}, http.StatusOK)
	code, page := getPage(t, "/t/"+tok)
	if code != http.StatusOK || !strings.Contains(page, c.Number) || !strings.Contains(page, "楼道已清理干净") ||
		!strings.Contains(page, `name="score"`) || !strings.Contains(page, "保洁员今天下午清理") {
		t.Fatalf("tracking page: HTTP %d\n%s", code, page)
	}

	// The resident rates through the page's form.
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(sys.http.URL+"/t/"+tok+"/rating", url.Values{"score": {"5"}, "comment": {"很干净"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("form post: HTTP %d", resp.StatusCode)
	}
	if got := get(t, c.Number); got.Status != "closed" {
		t.Fatalf("after the resident's rating: %s", got.Status)
	}
	if n := count(t, `SELECT count(*) FROM ratings WHERE number = $1 AND source = 'complaint_callback' AND rated_by = 'resident' AND score = 5`, c.Number); n != 1 {
		t.Fatalf("%d resident ratings", n)
	}
	if code, page := getPage(t, "/t/"+tok); code != http.StatusOK || strings.Contains(page, `name="score"`) {
		t.Fatalf("a closed case still offers the rating form (HTTP %d)", code)
	}
}

func TestResidentRatingReopensRepair(t *testing.T) {
	t.Parallel()
	var r struct {
		repairCase
		TrackURL string `json:"track_url"`
	}
	if code := call(t, "POST", "/api/v1/repairs", newRepairBody("plumbing"), &r); code != http.StatusCreated {
		t.Fatalf("create: HTTP %d", code)
	}
	tok := token(t, r.TrackURL)
	actRepair(t, r.Number, "complete", map[string]any{"resolution": "疏通下水道"}, http.StatusOK)
	var v tracked
	if code := call(t, "POST", "/api/v1/track/"+tok+"/rating", map[string]any{"score": 7}, &v); code != http.StatusUnprocessableEntity {
		t.Fatalf("score 7: HTTP %d", code)
	}
	if code := call(t, "POST", "/api/v1/track/"+tok+"/rating", map[string]any{"score": 2, "comment": "还是堵"}, &v); code != http.StatusOK || v.Status != "reopened" {
		t.Fatalf("a dissatisfied rating: HTTP %d %+v", code, v)
	}
}

func TestBadTrackingLinks(t *testing.T) {
	t.Parallel()
	c := create(t, "parking")
	good := sys.tracking.Token(c.Number, time.Now().Add(time.Hour))
	expired := sys.tracking.Token(c.Number, time.Now().Add(-time.Minute))
	other := strings.Replace(good, c.Number, c.Number+"1", 1) // another case, same signature
	for _, tc := range []struct {
		token string
		want  int
	}{
		{good, http.StatusOK},
		{expired, http.StatusGone},
		{other, http.StatusNotFound},
		{"nonsense", http.StatusNotFound},
	} {
		var e apiError
		if code := call(t, "GET", "/api/v1/track/"+tc.token, nil, &e); code != tc.want {
			t.Errorf("JSON %s: HTTP %d, want %d", tc.token, code, tc.want)
		}
		if code, _ := getPage(t, "/t/"+tc.token); code != tc.want {
			t.Errorf("page %s: HTTP %d, want %d", tc.token, code, tc.want)
		}
		if code := call(t, "POST", "/api/v1/track/"+tc.token+"/rating", map[string]any{"score": 1}, &e); tc.want != http.StatusOK && code != tc.want {
			t.Errorf("rating %s: HTTP %d, want %d", tc.token, code, tc.want)
		}
	}
}
