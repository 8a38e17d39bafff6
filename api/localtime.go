package api

import (
	"bytes"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// localTimes keeps the promise that every time in an answer is in the
// centre's zone (CONCIERGE_TZ). Times reach the answers from PostgreSQL
// (which pgx gives in the process's zone, UTC on a server), from Temporal
// (UTC) and from the clock; converting each where it is answered missed
// some (`received_at`, `called_at`, the handbook's `updated_at`), so the
// JSON of every answer is brought into the zone here, once: each string
// value that is an RFC 3339 time is written again in the centre's zone, the
// same instant. A resident's text would be rewritten only if it were
// nothing but such a time, and then to the same instant.
func (s *Server) localTimes(c *gin.Context) {
	w := &localTimeWriter{ResponseWriter: c.Writer, loc: s.cfg.Location}
	c.Writer = w
	// After a panic the buffered answer is dropped and Recovery answers 500.
	defer func() { c.Writer = w.ResponseWriter }()
	c.Next()
	if w.buf.Len() > 0 {
		if _, err := w.ResponseWriter.Write(localizeJSONTimes(w.buf.Bytes(), s.cfg.Location)); err != nil {
			// The client has gone; nothing is left to tell it.
			s.cfg.Logger.Debug("answer not sent", "route", c.FullPath(), "error", err)
		}
	}
}

// localTimeWriter holds back a JSON answer until the handler is done, so
// that localTimes can rewrite its times; other answers (workbooks, pages,
// metrics) pass straight through.
type localTimeWriter struct {
	gin.ResponseWriter
	loc *time.Location
	buf bytes.Buffer
}

func (w *localTimeWriter) json() bool {
	return strings.HasPrefix(w.Header().Get("Content-Type"), "application/json")
}

func (w *localTimeWriter) Write(b []byte) (int, error) {
	if !w.json() {
		return w.ResponseWriter.Write(b)
	}
	return w.buf.Write(b)
}

func (w *localTimeWriter) WriteString(s string) (int, error) {
	if !w.json() {
		return w.ResponseWriter.WriteString(s)
	}
	return w.buf.WriteString(s)
}

// localizeJSONTimes returns the JSON document body with every string value
// (not key) that is an RFC 3339 time written in loc instead, with the same
// fractional seconds as encoding/json writes them. body is what
// encoding/json produced, so strings are well formed.
func localizeJSONTimes(body []byte, loc *time.Location) []byte {
	var out []byte
	last := 0
	for i := 0; i < len(body); i++ {
		if body[i] != '"' {
			continue
		}
		end := i + 1
		for end < len(body) && body[end] != '"' {
			if body[end] == '\\' {
				end++
			}
			end++
		}
		if end >= len(body) {
			break
		}
		if t, ok := rfc3339(body[i+1 : end]); ok && !isKey(body[end+1:]) {
			// An offset with seconds (local mean time, before the zone
			// had standard time: +08:05:43 in Shanghai before 1901) cannot
			// be written in RFC 3339, which would change the instant: such
			// a time stays as it was.
			if _, offset := t.In(loc).Zone(); offset%60 != 0 {
				i = end
				continue
			}
			if local := t.In(loc).Format(time.RFC3339Nano); local != string(body[i+1:end]) {
				out = append(out, body[last:i+1]...)
				out = append(out, local...)
				last = end
			}
		}
		i = end
	}
	if out == nil {
		return body
	}
	return append(out, body[last:]...)
}

// rfc3339 parses s if it is a whole RFC 3339 time with seconds and a zone,
// as encoding/json writes a time.Time.
func rfc3339(s []byte) (time.Time, bool) {
	// "2006-01-02T15:04:05Z" to "2006-01-02T15:04:05.999999999-07:00".
	if len(s) < 20 || len(s) > 35 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, string(s))
	return t, err == nil
}

// isKey reports whether the string just closed is an object key: the next
// character other than white space is a colon.
func isKey(rest []byte) bool {
	for _, b := range rest {
		switch b {
		case ' ', '\t', '\n', '\r':
			continue
		case ':':
			return true
		}
		return false
	}
	return false
}
