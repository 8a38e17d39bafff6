package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// This file reads the README's examples so that TestREADMEExamples can run
// them: every ```sh block is run in order against a fresh `concierge dev`
// unless its fence says `sh norun` (commands that start servers, run the
// tests, or take minutes).

// exampleStep is one shell command of the README and what the README says it
// answers.
type exampleStep struct {
	Line    int    // line of the README where the command starts
	Command string // the command, possibly several lines
	Expect  string // the text after "# →" and its continuation lines; "" when none is shown
}

// readmeSteps returns the commands of the README's runnable ```sh blocks in
// order. A command ends at the end of a line outside quotes that does not end
// in a backslash; a comment line starting with "# →" (and the indented
// comment lines after it) is the answer the command before it must give.
func readmeSteps(md []byte) ([]exampleStep, error) {
	var steps []exampleStep
	sc := bufio.NewScanner(bytes.NewReader(md))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	inBlock, run := false, false
	var cur *exampleStep
	var q quoteState
	inExpect := false
	heredoc := "" // the word that ends the here-document the command reads
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if heredoc != "" {
			cur.Command += "\n" + line
			if trimmed == heredoc {
				heredoc = ""
			}
			continue
		}
		if strings.HasPrefix(trimmed, "```") {
			if !inBlock {
				info := strings.Fields(strings.TrimPrefix(trimmed, "```"))
				inBlock = true
				run = len(info) > 0 && info[0] == "sh" && !(len(info) > 1 && info[1] == "norun")
				continue
			}
			if cur != nil && !q.complete() {
				return nil, fmt.Errorf("README line %d: the command is not finished when its block ends", cur.Line)
			}
			inBlock, run, cur, inExpect = false, false, nil, false
			continue
		}
		if !inBlock || !run {
			continue
		}
		if cur != nil && !q.complete() {
			// Inside a quoted, multi-line argument: part of the command.
			cur.Command += "\n" + line
			q.scan(line)
			continue
		}
		switch {
		case strings.HasPrefix(trimmed, "# →"):
			if cur == nil {
				return nil, fmt.Errorf("README line %d: an answer (# →) without a command before it", lineNo)
			}
			if cur.Expect != "" {
				cur.Expect += "\n"
			}
			cur.Expect += strings.TrimSpace(strings.TrimPrefix(trimmed, "# →"))
			inExpect = true
		case inExpect && strings.HasPrefix(line, "#  "):
			// An indented comment line continues the answer.
			cur.Expect += "\n" + strings.TrimSpace(strings.TrimPrefix(trimmed, "#"))
		case trimmed == "" || strings.HasPrefix(trimmed, "#"):
			// Prose between commands.
			inExpect = false
		default:
			inExpect = false
			steps = append(steps, exampleStep{Line: lineNo, Command: line})
			cur = &steps[len(steps)-1]
			q = quoteState{}
			q.scan(line)
			if m := heredocRE.FindStringSubmatch(line); m != nil {
				heredoc = m[1]
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if inBlock || heredoc != "" {
		return nil, fmt.Errorf("README: a code block or here-document is not closed")
	}
	return steps, nil
}

// heredocRE finds a here-document (<<'EOF') on a command line.
var heredocRE = regexp.MustCompile(`<<-?\s*['"]?([A-Za-z_][A-Za-z0-9_]*)['"]?`)

// quoteState follows a shell command across lines: single and double quotes
// and a trailing backslash keep it open.
type quoteState struct {
	single, double, continued bool
}

func (q *quoteState) complete() bool { return !q.single && !q.double && !q.continued }

func (q *quoteState) scan(line string) {
	q.continued = false
	escaped := false
	for i, r := range line {
		switch {
		case escaped:
			escaped = false
		case q.single:
			if r == '\'' {
				q.single = false
			}
		case r == '\\':
			if i == len(line)-1 {
				q.continued = true
			}
			escaped = true
		case q.double:
			if r == '"' {
				q.double = false
			}
		case r == '\'':
			q.single = true
		case r == '"':
			q.double = true
		case r == '#' && (i == 0 || line[i-1] == ' '):
			// The rest of the line is a comment.
			return
		}
	}
}

// expectation is what the README promises a command answers.
type expectation struct {
	Status int                 // the HTTP status of the command's last request; 0: any 2xx
	Pairs  map[string][]string // "key": value pairs shown (JSON scalars or flat arrays), each must appear in the answer
	Text   string              // a plain-text answer (when the README shows no JSON), with … as a wildcard
	raw    string
}

var (
	statusRE = regexp.MustCompile(`^([1-5][0-9][0-9])\b`)
	// "key": followed by a JSON scalar or a flat array of scalars. Values
	// shown as … (anything) are not matched and so not checked.
	pairRE = regexp.MustCompile(`"([A-Za-z_][A-Za-z0-9_]*)":\s*("(?:[^"\\]|\\.)*"|-?[0-9]+(?:\.[0-9]+)?|true|false|null|\[(?:\s*(?:"(?:[^"\\]|\\.)*"|-?[0-9]+(?:\.[0-9]+)?|true|false|null)\s*,?)*\])`)
)

// parseExpectation reads the text after "# →".
func parseExpectation(s string) expectation {
	e := expectation{raw: s}
	rest := strings.TrimSpace(s)
	if m := statusRE.FindStringSubmatch(rest); m != nil {
		e.Status, _ = strconv.Atoi(m[1])
		rest = strings.TrimSpace(rest[len(m[1]):])
	}
	if strings.HasPrefix(rest, "{") || strings.HasPrefix(rest, "[") {
		e.Pairs = map[string][]string{}
		for _, m := range pairRE.FindAllStringSubmatch(rest, -1) {
			e.Pairs[m[1]] = append(e.Pairs[m[1]], m[2])
		}
		return e
	}
	if e.Status == 0 && rest != "" {
		// A plain answer, such as a URL printed by jq -r: its first line.
		e.Text, _, _ = strings.Cut(rest, "\n")
		e.Text = strings.TrimSpace(e.Text)
	}
	return e
}

// check compares a command's output and the HTTP statuses of its requests
// with the expectation; it returns what does not agree.
func (e expectation) check(stdout string, statuses []int) []string {
	var problems []string
	last := 0
	if len(statuses) > 0 {
		last = statuses[len(statuses)-1]
	}
	switch {
	case e.Status != 0:
		if last != e.Status {
			problems = append(problems, fmt.Sprintf("HTTP status %d, the README shows %d", last, e.Status))
		}
		for _, s := range statuses[:max(len(statuses)-1, 0)] {
			if s >= 400 {
				problems = append(problems, fmt.Sprintf("an earlier request of the command answered HTTP %d", s))
			}
		}
	default:
		for _, s := range statuses {
			if s >= 400 || s < 200 {
				problems = append(problems, fmt.Sprintf("HTTP status %d, the README shows success", s))
			}
		}
	}
	if len(e.Pairs) > 0 {
		values, err := jsonValues(stdout)
		if err != nil {
			return append(problems, fmt.Sprintf("the answer is not JSON: %v", err))
		}
		for key, wants := range e.Pairs {
			for _, want := range wants {
				if !matchesAny(values[key], want) {
					got := values[key]
					if len(got) > 5 {
						got = append(got[:5], "…")
					}
					problems = append(problems, fmt.Sprintf("%q: the README shows %s, the answer has %v", key, want, got))
				}
			}
		}
	}
	if e.Text != "" {
		found := false
		for line := range strings.SplitSeq(stdout, "\n") {
			if globMatch(e.Text, strings.TrimSpace(line)) {
				found = true
				break
			}
		}
		if !found {
			problems = append(problems, fmt.Sprintf("no line of the answer matches %q", e.Text))
		}
	}
	return problems
}

// jsonValues reads a stream of JSON values and collects, for every object
// key at any depth, the values it has, each encoded as compact JSON.
func jsonValues(s string) (map[string][]string, error) {
	out := map[string][]string{}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	n := 0
	for {
		var v any
		if err := dec.Decode(&v); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, err
		}
		n++
		collect(v, out)
	}
	if n == 0 {
		return nil, fmt.Errorf("empty answer")
	}
	return out, nil
}

func collect(v any, out map[string][]string) {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			raw, _ := json.Marshal(x)
			out[k] = append(out[k], string(raw))
			collect(x, out)
		}
	case []any:
		for _, x := range t {
			collect(x, out)
		}
	}
}

// matchesAny tells whether one of the answer's values equals the README's:
// numbers by value, strings with … as a wildcard, arrays element by element.
func matchesAny(got []string, want string) bool {
	for _, g := range got {
		if valueMatches(g, want) {
			return true
		}
	}
	return false
}

func valueMatches(got, want string) bool {
	var w, g any
	if json.Unmarshal([]byte(want), &w) != nil || json.Unmarshal([]byte(got), &g) != nil {
		return got == want
	}
	return sameValue(g, w)
}

func sameValue(g, w any) bool {
	switch wt := w.(type) {
	case string:
		gs, ok := g.(string)
		return ok && globMatch(wt, gs)
	case float64:
		gf, ok := g.(float64)
		return ok && gf == wt
	case []any:
		ga, ok := g.([]any)
		if !ok || len(ga) != len(wt) {
			return false
		}
		for i := range wt {
			if !sameValue(ga[i], wt[i]) {
				return false
			}
		}
		return true
	default:
		return g == w
	}
}

// globMatch matches s against a pattern in which … stands for any text.
func globMatch(pattern, s string) bool {
	parts := strings.Split(pattern, "…")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}
