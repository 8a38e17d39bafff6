package console

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/concierge-pm/concierge/domain"
)

// cycleSummaryJSON is a training cycle as the API lists it.
type cycleSummaryJSON struct {
	ID         string     `json:"id"`
	Phase      string     `json:"phase"`
	SessionOn  string     `json:"session_on"`
	PassMark   int        `json:"pass_mark"`
	ExamOpens  time.Time  `json:"exam_opens"`
	ExamCloses time.Time  `json:"exam_closes"`
	ClosedAt   *time.Time `json:"closed_at"`
	Enrolled   int        `json:"enrolled"`
	Sat        int        `json:"sat"`
	Topics     []struct {
		Code string `json:"code"`
		ZH   string `json:"zh"`
		EN   string `json:"en"`
	} `json:"topics"`
	FirstPassRate kpiJSON `json:"first_pass_rate"`
	FinalPassRate kpiJSON `json:"final_pass_rate"`
}

// Rate writes a pass rate.
func (c cycleSummaryJSON) Rate(k kpiJSON) string {
	if k.Value == nil {
		return "—"
	}
	return formatPct(*k.Value)
}

// Open says whether the cycle takes results now.
func (c cycleSummaryJSON) Open() bool {
	return c.ClosedAt == nil && (c.Phase == "exam_open" || c.Phase == "retakes")
}

type sitterJSON struct {
	Staff    string `json:"staff"`
	Name     string `json:"name"`
	Result   string `json:"result"`
	Attempts []struct {
		Attempt    int       `json:"attempt"`
		Score      float64   `json:"score"`
		Passed     bool      `json:"passed"`
		Method     string    `json:"method"`
		RecordedBy string    `json:"recorded_by"`
		RecordedAt time.Time `json:"recorded_at"`
	} `json:"attempts"`
	RetakeDue *time.Time `json:"retake_due"`
}

// Score is the latest attempt's score, or "—".
func (s sitterJSON) Score() string {
	if len(s.Attempts) == 0 {
		return "—"
	}
	return strconv.FormatFloat(s.Attempts[len(s.Attempts)-1].Score, 'f', -1, 64)
}

type questionJSON struct {
	ID       int64  `json:"id"`
	Topic    string `json:"topic"`
	Question string `json:"question"`
	Choices  []struct {
		Key  string `json:"key"`
		Text string `json:"text"`
	} `json:"choices"`
	Points int `json:"points"`
}

type cycleDetailJSON struct {
	Cycle     cycleSummaryJSON `json:"cycle"`
	Staff     []sitterJSON     `json:"staff"`
	Questions []questionJSON   `json:"questions"`
}

type trainingData struct {
	Cycles  []cycleSummaryJSON
	Cycle   *cycleDetailJSON
	Trainer bool
	Me      string
	// Sitter is the member whose result the page has just recorded, or
	// whose exam it shows.
	Sitter *sitterJSON
	Done   bool
	Key    string
	Error  string
	Detail string
}

// training lists the cycles (every member of staff may read them).
func (a *app) training(c *gin.Context) {
	p := a.newPage(c, "training.title")
	p.Nav = "training"
	d := &trainingData{}
	var out struct{ Items []cycleSummaryJSON }
	if err := a.api.get(c, "/api/v1/training/cycles", &out); err != nil {
		a.fail(c, err)
		return
	}
	d.Cycles = out.Items
	sort.SliceStable(d.Cycles, func(i, j int) bool { return d.Cycles[i].ID > d.Cycles[j].ID })
	p.Data = d
	a.render(c, http.StatusOK, "training", p)
}

// loadCycle reads the cycle of the path for a training page.
func (a *app) loadCycle(c *gin.Context) (*trainingData, bool) {
	d := &trainingData{Cycle: &cycleDetailJSON{}}
	if err := a.api.get(c, "/api/v1/training/cycles/"+url.PathEscape(c.Param("id")), d.Cycle); err != nil {
		a.fail(c, err)
		return nil, false
	}
	who := whoami(c)
	d.Me = who.StaffCode
	d.Trainer = domain.Role(who.Role).Allows(domain.PermTrainingManage)
	return d, true
}

// cyclePage is the trainer's results view of a cycle: each member enrolled
// with their sittings and result; a trainer starts a sitting from it.
func (a *app) cyclePage(c *gin.Context) {
	d, ok := a.loadCycle(c)
	if !ok {
		return
	}
	if staff := c.Query("staff"); staff != "" {
		for i := range d.Cycle.Staff {
			if d.Cycle.Staff[i].Staff == staff {
				d.Sitter = &d.Cycle.Staff[i]
			}
		}
		d.Done = c.Query("done") == "sat" && d.Sitter != nil
	}
	p := a.newPage(c, "training.cycle")
	p.Nav = "training"
	p.Data = d
	a.render(c, http.StatusOK, "cycle", p)
}

// examPage is the exam of the cycle for one member of staff, sat at the
// trainer's session: the API takes a result from a trainer for someone
// else only (no one grades themselves), so the trainer opens the sitting
// and the member answers on the trainer's screen.
func (a *app) examPage(c *gin.Context) { a.showExam(c, http.StatusOK, "", "") }

func (a *app) showExam(c *gin.Context, status int, errKey, detail string) {
	d, ok := a.loadCycle(c)
	if !ok {
		return
	}
	staff := c.Query("staff")
	if c.Request.Method == http.MethodPost {
		staff = c.PostForm("staff")
	}
	for i := range d.Cycle.Staff {
		if d.Cycle.Staff[i].Staff == staff {
			d.Sitter = &d.Cycle.Staff[i]
		}
	}
	if d.Sitter == nil {
		a.errorPage(c, http.StatusNotFound, "error.not_enrolled", "")
		return
	}
	key, err := randomToken()
	if err != nil {
		a.fail(c, err)
		return
	}
	d.Key, d.Error, d.Detail = "console-"+key, errKey, detail
	p := a.newPage(c, "training.exam")
	p.Nav = "training"
	p.Data = d
	a.render(c, status, "exam", p)
}

// sitExam sends the answers through POST
// /api/v1/training/cycles/{id}/results, which marks them.
func (a *app) sitExam(c *gin.Context) {
	if err := c.Request.ParseForm(); err != nil {
		a.errorPage(c, http.StatusBadRequest, "error.invalid_input", "")
		return
	}
	answers := map[string]string{}
	for k, v := range c.Request.PostForm {
		if id, ok := strings.CutPrefix(k, "q-"); ok && len(v) > 0 && strings.TrimSpace(v[0]) != "" {
			answers[id] = strings.TrimSpace(v[0])
		}
	}
	staff := strings.TrimSpace(c.PostForm("staff"))
	id := c.Param("id")
	_, err := a.api.do(c, call{method: http.MethodPost, path: "/api/v1/training/cycles/" + url.PathEscape(id) + "/results",
		body: map[string]any{"staff": staff, "answers": answers}, csrf: c.PostForm(csrfField),
		idempotencyKey: strings.TrimSpace(c.PostForm("idempotency_key"))}, nil)
	if err != nil {
		a.refused(c, err, func(key, detail string, status int) { a.showExam(c, status, key, detail) })
		return
	}
	c.Redirect(http.StatusSeeOther, Prefix+"/training/"+url.PathEscape(id)+"?"+url.Values{"staff": {staff}, "done": {"sat"}}.Encode())
}

// Topic is the label of a training topic of the cycle.
func (p *page) Topic(cy cycleSummaryJSON, code string) string {
	for _, t := range cy.Topics {
		if t.Code == code {
			return p.Name(code, t.ZH, t.EN)
		}
	}
	return p.Code("topic", code)
}
