package domain

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Defaults of the quarterly training and exam cycle (培训考核).
const (
	DefaultPassMark     = 80
	DefaultExamWindow   = 14 * 24 * time.Hour
	DefaultRetakeWindow = 7 * 24 * time.Hour
	// SessionHour is when, on the quarter's first working day, the session
	// starts and the exam window opens.
	SessionHour = 9
)

// TrainingTopic is one subject of the quarter's training session.
type TrainingTopic struct {
	Code string `json:"code"`
	ZH   string `json:"zh"`
	EN   string `json:"en"`
}

// TrainingTopics are the subjects the service standard requires each quarter.
func TrainingTopics() []TrainingTopic {
	return []TrainingTopic{
		{"fees", "物业知识：收费标准", "Property knowledge: fees"},
		{"repair_process", "物业知识：报修流程", "Property knowledge: the repair process"},
		{"service_items", "物业知识：服务项目", "Property knowledge: service items"},
		{"listening", "沟通技巧：倾听", "Communication: listening"},
		{"complaint_handling", "沟通技巧：投诉处理", "Communication: complaint handling"},
		{"etiquette", "沟通技巧：礼仪", "Communication: etiquette"},
		{"emergency", "应急处理", "Emergency handling"},
	}
}

// ExamQuestion is what marking needs of one question of an exam.
type ExamQuestion struct {
	ID     int64
	Answer string
	Points int
}

// MarkAnswers scores answers (question ID → choice key) against the exam's
// questions, as a percentage of the points rounded to two decimals. An
// unanswered question earns nothing; an answer to a question not in the
// exam is an error, as it means the sitter had another paper.
func MarkAnswers(questions []ExamQuestion, answers map[string]string) (float64, error) {
	if len(questions) == 0 {
		return 0, errors.New("this exam has no questions: the trainer enters a score instead")
	}
	if len(answers) == 0 {
		return 0, errors.New("answers are empty")
	}
	byID := make(map[int64]ExamQuestion, len(questions))
	total := 0
	for _, q := range questions {
		byID[q.ID] = q
		total += q.Points
	}
	earned := 0
	for k, a := range answers {
		id, err := strconv.ParseInt(k, 10, 64)
		q, ok := byID[id]
		if err != nil || !ok {
			return 0, fmt.Errorf("question %q is not in this exam", k)
		}
		if strings.EqualFold(strings.TrimSpace(a), q.Answer) {
			earned += q.Points
		}
	}
	return math.Round(float64(earned)*10000/float64(total)) / 100, nil
}

// Why a result cannot be taken now.
var (
	ErrExamNotOpen     = errors.New("the exam window has not opened yet")
	ErrExamClosed      = errors.New("the exam window has closed and no retake is due")
	ErrAlreadyPassed   = errors.New("already passed this quarter's exam")
	ErrNoRetakeLeft    = errors.New("both attempts (the exam and its one retake) are used")
	ErrRetakeExpired   = errors.New("the retake window has passed")
	ErrScoreOutOfRange = errors.New("score must be between 0 and 100")
)

// ExamRecord is where one enrolled member of staff stands in a cycle.
type ExamRecord struct {
	Attempts  int       `json:"attempts"`
	Passed    bool      `json:"passed"`
	LastScore float64   `json:"last_score"`
	RetakeDue time.Time `json:"retake_due,omitzero"`
}

// NextAttempt is the number of the sitting a result recorded at now would
// be: 1 within the exam window, 2 for the one retake of a failed first
// attempt within its window.
func (r ExamRecord) NextAttempt(now, opens, closes time.Time) (int, error) {
	switch {
	case r.Passed:
		return 0, ErrAlreadyPassed
	case r.Attempts >= 2:
		return 0, ErrNoRetakeLeft
	case r.Attempts == 1 && now.After(r.RetakeDue):
		return 0, ErrRetakeExpired
	case r.Attempts == 1:
		return 2, nil
	case now.Before(opens):
		return 0, ErrExamNotOpen
	case !now.Before(closes):
		return 0, ErrExamClosed
	}
	return 1, nil
}

// Final reports whether nothing more can change the record after now: a
// pass, both attempts used, or a retake window gone by.
func (r ExamRecord) Final(now time.Time) bool {
	return r.Passed || r.Attempts >= 2 || (r.Attempts == 1 && now.After(r.RetakeDue))
}

// CheckScore validates a score entered by the trainer.
func CheckScore(score float64) error {
	if math.IsNaN(score) || score < 0 || score > 100 {
		return ErrScoreOutOfRange
	}
	return nil
}

// Passes reports whether score reaches the pass mark.
func Passes(score float64, passMark int) bool { return score >= float64(passMark) }

// TrainingPlan is when a quarter's cycle starts: its session, on the
// quarter's first working day, or at once when triggered later.
type TrainingPlan struct {
	Cycle     string    `json:"cycle"`
	SessionAt time.Time `json:"session_at"`
}

// TrainingCycle is what the cycle's workflow needs to take results.
type TrainingCycle struct {
	ID           string        `json:"id"`
	WorkflowID   string        `json:"workflow_id"`
	RunID        string        `json:"run_id"`
	PassMark     int           `json:"pass_mark"`
	ExamOpens    time.Time     `json:"exam_opens"`
	ExamCloses   time.Time     `json:"exam_closes"`
	RetakeWindow time.Duration `json:"retake_window"`
	Staff        []string      `json:"staff"`
	Questions    []int64       `json:"questions"`
	// Notify are the outbox keys of the exam's announcement.
	Notify []string `json:"notify,omitempty"`
}

// ExamSubmission is one result sent to the cycle: a score entered by the
// trainer, or answers to be marked against the question bank.
type ExamSubmission struct {
	Cycle      string            `json:"cycle"`
	Staff      string            `json:"staff"`
	Score      *float64          `json:"score,omitempty"`
	Answers    map[string]string `json:"answers,omitempty"`
	RecordedBy string            `json:"recorded_by"`
	// Set by the workflow: the sitting's number and when it was taken.
	Attempt int       `json:"attempt"`
	At      time.Time `json:"at"`
}

// ExamResult is a recorded sitting.
type ExamResult struct {
	Cycle     string    `json:"cycle"`
	Staff     string    `json:"staff"`
	Attempt   int       `json:"attempt"`
	Score     float64   `json:"score"`
	Passed    bool      `json:"passed"`
	PassMark  int       `json:"pass_mark"`
	Method    string    `json:"method"`
	RetakeDue time.Time `json:"retake_due,omitzero"`
	// Notify are the outbox keys of the retake notice, if any.
	Notify []string `json:"notify,omitempty"`
}

// TrainingOutcome is a closed cycle's result against the 90 % target.
type TrainingOutcome struct {
	Cycle       string `json:"cycle"`
	Enrolled    int    `json:"enrolled"`
	Sat         int    `json:"sat"`
	FirstPassed int    `json:"first_passed"`
	FinalPassed int    `json:"final_passed"`
	// Duplicate is set when another run already had the cycle.
	Duplicate bool `json:"duplicate,omitempty"`
}
