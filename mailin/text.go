package mailin

import (
	"bytes"
	"html"
	"strings"
	"unicode"
)

// cleanLine makes a header value safe to store and show on one line:
// valid UTF-8, no control characters, single spaces.
func cleanLine(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return ' '
		case r < 0x20 || r == 0x7f:
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	return strings.Join(strings.Fields(s), " ")
}

// normalize prepares body text for storage: LF line ends, no control
// characters but LF and TAB (NUL in particular breaks PostgreSQL text),
// no trailing blanks on lines, at most one empty line in a row, trimmed,
// and at most maxText bytes.
func normalize(s string) string {
	s = strings.TrimPrefix(strings.ToValidUTF8(s, "\uFFFD"), "\uFEFF") // Windows clients prepend a BOM
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	var b strings.Builder
	blank := false
	for line := range strings.SplitSeq(s, "\n") {
		if b.Len() > maxText {
			break // the rest would be cut anyway
		}
		line = strings.TrimRight(strings.Map(dropControl, line), " \t")
		switch {
		case line == "":
			blank = b.Len() > 0
		case b.Len() == 0:
			// Unicode spaces too: a body may open with full-width spaces (U+3000).
			b.WriteString(strings.TrimLeftFunc(line, unicode.IsSpace))
		default:
			b.WriteString("\n")
			if blank {
				b.WriteString("\n")
			}
			blank = false
			b.WriteString(line)
		}
	}
	return strings.TrimSpace(truncateRunes(b.String(), maxText))
}

func dropControl(r rune) rune {
	if (r < 0x20 && r != '\t') || r == 0x7f {
		return -1
	}
	return r
}

// blockTags end a line in the stripped text; a paragraph also leaves an
// empty line after it.
var blockTags = map[string]int{
	"p": 2, "div": 1, "li": 1, "tr": 1, "hr": 1, "table": 1, "ul": 1, "ol": 1,
	"h1": 1, "h2": 1, "h3": 1, "h4": 1, "h5": 1, "h6": 1, "blockquote": 1, "pre": 1,
}

// skipTags have content that is never meant to be read as text.
var skipTags = map[string]bool{"script": true, "style": true, "title": true}

// stripHTML reduces an HTML body to its readable text. It is deliberately a
// small scanner, not a parser: mail HTML is often broken, and all we need is
// words and line breaks for a case description. s must be valid UTF-8.
func stripHTML(s string) string {
	// Same byte offsets as s (s is valid UTF-8), for case-insensitive search.
	lower := strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
	var t htmlText
	for i := 0; i < len(s); {
		j := nextTag(s, i)
		t.text(s[i:j])
		if i = j; i == len(s) {
			break
		}
		if strings.HasPrefix(s[i:], "<!--") {
			k := strings.Index(s[i+4:], "-->")
			if k < 0 {
				break
			}
			i += 4 + k + 3
			continue
		}
		k := strings.IndexByte(s[i:], '>')
		if k < 0 {
			break // unterminated tag: browsers drop the rest too
		}
		name, closing := tagName(lower[i+1 : i+k])
		i += k + 1
		switch {
		case skipTags[name] && !closing:
			end := strings.Index(lower[i:], "</"+name)
			if end < 0 {
				return string(t.out)
			}
			i += end
		case name == "br":
			t.out = append(bytes.TrimRight(t.out, " "), '\n')
		case blockTags[name] > 0:
			t.endLine(blockTags[name])
		case name == "td" || name == "th":
			t.text(" ")
		}
	}
	return string(t.out)
}

// htmlText accumulates stripped text the way a browser lays it out: source
// whitespace collapses to one space, block elements start a new line.
type htmlText struct{ out []byte }

func (t *htmlText) text(s string) {
	s = strings.ReplaceAll(html.UnescapeString(s), "\u00a0", " ") // &nbsp;
	for k := 0; k < len(s); k++ {
		switch c := s[k]; c {
		case ' ', '\t', '\n', '\r', '\f':
			if n := len(t.out); n > 0 && t.out[n-1] != ' ' && t.out[n-1] != '\n' {
				t.out = append(t.out, ' ')
			}
		default:
			t.out = append(t.out, c)
		}
	}
}

// endLine makes the text end in n line breaks, adding none to an empty text
// or beyond n, so nested blocks do not pile up empty lines.
func (t *htmlText) endLine(n int) {
	t.out = bytes.TrimRight(t.out, " ")
	for len(t.out) > 0 && !bytes.HasSuffix(t.out, []byte("\n\n"[:n])) {
		t.out = append(t.out, '\n')
	}
}

// nextTag returns the offset of the next "<" that opens a tag or comment,
// or len(s). Any other "<" is text, as browsers treat it.
func nextTag(s string, from int) int {
	for i := from; i < len(s); i++ {
		j := strings.IndexByte(s[i:], '<')
		if j < 0 {
			break
		}
		i += j
		if i+1 < len(s) {
			if c := s[i+1]; c == '/' || c == '!' || c == '?' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') {
				return i
			}
		}
	}
	return len(s)
}

// tagName returns the lower-case element name of a tag body such as
// `/div` or `p class="x"`, and whether it is a closing tag.
func tagName(inner string) (string, bool) {
	closing := strings.HasPrefix(inner, "/")
	inner = strings.TrimPrefix(inner, "/")
	n := 0
	for n < len(inner) && (('a' <= inner[n] && inner[n] <= 'z') || ('0' <= inner[n] && inner[n] <= '9')) {
		n++
	}
	return inner[:n], closing
}
