package api

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
)

// fitToStore reports what PostgreSQL text or jsonb, or a reader, could not
// take: invalid UTF-8, untrimmed text, control characters.
func fitToStore(s string) bool {
	if !utf8.ValidString(s) || s != strings.TrimSpace(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' {
			return false
		}
	}
	return true
}

// FuzzTrainingBodies feeds arbitrary bodies to the training endpoints'
// readers (which = 0: an exam result, 1: a question, 2: a calendar year)
// and checks that nothing panics, a refusal is a 422 invalid_input, and
// whatever is accepted is fit to store.
func FuzzTrainingBodies(f *testing.F) {
	gin.SetMode(gin.TestMode)
	for _, seed := range []struct {
		which byte
		body  string
	}{
		{0, `{"staff":"liu_fang","score":86}`},
		{0, `{"staff":"liu_fang","answers":{"4":"B","+05":"a","6":" c "}}`},
		{0, `{"staff":"liu_fang","answers":{"4":"\u0000"}}`},
		{0, `{"staff":"liu_fang","score":1e400}`},
		{1, `{"topic":"emergency","question":"电梯困人时应首先：","choices":[{"key":"a","text":"自行撬门"},{"key":"b","text":"通知维保"}],"answer":"B"}`},
		{1, `{"topic":"property","question":"?","choices":[{"key":"\u0000","text":"x"},{"key":"B","text":"y"}],"answer":"\u0000"}`},
		{2, `{"days":[{"day":"2030-01-01","working":false,"name":"元旦"}]}`},
		{2, `{"days":[{"day":"2030-02-30","working":true}]}`},
		{2, `[]`}, {1, ``}, {0, `{`},
	} {
		f.Add(seed.which, []byte(seed.body))
	}
	f.Fuzz(func(t *testing.T, which byte, body []byte) {
		w := httptest.NewRecorder()
		c, _ := gin.CreateTestContext(w)
		c.Request = httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		c.Request.Header.Set("Content-Type", "application/json")
		var ok bool
		switch which % 3 {
		case 0:
			var r examResultBody
			if r, ok = bindExamResult(c); ok {
				if !codeRE.MatchString(r.Staff) || (r.Score == nil) == (len(r.Answers) == 0) ||
					(r.Score != nil && !(*r.Score >= 0 && *r.Score <= 100)) {
					t.Fatalf("accepted %+v", r)
				}
				for k, v := range r.Answers {
					if id, err := strconv.ParseInt(k, 10, 64); err != nil || id <= 0 || strconv.FormatInt(id, 10) != k || v == "" || len(v) > 20 || !fitToStore(v) {
						t.Fatalf("accepted answer %q → %q", k, v)
					}
				}
			}
		case 1:
			q, accepted := bindQuestion(c)
			if ok = accepted; ok {
				keys := map[string]bool{}
				for _, ch := range q.Choices {
					if ch.Key == "" || keys[ch.Key] || !fitToStore(ch.Key) || ch.Text == "" || !fitToStore(ch.Text) {
						t.Fatalf("accepted choice %+v", ch)
					}
					keys[ch.Key] = true
				}
				if q.Question == "" || !fitToStore(q.Question) || !keys[q.Answer] || len(q.Choices) < 2 || q.Points < 1 || q.Points > 100 {
					t.Fatalf("accepted %+v", q)
				}
			}
		default:
			days, accepted := bindCalendar(c, 2030)
			if ok = accepted; ok {
				seen := map[string]bool{}
				for _, d := range days {
					day, err := time.Parse(time.DateOnly, d.Day)
					if err != nil || day.Year() != 2030 || seen[d.Day] || !fitToStore(d.Name) {
						t.Fatalf("accepted day %+v", d)
					}
					seen[d.Day] = true
				}
				if len(days) == 0 {
					t.Fatal("accepted an empty calendar")
				}
			}
		}
		if !ok && (w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `"code":"invalid_input"`)) {
			t.Fatalf("refused with HTTP %d %s", w.Code, w.Body)
		}
	})
}
