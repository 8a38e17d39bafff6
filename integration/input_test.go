package integration

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// marker is in every refused text, so the test can look for it afterwards.
const marker = "坏字节"

// Invalid UTF-8 in free text, headers and queries is refused with 422 and
// a message that says so, and is stored nowhere; a validly signed link to a
// case that does not exist leads nowhere (404), like a forged one.
func TestBadInputIsRefusedAndStoresNothing(t *testing.T) {
	t.Parallel()
	c := create(t, "parking")
	events := count(t, `SELECT count(*) FROM case_events WHERE number = $1`, c.Number)
	bad := marker + "\xe6\xbc" // a character cut in half
	const placeholder = "@BAD@"
	body := func(v map[string]any) string {
		t.Helper()
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		// json.Marshal would replace the bad bytes: put them in afterwards.
		return strings.ReplaceAll(string(raw), placeholder, bad)
	}
	complaint := newComplaintBody("leak")
	complaint["description"] = placeholder
	namedComplaint := newComplaintBody("leak")
	namedComplaint["resident"] = map[string]any{"name": placeholder, "phone": "13900000000"}
	visit := map[string]any{"community": "A", "visitor_name": placeholder, "purpose": "inquiry"}
	fee := map[string]any{"item": "management", "name": placeholder, "basis": "area", "rate": "2.80", "effective_from": "2031-01-01"}
	question := map[string]any{"topic": "property", "question": placeholder, "answer": "A",
		"choices": []map[string]any{{"key": "A", "text": "是"}, {"key": "B", "text": "否"}}}
	category := map[string]any{"name": placeholder}
	staff := []string{signedInAs, "liu_fang"}
	manager := []string{signedInAs, "ma_lin"} // fee standards are the centre manager's

	for _, tt := range []struct {
		name, method, path string
		body               any
		headers            []string
		want               int
		says               string
	}{
		{"Idempotency-Key", "POST", "/api/v1/complaints", newComplaintBody("leak"), []string{"Idempotency-Key", "desk-" + bad},
			422, "Idempotency-Key must be UTF-8 text"},
		{"q of complaints", "GET", "/api/v1/complaints?q=" + url.QueryEscape(bad), nil, nil, 422, "q is not valid UTF-8 text"},
		{"q of repairs", "GET", "/api/v1/repairs?q=%FF", nil, nil, 422, "q is not valid UTF-8 text"},
		{"description", "POST", "/api/v1/complaints", body(complaint), nil, 422, "not valid UTF-8"},
		{"resident name", "POST", "/api/v1/repairs", body(namedComplaint), nil, 422, "not valid UTF-8"},
		{"feedback", "POST", "/api/v1/complaints/" + c.Number + "/feedback", body(map[string]any{"message": placeholder}), nil, 422, "not valid UTF-8"},
		{"visitor name", "POST", "/api/v1/visits", body(visit), staff, 422, "not valid UTF-8"},
		{"fee name", "POST", "/api/v1/communities/A/fees", body(fee), manager, 422, "not valid UTF-8"},
		{"category name", "PUT", "/api/v1/handbook/categories/parking", body(category), nil, 422, "not valid UTF-8"},
		{"exam question", "POST", "/api/v1/training/questions", body(question), nil, 422, "not valid UTF-8"},
		{"a lone surrogate", "POST", "/api/v1/complaints/" + c.Number + "/feedback", `{"message": "` + marker + `\udc00"}`, nil,
			422, "U+FFFD"},
		{"page_size", "GET", "/api/v1/complaints?page_size=500", nil, nil, 422, "page_size must be from 1 to 200 (got 500)"},
		{"page_size text", "GET", "/api/v1/complaints?page_size=abc", nil, nil, 422, `page_size must be a whole number from 1 to 200 (got "abc")`},
		{"a score as text", "POST", "/api/v1/complaints/" + c.Number + "/callback", `{"reached": true, "score": "5"}`, nil,
			422, "score must be a whole number"},
		{"a position as a fraction", "POST", "/api/v1/communities/A/fees",
			`{"item": "x", "name": "x", "basis": "area", "rate": "1", "effective_from": "2031-01-01", "position": 1.5}`, manager,
			422, "position must be a whole number (got 1.5)"},
		{"unknown case, good signature", "GET", "/api/v1/track/" + sys.tracking.Token("TS20991231-9999", time.Now().Add(time.Hour)),
			nil, nil, 404, "this link is not valid"},
		{"rating an unknown case", "POST", "/api/v1/track/" + sys.tracking.Token("BX20991231-9999", time.Now().Add(time.Hour)) + "/rating",
			`{"score": 5}`, nil, 404, "this link is not valid"},
	} {
		var e apiError
		code := call(t, tt.method, tt.path, tt.body, &e, tt.headers...)
		if code != tt.want || e.Error.Code == "" || !strings.Contains(e.Error.Message, tt.says) {
			t.Errorf("%s: HTTP %d %+v, want %d saying %q", tt.name, code, e.Error, tt.want, tt.says)
		}
		for _, leak := range []string{"strconv", "float64", "int64", "characters)"} {
			if strings.Contains(e.Error.Message, leak) {
				t.Errorf("%s: message %q shows %q", tt.name, e.Error.Message, leak)
			}
		}
	}

	// The resident's page: a link to no case is 404, a comment that is not
	// UTF-8 is refused on the page.
	if code, page := getPage(t, "/t/"+sys.tracking.Token("TS20991231-9999", time.Now().Add(time.Hour))); code != http.StatusNotFound || !strings.Contains(page, "链接无效") {
		t.Errorf("page of an unknown case: HTTP %d %s", code, page)
	}
	tok := sys.tracking.Token(c.Number, time.Now().Add(time.Hour))
	if code, page := postForm(t, "/t/"+tok+"/rating", "score=5&comment="+url.QueryEscape(bad)); code != http.StatusUnprocessableEntity || !strings.Contains(page, "2000") {
		t.Errorf("a comment that is not UTF-8 on the page: HTTP %d %s", code, page)
	}

	// Nothing of it is stored.
	like := "%" + marker + "%"
	for _, q := range []string{
		`SELECT count(*) FROM case_intakes WHERE description LIKE $1 OR resident_name LIKE $1 OR idempotency_key LIKE '%desk-` + marker + `%'`,
		`SELECT count(*) FROM case_events WHERE message LIKE $1`,
		`SELECT count(*) FROM visits WHERE visitor_name LIKE $1`,
		`SELECT count(*) FROM fee_standards WHERE name LIKE $1`,
		`SELECT count(*) FROM handbook_categories WHERE name LIKE $1`,
		`SELECT count(*) FROM training_questions WHERE question LIKE $1`,
		`SELECT count(*) FROM ratings WHERE comment LIKE $1`,
	} {
		if n := count(t, q, like); n != 0 {
			t.Errorf("%s: %d rows", q, n)
		}
	}
	if n := count(t, `SELECT count(*) FROM case_events WHERE number = $1`, c.Number); n != events {
		t.Errorf("the case's timeline grew from %d to %d events", events, n)
	}
}

func postForm(t *testing.T, path, form string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, sys.http.URL+path, strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
