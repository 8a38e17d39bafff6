package domain

import (
	"errors"
	"testing"
	"time"
)

// calendar2026 lists a few days of the State Council's 2026 calendar.
func calendar2026() Calendar {
	c := Calendar{Days: map[string]bool{}, Years: map[int]bool{2026: true}}
	for _, d := range []string{"2026-01-01", "2026-01-02", "2026-01-03", "2026-10-01", "2026-10-02", "2026-10-03",
		"2026-10-04", "2026-10-05", "2026-10-06", "2026-10-07"} {
		c.Days[d] = false
	}
	c.Days["2026-01-04"] = true // a Sunday worked in exchange
	c.Days["2026-10-10"] = true
	return c
}

func TestFirstWorkingDayOfQuarter(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	tests := []struct {
		at   string
		want string
		id   string
	}{
		{"2026-01-01", "2026-01-04", "2026-Q1"}, // 元旦 1–3 off; Sunday the 4th is worked
		{"2026-02-20", "2026-01-04", "2026-Q1"},
		{"2026-04-01", "2026-04-01", "2026-Q2"}, // a Wednesday
		{"2026-07-15", "2026-07-01", "2026-Q3"},
		{"2026-11-28", "2026-10-08", "2026-Q4"}, // National Day week
		{"2027-01-01", "2027-01-04", "2027-Q1"}, // no published calendar: 元旦 and the weekend
		{"2027-10-01", "2027-10-04", "2027-Q4"}, // statutory 1–3 October; the 4th is a Monday
		{"2028-04-01", "2028-04-03", "2028-Q2"}, // a Saturday: the Monday after
	}
	for _, tt := range tests {
		at, _ := time.ParseInLocation(time.DateOnly, tt.at, shanghai)
		id, start := Quarter(at)
		got := calendar2026().FirstWorkingDay(start)
		if id != tt.id || got.Format(time.DateOnly) != tt.want || got.Location() != shanghai {
			t.Errorf("%s: quarter %s, first working day %s; want %s, %s", tt.at, id, got.Format(time.DateOnly), tt.id, tt.want)
		}
		back, err := ParseQuarter(id, shanghai)
		if err != nil || !back.Equal(start) {
			t.Errorf("ParseQuarter(%s) = %v, %v; want %v", id, back, err, start)
		}
	}
}

func TestParseQuarterRejects(t *testing.T) {
	for _, s := range []string{"", "2026-Q5", "2026-Q0", "2026Q1", "2026-q1", "26-Q1", "2026-Q12", "2026-Q1 "} {
		if _, err := ParseQuarter(s, time.UTC); err == nil {
			t.Errorf("ParseQuarter(%q) accepted", s)
		}
	}
}

func TestMarkAnswers(t *testing.T) {
	exam := []ExamQuestion{{1, "A", 2}, {2, "C", 1}, {3, "B", 1}}
	tests := []struct {
		name    string
		answers map[string]string
		want    float64
		wantErr bool
	}{
		{"all right", map[string]string{"1": "A", "2": "C", "3": "B"}, 100, false},
		{"case and spaces do not matter", map[string]string{"1": " a ", "2": "c", "3": "b"}, 100, false},
		{"the heavy one wrong", map[string]string{"1": "B", "2": "C", "3": "B"}, 50, false},
		{"one of four points", map[string]string{"2": "C"}, 25, false},
		{"the heavy one alone", map[string]string{"1": "A"}, 50, false},
		{"all wrong", map[string]string{"1": "D", "2": "D", "3": "D"}, 0, false},
		{"a question of another paper", map[string]string{"1": "A", "9": "A"}, 0, true},
		{"not a number", map[string]string{"one": "A"}, 0, true},
		{"empty", map[string]string{}, 0, true},
	}
	for _, tt := range tests {
		got, err := MarkAnswers(exam, tt.answers)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("%s: got %v, %v; want %v, error %v", tt.name, got, err, tt.want, tt.wantErr)
		}
	}
	third, _ := MarkAnswers([]ExamQuestion{{1, "A", 1}, {2, "A", 1}, {3, "A", 1}}, map[string]string{"1": "A"})
	if third != 33.33 {
		t.Errorf("one of three = %v, want 33.33", third)
	}
	if _, err := MarkAnswers(nil, map[string]string{"1": "A"}); err == nil {
		t.Error("an exam without questions was marked")
	}
}

func TestNextAttempt(t *testing.T) {
	opens := time.Date(2026, 10, 8, 9, 0, 0, 0, time.UTC)
	closes := opens.Add(DefaultExamWindow)
	retakeDue := opens.Add(3*24*time.Hour + DefaultRetakeWindow)
	tests := []struct {
		name string
		rec  ExamRecord
		now  time.Time
		want int
		err  error
	}{
		{"before the window", ExamRecord{}, opens.Add(-time.Minute), 0, ErrExamNotOpen},
		{"first sitting", ExamRecord{}, opens, 1, nil},
		{"last minute", ExamRecord{}, closes.Add(-time.Second), 1, nil},
		{"absent at the close", ExamRecord{}, closes, 0, ErrExamClosed},
		{"passed", ExamRecord{Attempts: 1, Passed: true}, opens.Add(time.Hour), 0, ErrAlreadyPassed},
		{"retake within its window", ExamRecord{Attempts: 1, RetakeDue: retakeDue}, retakeDue, 2, nil},
		{"retake after the exam window closed", ExamRecord{Attempts: 1, RetakeDue: closes.Add(48 * time.Hour)}, closes.Add(time.Hour), 2, nil},
		{"retake too late", ExamRecord{Attempts: 1, RetakeDue: retakeDue}, retakeDue.Add(time.Second), 0, ErrRetakeExpired},
		{"both used", ExamRecord{Attempts: 2}, opens.Add(time.Hour), 0, ErrNoRetakeLeft},
		{"passed on the retake", ExamRecord{Attempts: 2, Passed: true}, opens.Add(time.Hour), 0, ErrAlreadyPassed},
	}
	for _, tt := range tests {
		got, err := tt.rec.NextAttempt(tt.now, opens, closes)
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("%s: got %d, %v; want %d, %v", tt.name, got, err, tt.want, tt.err)
		}
	}
}

func TestExamRecordFinal(t *testing.T) {
	due := time.Date(2026, 10, 20, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		rec  ExamRecord
		now  time.Time
		want bool
	}{
		{ExamRecord{}, due, false},
		{ExamRecord{Attempts: 1, Passed: true}, due, true},
		{ExamRecord{Attempts: 1, RetakeDue: due}, due, false},
		{ExamRecord{Attempts: 1, RetakeDue: due}, due.Add(time.Second), true},
		{ExamRecord{Attempts: 2}, due, true},
	}
	for i, tt := range tests {
		if got := tt.rec.Final(tt.now); got != tt.want {
			t.Errorf("%d: Final = %v, want %v", i, got, tt.want)
		}
	}
}

func TestScores(t *testing.T) {
	for _, s := range []float64{-1, 100.01, 250} {
		if CheckScore(s) == nil {
			t.Errorf("score %v accepted", s)
		}
	}
	for _, s := range []float64{0, 79.99, 80, 100} {
		if err := CheckScore(s); err != nil {
			t.Errorf("score %v: %v", s, err)
		}
	}
	if Passes(79.99, 80) || !Passes(80, 80) || !Passes(100, 80) {
		t.Error("the pass mark is inclusive")
	}
}
